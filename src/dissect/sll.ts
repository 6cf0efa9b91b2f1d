/** Linux "cooked" capture headers: SLL (LINKTYPE 113) and SLL2 (LINKTYPE 276), from tcpdump -i any. */
import { u16 } from './bytes.js';
import { EtherType, type LinkResult } from './link.js';
import { truncated, type Problem } from './problem.js';

// https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL.html
const SLL_HEADER = 16;
const SLL_F_PROTOCOL = 14;
// https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL2.html
const SLL2_HEADER = 20;
const SLL2_F_PROTOCOL = 0;

export function decodeSll(b: Uint8Array, problems: Problem[]): LinkResult {
  if (b.length < SLL_HEADER) {
    problems.push(truncated('sll', 0, `Linux cooked header cut short: ${b.length} of 16 bytes captured`));
    return { name: 'Linux cooked', etherType: EtherType.NONE, offset: b.length, vlanIds: [] };
  }
  return { name: 'Linux cooked', etherType: u16(b, SLL_F_PROTOCOL), offset: SLL_HEADER, vlanIds: [] };
}

export function decodeSll2(b: Uint8Array, problems: Problem[]): LinkResult {
  if (b.length < SLL2_HEADER) {
    problems.push(truncated('sll2', 0, `Linux cooked v2 header cut short: ${b.length} of 20 bytes captured`));
    return { name: 'Linux cooked v2', etherType: EtherType.NONE, offset: b.length, vlanIds: [] };
  }
  return { name: 'Linux cooked v2', etherType: u16(b, SLL2_F_PROTOCOL), offset: SLL2_HEADER, vlanIds: [] };
}
