/** Ethernet II (IEEE 802.3) with 802.1Q / 802.1ad (QinQ) VLAN tags. */
import { u16 } from './bytes.js';
import { EtherType, type LinkResult } from './link.js';
import { truncated, type Problem } from './problem.js';

const ETH_HEADER = 14;
const F_ETHERTYPE = 12;
const VLAN_TAG = 4;
/** Below this the field is an 802.3 length, not an EtherType (IEEE 802.3 §3.2.6). */
const ETHERTYPE_MIN = 0x0600;

export function decodeEthernet(b: Uint8Array, problems: Problem[]): LinkResult {
  const res: LinkResult = { name: 'Ethernet II', etherType: EtherType.NONE, offset: ETH_HEADER, vlanIds: [] };
  if (b.length < ETH_HEADER) {
    problems.push(truncated('eth', 0, `Ethernet header cut short: ${b.length} of 14 bytes captured`));
    return res;
  }
  let type = u16(b, F_ETHERTYPE);
  let o = ETH_HEADER;
  while (type === EtherType.VLAN || type === EtherType.QINQ || type === EtherType.QINQ_OLD) {
    if (b.length < o + VLAN_TAG) {
      problems.push(truncated('vlan', o, `802.1Q tag cut short at byte ${o}`));
      res.offset = o;
      return res;
    }
    res.vlanIds.push(u16(b, o) & 0x0fff);
    type = u16(b, o + 2);
    o += VLAN_TAG;
  }
  res.offset = o;
  res.etherType = type >= ETHERTYPE_MIN ? type : EtherType.NONE;
  if (type < ETHERTYPE_MIN) res.name = 'IEEE 802.3';
  return res;
}
