/**
 * The slots of the segments held ahead of gaps (held-segments.ts), shared by every data-level
 * stream of one BufferBudget: a segment is a slot number, its fields and skip-list links columns
 * of typed arrays indexed by it, with one free list. Why shared columns: a segment held for a
 * DATA_ACK proof's grace (a capture that missed a packet, or a whole subflow) was a node object
 * with a link array and boxed doubles, ~260 bytes of old space, made and dropped by the ten
 * thousand; a slot is 69 bytes, reused by every stream, and the columns grow only to the most held
 * at once (which the budget bounds). Per stream columns that grew and were let go at each burst
 * were the same churn in the C heap (glibc then keeps its pieces: RSS grew by 8 MB).
 */

/** No segment (an empty link, or no answer). */
export const NONE = -1;

/** Links per slot: with P = 1/4, enough levels for 4^9 = 262,144 segments (the default total budget). */
export const MAX_LEVEL = 9;

const FIRST_CAPACITY = 64;
/** When nothing is held, columns bigger than this and four times the last burst are let go. */
const KEEP_CAPACITY = 4096;

const NO_F64 = new Float64Array(0);
const NO_I32 = new Int32Array(0);
const NO_U8 = new Uint8Array(0);

export class SegmentSlots {
  startOf = NO_F64;
  endOf = NO_F64;
  timeOf = NO_F64;
  subflowOf = NO_I32;
  /** How many of its bytes the capture held (fewer than end - start with a snap length). */
  capturedOf = NO_I32;
  levelOf = NO_U8;
  /** Forward links, MAX_LEVEL per slot (slot × MAX_LEVEL + level); a free slot's link 0 chains the free list. */
  links = NO_I32;
  /** Copies of the captured bytes by slot (extracted directions only), made with the first copy. */
  copies: Array<Uint8Array | null> | null = null;
  private cap = 0;
  /** Slots handed out so far (those below it are taken or on the free list). */
  private used = 0;
  private freeHead = NONE;
  /** The most segments held at once since none were. */
  private burstPeak = 0;

  /** A free slot; `held`: segments held under the budget with it (the budget counts them). */
  take(held: number): number {
    if (held > this.burstPeak) this.burstPeak = held;
    const f = this.freeHead;
    if (f !== NONE) {
      this.freeHead = this.links[f * MAX_LEVEL] as number;
      return f;
    }
    if (this.used === this.cap) this.grow();
    return this.used++;
  }

  /** Slot `s` is free again (its fields are not read after); `held`: segments still held. */
  give(s: number, held: number): void {
    if (this.copies !== null) this.copies[s] = null;
    this.links[s * MAX_LEVEL] = this.freeHead;
    this.freeHead = s;
    if (held > 0) return;
    // Nothing held: a capture that keeps missing a subflow holds as many again at its next
    // DATA_ACK proof (keep the columns); one early burst does not keep them to the end.
    if (this.cap > KEEP_CAPACITY && 4 * this.burstPeak < this.cap) this.letGo();
    this.burstPeak = 0;
  }

  keepCopy(s: number, bytes: Uint8Array): void {
    (this.copies ??= new Array<Uint8Array | null>(this.cap).fill(null))[s] = bytes;
  }

  private grow(): void {
    const cap = this.cap === 0 ? FIRST_CAPACITY : 2 * this.cap;
    this.startOf = widened(this.startOf, new Float64Array(cap));
    this.endOf = widened(this.endOf, new Float64Array(cap));
    this.timeOf = widened(this.timeOf, new Float64Array(cap));
    this.subflowOf = widened(this.subflowOf, new Int32Array(cap));
    this.capturedOf = widened(this.capturedOf, new Int32Array(cap));
    this.levelOf = widened(this.levelOf, new Uint8Array(cap));
    this.links = widened(this.links, new Int32Array(cap * MAX_LEVEL));
    const c = this.copies;
    if (c !== null) for (let i = this.cap; i < cap; i++) c.push(null);
    this.cap = cap;
  }

  private letGo(): void {
    this.cap = 0;
    this.used = 0;
    this.startOf = this.endOf = this.timeOf = NO_F64;
    this.subflowOf = this.capturedOf = this.links = NO_I32;
    this.levelOf = NO_U8;
    this.copies = null;
    this.freeHead = NONE;
  }
}

/** `to` with `from` copied into its beginning. */
function widened<T extends Float64Array | Int32Array | Uint8Array>(from: T, to: T): T {
  to.set(from as never);
  return to;
}
