/**
 * The packets of one side waiting for their copy: a FIFO ring of fixed-size records in one
 * ArrayBuffer (48 bytes each: three doubles, then six 32-bit fields), with a chained hash index
 * over it. No object per packet, so nothing for the garbage collector, and a look-up touches one
 * record per candidate. A record is named by its sequence number (`id`, counted from 0 for the
 * whole capture); its slot is `id & mask`. The ring doubles when full, up to `maxSize`.
 *
 * Removal is lazy: `shift` only moves the head. A chain runs newest to oldest, so the first id
 * below the head ends it, and a walk cuts the chain there (`first` / `nextOf` never return a
 * removed record). Removing the oldest record this way costs no walk down its chain, whose bucket
 * is no longer in the cache by the time its window closes.
 */

/** Doubles per record, and the doubles (index within the record's). */
export const REC_F = 6;
export const F_T = 0;
export const F_PEER = 1;
export const F_DSN = 2;
/** 32-bit fields per record, and the fields (index within the record's 12; 0..5 are the doubles). */
export const REC_I = 12;
/** pair id << PAIR_SHIFT | matched << 2 | fromClient << 1 | dir */
export const I_PB = 6;
export const I_SEQ = 7;
export const I_LEN = 8;
/** ipId << 16 | flags */
export const I_IPFL = 9;
export const I_TSVAL = 10;
/** the next (older) id in the record's hash chain, -1: none */
export const I_NEXT = 11;
export const BIT_DIR = 1;
export const BIT_FROM_CLIENT = 2;
export const BIT_MATCHED = 4;
export const PAIR_SHIFT = 3;
/** Pair ids fit beside the three bits. */
export const MAX_PAIRS = 1 << 28;
const RECORD_BYTES = 48;
/** Ids are int32 in the index. */
const MAX_ID = 0x7fffffff;

export class RecordRing {
  private mask: number;
  private size: number;
  private bytes: Uint8Array;
  /** Record k's doubles are f64[k*REC_F ...], its ints i32[k*REC_I + 6 ...]. */
  i32: Int32Array;
  f64: Float64Array;
  // index: bucket → newest id (-1: empty)
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

  /** A new record at the tail; the caller fills its fields, then calls `index(id, hash)`. */
  push(): number {
    if (this.pending >= this.size) this.grow();
    return this.tail++;
  }

  /** Put record `id` at the front of the bucket of `hash`. */
  index(id: number, hash: number): void {
    const b = hash & this.bucketMask;
    this.i32[(id & this.mask) * REC_I + I_NEXT] = this.buckets[b]!;
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
    const at = (id & this.mask) * REC_I + I_NEXT;
    const nx = this.i32[at]!;
    if (nx !== -1 && nx < this.head) {
      this.i32[at] = -1;
      return -1;
    }
    return nx;
  }

  /** Remove the oldest record (from the index too: lazily); returns its slot (readable until the next push). */
  shift(): number {
    return this.head++ & this.mask;
  }

  private grow(): void {
    if (this.tail >= MAX_ID) throw new Error('compare: more than 2^31 packets on one side');
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
    const i32 = this.i32;
    for (let id = this.head; id < this.tail; id++) {
      const b = (id & this.mask) * REC_I;
      const pb = i32[b + I_PB]!;
      const ipfl = i32[b + I_IPFL]!;
      this.index(id, hashOf(pb >>> PAIR_SHIFT, pb & BIT_DIR, i32[b + I_SEQ]!, i32[b + I_LEN]!, ipfl >>> 16, i32[b + I_TSVAL]!, ipfl & 0xffff));
    }
  }
}

/** The index's hash of a packet's matching key (subflow pair, direction, seq, length, IP ID, TSval, flags). */
export function hashOf(pair: number, dir: number, seq: number, len: number, ipId: number, tsVal: number, flags: number): number {
  let h = Math.imul(seq ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(ipId + 1, 0xc2b2ae35) ^ Math.imul(tsVal, 0x27d4eb2f);
  h ^= Math.imul(pair * 2 + dir + 1, 0x165667b1) ^ Math.imul(len + 1, 0x9e3779b1) ^ flags;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  return (h ^ (h >>> 13)) >>> 0;
}

function pow2(n: number): number {
  let p = 1024;
  while (p < n) p *= 2;
  return p;
}
