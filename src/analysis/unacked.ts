/**
 * Segments sent and not yet acknowledged, per direction, for ACK-based RTT (as Wireshark's
 * tcp.analysis.ack_rtt, with Karn's rule): a ring in one array of doubles (seq, next, time,
 * sent-twice side by side), so that the hot path makes no objects and a flow that sends one segment costs
 * one small array, not four. Bounded by the window in practice, capped for safety.
 */
import { seqBefore } from '../reassembly/seq.js';
import type { Clock } from '../reassembly/clock.js';
import { packedZeros } from '../dissect/double-fields.js';

/** Unacknowledged segments remembered per direction. */
const MAX_UNACKED = 65_536;
/** Room for this many segments at first (a handshake needs one; a flood has many handshakes). */
const INITIAL = 1;
/** Numbers per entry: seq, next seq, time, retransmitted (0/1). */
const W = 4;
// a plain array of doubles, not a Float64Array: a typed array costs three objects and a
// separately allocated store, ~450 bytes for the 4-entry ring most flows of a flood need
const EMPTY: number[] = [];

export class UnackedSegments {
  // empty until the first segment: most streams of a flood or a scan never send data
  private ring: number[] = EMPTY;
  /** Capacity in entries (a power of two). */
  private cap = 0;
  private head = 0;
  private n = 0;

  /** The RTT sample of the last ack() that returned true, in µs. */
  sampleUs = 0;

  get length(): number {
    return this.n;
  }

  /** [seq, nextSeq) sent at `at.time` (as int32: seq.ts asInt32). */
  push(seq: number, nextSeq: number, at: Clock): void {
    if (this.n === this.cap) {
      if (this.n >= MAX_UNACKED) return;
      this.grow();
    }
    const o = ((this.head + this.n) & (this.cap - 1)) * W;
    const r = this.ring;
    r[o] = seq;
    r[o + 1] = nextSeq;
    r[o + 2] = at.time;
    r[o + 3] = 0;
    this.n++;
  }

  /** A retransmission of [seq, end): every remembered segment it overlaps gives no RTT sample. */
  markRetransmitted(seq: number, end: number): void {
    const mask = this.cap - 1;
    const r = this.ring;
    for (let k = 0; k < this.n; k++) {
      const o = ((this.head + k) & mask) * W;
      if (seqBefore(r[o] as number, end) && seqBefore(seq, r[o + 1] as number)) r[o + 3] = 1;
    }
  }

  /**
   * An ACK seen at `at.time`: forget what it covers. True when it acknowledges exactly the end of
   * a segment sent once: then `sampleUs` is the RTT sample.
   */
  ack(ack: number, at: Clock): boolean {
    const r = this.ring;
    let sample = false;
    while (this.n > 0) {
      const o = this.head * W;
      const next = r[o + 1] as number;
      if (next === ack) {
        if (r[o + 3] === 0) {
          this.sampleUs = (at.time - (r[o + 2] as number)) * 1e6;
          sample = true;
        }
        this.drop();
        break;
      }
      if (seqBefore(ack, next)) {
        if (seqBefore(r[o] as number, ack)) r[o] = ack; // partly acknowledged
        break;
      }
      this.drop();
    }
    return sample;
  }

  private drop(): void {
    this.head = (this.head + 1) & (this.cap - 1);
    this.n--;
  }

  private grow(): void {
    const cap = Math.max(INITIAL, this.cap * 2);
    const ring = packedZeros(cap * W);
    const mask = this.cap - 1;
    for (let k = 0; k < this.n; k++) {
      const from = ((this.head + k) & mask) * W;
      for (let j = 0; j < W; j++) ring[k * W + j] = this.ring[from + j] as number;
    }
    this.ring = ring;
    this.cap = cap;
    this.head = 0;
  }
}
