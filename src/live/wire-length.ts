/**
 * The length a packet had on the wire, when the capture does not say it.
 *
 * The `cap` binding reports only how many bytes it copied, not libpcap's `len`. When a packet is
 * cut (by -s, or by libpcap's own 65535-byte snap length on a GRO-merged segment), its length
 * on the wire follows from the IP header: link header + IPv4 total length, or + 40 + IPv6 payload
 * length. Without that, the dissector would bound the IP datagram by the captured bytes and the
 * TCP payload counts would be short.
 */
import { LinkType } from '../dissect/frame.js';

const ETHERTYPE_OFFSET = 12;
const VLAN_TAG = 4;
const SLL_HEADER = 16;
const SLL_PROTOCOL = 14;
const SLL2_HEADER = 20;
const SLL2_PROTOCOL = 0;
const NULL_HEADER = 4;
const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const ETHERTYPE_VLAN = 0x8100;
const ETHERTYPE_QINQ = 0x88a8;
const IPV4_TOTAL_LENGTH = 2;
const IPV6_HEADER = 40;
const IPV6_PAYLOAD_LENGTH = 4;
/** Enough of either IP header to read its version and length field. */
const MIN_IP_BYTES = 8;

const u16 = (b: Uint8Array, o: number): number => ((b[o] as number) << 8) | (b[o + 1] as number);

/** Offset of the IP header in a frame of this link type, or -1 when it is not IP or not known. */
function ipOffset(linkType: number, b: Uint8Array): number {
  switch (linkType) {
    case LinkType.ETHERNET: {
      let o = ETHERTYPE_OFFSET;
      while (b.length >= o + 2 && (u16(b, o) === ETHERTYPE_VLAN || u16(b, o) === ETHERTYPE_QINQ)) o += VLAN_TAG;
      if (b.length < o + 2) return -1;
      const t = u16(b, o);
      return t === ETHERTYPE_IPV4 || t === ETHERTYPE_IPV6 ? o + 2 : -1;
    }
    case LinkType.LINUX_SLL:
      return b.length >= SLL_HEADER && [ETHERTYPE_IPV4, ETHERTYPE_IPV6].includes(u16(b, SLL_PROTOCOL)) ? SLL_HEADER : -1;
    case LinkType.LINUX_SLL2:
      return b.length >= SLL2_HEADER && [ETHERTYPE_IPV4, ETHERTYPE_IPV6].includes(u16(b, SLL2_PROTOCOL)) ? SLL2_HEADER : -1;
    case LinkType.NULL:
    case LinkType.LOOP:
      return NULL_HEADER;
    case LinkType.RAW:
    case LinkType.RAW_DLT12:
    case LinkType.RAW_IPV4:
    case LinkType.RAW_IPV6:
      return 0;
    default:
      return -1;
  }
}

/** The frame's length on the wire as its IP header gives it, never less than `capLen`. */
export function wireLength(linkType: number, data: Uint8Array, capLen: number): number {
  const o = ipOffset(linkType, data);
  if (o < 0 || data.length < o + MIN_IP_BYTES) return capLen;
  const version = (data[o] as number) >> 4;
  let len = 0;
  if (version === 4) {
    const total = u16(data, o + IPV4_TOTAL_LENGTH);
    if (total === 0) return capLen; // TSO on the sender: the length is what was captured
    len = o + total;
  } else if (version === 6) {
    const payload = u16(data, o + IPV6_PAYLOAD_LENGTH);
    if (payload === 0) return capLen; // jumbogram or BIG TCP: not known from the fixed header
    len = o + IPV6_HEADER + payload;
  }
  return Math.max(capLen, len);
}
