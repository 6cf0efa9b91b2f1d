/**
 * The packets of one side waiting for their copy: a FIFO of fixed-size records (48 bytes each:
 * three doubles, then six 32-bit fields) in blocks of BLOCK records, with a chained hash index
 * over it (its bucket heads beside the other side's: SharedIndex). No object per packet, so
 * nothing for the garbage collector, and a look-up touches one record per candidate. A record is named by its sequence number (`id`, counted from 0 for the
 * whole capture); `at(id)` points `i32` / `f64` at its block and returns its index there.
 * Blocks are added as the window fills and dropped (one kept for reuse) as it empties: memory
 * follows what the window holds, to a block, and growing copies nothing (a ring doubling from
 * 128k to 256k records held both, and a window of 194k records used 256k).
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
/** Records per block (a power of two). */
const BLOCK_SHIFT = 12;
const BLOCK = 1 << BLOCK_SHIFT;
const BLOCK_MASK = BLOCK - 1;
/** Ids are int32 in the index. */
const MAX_ID = 0x7fffffff;
/** Buckets at first (a power of two; 256 kB); doubled whenever the records are more than half their number. */
const MIN_BUCKETS = 1 << 16;

/**
 * The bucket heads of both sides' windows, interleaved (bucket b of side s at 2b + s): a packet
 * looks up the other side's bucket and adds itself to its own bucket of the same hash, so both
 * are in one cache line (the index is megabytes; each look-up is a miss).
 */
export class SharedIndex {
  heads: Int32Array;
  /** Buckets per side - 1 (a power of two - 1). */
  mask: number;
  readonly rings: RecordRing[] = [];
  constructor(buckets = MIN_BUCKETS) {
    this.heads = new Int32Array(2 * buckets).fill(-1);
    this.mask = buckets - 1;
  }

  /** Twice the buckets: every ring's chains made again. */
  grow(): void {
    const n = (this.mask + 1) * 2;
    this.heads = new Int32Array(2 * n).fill(-1);
    this.mask = n - 1;
    for (const r of this.rings) r.reindex();
  }
}

export class RecordRing {
  /** Blocks of ids firstBlock·BLOCK onwards, in order: doubles and 32-bit views of each. */
  private readonly blocksF: Float64Array[] = [];
  private readonly blocksI: Int32Array[] = [];
  private firstBlock = 0;
  private spareF: Float64Array | null = null;
  private spareI: Int32Array | null = null;
  /** The block of the last `at`: record k's doubles are f64[k*REC_F ...], its ints i32[k*REC_I + 6 ...]. */
  i32: Int32Array = new Int32Array(0);
  f64: Float64Array = new Float64Array(0);
  // index: bucket → newest id (-1: empty), in the shared heads at 2·bucket + side
  private readonly shared: SharedIndex;
  private readonly side: number;
  head = 0;
  tail = 0;
  /** In `push`: its record is not filled yet (not to be indexed again). */
  private pushing = false;

  /** `index`: the bucket heads it shares with the other side's ring (this ring is its side 0 or 1). */
  constructor(
    readonly maxSize: number,
    index: SharedIndex = new SharedIndex(),
    side: 0 | 1 = 0,
  ) {
    this.shared = index;
    this.side = side;
    index.rings.push(this);
  }

  get pending(): number {
    return this.tail - this.head;
  }

  /** No room for one more without going past maxSize (the caller pops the oldest first). */
  full(): boolean {
    return this.pending >= this.maxSize;
  }

  /** Point i32 / f64 at the block of live record `id`; its index in the block. */
  at(id: number): number {
    const b = (id >>> BLOCK_SHIFT) - this.firstBlock;
    this.i32 = this.blocksI[b]!;
    this.f64 = this.blocksF[b]!;
    return id & BLOCK_MASK;
  }

  /** Time (F_T) of live record `id`. */
  timeAt(id: number): number {
    return this.blocksF[(id >>> BLOCK_SHIFT) - this.firstBlock]![(id & BLOCK_MASK) * REC_F + F_T]!;
  }

  /** A new record at the tail; the caller fills its fields (after `at`), then calls `index(id, hash)`. */
  push(): number {
    const id = this.tail;
    if ((id & BLOCK_MASK) === 0) this.addBlock(id);
    this.tail++;
    if (this.pending * 2 > this.shared.mask + 1) {
      this.pushing = true;
      this.shared.grow();
      this.pushing = false;
    }
    return id;
  }

  /** Put record `id` at the front of the bucket of `hash`. */
  index(id: number, hash: number): void {
    const heads = this.shared.heads;
    const b = ((hash & this.shared.mask) << 1) | this.side;
    this.blocksI[(id >>> BLOCK_SHIFT) - this.firstBlock]![(id & BLOCK_MASK) * REC_I + I_NEXT] = heads[b]!;
    heads[b] = id;
  }

  /** The newest id in the bucket of `hash` (-1: none); follow with `nextOf`. */
  first(hash: number): number {
    const heads = this.shared.heads;
    const b = ((hash & this.shared.mask) << 1) | this.side;
    const id = heads[b]!;
    if (id !== -1 && id < this.head) {
      heads[b] = -1;
      return -1;
    }
    return id;
  }

  /** The next (older) id in the chain of live record `id` (-1: none). */
  nextOf(id: number): number {
    const i32 = this.blocksI[(id >>> BLOCK_SHIFT) - this.firstBlock]!;
    const at = (id & BLOCK_MASK) * REC_I + I_NEXT;
    const nx = i32[at]!;
    if (nx !== -1 && nx < this.head) {
      i32[at] = -1;
      return -1;
    }
    return nx;
  }

  /**
   * Remove the oldest record (from the index too: lazily); returns its index in i32 / f64, which
   * stay readable until the next `shift` (its block is dropped then, when it is done).
   */
  shift(): number {
    const id = this.head++;
    if ((id >>> BLOCK_SHIFT) > this.firstBlock) this.dropBlock();
    return this.at(id);
  }

  private addBlock(id: number): void {
    if (id >= MAX_ID) throw new Error('compare: more than 2^31 packets on one side');
    if (this.blocksF.length === 0) this.firstBlock = id >>> BLOCK_SHIFT;
    this.blocksF.push(this.spareF ?? new Float64Array(BLOCK * REC_F));
    this.blocksI.push(this.spareI === null ? new Int32Array(this.blocksF[this.blocksF.length - 1]!.buffer) : this.spareI);
    this.spareF = null;
    this.spareI = null;
  }

  /** The first block (every record in it removed): kept for reuse. */
  private dropBlock(): void {
    this.spareF = this.blocksF.shift()!;
    this.spareI = this.blocksI.shift()!;
    this.firstBlock++;
  }

  /**
   * The chains made again in a grown index, oldest first so that the newest ends at the front as
   * before (the record being pushed, the tail's, is indexed by its caller).
   */
  reindex(): void {
    for (let id = this.head; id < this.tail - (this.pushing ? 1 : 0); id++) {
      const i32 = this.blocksI[(id >>> BLOCK_SHIFT) - this.firstBlock]!;
      const b = (id & BLOCK_MASK) * REC_I;
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
