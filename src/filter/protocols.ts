/**
 * Protocol names as display filter tests (`-Y mptcp`, `not ipv6`): whether the packet has that
 * layer, as tshark's protocol tree would. `mptcp` is tshark's MPTCP layer, added to every packet
 * that carries an MPTCP option.
 */
import { LinkType } from '../dissect/frame.js';
import type { PacketView } from '../analysis/packet-view.js';

export type ProtocolTest = (v: PacketView) => boolean;

export const PROTOCOL_TESTS: ReadonlyMap<string, ProtocolTest> = new Map<string, ProtocolTest>([
  ['frame', () => true],
  ['eth', (v) => v.frame.linkType === LinkType.ETHERNET],
  ['sll', (v) => v.frame.linkType === LinkType.LINUX_SLL || v.frame.linkType === LinkType.LINUX_SLL2],
  ['ip', (v) => v.pkt.ips.some((ip) => ip.version === 4)],
  ['ipv6', (v) => v.pkt.ips.some((ip) => ip.version === 6)],
  ['udp', (v) => v.pkt.udp !== null],
  ['gtp', (v) => v.pkt.tunnel === 'GTP-U'],
  ['tcp', (v) => v.seg.isTcp || v.pkt.tcp !== null],
  ['mptcp', (v) => v.seg.mptcp.length > 0],
]);
