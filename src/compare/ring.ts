/**
 * The packets of one side waiting for their copy: a FIFO ring of fixed-size records in one
 * ArrayBuffer (64 bytes each, one cache line: eight 32-bit fields, then four doubles), with a
 * chained hash index over it. No object per packet, so nothing for the garbage collector, and a
 * look-up touches one line per candidate. A record is named by its sequence number (`id`, counted
 * from 0 for the whole capture); its slot is `id & mask`. The ring doubles when full, up to `maxSize`.
 *
 * Removal is lazy: `shift` only moves the head. A chain runs newest to oldest, so the first id
 * below the head ends it, and a walk cuts the chain there (`first` / `nextOf` never return a
 * removed record). Removing the oldest record this way costs no walk down its chain, whose bucket
 * is no longer in the cache by the time its window closes.
 */

/** 32-bit fields (index within the record's 16 ints). */
export const I_PAIR = 0;
export const I_STREAM = 1;
/** dir | fromClient << 1 | matched << 2 */
export const I_BITS = 2;
export const I_SEQ = 3;
export const I_LEN = 4;
/** ipId << 16 | flags */
export const I_IPFL = 5;
export const I_TSVAL = 6;
export const I_HASH = 7;
/** Doubles (index within the record's 8 doubles; the first 4 overlap the ints). */
export const F_T = 4;
export const F_PEER = 5;
export const F_DSN = 6;
export const F_NEXT = 7;
export const BIT_DIR = 1;
export const BIT_FROM_CLIENT = 2;
export const BIT_MATCHED = 4;
const RECORD_BYTES = 64;
/** Ids are int32 in the index. */
const MAX_ID = 0x7fffffff;

export class RecordRing {
  private mask: number;
  private size: number;
  private bytes: Uint8Array;
  /** Record k's ints are i32[k*16 ...], its doubles f64[k*8 + 4 ...]. */
  i32: Int32Array;
  f64: Float64Array;
  // index: bucket → newest id (-1: empty); ids are below 2^31 (MAX_ID)
  private buckets: Int32Array;
  private bucketMask: number;
  head = 0;
  tail = 0;

  constructor(
    initial: number,
    readonly maxSize: number,
  ) {
    this.size = pow2(Math.min(initial, maxSize));
    this.mask = this.size - 1;
    this.bytes = new Uint8Array(this.size * RECORD_BYTES);
    this.i32 = new Int32Array(this.bytes.buffer);
    this.f64 = new Float64Array(this.bytes.buffer);
    this.buckets = new Int32Array(this.size * 2).fill(-1);
    this.bucketMask = this.size * 2 - 1;
  }

  get pending(): number {
    return this.tail - this.head;
  }

  /** No room for one more without going past maxSize (the caller pops the oldest first). */
  full(): boolean {
    return this.pending >= this.maxSize;
  }

  slot(id: number): number {
    return id & this.mask;
  }

  /** A new record at the tail; the caller fills its fields, then calls `index(id)`. */
  push(): number {
    if (this.pending >= this.size) this.grow();
    return this.tail++;
  }

  /** Put record `id` (its hash set) at the front of its bucket. */
  index(id: number): void {
    const k = id & this.mask;
    const b = this.i32[(k << 4) + I_HASH]! & this.bucketMask;
    this.f64[(k << 3) + F_NEXT] = this.buckets[b]!;
    this.buckets[b] = id;
  }

  /** The newest id in the bucket of `hash` (-1: none); follow with `nextOf`. */
  first(hash: number): number {
    const b = hash & this.bucketMask;
    const id = this.buckets[b]!;
    if (id !== -1 && id < this.head) {
      this.buckets[b] = -1;
      return -1;
    }
    return id;
  }

  /** The next (older) id in the chain of live record `id` (-1: none). */
  nextOf(id: number): number {
    const at = ((id & this.mask) << 3) + F_NEXT;
    const nx = this.f64[at]!;
    if (nx !== -1 && nx < this.head) {
      this.f64[at] = -1;
      return -1;
    }
    return nx;
  }

  /** Remove the oldest record (from the index too: lazily); returns its slot (readable until the next push). */
  shift(): number {
    if (this.head === MAX_ID) throw new Error('compare: more than 2^31 packets on one side');
    return this.head++ & this.mask;
  }

  private grow(): void {
    const n = this.size;
    // id & (2n-1) is id & (n-1) or that plus n: two copies of the old records put every live id in place
    const bytes = new Uint8Array(2 * n * RECORD_BYTES);
    bytes.set(this.bytes, 0);
    bytes.set(this.bytes, n * RECORD_BYTES);
    this.bytes = bytes;
    this.i32 = new Int32Array(bytes.buffer);
    this.f64 = new Float64Array(bytes.buffer);
    this.size = 2 * n;
    this.mask = 2 * n - 1;
    this.buckets = new Int32Array(4 * n).fill(-1);
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
