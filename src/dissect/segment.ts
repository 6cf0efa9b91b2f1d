/**
 * The hot path's view of a TCP segment: the few fields the stateful layers need, read in place
 * from the frame into one reused record, with no per-packet strings, arrays or hex.
 *
 * `decodeSegment` reads the common case itself (Ethernet/VLAN, Linux cooked v1/v2, raw IP →
 * IPv4 without fragments, or IPv6 without extension headers → TCP with well-formed
 * options). Anything else — tunnels, fragments, extension headers, lying lengths, malformed or
 * cut options — goes through the full decoder (`decodePacket`) and is copied from its record by
 * `segmentFromPacket`, so the two paths cannot disagree on an odd packet: the fast one declines
 * it. (test/dissect/segment.test.ts checks that both give the same record on every packet of the
 * fixtures and the corpus.)
 */
import { clear, u16, u32 } from './bytes.js';
import { FrameRecord, LinkType, type Frame } from './frame.js';
import { IpProtocol } from './ip.js';
import { EtherType } from './link.js';
import { decodeMptcpOption, MptcpSubtype, newDss, readDss, type Dss, type MptcpOption } from './mptcp.js';
import { decodePacket, type Packet } from './packet.js';
import { TcpOptionKind } from './tcp.js';
import { storeAsDoubles } from './double-fields.js';

// Link headers (see ethernet.ts, sll.ts, loopback.ts).
const ETH_HEADER = 14;
const VLAN_TAG = 4;
const SLL_HEADER = 16;
const SLL_PROTOCOL = 14;
const SLL2_HEADER = 20;
const SLL2_PROTOCOL = 0;
// IPv4 (RFC 791) and IPv6 (RFC 8200) fields.
const IPV4_MIN_HEADER = 20;
const IPV4_FLAGS_FRAG = 6;
const IPV4_MF_OFFSET_MASK = 0x3fff;
const IPV4_PROTOCOL = 9;
const IPV4_SRC = 12;
const IPV4_DST = 16;
const IPV6_HEADER = 40;
const IPV6_NEXT_HEADER = 6;
const IPV6_SRC = 8;
const IPV6_DST = 24;
const TCP_MIN_HEADER = 20;
/** DSS options read in place per segment (more than one is unusual; the rest get records of their own). */
const DSS_SLOTS = 2;

export class Segment {
  /** The frame (reused by the reader: valid until the next one). */
  frame: Frame | null = null;
  /** Version of the innermost IP header: 4 or 6; 0 when the packet has none. */
  ipVersion = 0;
  /** A TCP segment follows (when false, nothing from `srcPort` on is meaningful). */
  isTcp = false;
  /** IPv4 addresses as unsigned 32-bit numbers (0 for IPv6). */
  src4 = 0;
  dst4 = 0;
  /** Offsets of the source and destination addresses in `frame.data` (4 or 16 bytes). */
  srcOffset = 0;
  dstOffset = 0;
  /** Text of the addresses when the full decoder made them (null on the fast path). */
  srcText: string | null = null;
  dstText: string | null = null;
  srcPort = 0;
  dstPort = 0;
  seq = 0;
  ack = 0;
  flags = 0;
  window = 0;
  /** TCP payload length from the IP header (tcp.len), and where it starts; `payload` is the captured part. */
  payloadLen = 0;
  payloadOffset = 0;
  /** Bytes of the payload the capture holds (`payload.length`, without making the view). */
  capturedPayload = 0;
  private view: Uint8Array | null = null;
  /** Where the frame's bytes are (the fast path reads the reader's buffer; see FrameRecord). */
  private bytes: Uint8Array = EMPTY;
  private base = 0;
  /** The captured payload, a view made when first asked for (most packets never are). */
  get payload(): Uint8Array {
    if (this.view === null) {
      const at = this.base + this.payloadOffset;
      this.view = this.capturedPayload > 0 ? this.bytes.subarray(at, at + this.capturedPayload) : EMPTY;
    }
    return this.view;
  }
  set payload(v: Uint8Array) {
    this.view = v;
    this.capturedPayload = v.length;
  }
  /** `captured` payload bytes at payloadOffset of the frame (which starts at bytes[base]), the view not made yet. */
  clearPayload(captured: number, bytes: Uint8Array, base: number): void {
    this.view = null;
    this.capturedPayload = captured;
    this.bytes = bytes;
    this.base = base;
  }
  /** TCP timestamps option (RFC 7323), when present. */
  hasTimestamps = false;
  tsVal = 0;
  tsEcr = 0;
  /**
   * MPTCP options of the segment, in order (reused array). On the fast path a DSS is one of the
   * reused `dss` records: valid until the next packet, like everything here.
   */
  readonly mptcp: MptcpOption[] = [];
  readonly dss: Dss[] = Array.from({ length: DSS_SLOTS }, newDss);
  dssUsed = 0;
  /** A TCP option of kind 30 was there (even a malformed one). */
  hasMptcpOption = false;
  /**
   * Read by the fast path. Then the full decoder would report a problem for this packet only
   * if an MPTCP option's layout does not fit the segment (`problem` set on that option).
   */
  fast = false;

