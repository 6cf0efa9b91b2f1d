/**
 * The records of the data level (data-stream.ts) that others read or pass in: reinjections, holes
 * and gaps, where extracted bytes go, and the caps on what a stream may hold ahead of a gap.
 */
import { SegmentSlots } from './segment-slots.js';

export interface Reinjection {
  /** Subflow (tcp.stream) that carried the first copy, and the one that carried it again. */
  fromSubflow: number;
  toSubflow: number;
  bytes: number;
  /** Seconds between the first copy and this one (the largest seen for this pair). */
  maxDelaySec: number;
  count: number;
}

export interface Hole {
  /** Relative DSN range [start, end) the capture never saw. */
  start: number;
  end: number;
}

/** A range the in-order point moved past without its bytes. */
export interface Gap {
  /** Relative DSN range [start, end) as first recorded. */
  start: number;
  end: number;
  /** Bytes of it still unseen (less than end - start when some turned up later). */
  bytes: number;
  /** When it was proven (the DATA_ACK) or skipped (the cap hit). */
  time: number;
  /** Frame of the DATA_ACK that proved it, when the caller said. */
  frame: number | null;
}

/** Where the bytes of an extracted direction go, in data-sequence order. */
export interface DataSink {
  write(bytes: Uint8Array): void;
}

/** Bytes and segments that streams sharing this budget may hold ahead of their in-order points. */
export class BufferBudget {
  bytes = 0;
  segments = 0;
  /** Where the held segments of every stream given this budget are kept. */
  readonly slots = new SegmentSlots();
  constructor(
    readonly maxBytes = DEFAULT_TOTAL_BUFFERED_BYTES,
    readonly maxSegments = DEFAULT_TOTAL_BUFFERED_SEGMENTS,
  ) {}

  get exceeded(): boolean {
    return this.bytes > this.maxBytes || this.segments > this.maxSegments;
  }
}

export interface DataStreamLimits {
  /** Held ahead of the in-order point in this stream (as gopacket's MaxBufferedPagesPerConnection). */
  maxBufferedBytes: number;
  maxBufferedSegments: number;
  /** Shared by every stream given the same object (as gopacket's MaxBufferedPagesTotal). */
  budget: BufferBudget;
}

/**
 * Per stream: well above a Linux receive buffer (tcp_rmem max 6 MB by default, the bound on what a
 * receiver itself holds out of order), so a cap only bites when the capture lost the fill.
 */
export const DEFAULT_MAX_BUFFERED_BYTES = 32 * 1024 * 1024;
export const DEFAULT_MAX_BUFFERED_SEGMENTS = 32 * 1024;
/** Across the streams that share a budget. */
export const DEFAULT_TOTAL_BUFFERED_BYTES = 256 * 1024 * 1024;
export const DEFAULT_TOTAL_BUFFERED_SEGMENTS = 256 * 1024;

/** Head-of-line delay histogram buckets (upper bounds, seconds). */
export const HOL_BUCKETS = [0, 0.0001, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, Infinity];

