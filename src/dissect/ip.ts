/**
 * What the IPv4 and IPv6 decoders hand on. One shape for both versions so that the records
 * stay monomorphic (architecture rule 5).
 */
export interface IpHeader {
  version: 4 | 6;
  src: string;
  dst: string;
  /** Transport protocol after IPv6 extension headers (6 TCP, 17 UDP...). */
  protocol: number;
  /** Offset of the IP header in the frame. */
  offset: number;
  /** Header length, IPv6 extension headers included. */
  headerLen: number;
  /** Payload length the header promises (IPv4 total length − header; IPv6 payload length − extensions). */
  payloadLen: number;
  ttl: number;
  /** IPv4 identification; IPv6 fragment identification or 0. */
  id: number;
  /** Part of a fragmented datagram (not reassembled: see README). */
  fragment: boolean;
  /** Fragment offset in bytes; the transport header is only in the fragment at offset 0. */
  fragmentOffset: number;
  moreFragments: boolean;
}

export const IpProtocol = {
  HOPOPTS: 0,
  ICMP: 1,
  IPIP: 4,
  TCP: 6,
  UDP: 17,
  IPV6: 41,
  ROUTING: 43,
  FRAGMENT: 44,
  ESP: 50,
  AH: 51,
  ICMPV6: 58,
  NONE: 59,
  DSTOPTS: 60,
  MOBILITY: 135,
  SCTP: 132,
} as const;

export const IP_PROTOCOL_NAMES: Record<number, string> = {
  1: 'ICMP',
  2: 'IGMP',
  4: 'IPIP',
  6: 'TCP',
  17: 'UDP',
  41: 'IPv6',
  47: 'GRE',
  50: 'ESP',
  58: 'ICMPv6',
  59: 'IPv6 (no next header)',
  89: 'OSPF',
  132: 'SCTP',
};
