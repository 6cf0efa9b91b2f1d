/** IPv6 (RFC 8200) with its extension headers walked to the transport header. */
import { u16, u32 } from './bytes.js';
import { IpProtocol, type IpHeader } from './ip.js';
import { formatIpv6 } from './address.js';
import { malformed, truncated, type Problem } from './problem.js';

const IPV6_HEADER = 40;
const F_PAYLOAD_LENGTH = 4;
const F_NEXT_HEADER = 6;
const F_HOP_LIMIT = 7;
const F_SRC = 8;
const F_DST = 24;
const FRAGMENT_HEADER = 8;
const FRAG_M = 0x0001;
/** Bound the walk: a chain longer than this is hostile or broken. */
const MAX_EXTENSION_HEADERS = 16;

export function decodeIpv6(b: Uint8Array, o: number, problems: Problem[]): IpHeader | null {
  const avail = b.length - o;
  if (avail < IPV6_HEADER) {
    problems.push(truncated('ipv6', o, `IPv6 header cut short: ${avail} of 40 bytes captured`));
    return null;
  }
  if ((b[o] as number) >> 4 !== 6) {
    problems.push(malformed('ipv6', o, `IP version ${(b[o] as number) >> 4} where 6 was expected`));
    return null;
  }
  let payloadLen = u16(b, o + F_PAYLOAD_LENGTH);
  // Payload length 0 with no jumbo option: offloaded segment, use what was captured.
  if (payloadLen === 0) payloadLen = avail - IPV6_HEADER;
  const ip: IpHeader = {
    version: 6,
    src: formatIpv6(b, o + F_SRC),
    dst: formatIpv6(b, o + F_DST),
    protocol: b[o + F_NEXT_HEADER] as number,
    offset: o,
    headerLen: IPV6_HEADER,
    payloadLen,
    ttl: b[o + F_HOP_LIMIT] as number,
    id: 0,
    fragment: false,
    fragmentOffset: 0,
    moreFragments: false,
  };
  let next = ip.protocol;
  let p = o + IPV6_HEADER;
  // One pass per header: MAX_EXTENSION_HEADERS extension headers, then the transport header.
  for (let n = 0; ; n++) {
    let extLen: number;
    if (n === MAX_EXTENSION_HEADERS && isExtension(next)) break;
    switch (next) {
      case IpProtocol.HOPOPTS:
      case IpProtocol.ROUTING:
      case IpProtocol.DSTOPTS:
      case IpProtocol.MOBILITY:
        if (b.length < p + 2) return extTruncated(ip, p, problems);
        extLen = ((b[p + 1] as number) + 1) * 8;
        break;
      case IpProtocol.AH:
        if (b.length < p + 2) return extTruncated(ip, p, problems);
        extLen = ((b[p + 1] as number) + 2) * 4; // RFC 4302 §2.2: in 4-byte units minus 2
        break;
      case IpProtocol.FRAGMENT: {
        if (b.length < p + FRAGMENT_HEADER) return extTruncated(ip, p, problems);
        const w = u16(b, p + 2);
        ip.fragmentOffset = w & ~7;
        ip.moreFragments = (w & FRAG_M) !== 0;
        ip.fragment = ip.fragmentOffset !== 0 || ip.moreFragments;
        ip.id = u32(b, p + 4);
        extLen = FRAGMENT_HEADER;
        break;
      }
      default:
        ip.protocol = next;
        ip.headerLen = p - o;
        ip.payloadLen = payloadLen - (ip.headerLen - IPV6_HEADER);
        if (ip.payloadLen < 0) {
          problems.push(malformed('ipv6', o + F_PAYLOAD_LENGTH, `IPv6 payload length ${payloadLen} is less than its extension headers`));
          ip.payloadLen = 0;
        }
        return ip;
    }
    if (p + extLen > o + IPV6_HEADER + payloadLen) {
      problems.push(malformed('ipv6', p, `IPv6 extension header of ${extLen} bytes at byte ${p} runs past the ${payloadLen}-byte payload`));
      return stopAt(ip, p);
    }
    if (p + extLen > b.length) return extTruncated(ip, p, problems);
    next = b[p] as number;
    p += extLen;
  }
  problems.push(malformed('ipv6', p, `more than ${MAX_EXTENSION_HEADERS} IPv6 extension headers`));
  ip.protocol = IpProtocol.NONE;
  return ip;
}

function isExtension(next: number): boolean {
  return next === IpProtocol.HOPOPTS || next === IpProtocol.ROUTING || next === IpProtocol.DSTOPTS
    || next === IpProtocol.MOBILITY || next === IpProtocol.AH || next === IpProtocol.FRAGMENT;
}

function extTruncated(ip: IpHeader, p: number, problems: Problem[]): IpHeader {
  problems.push(truncated('ipv6', p, `IPv6 extension header cut short at byte ${p}`));
  return stopAt(ip, p);
}

/** Nothing decodable follows the extension header at `p`. */
function stopAt(ip: IpHeader, p: number): IpHeader {
  ip.protocol = IpProtocol.NONE;
  ip.headerLen = p - ip.offset;
  ip.payloadLen = 0;
  return ip;
}