  constructor() {
    // 32-bit sequence numbers and timestamps outgrow small integers (double-fields.ts)
    storeAsDoubles(this, ['seq', 'ack', 'tsVal', 'tsEcr']);
  }
}

const EMPTY = new Uint8Array(0);

/** Fill `seg` from `frame`. Returns false when the frame holds no TCP segment (`ipVersion` still tells whether it had IP). */
export function decodeSegment(frame: Frame, seg: Segment): boolean {
  seg.frame = frame;
  if (fastDecode(frame, seg)) {
    seg.fast = true;
    return true;
  }
  return segmentFromPacket(decodePacket(frame), seg);
}

/** Fill `seg` from a record of the full decoder (dissect has one anyway). */
export function segmentFromPacket(pkt: Packet, seg: Segment): boolean {
  seg.frame = pkt.frame;
  reset(seg);
  const tcp = pkt.tcp;
  const ip = pkt.ips[pkt.ips.length - 1];
  seg.isTcp = false;
  if (!ip) {
    seg.ipVersion = 0;
    return false;
  }
  seg.ipVersion = ip.version;
  seg.srcText = ip.src;
  seg.dstText = ip.dst;
  if (ip.version === 4) {
    seg.srcOffset = ip.offset + IPV4_SRC;
    seg.dstOffset = ip.offset + IPV4_DST;
    const b = pkt.frame.data;
    seg.src4 = u32(b, seg.srcOffset);
    seg.dst4 = u32(b, seg.dstOffset);
  } else {
    seg.srcOffset = ip.offset + IPV6_SRC;
    seg.dstOffset = ip.offset + IPV6_DST;
  }
  if (!tcp) return false;
  seg.isTcp = true;
  seg.srcPort = tcp.srcPort;
  seg.dstPort = tcp.dstPort;
  seg.seq = tcp.seq;
  seg.ack = tcp.ack;
  seg.flags = tcp.flags;
  seg.window = tcp.window;
  seg.payloadLen = tcp.payloadLen;
  seg.payloadOffset = tcp.payloadOffset;
  seg.payload = tcp.payload;
  for (const opt of tcp.options) {
    if (opt.kind === 'TIMESTAMPS' && !seg.hasTimestamps) {
      seg.hasTimestamps = true;
      seg.tsVal = opt.tsVal;
      seg.tsEcr = opt.tsEcr;
    } else if (opt.kind === 'MPTCP') {
      seg.hasMptcpOption = true;
      seg.mptcp.push(opt.mptcp);
    } else if (opt.kind === 'MALFORMED' && opt.code === TcpOptionKind.MPTCP) {
      seg.hasMptcpOption = true;
    }
  }
  return true;
}

function reset(seg: Segment): void {
  seg.srcText = null;
  seg.dstText = null;
  seg.src4 = 0;
  seg.dst4 = 0;
  seg.hasTimestamps = false;
  seg.hasMptcpOption = false;
  clear(seg.mptcp);
  seg.dssUsed = 0;
  seg.payload = EMPTY;
  seg.isTcp = false;
  seg.fast = false;
}

