/**
 * AddressTable: IPv6 addresses interned by their words (open addressing, rehashed as it fills)
 * give one stable key per address, never an IPv4 key, and the text tshark prints.
 */
import { describe, expect, it } from 'vitest';
import { formatIpv6 } from '../../src/dissect/address.ts';
import { Segment } from '../../src/dissect/segment.ts';
import { AddressTable } from '../../src/reassembly/addresses.ts';
import { rng } from '../helpers/capture-builders.ts';

/** A segment whose IPv6 source is `src` and destination `dst` (16 bytes each). */
function v6Segment(src: Uint8Array, dst: Uint8Array): Segment {
  const data = new Uint8Array(40);
  data.set(src, 8);
  data.set(dst, 24);
  const seg = new Segment();
  seg.frame = { data } as unknown as NonNullable<Segment['frame']>;
  seg.ipVersion = 6;
  seg.srcOffset = 8;
  seg.dstOffset = 24;
  return seg;
}

describe('AddressTable', () => {
  it('20,000 random IPv6 addresses (and their neighbours in one bit): one key each, stable, with their text', () => {
    const rnd = rng(5);
    const t = new AddressTable();
    const addrs: Uint8Array[] = [];
    for (let i = 0; i < 10_000; i++) {
      const a = new Uint8Array(16).map(() => Math.floor(rnd() * 256));
      addrs.push(a);
      const b = Uint8Array.from(a);
      b[15] = (b[15] as number) ^ 1; // differs in the last bit only
      addrs.push(b);
    }
    const server = new Uint8Array(16);
    server[0] = 0x20;
    server[15] = 1;
    const keys = addrs.map((a) => t.key(v6Segment(a, server), true));
    expect(new Set(keys).size).toBe(new Set(addrs.map((a) => formatIpv6(a, 0))).size);
    for (const k of keys) expect(k).toBeGreaterThanOrEqual(2 ** 32);
    // the same again, after every rehash: the same keys, and the text of each
    addrs.forEach((a, i) => {
      expect(t.key(v6Segment(a, server), true)).toBe(keys[i]);
      expect(t.text(keys[i] as number)).toBe(formatIpv6(a, 0));
    });
    const serverKey = t.key(v6Segment(addrs[0] as Uint8Array, server), false);
    expect(t.text(serverKey)).toBe('2000::1');
    expect(keys).not.toContain(serverKey);
  });

  it('an IPv4 key is the address itself, and prints as dotted quad', () => {
    const t = new AddressTable();
    const seg = new Segment();
    seg.ipVersion = 4;
    seg.src4 = 0x0a000201;
    seg.dst4 = 0xc0a80001;
    expect([t.key(seg, true), t.key(seg, false)]).toEqual([0x0a000201, 0xc0a80001]);
    expect([t.text(0x0a000201), t.text(0xc0a80001)]).toEqual(['10.0.2.1', '192.168.0.1']);
  });
});
