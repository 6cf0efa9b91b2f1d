/**
 * TCP header and options (RFC 9293 §3.1, RFC 7323, RFC 2018, RFC 7413), MPTCP handed to mptcp.ts.
 */
import { hex, u16, u32 } from './bytes.js';
import { decodeMptcpOption, type MptcpOption } from './mptcp.js';
import { malformed, truncated, type Problem } from './problem.js';

const TCP_MIN_HEADER = 20;
// Offsets in the fixed header (RFC 9293 §3.1).
const F_SRC_PORT = 0;
const F_DST_PORT = 2;
const F_SEQ = 4;
const F_ACK = 8;
const F_DATA_OFFSET = 12; // high nibble; low nibble + byte 13 = flags (12 bits incl. reserved/AE)
const F_WINDOW = 14;
const F_CHECKSUM = 16;
const F_URGENT = 18;

export const TcpFlag = {
  FIN: 0x001,
  SYN: 0x002,
  RST: 0x004,
  PSH: 0x008,
  ACK: 0x010,
  URG: 0x020,
  ECE: 0x040,
  CWR: 0x080,
  AE: 0x100,
} as const;

// Option kinds (IANA "TCP Option Kind Numbers").
export const TcpOptionKind = {
  EOL: 0,
  NOP: 1,
  MSS: 2,
  WSCALE: 3,
  SACK_PERM: 4,
  SACK: 5,
  TIMESTAMPS: 8,
  MPTCP: 30,
  TFO: 34,
} as const;

export type TcpOption =
  | { kind: 'EOL'; offset: number }
  | { kind: 'NOP'; offset: number }
  | { kind: 'MSS'; offset: number; mss: number }
  | { kind: 'WSCALE'; offset: number; shift: number }
  | { kind: 'SACK_PERM'; offset: number }
  | { kind: 'SACK'; offset: number; blocks: Array<[number, number]> }
  | { kind: 'TIMESTAMPS'; offset: number; tsVal: number; tsEcr: number }
  | { kind: 'TFO'; offset: number; cookie: string }
  | { kind: 'MPTCP'; offset: number; mptcp: MptcpOption }
  | { kind: 'UNKNOWN'; offset: number; code: number; raw: string }
  | { kind: 'MALFORMED'; offset: number; code: number; raw: string; reason: string };

export interface TcpSegment {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  /** Header length in bytes (data offset × 4). */
  headerLen: number;
  /** The 12 flag bits (reserved and AE included), as tshark's tcp.flags. */
  flags: number;
  window: number;
  checksum: number;
  urgent: number;
  options: TcpOption[];
  /** Payload length from the IP header (tcp.len), even when the capture holds fewer bytes. */
  payloadLen: number;
  /** Offset of the payload in the frame, and the captured part of it (a view). */
  payloadOffset: number;
  payload: Uint8Array;
}

/**
 * `b` is the frame; the segment starts at `o` and the IP layer says it spans `segLen` bytes,
 * of which `avail` are in the capture. Returns null when not even the fixed header is there.
 */
export function decodeTcp(b: Uint8Array, o: number, segLen: number, avail: number, problems: Problem[]): TcpSegment | null {
  if (segLen < TCP_MIN_HEADER) {
    // (the fault is in the IP length; point at the segment, or at the frame's last byte if it is empty)
    problems.push(malformed('tcp', Math.min(o, Math.max(0, b.length - 1)), `the IP header leaves ${segLen} bytes for TCP, less than its 20-byte header`));
    return null;
  }
  if (avail < TCP_MIN_HEADER) {
    problems.push(truncated('tcp', o, `TCP header cut short: ${avail} of 20 bytes captured`));
    return null;
  }
  const offFlags = u16(b, o + F_DATA_OFFSET);
  const headerLen = (offFlags >> 12) * 4;
  const flags = offFlags & 0x0fff;
  const seg: TcpSegment = {
    srcPort: u16(b, o + F_SRC_PORT),
    dstPort: u16(b, o + F_DST_PORT),
    seq: u32(b, o + F_SEQ),
    ack: u32(b, o + F_ACK),
    headerLen,
    flags,
    window: u16(b, o + F_WINDOW),
    checksum: u16(b, o + F_CHECKSUM),
    urgent: u16(b, o + F_URGENT),
    options: [],
    payloadLen: 0,
    payloadOffset: o + Math.max(headerLen, TCP_MIN_HEADER),
    payload: b.subarray(0, 0),
  };
  if (headerLen < TCP_MIN_HEADER) {
    problems.push(malformed('tcp', o + F_DATA_OFFSET, `TCP header length ${headerLen} is less than 20`));
    return seg;
  }
  if (headerLen > segLen) {
    problems.push(malformed('tcp', o + F_DATA_OFFSET, `TCP header length ${headerLen} is more than the ${segLen} bytes the IP header gives the segment`));
    return seg;
  }
  const optAvail = Math.min(headerLen, avail);
  if (optAvail < headerLen) problems.push(truncated('tcp', o + optAvail, `TCP options cut short: ${avail} of ${headerLen} header bytes captured`));
  decodeOptions(b, o + TCP_MIN_HEADER, o + optAvail, o + headerLen, flags, seg.options, problems);
  seg.payloadLen = segLen - headerLen;
  const capEnd = o + Math.min(segLen, avail);
  seg.payloadOffset = o + headerLen;
  seg.payload = b.subarray(Math.min(seg.payloadOffset, capEnd), capEnd);
  return seg;
}

