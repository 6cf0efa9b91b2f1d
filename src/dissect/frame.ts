/**
 * One captured record, as the capture readers hand it to the dissectors.
 *
 * The reader reuses a single Frame object and `data` is a view into its own chunk buffer:
 * both are valid only for the duration of the callback. Whatever must outlive the callback
 * (a payload the reassembler keeps) must be copied by the one who keeps it.
 */
import { storeAsDoubles } from './double-fields.js';
export interface Frame {
  /** 1-based record number in the capture, as tshark's frame.number. */
  number: number;
  /** Seconds since the Unix epoch (integer part), interface tsoffset already applied. */
  tsSec: number;
  /** Nanoseconds within `tsSec` (0..999 999 999). */
  tsNsec: number;
  /** Bytes captured (length of `data`). */
  capLen: number;
  /** Bytes on the wire (frame.len). */
  origLen: number;
  /** LINKTYPE_* value of the interface the record came from. */
  linkType: number;
  /** pcapng interface index (0 for classic pcap). */
  interfaceId: number;
  /** Byte offset of the record's header in the (decompressed) capture stream. */
  fileOffset: number;
  /** The captured bytes: a view, never a copy. */
  data: Uint8Array;
}

const NO_BYTES = new Uint8Array(0);

/**
 * The reader's reused Frame. `data` is made only when something reads it: the fast path reads
 * `bytes` from `start` instead, so a packet costs no view object (the one allocation a packet
 * still made).
 */
export class FrameRecord implements Frame {
  number = 0;
  tsSec = 0;
  tsNsec = 0;
  capLen = 0;
  origLen = 0;
  linkType = 0;
  interfaceId = 0;
  fileOffset = 0;
  /** The buffer holding the captured bytes: `capLen` of them from `start`. */
  bytes: Uint8Array = NO_BYTES;
  start = 0;
  private view: Uint8Array | null = NO_BYTES;

  constructor() {
    // seconds since 1970 are past 2^30 (double-fields.ts)
    storeAsDoubles(this, ['tsSec', 'tsNsec']);
  }

  get data(): Uint8Array {
    if (this.view === null) this.view = this.bytes.subarray(this.start, this.start + this.capLen);
    return this.view;
  }
  set data(v: Uint8Array) {
    this.view = v;
    this.bytes = v;
    this.start = 0;
  }

  /** The captured bytes are bytes[start, start + capLen): no view made yet. */
  setBytes(bytes: Uint8Array, start: number, capLen: number): void {
    this.bytes = bytes;
    this.start = start;
    this.capLen = capLen;
    this.view = null;
  }
}

/** LINKTYPE_* values (https://www.tcpdump.org/linktypes.html) that the dissectors know. */
export const LinkType = {
  NULL: 0, // BSD loopback: 4-byte address family in host byte order
  ETHERNET: 1,
  RAW_DLT12: 12, // DLT_RAW on some BSDs; LINKTYPE_RAW is 101
  PPP: 9,
  PPP_HDLC: 50,
  RAW: 101,
  LOOP: 108, // OpenBSD loopback: address family in network byte order
  LINUX_SLL: 113,
  RAW_IPV4: 228,
  RAW_IPV6: 229,
  LINUX_SLL2: 276,
} as const;
