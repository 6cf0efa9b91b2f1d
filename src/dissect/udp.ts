/** UDP (RFC 768): only as far as a tunnel that may carry TCP inside. */
import { u16 } from './bytes.js';
import { malformed, truncated, type Problem } from './problem.js';

const UDP_HEADER = 8;

export interface UdpDatagram {
  srcPort: number;
  dstPort: number;
  /** Payload length from the UDP length field (bounded by the IP payload). */
  payloadLen: number;
  payloadOffset: number;
}

export function decodeUdp(b: Uint8Array, o: number, ipPayloadLen: number, problems: Problem[]): UdpDatagram | null {
  if (b.length - o < UDP_HEADER) {
    problems.push(truncated('udp', o, `UDP header cut short: ${b.length - o} of 8 bytes captured`));
    return null;
  }
  let len = u16(b, o + 4);
  if (len < UDP_HEADER || len > ipPayloadLen) {
    problems.push(malformed('udp', o + 4, `UDP length ${len} does not fit the ${ipPayloadLen}-byte IP payload`));
    len = ipPayloadLen;
  }
  return { srcPort: u16(b, o), dstPort: u16(b, o + 2), payloadLen: Math.max(0, len - UDP_HEADER), payloadOffset: o + UDP_HEADER };
}
