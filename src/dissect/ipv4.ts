/** IPv4 (RFC 791). */
import { u16 } from './bytes.js';
import type { IpHeader } from './ip.js';
import { formatIpv4 } from './address.js';
import { malformed, truncated, type Problem } from './problem.js';

const IPV4_MIN_HEADER = 20;
const F_VERSION_IHL = 0;
const F_TOTAL_LENGTH = 2;
const F_ID = 4;
const F_FLAGS_FRAG = 6;
const F_TTL = 8;
const F_PROTOCOL = 9;
const F_SRC = 12;
const F_DST = 16;
const FLAG_MF = 0x2000;
const FRAG_OFFSET_MASK = 0x1fff;

/** Returns null when not even the fixed header is in the capture. */
export function decodeIpv4(b: Uint8Array, o: number, problems: Problem[]): IpHeader | null {
  const avail = b.length - o;
  if (avail < IPV4_MIN_HEADER) {
    problems.push(truncated('ipv4', o, `IPv4 header cut short: ${avail} of 20 bytes captured`));
    return null;
  }
  const vihl = b[o + F_VERSION_IHL] as number;
  if (vihl >> 4 !== 4) {
    problems.push(malformed('ipv4', o, `IP version ${vihl >> 4} where 4 was expected`));
    return null;
  }
  const headerLen = (vihl & 0x0f) * 4;
  let totalLen = u16(b, o + F_TOTAL_LENGTH);
  const fragWord = u16(b, o + F_FLAGS_FRAG);
  const ip: IpHeader = {
    version: 4,
    src: formatIpv4(b, o + F_SRC),
    dst: formatIpv4(b, o + F_DST),
    protocol: b[o + F_PROTOCOL] as number,
    offset: o,
    headerLen,
    payloadLen: 0,
    ttl: b[o + F_TTL] as number,
    id: u16(b, o + F_ID),
    fragment: (fragWord & (FLAG_MF | FRAG_OFFSET_MASK)) !== 0,
    fragmentOffset: (fragWord & FRAG_OFFSET_MASK) * 8,
    moreFragments: (fragWord & FLAG_MF) !== 0,
  };
  if (headerLen < IPV4_MIN_HEADER) {
    problems.push(malformed('ipv4', o, `IPv4 header length ${headerLen} is less than 20`));
    return null;
  }
  // Total length 0 is what TCP segmentation offload leaves in captures taken on the sender:
  // the real length is what was captured (Wireshark does the same).
  if (totalLen === 0) totalLen = avail;
  if (totalLen < headerLen) {
    problems.push(malformed('ipv4', o + F_TOTAL_LENGTH, `IPv4 total length ${totalLen} is less than its header length ${headerLen}`));
    return null;
  }
  if (avail < headerLen) {
    problems.push(truncated('ipv4', o, `IPv4 options cut short: ${avail} of ${headerLen} header bytes captured`));
    return null;
  }
  ip.payloadLen = totalLen - headerLen;
  return ip;
}
