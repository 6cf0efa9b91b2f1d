/**
 * What a link-layer decoder hands on: the EtherType of the payload (IPv4, IPv6, or anything
 * else, which the packet decoder counts and names) and where that payload starts.
 */
export interface LinkResult {
  /** Short name for the summary and -V tree: 'Ethernet II', 'Linux cooked v2'... */
  name: string;
  etherType: number;
  offset: number;
  vlanIds: number[];
}

export const EtherType = {
  IPV4: 0x0800,
  ARP: 0x0806,
  VLAN: 0x8100,
  IPV6: 0x86dd,
  QINQ: 0x88a8,
  QINQ_OLD: 0x9100,
  /** Not an EtherType: used for "nothing decodable follows". */
  NONE: -1,
} as const;

export const ETHERTYPE_NAMES: Record<number, string> = {
  0x0800: 'IPv4',
  0x0806: 'ARP',
  0x86dd: 'IPv6',
  0x8035: 'RARP',
  0x88cc: 'LLDP',
  0x8863: 'PPPoE discovery',
  0x8864: 'PPPoE session',
  0x888e: 'EAPOL',
  0x8847: 'MPLS',
};
