/**
 * The flow table's compact rows (src/reassembly/flow-table.ts): keys kept in 32 bits with a flag
 * for IPv6, byte counts in 32 bits with carries past 4 GiB.
 */
import { describe, expect, it } from 'vitest';
import { Segment } from '../src/dissect/segment.ts';
import { TcpFlag } from '../src/dissect/tcp.ts';
import { FlowTable } from '../src/reassembly/flow-table.ts';

const V6 = 2 ** 32;

function segment(sport: number, dport: number, flags: number, payloadLen: number): Segment {
  const s = new Segment();
  s.frame = { number: 1 } as Segment['frame'];
  s.isTcp = true;
  s.srcPort = sport;
  s.dstPort = dport;
  s.flags = flags;
  s.seq = 1000;
  s.ack = 1;
  s.payloadLen = payloadLen;
  return s;
}

describe('flow table rows', () => {
  it('an IPv6 key and the IPv4 key equal to its low 32 bits are different streams, both ways', () => {
    const t = new FlowTable();
    const a = t.lookup(segment(1, 2, TcpFlag.SYN, 0), 7, 9, { time: 0 }).stream;
    const b = t.lookup(segment(1, 2, TcpFlag.SYN, 0), V6 + 7, V6 + 9, { time: 0 }).stream;
    expect(b).not.toBe(a);
    const back6 = t.lookup(segment(2, 1, TcpFlag.SYN | TcpFlag.ACK, 0), V6 + 9, V6 + 7, { time: 0 });
    expect([back6.stream, back6.dir, back6.isNew]).toEqual([b, 1, false]);
    const back4 = t.lookup(segment(2, 1, TcpFlag.SYN | TcpFlag.ACK, 0), 9, 7, { time: 0 });
    expect([back4.stream, back4.dir, back4.isNew]).toEqual([a, 1, false]);
    expect(t.size).toBe(2);
  });

  it('many streams: each found again after the table rehashes, IPv6 ones too', () => {
    const t = new FlowTable();
    const n = 20_000;
    const ids: number[] = [];
    // both addresses of a header are of one family
    const fam = (i: number): number => (i % 2 ? V6 : 0);
    for (let i = 0; i < n; i++) ids.push(t.lookup(segment(1000 + (i % 50), 80, TcpFlag.SYN, 0), fam(i) + Math.floor(i / 50), fam(i) + 5, { time: 0 }).stream);
    for (let i = 0; i < n; i++) {
      const h = t.lookup(segment(80, 1000 + (i % 50), TcpFlag.ACK, 0), fam(i) + 5, fam(i) + Math.floor(i / 50), { time: 0 });
      expect(h.stream).toBe(ids[i]);
      expect(h.dir).toBe(1);
    }
    expect(t.size).toBe(n);
  });

  it('payload bytes past 4 GiB are counted exactly', () => {
    const t = new FlowTable();
    const stream = t.lookup(segment(1, 2, TcpFlag.SYN, 0), 7, 9, { time: 0 }).stream;
    const per = 65_000;
    const packets = 70_000; // 4.55 GB
    for (let i = 0; i < packets; i++) t.lookup(segment(1, 2, TcpFlag.ACK, per), 7, 9, { time: 0 });
    for (let i = 0; i < 10; i++) t.lookup(segment(2, 1, TcpFlag.ACK, 100), 9, 7, { time: 0 });
    expect(t.bytes(stream, 0)).toBe(per * packets);
    expect(t.bytes(stream, 1)).toBe(1000);
    expect(t.packets(stream, 0)).toBe(packets + 1);
  });
});
