/**
 * The flow table numbers TCP streams as Wireshark's tcp.stream (the tshark comparison in
 * tshark-compat.test.ts checks it on every capture); here: its hash across growth, both
 * directions, 4-tuple reuse, IPv6 keys, and its size per stream.
 */
import { describe, expect, it } from 'vitest';
import { Segment } from '../../src/dissect/segment.ts';
import { FlowTable } from '../../src/reassembly/flow-table.ts';

const SYN = 0x02;
const ACK = 0x10;

function seg(src: number, sp: number, dst: number, dp: number, flags: number, seqNo = 1): Segment {
  const s = new Segment();
  s.frame = { number: 1, tsSec: 0, tsNsec: 0, capLen: 0, origLen: 0, linkType: 1, interfaceId: 0, fileOffset: 0, data: new Uint8Array(0) };
  s.ipVersion = 4;
  s.isTcp = true;
  s.src4 = src;
  s.dst4 = dst;
  s.srcPort = sp;
  s.dstPort = dp;
  s.flags = flags;
  s.seq = seqNo;
  return s;
}


describe('FlowTable', () => {
  it('keeps every stream findable, from both ends, while it grows past many rehashes', () => {
    const t = new FlowTable();
    const n = 200_000;
    let wrong = 0;
    for (let i = 0; i < n; i++) if (t.lookup(seg(0x0a000000 + i, 1000 + (i % 50_000), 0xc0a80001, 80, SYN), 0x0a000000 + i, 0xc0a80001, { time: 0 }).stream !== i) wrong++;
    expect(wrong).toBe(0);
    expect(t.size).toBe(n);
    for (let i = 0; i < n; i += 997) {
      const back = t.lookup(seg(0xc0a80001, 80, 0x0a000000 + i, 1000 + (i % 50_000), ACK), 0xc0a80001, 0x0a000000 + i, { time: 1 });
      expect([back.stream, back.dir, back.isNew]).toEqual([i, 1, false]);
    }
    expect(t.size).toBe(n);
  });

  it('a SYN with another ISN on a known 4-tuple is a new stream (ports reused); a retransmitted SYN is not', () => {
    const t = new FlowTable();
    const a = t.lookup(seg(1, 1000, 2, 80, SYN, 5000), 1, 2, { time: 0 }).stream;
    expect(t.lookup(seg(1, 1000, 2, 80, SYN, 5000), 1, 2, { time: 1 }).stream).toBe(a);
    const b = t.lookup(seg(1, 1000, 2, 80, SYN, 9000), 1, 2, { time: 2 }).stream;
    expect(b).not.toBe(a);
    expect(t.lookup(seg(2, 80, 1, 1000, ACK), 2, 1, { time: 3 }).stream).toBe(b); // the newest stream of the tuple
  });

  it('counts packets and payload bytes per direction', () => {
    const t = new FlowTable();
    const s1 = seg(1, 1000, 2, 80, ACK);
    s1.payloadLen = 100;
    t.lookup(s1, 1, 2, { time: 0 });
    t.lookup(seg(2, 80, 1, 1000, ACK), 2, 1, { time: 0 });
    expect([t.packets(0, 0), t.packets(0, 1), t.bytes(0, 0), t.bytes(0, 1)]).toEqual([1, 1, 100, 0]);
  });

  it('costs well under 100 bytes per stream (a million-SYN scan stays small)', () => {
    const before = process.memoryUsage().arrayBuffers;
    const t = new FlowTable();
    for (let i = 0; i < 262_144; i++) t.lookup(seg(i, 1, 7, 80, SYN), i, 7, { time: 0 });
    const perStream = (process.memoryUsage().arrayBuffers - before) / 262_144;
    expect(perStream).toBeLessThan(100);
  });
});