/** The common case, read in place; false = let the full decoder handle it. */
function fastDecode(frame: Frame, seg: Segment): boolean {
  // Offsets below are into `b`, where the frame starts at `base` (the reader's buffer: no view
  // per packet); what goes into `seg` is relative to the frame, as frame.data would give it.
  let b: Uint8Array;
  let base: number;
  if (frame instanceof FrameRecord) {
    b = frame.bytes;
    base = frame.start;
  } else {
    b = frame.data;
    base = 0;
  }
  const n = base + frame.capLen;
  let o: number;
  let etherType: number;
  switch (frame.linkType) {
    case LinkType.ETHERNET: {
      if (n < base + ETH_HEADER) return false;
      etherType = u16(b, base + ETH_HEADER - 2);
      o = base + ETH_HEADER;
      while (etherType === EtherType.VLAN || etherType === EtherType.QINQ || etherType === EtherType.QINQ_OLD) {
        if (n < o + VLAN_TAG) return false;
        etherType = u16(b, o + 2);
        o += VLAN_TAG;
      }
      break;
    }
    case LinkType.LINUX_SLL:
      if (n < base + SLL_HEADER) return false;
      etherType = u16(b, base + SLL_PROTOCOL);
      o = base + SLL_HEADER;
      break;
    case LinkType.LINUX_SLL2:
      if (n < base + SLL2_HEADER) return false;
      etherType = u16(b, base + SLL2_PROTOCOL);
      o = base + SLL2_HEADER;
      break;
    case LinkType.RAW:
    case LinkType.RAW_DLT12:
    case LinkType.RAW_IPV4:
    case LinkType.RAW_IPV6:
      if (n < base + 1) return false;
      etherType = (b[base] as number) >> 4 === 6 ? EtherType.IPV6 : EtherType.IPV4;
      if (frame.linkType === LinkType.RAW_IPV6) etherType = EtherType.IPV6;
      if (frame.linkType === LinkType.RAW_IPV4) etherType = EtherType.IPV4;
      o = base;
      break;
    default:
      return false;
  }
  let segLen: number;
  let t: number;
  reset(seg);
  if (etherType === EtherType.IPV4) {
    if (n < o + IPV4_MIN_HEADER || (b[o] as number) >> 4 !== 4) return false;
    const headerLen = ((b[o] as number) & 0x0f) * 4;
    const totalLen = u16(b, o + 2);
    if (headerLen < IPV4_MIN_HEADER || n < o + headerLen || totalLen < headerLen) return false;
    if ((u16(b, o + IPV4_FLAGS_FRAG) & IPV4_MF_OFFSET_MASK) !== 0 || b[o + IPV4_PROTOCOL] !== IpProtocol.TCP) return false;
    // total length beyond what was on the wire is a lie the full decoder reports
    if (totalLen > frame.origLen - (o - base)) return false;
    seg.ipVersion = 4;
    seg.srcOffset = o - base + IPV4_SRC;
    seg.dstOffset = o - base + IPV4_DST;
    seg.src4 = u32(b, o + IPV4_SRC);
    seg.dst4 = u32(b, o + IPV4_DST);
    segLen = totalLen - headerLen;
    t = o + headerLen;
  } else if (etherType === EtherType.IPV6) {
    if (n < o + IPV6_HEADER || (b[o] as number) >> 4 !== 6 || b[o + IPV6_NEXT_HEADER] !== IpProtocol.TCP) return false;
    const payloadLen = u16(b, o + 4);
    if (payloadLen === 0 || payloadLen > frame.origLen - (o - base) - IPV6_HEADER) return false;
    seg.ipVersion = 6;
    seg.srcOffset = o - base + IPV6_SRC;
    seg.dstOffset = o - base + IPV6_DST;
    segLen = payloadLen;
    t = o + IPV6_HEADER;
  } else {
    return false;
  }
  // The transport ports of a GTP-U tunnel are UDP, so TCP here is never a tunnel.
  if (segLen < TCP_MIN_HEADER || n < t + TCP_MIN_HEADER) return false;
  const offFlags = u16(b, t + 12);
  const tcpHeaderLen = (offFlags >> 12) * 4;
  if (tcpHeaderLen < TCP_MIN_HEADER || tcpHeaderLen > segLen || n < t + tcpHeaderLen) return false;
  seg.srcPort = u16(b, t);
  seg.dstPort = u16(b, t + 2);
  seg.seq = u32(b, t + 4);
  seg.ack = u32(b, t + 8);
  seg.flags = offFlags & 0x0fff;
  seg.window = u16(b, t + 14);
  seg.payloadLen = segLen - tcpHeaderLen;
  seg.payloadOffset = t - base + tcpHeaderLen;
  seg.isTcp = true;
  const capEnd = Math.min(n, t + segLen);
  seg.clearPayload(capEnd > t + tcpHeaderLen ? capEnd - (t + tcpHeaderLen) : 0, b, base);
  return readOptions(b, t + TCP_MIN_HEADER, t + tcpHeaderLen, seg, base);
}

/** Options with the lengths tcp.ts accepts; false on anything it would call malformed. */
function readOptions(b: Uint8Array, start: number, end: number, seg: Segment, base: number): boolean {
  let o = start;
  while (o < end) {
    const kind = b[o] as number;
    if (kind === TcpOptionKind.EOL) return true;
    if (kind === TcpOptionKind.NOP) {
      o++;
      continue;
    }
    if (o + 1 >= end) return false;
    const len = b[o + 1] as number;
    if (len < 2 || o + len > end) return false;
    switch (kind) {
      case TcpOptionKind.TIMESTAMPS:
        if (len !== 10) return false;
        if (!seg.hasTimestamps) {
          seg.hasTimestamps = true;
          seg.tsVal = u32(b, o + 2);
          seg.tsEcr = u32(b, o + 6);
        }
        break;
      case TcpOptionKind.MSS:
        if (len !== 4) return false;
        break;
      case TcpOptionKind.WSCALE:
        if (len !== 3) return false;
        break;
      case TcpOptionKind.SACK_PERM:
        if (len !== 2) return false;
        break;
      case TcpOptionKind.SACK:
        if ((len - 2) % 8 !== 0) return false;
        break;
      case TcpOptionKind.MPTCP: {
        seg.hasMptcpOption = true;
        // DSS, on nearly every segment, is read into a reused record in place
        if (len >= 3 && (b[o + 2] as number) >> 4 === MptcpSubtype.DSS && seg.dssUsed < DSS_SLOTS) {
          const rec = seg.dss[seg.dssUsed] as Dss;
          if (!readDss(b, o, len, o - base, rec)) return false; // malformed: the full decoder reports it
          seg.dssUsed++;
          seg.mptcp.push(rec);
          break;
        }
        const m = decodeMptcpOption(b.subarray(o, o + len), seg.flags, o - base);
        if (m.subtype !== 'MALFORMED') seg.mptcp.push(m);
        else return false; // the full decoder reports it
        break;
      }
      default:
        break;
    }
    o += len;
  }
  return true;
}
