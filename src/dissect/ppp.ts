/** PPP (RFC 1661) as LINKTYPE_PPP / LINKTYPE_PPP_HDLC: optional FF 03 address/control, then protocol. */
import { u16 } from './bytes.js';
import { EtherType, type LinkResult } from './link.js';
import { truncated, type Problem } from './problem.js';

const PPP_ADDRESS = 0xff;
const PPP_CONTROL = 0x03;
const PPP_IPV4 = 0x0021;
const PPP_IPV6 = 0x0057;

export function decodePpp(b: Uint8Array, problems: Problem[]): LinkResult {
  const res: LinkResult = { name: 'PPP', etherType: EtherType.NONE, offset: 0, vlanIds: [] };
  let o = 0;
  if (b.length >= 2 && b[0] === PPP_ADDRESS && b[1] === PPP_CONTROL) o = 2;
  if (b.length < o + 1) {
    problems.push(truncated('ppp', o, 'PPP header cut short'));
    res.offset = b.length;
    return res;
  }
  // RFC 1661 §2: the protocol field may be compressed to one byte (odd first byte).
  let proto: number;
  if (((b[o] as number) & 1) === 1) {
    proto = b[o] as number;
    o += 1;
  } else {
    if (b.length < o + 2) {
      problems.push(truncated('ppp', o, 'PPP protocol field cut short'));
      res.offset = b.length;
      return res;
    }
    proto = u16(b, o);
    o += 2;
  }
  res.offset = o;
  res.etherType = proto === PPP_IPV4 ? EtherType.IPV4 : proto === PPP_IPV6 ? EtherType.IPV6 : EtherType.NONE;
  return res;
}
