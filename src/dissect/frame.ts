/**
 * One captured record, as the capture readers hand it to the dissectors.
 *
 * The reader reuses a single Frame object and `data` is a view into its own chunk buffer:
 * both are valid only for the duration of the callback. Whatever must outlive the callback
 * (a payload the reassembler keeps) must be copied by the one who keeps it.
 */
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
