/**
 * IP addresses as numbers, so that the hot path compares and hashes numbers, never strings:
 * an IPv4 address is its 32-bit value; an IPv6 address is interned once and becomes 2^32 + its
 * index. Text is made only for output.
 */
import { formatIpv4, formatIpv6 } from '../dissect/address.js';
import type { Segment } from '../dissect/segment.js';

const IPV6_KEY_BASE = 2 ** 32;

export class AddressTable {
  private readonly v6Ids = new Map<string, number>();
  private readonly v6Text: string[] = [];
  private readonly v4 = new Uint8Array(4);

  /** The key of the segment's source (or destination) address. */
  key(seg: Segment, src: boolean): number {
    if (seg.ipVersion === 4) return src ? seg.src4 : seg.dst4;
    const text = (src ? seg.srcText : seg.dstText) ?? formatIpv6((seg.frame as NonNullable<Segment['frame']>).data, src ? seg.srcOffset : seg.dstOffset);
    let id = this.v6Ids.get(text);
    if (id === undefined) {
      id = this.v6Text.length;
      this.v6Text.push(text);
      this.v6Ids.set(text, id);
    }
    return IPV6_KEY_BASE + id;
  }

  /** The text of a key, as tshark prints the address. */
  text(key: number): string {
    if (key >= IPV6_KEY_BASE) return this.v6Text[key - IPV6_KEY_BASE] as string;
    const b = this.v4;
    b[0] = key >>> 24;
    b[1] = (key >>> 16) & 0xff;
    b[2] = (key >>> 8) & 0xff;
    b[3] = key & 0xff;
    return formatIpv4(b, 0);
  }
}
