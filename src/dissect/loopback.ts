/**
 * BSD loopback (LINKTYPE_NULL: address family in the capturing host's byte order) and
 * OpenBSD loopback (LINKTYPE_LOOP: network byte order). 4-byte header.
 */
import { u32, u32le } from './bytes.js';
import { EtherType, type LinkResult } from './link.js';
import { truncated, type Problem } from './problem.js';

const LOOP_HEADER = 4;
const AF_INET = 2;
/** AF_INET6 differs by OS: Linux 10, NetBSD/OpenBSD 24, FreeBSD 28, macOS 30. */
const AF_INET6 = new Set([10, 24, 28, 30]);

export function decodeLoopback(b: Uint8Array, networkOrder: boolean, problems: Problem[]): LinkResult {
  const res: LinkResult = { name: 'Null/Loopback', etherType: EtherType.NONE, offset: LOOP_HEADER, vlanIds: [] };
  if (b.length < LOOP_HEADER) {
    problems.push(truncated('null', 0, `loopback header cut short: ${b.length} of 4 bytes captured`));
    res.offset = b.length;
    return res;
  }
  let af = networkOrder ? u32(b, 0) : u32le(b, 0);
  // LINKTYPE_NULL is host order of the *writer*: a value that only makes sense swapped was
  // written on a machine of the other endianness (as Wireshark guesses too).
  if (!networkOrder && af > 0xffff) af = u32(b, 0);
  if (af === AF_INET) res.etherType = EtherType.IPV4;
  else if (AF_INET6.has(af)) res.etherType = EtherType.IPV6;
  return res;
}
