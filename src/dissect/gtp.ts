/**
 * GTP-U (3GPP TS 29.281) on UDP port 2152: mobile cores carry subscribers' TCP, MPTCP
 * included, inside it. Only G-PDUs (message type 255) carry an inner IP packet.
 */
import { malformed, truncated, type Problem } from './problem.js';

export const GTPU_PORT = 2152;
const GTP_HEADER = 8;
const GTP_OPTIONAL = 4; // sequence number (2), N-PDU number (1), next extension type (1)
const GTP_VERSION_1 = 1;
const FLAG_E = 0x04;
const FLAG_S = 0x02;
const FLAG_PN = 0x01;
const MSG_G_PDU = 0xff;
const MAX_EXTENSIONS = 16;

/** Offset of the inner IP packet, or -1 when this GTP-U message carries none. */
export function decodeGtpU(b: Uint8Array, o: number, problems: Problem[]): number {
  if (b.length - o < GTP_HEADER) {
    problems.push(truncated('gtp', o, 'GTP-U header cut short'));
    return -1;
  }
  const flags = b[o] as number;
  if (flags >> 5 !== GTP_VERSION_1) {
    problems.push(malformed('gtp', o, `GTP version ${flags >> 5} on port 2152, expected 1`));
    return -1;
  }
  if (b[o + 1] !== MSG_G_PDU) return -1;
  let p = o + GTP_HEADER;
  if (flags & (FLAG_E | FLAG_S | FLAG_PN)) {
    if (b.length < p + GTP_OPTIONAL) {
      problems.push(truncated('gtp', p, 'GTP-U optional fields cut short'));
      return -1;
    }
    let nextExt = flags & FLAG_E ? (b[p + 3] as number) : 0;
    p += GTP_OPTIONAL;
    for (let n = 0; nextExt !== 0 && n < MAX_EXTENSIONS; n++) {
      if (b.length < p + 1) {
        problems.push(truncated('gtp', p, 'GTP-U extension header cut short'));
        return -1;
      }
      const len = (b[p] as number) * 4;
      if (len === 0 || b.length < p + len) {
        problems.push(malformed('gtp', p, `GTP-U extension header of length ${len}`));
        return -1;
      }
      nextExt = b[p + len - 1] as number;
      p += len;
    }
  }
  return p;
}
