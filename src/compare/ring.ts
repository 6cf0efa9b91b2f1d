/**
 * The packets of one side waiting for their copy: a FIFO ring of fixed-shape columns (typed
 * arrays, no object per packet, so nothing for the garbage collector) with a chained hash index
 * over it. A record is named by its sequence number (`id`, counted from 0 for the whole capture);
 * its slot is `id & mask`. The ring doubles when full, up to `maxSize`.
 */
export class RecordRing {
  private mask: number;
  private size: number;
  // columns
  pair: Int32Array;
  stream: Int32Array;
  dir: Uint8Array;
  fromClient: Uint8Array;
  matched: Uint8Array;
  seq: Uint32Array;
  len: Uint32Array;
  ipId: Uint16Array;
  tsVal: Uint32Array;
  flags: Uint16Array;
  hash: Uint32Array;
  tNs: Float64Array;
  peerNs: Float64Array;
  dsn: Float64Array;
  /** Next id in the same hash bucket (-1: none). */
  next: Float64Array;
  // index: bucket → newest id (-1: empty)
  private buckets: Float64Array;
  private bucketMask: number;
  head = 0;
  tail = 0;

  constructor(
    initial: number,
    readonly maxSize: number,
  ) {
    this.size = pow2(Math.min(initial, maxSize));
    this.mask = this.size - 1;
    this.pair = new Int32Array(this.size);
    this.stream = new Int32Array(this.size);
    this.dir = new Uint8Array(this.size);
    this.fromClient = new Uint8Array(this.size);
    this.matched = new Uint8Array(this.size);
    this.seq = new Uint32Array(this.size);
    this.len = new Uint32Array(this.size);
    this.ipId = new Uint16Array(this.size);
    this.tsVal = new Uint32Array(this.size);
    this.flags = new Uint16Array(this.size);
    this.hash = new Uint32Array(this.size);
    this.tNs = new Float64Array(this.size);
    this.peerNs = new Float64Array(this.size);
    this.dsn = new Float64Array(this.size);
    this.next = new Float64Array(this.size);
    this.buckets = new Float64Array(this.size * 2).fill(-1);
    this.bucketMask = this.size * 2 - 1;
  }

  get pending(): number {
    return this.tail - this.head;
  }

  /** Room for one more without going past maxSize (else the caller pops the oldest first). */
  full(): boolean {
    return this.pending >= this.maxSize;
  }

  slot(id: number): number {
    return id & this.mask;
  }

  /** A new record at the tail; the caller fills its columns, then calls `index(id)`. */
  push(): number {
    if (this.pending >= this.size) this.grow();
    return this.tail++;
  }

  /** Put record `id` (its hash set) at the front of its bucket. */
  index(id: number): void {
    const s = id & this.mask;
    const b = (this.hash[s] as number) & this.bucketMask;
    this.next[s] = this.buckets[b] as number;
    this.buckets[b] = id;
  }

  /** The newest id in the bucket of `hash` (-1: none); follow with `nextOf`. */
  first(hash: number): number {
    return this.buckets[hash & this.bucketMask] as number;
  }

  nextOf(id: number): number {
    return this.next[id & this.mask] as number;
  }

  /** Remove the oldest record from the index and the ring; returns its id (its columns stay readable until the next push). */
  shift(): number {
    const id = this.head++;
    const s = id & this.mask;
    const b = (this.hash[s] as number) & this.bucketMask;
    let cur = this.buckets[b] as number;
    if (cur === id) {
      this.buckets[b] = this.next[s] as number;
    } else {
      while (cur !== -1) {
        const cs = cur & this.mask;
        const nx = this.next[cs] as number;
        if (nx === id) {
          this.next[cs] = this.next[s] as number;
          break;
        }
        cur = nx;
      }
    }
    return id;
  }

  private grow(): void {
    const n = this.size;
    // id & (2n-1) is id & (n-1) or that plus n: two copies of the old column put every live id in place
    const twice = <T extends Float64Array | Uint32Array | Int32Array | Uint16Array | Uint8Array>(a: T, b: T): T => {
      b.set(a as never, 0);
      b.set(a as never, n);
      return b;
    };
    this.pair = twice(this.pair, new Int32Array(2 * n));
    this.stream = twice(this.stream, new Int32Array(2 * n));
    this.dir = twice(this.dir, new Uint8Array(2 * n));
    this.fromClient = twice(this.fromClient, new Uint8Array(2 * n));
    this.matched = twice(this.matched, new Uint8Array(2 * n));
    this.seq = twice(this.seq, new Uint32Array(2 * n));
    this.len = twice(this.len, new Uint32Array(2 * n));
    this.ipId = twice(this.ipId, new Uint16Array(2 * n));
    this.tsVal = twice(this.tsVal, new Uint32Array(2 * n));
    this.flags = twice(this.flags, new Uint16Array(2 * n));
    this.hash = twice(this.hash, new Uint32Array(2 * n));
    this.tNs = twice(this.tNs, new Float64Array(2 * n));
    this.peerNs = twice(this.peerNs, new Float64Array(2 * n));
    this.dsn = twice(this.dsn, new Float64Array(2 * n));
    this.next = new Float64Array(2 * n);
    this.size = 2 * n;
    this.mask = 2 * n - 1;
    this.buckets = new Float64Array(4 * n).fill(-1);
    this.bucketMask = 4 * n - 1;
    // rebuild the chains, oldest first so that the newest ends at the front as before
    for (let id = this.head; id < this.tail; id++) this.index(id);
  }
}

function pow2(n: number): number {
  let p = 1024;
  while (p < n) p *= 2;
  return p;
}