/**
 * Walk the options in [start, end) — `end` is where the capture stops, `headerEnd` where the
 * header does: an option that runs past the capture (snaplen) was already reported as truncated,
 * one that runs past the header is malformed.
 */
function decodeOptions(b: Uint8Array, start: number, end: number, headerEnd: number, flags: number, out: TcpOption[], problems: Problem[]): void {
  let o = start;
  while (o < end) {
    const kind = b[o] as number;
    if (kind === TcpOptionKind.EOL) {
      out.push({ kind: 'EOL', offset: o });
      return;
    }
    if (kind === TcpOptionKind.NOP) {
      out.push({ kind: 'NOP', offset: o });
      o++;
      continue;
    }
    if (o + 1 >= end && end < headerEnd) return; // cut by the snap length: reported already
    if (o + 1 >= end) {
      const reason = `option kind ${kind} has no length byte`;
      out.push({ kind: 'MALFORMED', offset: o, code: kind, raw: hex(b, o, end), reason });
      problems.push(malformed('tcp', o, reason));
      return;
    }
    const len = b[o + 1] as number;
    if (len >= 2 && o + len > end && o + len <= headerEnd) return; // cut by the snap length: reported already
    if (len < 2 || o + len > end) {
      const reason = len < 2 ? `option kind ${kind} has length ${len} (at least 2)` : `option kind ${kind} has length ${len} but only ${end - o} header bytes are left`;
      out.push({ kind: 'MALFORMED', offset: o, code: kind, raw: hex(b, o, end), reason });
      problems.push(malformed(kind === TcpOptionKind.MPTCP ? 'mptcp' : 'tcp', o + 1, reason));
      return; // the walk cannot resynchronise after a bad length
    }
    const opt = b.subarray(o, o + len);
    out.push(decodeOption(opt, kind, len, o, flags, problems));
    o += len;
  }
}

function bad(opt: Uint8Array, kind: number, o: number, reason: string, problems: Problem[]): TcpOption {
  problems.push(malformed('tcp', o, reason));
  return { kind: 'MALFORMED', offset: o, code: kind, raw: hex(opt), reason };
}

function decodeOption(opt: Uint8Array, kind: number, len: number, o: number, flags: number, problems: Problem[]): TcpOption {
  switch (kind) {
    case TcpOptionKind.MSS:
      return len === 4 ? { kind: 'MSS', offset: o, mss: u16(opt, 2) } : bad(opt, kind, o, `MSS option must be 4 bytes, not ${len}`, problems);
    case TcpOptionKind.WSCALE:
      return len === 3 ? { kind: 'WSCALE', offset: o, shift: opt[2] as number } : bad(opt, kind, o, `window scale option must be 3 bytes, not ${len}`, problems);
    case TcpOptionKind.SACK_PERM:
      return len === 2 ? { kind: 'SACK_PERM', offset: o } : bad(opt, kind, o, `SACK permitted option must be 2 bytes, not ${len}`, problems);
    case TcpOptionKind.SACK: {
      if ((len - 2) % 8 !== 0) return bad(opt, kind, o, `SACK option of ${len} bytes is not 2 + 8n`, problems);
      const blocks: Array<[number, number]> = [];
      for (let i = 2; i < len; i += 8) blocks.push([u32(opt, i), u32(opt, i + 4)]);
      return { kind: 'SACK', offset: o, blocks };
    }
    case TcpOptionKind.TIMESTAMPS:
      return len === 10
        ? { kind: 'TIMESTAMPS', offset: o, tsVal: u32(opt, 2), tsEcr: u32(opt, 6) }
        : bad(opt, kind, o, `timestamps option must be 10 bytes, not ${len}`, problems);
    case TcpOptionKind.TFO:
      return { kind: 'TFO', offset: o, cookie: hex(opt, 2) };
    case TcpOptionKind.MPTCP: {
      const mptcp = decodeMptcpOption(opt, flags, o);
      if (mptcp.problem !== null) problems.push(malformed('mptcp', o, mptcp.problem));
      return { kind: 'MPTCP', offset: o, mptcp };
    }
    default:
      return { kind: 'UNKNOWN', offset: o, code: kind, raw: hex(opt) };
  }
}

export function tcpFlagsText(flags: number): string {
  const names: string[] = [];
  if (flags & TcpFlag.FIN) names.push('FIN');
  if (flags & TcpFlag.SYN) names.push('SYN');
  if (flags & TcpFlag.RST) names.push('RST');
  if (flags & TcpFlag.PSH) names.push('PSH');
  if (flags & TcpFlag.ACK) names.push('ACK');
  if (flags & TcpFlag.URG) names.push('URG');
  if (flags & TcpFlag.ECE) names.push('ECE');
  if (flags & TcpFlag.CWR) names.push('CWR');
  if (flags & TcpFlag.AE) names.push('AE');
  return names.join(', ');
}
