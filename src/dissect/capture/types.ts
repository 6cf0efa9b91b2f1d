/**
 * Records shared by the capture readers: what a reader reports (problems, interfaces, a summary)
 * and the small contract between the chunk assembler (parser.ts) and a format decoder
 * (pcap.ts, pcapng.ts).
 */
import type { FrameRecord } from '../frame.js';

/** Container formats we read; gzip is a transport around either (see source.ts). */
export type CaptureFormat = 'pcap' | 'pcapng';

/**
 * What can be wrong with a capture that is still a capture:
 * - `truncated-file`: the input ends inside a header, record or block (or a gzip stream is cut).
 * - `bad-record`: a record's own fields are impossible (caplen larger than its block, unknown
 *   interface, a pcap caplen above PCAP_MAX_CAPLEN). Fatal, as in Wireshark: a packet silently
 *   missing from the middle of the analysis would be damage nobody is told about.
 * - `bad-block`: pcapng framing is broken (total length, trailing length, section header).
 * - `odd-record`: the record is delivered, but a field disagrees with another (caplen > snaplen,
 *   caplen > origlen, a time beyond the range of dates). Informational.
 * - `trailing-data`: bytes after the end of the capture data that are not read (garbage after a
 *   gzip stream, as `gzip -t` reports it). Fatal: they may be the rest of the capture.
 * - `capture-drops`: a live capture's libpcap counted packets it dropped (pcap_stats()): the
 *   capture is incomplete, though no record is damaged. Informational; never from a file.
 */
export type CaptureProblemKind = 'truncated-file' | 'bad-record' | 'bad-block' | 'odd-record' | 'trailing-data' | 'capture-drops';

export interface CaptureProblem {
  kind: CaptureProblemKind;
  /** Byte offset in the (decompressed) input of the header/block concerned. */
  offset: number;
  /** Number the packet has (or would have had), null when the problem is not about a packet. */
  frame: number | null;
  /** A sentence for a person: what is wrong, where, and what it means for the rest of the file. */
  message: string;
  /** True when nothing after this point is read: everything before it was delivered. */
  fatal: boolean;
}

export interface CaptureInterface {
  /** Index in `CaptureSummary.interfaces`, = `Frame.interfaceId` (global over sections, as tshark's frame.interface_id). */
  id: number;
  /** 0-based pcapng section (0 for pcap). */
  section: number;
  /** LINKTYPE_* value (pcap: low 28 bits of the header field, FCS bits dropped). */
  linkType: number;
  /** Snapshot length as written in the file (0 = unlimited in pcapng). */
  snapLen: number;
  /** pcapng if_name, null when absent (always null for pcap). */
  name: string | null;
  /** Timestamp ticks per second: 1e6 (pcap µs, pcapng default), 1e9 (ns), 2**20 (if_tsresol 0x94)... */
  tsUnitsPerSec: number;
  /** Length of one tick in ns (1e9 / tsUnitsPerSec; not an integer for binary resolutions). */
  tsResolNs: number;
  /** pcapng if_tsoffset in seconds, already added to every Frame.tsSec (0 for pcap). */
  tsOffsetSec: number;
}

export interface CaptureSummary {
  format: CaptureFormat;
  /** Frames handed to onFrame. */
  frames: number;
  /**
   * Input bytes consumed: the end offset of the last header/record/block decoded. Equal to the
   * (decompressed) file size for a whole, well-formed file; independent of how input was chunked.
   */
  bytes: number;
  /** Sum of Frame.capLen over the delivered frames. */
  capturedBytes: number;
  /** True when onFrame asked to stop (returned false) before the input ended. */
  stopped: boolean;
  /**
   * The first MAX_KEPT_PROBLEMS problems (onProblem sees all of them), plus the fatal one when it
   * came later: the cap bounds memory, and must never hide why reading stopped.
   */
  problems: CaptureProblem[];
  /** All problems, including those not kept in `problems`. */
  problemCount: number;
  /** The problem that stopped reading (also in `problems`), null when the input was read to its end. */
  fatal: CaptureProblem | null;
  interfaces: CaptureInterface[];
}

/**
 * Kept problems are capped so a long corrupt pcapng cannot grow memory without bound. The fatal
 * problem is kept beyond the cap (there is at most one: reading stops at it).
 */
export const MAX_KEPT_PROBLEMS = 100;

// ---- internal contract between parser.ts and the format decoders ----

/** Result of decoding one unit. */
export const Unit = {
  CONTINUE: 0,
  /** onFrame returned false. */
  STOP: 1,
  /** The decoder reported a fatal problem: nothing after this unit can be read. */
  FATAL: 2,
} as const;
export type UnitResult = (typeof Unit)[keyof typeof Unit];

/** `unitLength` answer when the header is unusable (the decoder has reported why). */
export const LENGTH_FATAL = -1;

/** What the parser offers a decoder: the reused frame, delivery and reporting. */
export interface FrameSink {
  /** The one reused Frame: the decoder fills it, then calls emit(). */
  readonly frame: FrameRecord;
  /** Frames delivered so far; the next one is number `frames + 1`. */
  readonly frames: number;
  /** Numbers and delivers `frame`; false when the consumer asked to stop. */
  emit(): boolean;
  problem(kind: CaptureProblemKind, offset: number, frame: number | null, message: string, fatal: boolean): void;
  /** Registers an interface, returns its global id. */
  addInterface(section: number, linkType: number, snapLen: number, name: string | null,
    tsUnitsPerSec: number, tsOffsetSec: number): number;
}

/**
 * A format decoder sees the input as consecutive units (file header, records, blocks), each
 * sized by its own first `headerLen` bytes. The parser guarantees those bytes before calling
 * `unitLength`, and the whole unit before calling `decodeUnit`, each exactly once per unit.
 */
export interface UnitDecoder {
  readonly format: CaptureFormat;
  /** Bytes the next unit needs before its size is known. */
  readonly headerLen: number;
  /** Size of the unit at buf[pos..], or LENGTH_FATAL after reporting the problem. May throw CaptureFormatError at offset 0. */
  unitLength(buf: Uint8Array, pos: number, fileOffset: number): number;
  /** Decodes buf[pos .. pos+len). */
  decodeUnit(buf: Uint8Array, pos: number, len: number, fileOffset: number): UnitResult;
  /**
   * The input ended inside a unit: `have` bytes (its start, in buf[0..have)) of a unit that needs
   * `unitLen` bytes (null when even its header is incomplete). Describes it for a person.
   */
  truncatedMessage(buf: Uint8Array, have: number, unitLen: number | null, fileOffset: number): { frame: number | null; message: string };
}
