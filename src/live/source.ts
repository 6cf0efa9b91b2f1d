/**
 * Where live packets come from: what `mpcap live` needs of a capture source, whichever it is
 * (libpcap through mpcap's binding, or a pcap/pcapng stream on standard input).
 */
import type { Frame } from '../dissect/frame.js';
import type { CaptureProblem } from '../dissect/capture/types.js';

/** Return false to stop the capture (-c N, a closed stdout). */
export type LiveFrameHandler = (frame: Frame) => boolean | void;

export interface SourceStats {
  /** Packets libpcap counted (ps_recv: accepted by the filter, delivered or dropped), null when unknown. */
  received: number | null;
  /** Packets the kernel dropped (libpcap's ps_drop), null when the source cannot tell. */
  kernelDropped: number | null;
  /** Packets the interface or driver dropped (ps_ifdrop), null when unknown. */
  ifDropped: number | null;
  /** Why the counts are null, for the user. */
  dropsNote: string | null;
  /** Packets cut to the snap length (captured length < length on the wire). */
  truncated: number;
}

export interface SourceEnd {
  /** Problems of the input stream (pcap/pcapng damage); none for an interface. */
  problems: CaptureProblem[];
  problemCount: number;
  /** Container format of a stream; 'pcap' for an interface (what -w writes). */
  format: 'pcap' | 'pcapng';
}

export interface PacketSource {
  /** For messages and the report's `capture.file`: 'live:eth0', '(standard input)', a path. */
  readonly name: string;
  /**
   * Always 'kernel' now: libpcap's header (-i) or the stream's (-r). The summary field stays for the
   * readers of 0.1.0's output, where -i gave 'wall-clock' (mpcap's clock when it read the packet).
   */
  readonly timestamps: 'kernel';
  /**
   * Delivers frames (synchronously, one reused Frame whose `data` is valid only during the call)
   * until the input ends, `stop()` is called or the handler returns false; resolves then.
   */
  run(onFrame: LiveFrameHandler): Promise<SourceEnd>;
  /** Ends the capture: run() resolves soon after. Safe to call more than once. */
  stop(): void;
  /**
   * Stop and go on delivering, for output back-pressure: a stream can wait for a slow reader of
   * mpcap's output; an interface cannot (the kernel would drop), so it has neither.
   */
  pause?(): void;
  resume?(): void;
  stats(): SourceStats;
}
