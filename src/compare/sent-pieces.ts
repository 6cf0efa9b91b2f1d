/**
 * The first-transmission pieces of one data-level direction (data-delay.ts): disjoint DSN ranges
 * [start, end), sorted by start, each with its arrival at the receiver's capture (ns, NaN:
 * never), its subflow (tcp.stream) and the bits of the subflows that carried a copy. Kept in
 * typed arrays, in blocks of BLOCK pieces: a piece costs 32 bytes and no
 * object (a skip-list node with its links and boxed doubles was ~200 bytes, and 65,536 of them per
 * direction were most of the matching thread's heap). Appending past the last piece (the usual
 * case) and dropping the oldest are O(1); an insertion before another piece moves at most one
 * block's tail and splits a full block in two, so every operation stays O(log n + BLOCK).
 *
 * One cursor (`seek`, `advance`, the `at*` accessors) walks the pieces; values go in and out
 * through the store's fields and `io`, not as double arguments (each would be a heap number).
 */

/** Pieces per block. */
const BLOCK = 512;
/** Doubles per piece: start, end, arrival. */
const PF = 3;
const P_START = 0;
const P_END = 1;
const P_ARRIVAL = 2;
/** Int32s per piece: stream, carried. */
const PI = 2;
const P_STREAM = 0;
const P_CARRIED = 1;

class Block {
  readonly f64 = new Float64Array(BLOCK * PF);
  readonly i32 = new Int32Array(BLOCK * PI);
  /** Live pieces are lo..n-1 (only the first block has lo > 0: the oldest were dropped). */
  lo = 0;
  n = 0;
}

export class SentPieces {
  private readonly blocks: Block[] = [];
  private spare: Block | null = null;
  size = 0;
  /** The cursor: block index and piece index within it (valid after a `seek` or `advance` that returned true). */
  private cb = 0;
  private ck = 0;
  /** A new piece's fields for `insert` (start, end, arrival; stream, carried). */
  readonly newF64 = new Float64Array(PF);
  readonly newI32 = new Int32Array(PI);

  /** End of the highest piece (-Infinity: none). */
  lastEnd(): number {
    const b = this.blocks[this.blocks.length - 1];
    return b === undefined ? -Infinity : b.f64[(b.n - 1) * PF + P_END]!;
  }

  /** Put the cursor on the first piece whose end is past `key`; false when there is none. */
  seek(key: number): boolean {
    const blocks = this.blocks;
    let lo = 0;
    let hi = blocks.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const b = blocks[mid]!;
      if (b.f64[(b.n - 1) * PF + P_END]! <= key) lo = mid + 1;
      else hi = mid;
    }
    if (lo === blocks.length) return false;
    const b = blocks[lo]!;
    let k = b.lo;
    let kh = b.n - 1;
    while (k < kh) {
      const mid = (k + kh) >> 1;
      if (b.f64[mid * PF + P_END]! <= key) k = mid + 1;
      else kh = mid;
    }
    this.cb = lo;
    this.ck = k;
    return true;
  }

  /** Move the cursor to the next piece; false past the last. */
  advance(): boolean {
    const b = this.blocks[this.cb]!;
    if (++this.ck < b.n) return true;
    if (++this.cb >= this.blocks.length) return false;
    this.ck = this.blocks[this.cb]!.lo;
    return true;
  }

  atStart(): number {
    return this.blocks[this.cb]!.f64[this.ck * PF + P_START]!;
  }

  atEnd(): number {
    return this.blocks[this.cb]!.f64[this.ck * PF + P_END]!;
  }

  atArrival(): number {
    return this.blocks[this.cb]!.f64[this.ck * PF + P_ARRIVAL]!;
  }

  atStream(): number {
    return this.blocks[this.cb]!.i32[this.ck * PI + P_STREAM]!;
  }

  atCarried(): number {
    return this.blocks[this.cb]!.i32[this.ck * PI + P_CARRIED]!;
  }

  setCarried(bits: number): void {
    this.blocks[this.cb]!.i32[this.ck * PI + P_CARRIED] = bits;
  }

  /**
   * Add the piece in newF64 / newI32: before the cursor's piece when `beforeCursor` (the cursor
   * then stays on that piece), else after the last one.
   */
  insert(beforeCursor: boolean): void {
    this.size++;
    const blocks = this.blocks;
    if (!beforeCursor) {
      let b = blocks[blocks.length - 1];
      if (b === undefined || b.n === BLOCK) {
        b = this.newBlock();
        blocks.push(b);
      }
      this.write(b, b.n++);
      return;
    }
    let b = blocks[this.cb]!;
    if (b.n === BLOCK) {
      if (b.lo > 0) this.compact(b);
      else this.split();
      b = blocks[this.cb]!;
    }
    const k = this.ck;
    b.f64.copyWithin((k + 1) * PF, k * PF, b.n * PF);
    b.i32.copyWithin((k + 1) * PI, k * PI, b.n * PI);
    b.n++;
    this.write(b, k);
    this.ck = k + 1;
  }

  /** Drop the lowest piece; returns its end. */
  shift(): number {
    const b = this.blocks[0]!;
    const end = b.f64[b.lo * PF + P_END]!;
    this.size--;
    if (++b.lo === b.n) {
      this.blocks.shift();
      b.lo = 0;
      b.n = 0;
      this.spare = b;
      // the cursor is not kept across a shift (data-delay.ts shifts after its walk)
      this.cb = 0;
      this.ck = 0;
    }
    return end;
  }

  private write(b: Block, k: number): void {
    b.f64.set(this.newF64, k * PF);
    b.i32[k * PI + P_STREAM] = this.newI32[P_STREAM]!;
    b.i32[k * PI + P_CARRIED] = this.newI32[P_CARRIED]!;
  }

  /** The first block's dropped slots made free again (its live pieces moved to the front). */
  private compact(b: Block): void {
    const lo = b.lo;
    b.f64.copyWithin(0, lo * PF, b.n * PF);
    b.i32.copyWithin(0, lo * PI, b.n * PI);
    b.n -= lo;
    b.lo = 0;
    // only the first block has dropped slots: it is the cursor's
    this.ck -= lo;
  }

  /** Split the cursor's full block in two; the cursor follows its piece. */
  private split(): void {
    const b = this.blocks[this.cb]!;
    const half = BLOCK >> 1;
    const nb = this.newBlock();
    nb.f64.set(b.f64.subarray(half * PF, b.n * PF));
    nb.i32.set(b.i32.subarray(half * PI, b.n * PI));
    nb.n = b.n - half;
    b.n = half;
    this.blocks.splice(this.cb + 1, 0, nb);
    if (this.ck >= half) {
      this.cb++;
      this.ck -= half;
    }
  }

  private newBlock(): Block {
    const s = this.spare;
    if (s !== null) {
      this.spare = null;
      return s;
    }
    return new Block();
  }
}

/** Slots of newF64 / newI32. */
export const PIECE_START = P_START;
export const PIECE_END = P_END;
export const PIECE_ARRIVAL = P_ARRIVAL;
export const PIECE_STREAM = P_STREAM;
export const PIECE_CARRIED = P_CARRIED;
