/**
 * Segments sent and not yet acknowledged, per direction, for ACK-based RTT (as Wireshark's
 * tcp.analysis.ack_rtt, with Karn's rule): a ring of typed arrays, so that the hot path makes
 * no objects. Bounded by the window in practice, capped for safety.
 */
import { seqBefore } from '../reassembly/seq.js';

/** Unacknowledged segments remembered per direction. */
const MAX_UNACKED = 65_536;
const INITIAL = 16;
const EMPTY_U32 = new Uint32Array(0);
const EMPTY_F64 = new Float64Array(0);
const EMPTY_U8 = new Uint8Array(0);

export class UnackedSegments {
  // empty until the first segment: most streams of a flood or a scan never send data
  private seq: Uint32Array = EMPTY_U32;
  private next: Uint32Array = EMPTY_U32;
  private time: Float64Array = EMPTY_F64;
  private retx: Uint8Array = EMPTY_U8;
  private head = 0;
  private n = 0;

  get length(): number {
    return this.n;
  }

  push(seq: number, nextSeq: number, time: number): void {
    if (this.n === this.seq.length) {
      if (this.n >= MAX_UNACKED) return;
      this.grow();
    }
    const i = (this.head + this.n) & (this.seq.length - 1);
    this.seq[i] = seq;
    this.next[i] = nextSeq;
    this.time[i] = time;
    this.retx[i] = 0;
    this.n++;
  }

  /** A retransmission of [seq, end): every remembered segment it overlaps gives no RTT sample. */
  markRetransmitted(seq: number, end: number): void {
    const mask = this.seq.length - 1;
    for (let k = 0; k < this.n; k++) {
      const i = (this.head + k) & mask;
      if (seqBefore(this.seq[i] as number, end) && seqBefore(seq, this.next[i] as number)) this.retx[i] = 1;
    }
  }

  /**
   * An ACK: forget what it covers. Returns the RTT sample in µs when it acknowledges exactly the
   * end of a segment sent once, else -1.
   */
  ack(ack: number, time: number): number {
    const mask = this.seq.length - 1;
    let sample = -1;
    while (this.n > 0) {
      const i = this.head;
      const next = this.next[i] as number;
      if (next === ack) {
        if (this.retx[i] === 0) sample = (time - (this.time[i] as number)) * 1e6;
        this.drop(mask);
        break;
      }
      if (seqBefore(ack, next)) {
        if (seqBefore(this.seq[i] as number, ack)) this.seq[i] = ack; // partly acknowledged
        break;
      }
      this.drop(mask);
    }
    return sample;
  }

  private drop(mask: number): void {
    this.head = (this.head + 1) & mask;
    this.n--;
  }

  private grow(): void {
    const size = Math.max(INITIAL, this.seq.length * 2);
    const mask = this.seq.length - 1;
    const seq = new Uint32Array(size);
    const next = new Uint32Array(size);
    const time = new Float64Array(size);
    const retx = new Uint8Array(size);
    for (let k = 0; k < this.n; k++) {
      const i = (this.head + k) & mask;
      seq[k] = this.seq[i] as number;
      next[k] = this.next[i] as number;
      time[k] = this.time[i] as number;
      retx[k] = this.retx[i] as number;
    }
    this.seq = seq;
    this.next = next;
    this.time = time;
    this.retx = retx;
    this.head = 0;
  }
}
