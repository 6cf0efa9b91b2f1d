/**
 * One frame, decoded from the link layer to TCP and its options. Stateless: bytes in, record out.
 */
import { decodeEthernet } from './ethernet.js';
import type { Frame } from './frame.js';
import { LinkType } from './frame.js';
import { decodeGtpU, GTPU_PORT } from './gtp.js';
import { IP_PROTOCOL_NAMES, IpProtocol, type IpHeader } from './ip.js';
import { decodeIpv4 } from './ipv4.js';
import { decodeIpv6 } from './ipv6.js';
import { ETHERTYPE_NAMES, EtherType, type LinkResult } from './link.js';
import { decodeLoopback } from './loopback.js';
import { decodePpp } from './ppp.js';
import { malformed, type Problem } from './problem.js';
import { decodeSll, decodeSll2 } from './sll.js';
import { decodeTcp, type TcpSegment } from './tcp.js';
import { decodeUdp, type UdpDatagram } from './udp.js';

/** Tunnels nest IP in IP; more than this is hostile. */
const MAX_IP_LAYERS = 4;

export interface Packet {
  frame: Frame;
  /** Link layer name ('Ethernet II', 'Linux cooked'...) or 'unknown link type N'. */
  link: string;
  vlanIds: number[];
  /** IP layers, outermost first (two for a GTP-U tunnel). */
  ips: IpHeader[];
  /** UDP of the outermost tunnel, if any. */
  udp: UdpDatagram | null;
  tunnel: 'GTP-U' | null;
  tcp: TcpSegment | null;
  /** The highest protocol decoded, for the summary's Protocol column. */
  protocol: string;
  problems: Problem[];
}

export function decodePacket(frame: Frame): Packet {
  const b = frame.data;
  const pkt: Packet = { frame, link: '', vlanIds: [], ips: [], udp: null, tunnel: null, tcp: null, protocol: '', problems: [] };
  const link = decodeLink(b, frame.linkType, pkt.problems);
  pkt.link = link.name;
  pkt.vlanIds = link.vlanIds;
  if (link.etherType === EtherType.IPV4 || link.etherType === EtherType.IPV6) {
    const said = link.etherType === EtherType.IPV4 ? 4 : 6;
    const nibble = b.length > link.offset ? (b[link.offset] as number) >> 4 : said;
    if (nibble !== said) {
      // as Wireshark's "Bogus IP version": the link layer and the header disagree
      pkt.problems.push(malformed(`ipv${said}`, link.offset, `the link layer says IPv${said} but the IP header has version ${nibble}`));
      pkt.protocol = `IPv${said}`;
      return pkt;
    }
    decodeIp(b, link.offset, pkt);
  } else {
    pkt.protocol = link.etherType === EtherType.NONE ? link.name : (ETHERTYPE_NAMES[link.etherType] ?? `EtherType 0x${link.etherType.toString(16).padStart(4, '0')}`);
  }
  return pkt;
}

function decodeLink(b: Uint8Array, linkType: number, problems: Problem[]): LinkResult {
  switch (linkType) {
    case LinkType.ETHERNET:
      return decodeEthernet(b, problems);
    case LinkType.LINUX_SLL:
      return decodeSll(b, problems);
    case LinkType.LINUX_SLL2:
      return decodeSll2(b, problems);
    case LinkType.NULL:
      return decodeLoopback(b, false, problems);
    case LinkType.LOOP:
      return decodeLoopback(b, true, problems);
    case LinkType.PPP:
    case LinkType.PPP_HDLC:
      return decodePpp(b, problems);
    case LinkType.RAW:
    case LinkType.RAW_DLT12:
    case 14: // DLT_RAW on OpenBSD
      return rawIp(b, 'Raw IP');
    case LinkType.RAW_IPV4:
      return { name: 'Raw IPv4', etherType: EtherType.IPV4, offset: 0, vlanIds: [] };
    case LinkType.RAW_IPV6:
      return { name: 'Raw IPv6', etherType: EtherType.IPV6, offset: 0, vlanIds: [] };
    default:
      return { name: `link type ${linkType}`, etherType: EtherType.NONE, offset: 0, vlanIds: [] };
  }
}

function rawIp(b: Uint8Array, name: string): LinkResult {
  const v = b.length > 0 ? (b[0] as number) >> 4 : 0;
  return { name, etherType: v === 4 ? EtherType.IPV4 : v === 6 ? EtherType.IPV6 : EtherType.NONE, offset: 0, vlanIds: [] };
}

function decodeIp(b: Uint8Array, offset: number, pkt: Packet): void {
  let o = offset;
  let version = b.length > o ? (b[o] as number) >> 4 : 0;
  for (let depth = 0; depth < MAX_IP_LAYERS; depth++) {
    const ip = version === 6 ? decodeIpv6(b, o, pkt.problems) : decodeIpv4(b, o, pkt.problems);
    if (!ip) {
      pkt.protocol = pkt.ips.length > 0 ? pkt.protocol : version === 6 ? 'IPv6' : 'IPv4';
      return;
    }
    // The frame's length on the wire bounds the datagram: a total length that claims more is
    // a lie, and what follows is decoded within the frame (as Wireshark does).
    const onWire = pkt.frame.origLen - (o + ip.headerLen);
    if (ip.payloadLen > onWire) {
      pkt.problems.push(malformed(`ipv${ip.version}`, o + (ip.version === 4 ? 2 : 4), `IPv${ip.version} length field promises ${ip.payloadLen} bytes after the header, the frame holds ${Math.max(0, onWire)}`));
      ip.payloadLen = Math.max(0, onWire);
    }
    pkt.ips.push(ip);
    pkt.protocol = ip.version === 6 ? 'IPv6' : 'IPv4';
    if (ip.fragment) {
      pkt.protocol = ip.version === 6 ? 'IPv6' : 'IPv4';
      if (ip.fragmentOffset !== 0) return; // transport header is in the first fragment only
    }
    const start = o + ip.headerLen;
    const avail = Math.max(0, Math.min(b.length, start + ip.payloadLen) - start);
    switch (ip.protocol) {
      case IpProtocol.TCP:
        pkt.tcp = decodeTcp(b, start, ip.payloadLen, avail, pkt.problems);
        pkt.protocol = pkt.tcp && pkt.tcp.options.some((opt) => opt.kind === 'MPTCP') ? 'MPTCP' : 'TCP';
        return;
      case IpProtocol.UDP: {
        const udp = decodeUdp(b, start, ip.payloadLen, pkt.problems);
        pkt.protocol = 'UDP';
        if (!udp) return;
        if (pkt.udp === null) pkt.udp = udp;
        if (udp.srcPort !== GTPU_PORT && udp.dstPort !== GTPU_PORT) return;
        pkt.protocol = 'GTP';
        const inner = decodeGtpU(b, udp.payloadOffset, pkt.problems);
        if (inner < 0 || inner >= b.length) return;
        pkt.tunnel = 'GTP-U';
        o = inner;
        version = (b[o] as number) >> 4;
        if (version !== 4 && version !== 6) return;
        continue;
      }
      case IpProtocol.IPIP:
      case IpProtocol.IPV6:
        o = start;
        version = ip.protocol === IpProtocol.IPIP ? 4 : 6;
        continue;
      default:
        pkt.protocol = IP_PROTOCOL_NAMES[ip.protocol] ?? `IP protocol ${ip.protocol}`;
        return;
    }
  }
  pkt.problems.push(malformed('ip', o, `more than ${MAX_IP_LAYERS} nested IP headers`));
}
