/**
 * DSS mappings (RFC 8684 §3.3.1): the mapping table, the DSS checksum kept open across segments,
 * and, through the tracker on crafted frames, how segments are placed at their DSN: a mapping
 * over several segments, a segment over two mappings, 32-bit DSNs and data ACKs widened across
 * the 2^32 wrap both ways, DATA_FIN, the infinite mapping, contradicting mappings.
 */
import { describe, expect, it } from 'vitest';
import type { Connection } from '../../src/reassembly/model.ts';
import { addPayload, checksumValid, fold, pseudoHeaderSum } from '../../src/reassembly/dss-checksum.ts';
import { MappingTable, newMapping, sumBytes } from '../../src/reassembly/mapping.ts';
import { mptcpAck } from '../../src/reassembly/tracker.ts';
import {
  Capture,
  CollectSink,
  CraftedSubflow,
  MPC_A,
  MPC_H,
  capableHandshake,
  dss,
  dssChecksum,
  joinHandshake,
  pattern,
  patternAtRel,
  sides,
  type V1Keys,
} from '../helpers/craft.ts';

// ---------------------------------------------------------------------------------------------
// Mapping table
// ---------------------------------------------------------------------------------------------

describe('newMapping', () => {
  it.each([
    { why: 'plain', dataLen: 1000, fin: false, payloadLen: 1000 },
    { why: 'DATA_FIN takes one byte of the data-level length', dataLen: 1001, fin: true, payloadLen: 1000 },
    { why: 'bare DATA_FIN: length 1, no payload', dataLen: 1, fin: true, payloadLen: 0 },
    { why: 'infinite mapping (length 0)', dataLen: 0, fin: false, payloadLen: Infinity },
  ])('$why', ({ dataLen, fin, payloadLen }) => {
    expect(newMapping(1000n, 1, dataLen, fin, null, 1).payloadLen).toBe(payloadLen);
  });
});

describe('MappingTable', () => {
  it('find() returns the mapping whose subflow range covers the sequence number, newest first', () => {
    const t = new MappingTable();
    t.add(newMapping(1000n, 1, 100, false, null, 1));
    t.add(newMapping(5000n, 101, 100, false, null, 2));
    expect(t.find(0)).toBeNull();
    expect(t.find(1)?.frame).toBe(1);
    expect(t.find(100)?.frame).toBe(1);
    expect(t.find(101)?.frame).toBe(2);
    expect(t.find(200)?.frame).toBe(2);
    expect(t.find(201)).toBeNull();
  });

  it('relative subflow sequence numbers compare modulo 2^32', () => {
    const t = new MappingTable();
    t.add(newMapping(1000n, 0xffff_ff00, 0x200, false, null, 1));
    expect(t.find(0xffff_ffff)?.frame).toBe(1);
    expect(t.find(0x50)?.frame).toBe(1);
    expect(t.find(0x100)).toBeNull();
  });

  it('a repeated mapping (same SSN, DSN and length) is the same mapping, not added twice', () => {
    const t = new MappingTable();
    const first = t.add(newMapping(1000n, 1, 100, false, null, 1));
    const again = t.add(newMapping(1000n, 1, 100, false, null, 7));
    expect(again).toBe(first);
    expect(t.conflict).toBeNull();
    expect(t.list).toHaveLength(1);
  });

  it('a mapping that agrees with an earlier one over shared bytes is no conflict', () => {
    const t = new MappingTable();
    t.add(newMapping(1000n, 1, 100, false, null, 1));
    t.add(newMapping(1050n, 51, 100, false, null, 2));
    expect(t.conflict).toBeNull();
  });

  it('a mapping that puts the same subflow bytes at another DSN is a conflict, naming both', () => {
    const t = new MappingTable();
    t.add(newMapping(1000n, 1, 100, false, null, 3));
    t.add(newMapping(9000n, 51, 100, false, null, 9));
    expect(t.conflict).toMatch(/subflow bytes from 51 are mapped to DSN 9000 but an earlier mapping \(frame 3\) put them at 1050/);
    // the new mapping wins for those bytes
    expect(t.find(60)?.frame).toBe(9);
  });

  it('the infinite mapping covers every subflow byte after it', () => {
    const t = new MappingTable();
    t.add(newMapping(1000n, 1, 100, false, null, 1));
    t.add(newMapping(1100n, 101, 0, false, null, 2));
    expect(t.find(101)?.frame).toBe(2);
    expect(t.find(1_000_000)?.frame).toBe(2);
  });
});

// ---------------------------------------------------------------------------------------------
// DSS checksum
// ---------------------------------------------------------------------------------------------

describe('DSS checksum over a mapping that arrives in pieces', () => {
  // DSN above 2^32: the pseudo-header carries all 64 bits even when the wire has 32.
  const DSN = 0x660b_91c1_ffff_fd00n;
  const SSN = 0x0001_0203;
  const body = pattern(1000, 7);
  const csum = dssChecksum(DSN, SSN, body.length, body);

  function verdict(chunks: Array<[number, number]>, bytes = body, dataLen = bytes.length, check = csum): Array<boolean | null> {
    const m = newMapping(DSN, SSN, dataLen, false, check, 1);
    return chunks.map(([a, b]) => sumBytes(m, a, bytes.subarray(a, b), b - a));
  }

  it('the oracle agrees with src on a one-piece mapping', () => {
    const sum = addPayload(pseudoHeaderSum(DSN, SSN, body.length, csum), body, 0);
    expect(fold(sum)).toBe(0xffff);
    expect(checksumValid(sum)).toBe(true);
  });

  it.each([
    { why: 'three even pieces', chunks: [[0, 300], [300, 600], [600, 1000]] },
    { why: 'odd offsets: 1 byte, then 332, then the rest', chunks: [[0, 1], [1, 333], [333, 1000]] },
    { why: 'odd offsets: 333 / 334 / 333', chunks: [[0, 333], [333, 667], [667, 1000]] },
    { why: 'odd, odd, then a last single byte', chunks: [[0, 499], [499, 999], [999, 1000]] },
    { why: 'one piece', chunks: [[0, 1000]] },
  ] as Array<{ why: string; chunks: Array<[number, number]> }>)('valid over $why', ({ chunks }) => {
    const v = verdict(chunks);
    expect(v.slice(0, -1).every((x) => x === null)).toBe(true);
    expect(v.at(-1)).toBe(true);
  });

  it.each([
    { why: 'in the first piece (even offset)', at: 0 },
    { why: 'in the middle piece (odd offset)', at: 401 },
    { why: 'the last byte', at: 999 },
  ])('one byte changed $why → invalid', ({ at }) => {
    const bad = body.slice();
    bad[at] = (bad[at] as number) ^ 0x01;
    expect(verdict([[0, 333], [333, 667], [667, 1000]], bad).at(-1)).toBe(false);
  });

  it('an odd total length (the last byte is the high half of a padded word)', () => {
    const odd = pattern(301, 200);
    const c = dssChecksum(DSN, SSN, odd.length, odd);
    expect(verdict([[0, 101], [101, 200], [200, 301]], odd, 301, c).at(-1)).toBe(true);
    const bad = odd.slice();
    bad[300] = 0;
    expect(verdict([[0, 101], [101, 200], [200, 301]], bad, 301, c).at(-1)).toBe(false);
  });

  it('retransmitted bytes already summed are not summed again', () => {
    expect(verdict([[0, 400], [100, 500], [0, 400], [301, 1000]]).at(-1)).toBe(true);
  });

  it('a gap makes the mapping unverifiable, not wrong', () => {
    const m = newMapping(DSN, SSN, body.length, false, csum, 1);
    expect(sumBytes(m, 0, body.subarray(0, 300), 300)).toBeNull();
    expect(sumBytes(m, 600, body.subarray(600), 400)).toBeNull();
    expect(m.unverifiable).toBe(true);
    expect(sumBytes(m, 300, body.subarray(300, 600), 300)).toBeNull();
    expect(m.checksumValid).toBeNull();
  });

  it('a piece cut short by the snap length makes it unverifiable', () => {
    const m = newMapping(DSN, SSN, body.length, false, csum, 1);
    expect(sumBytes(m, 0, body.subarray(0, 100), 500)).toBeNull();
    expect(m.unverifiable).toBe(true);
  });

  it('the data-level length in the pseudo-header counts the DATA_FIN byte', () => {
    const c = dssChecksum(DSN, SSN, 1001, body);
    const m = newMapping(DSN, SSN, 1001, true, c, 1);
    expect(sumBytes(m, 0, body, 1000)).toBe(true);
  });

  it('a bare DATA_FIN (no payload) is judged as soon as the mapping is made', () => {
    const good = newMapping(DSN, 0, 1, true, dssChecksum(DSN, 0, 1, new Uint8Array(0)), 1);
    expect(good.checksumValid).toBe(true);
    const bad = newMapping(DSN, 0, 1, true, dssChecksum(DSN + 1n, 0, 1, new Uint8Array(0)), 1);
    expect(bad.checksumValid).toBe(false);
  });

  it('the DSN counts with all 64 bits: the same low 32 bits with another high half is wrong', () => {
    const m = newMapping(DSN + (1n << 32n), SSN, body.length, false, csum, 1);
    expect(sumBytes(m, 0, body, body.length)).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------
// Through the tracker, on crafted frames
// ---------------------------------------------------------------------------------------------

/**
 * Key chosen (by search) so that the client's IDSN is 0x660b91c1_fffff90f: its low 32 bits wrap
 * 1777 bytes into the stream, i.e. relative DSN 1777 is 0x660b91c2_00000000.
 */
const KEYS: V1Keys = { clientKey: 22327998n, serverKey: 0x1122_3344_5566_7788n };
const IDSN = sides(KEYS).client.idsn;
const WRAP_REL = 1777;
const abs = (rel: number): bigint => IDSN + BigInt(rel);

interface Run {
  conn: Connection;
  out: CollectSink;
  /** mpcap.dsn / mptcp.ack per frame, as the tracker gave them. */
  dsn: Map<number, bigint | null>;
  ack: Map<number, bigint | null>;
}

function setup(flags = MPC_H): { cap: Capture; sf0: CraftedSubflow; sf1: CraftedSubflow } {
  const cap = new Capture();
  const sf0 = new CraftedSubflow(cap, { addr: '10.0.1.1', port: 40000 }, { addr: '10.0.1.2', port: 5201 });
  capableHandshake(sf0, KEYS, flags);
  // The join subflow's ISN sits just below 2^32: its TCP sequence numbers wrap in its first bytes.
  const sf1 = new CraftedSubflow(cap, { addr: '10.0.2.1', port: 40001 }, { addr: '10.0.1.2', port: 5201 }, { c: 0xffff_ff00, s: 0x2000 });
  joinHandshake(sf1, KEYS);
  return { cap, sf0, sf1 };
}

function run(cap: Capture): Run {
  const out = new CollectSink();
  const dsn = new Map<number, bigint | null>();
  const ack = new Map<number, bigint | null>();
  const tracker = cap.track(
    (c) => {
      if (c.index === 0) c.data.c2s.sink = out;
    },
    (frame, info) => {
      dsn.set(frame, info.dsn === null ? null : BigInt(info.dsn));
      ack.set(frame, mptcpAck(info));
    },
  );
  expect(tracker.connections).toHaveLength(1);
  const conn = tracker.connections[0] as Connection;
  expect(conn.subflows).toEqual([0, 1]);
  return { conn, out, dsn, ack };
}

describe('the crafted connection', () => {
  it('the key gives the IDSN the wrap tests rely on', () => {
    expect(IDSN).toBe(0x660b_91c1_ffff_f90fn);
    expect(abs(WRAP_REL)).toBe(0x660b_91c2_0000_0000n);
  });

  it('keys, IDSN and join are tracked', () => {
    const { cap } = setup();
    const { conn } = run(cap);
    expect(conn.client.idsn).toBe(IDSN);
    expect(conn.version).toBe(1);
  });
});

describe('placing segments through their mappings', () => {
  it('a mapping over several segments: each segment is at the mapping DSN + its offset', () => {
    const { cap, sf0 } = setup();
    const f1 = sf0.c2s(1, { options: [dss({ dsn: abs(1), ssn: 1, dataLen: 3000 })], payload: patternAtRel(1, 1000) });
    const f2 = sf0.c2s(1001, { payload: patternAtRel(1001, 1000) }); // no DSS: covered by the mapping
    const f3 = sf0.c2s(2001, { options: [dss({ dsn: abs(1), ssn: 1, dataLen: 3000 })], payload: patternAtRel(2001, 1000) });
    const { conn, out, dsn } = run(cap);
    expect([dsn.get(f1), dsn.get(f2), dsn.get(f3)]).toEqual([1n, 1001n, 2001n]);
    expect(conn.data.c2s.deliveredBytes).toBe(3000);
    expect(conn.data.c2s.mappings).toBe(1);
    expect(out.bytes).toEqual(patternAtRel(1, 3000));
  });

  it('one segment over two mappings: each half goes to its own mapping', () => {
    const { cap, sf0, sf1 } = setup();
    // subflow 0: SSN 1..500 → DSN 1..500, SSN 501..1000 → DSN 2001..2500
    const f1 = sf0.c2s(1, { options: [dss({ dsn: abs(1), ssn: 1, dataLen: 500 })], payload: patternAtRel(1, 300) });
    const straddle = sf0.c2s(301, {
      options: [dss({ dsn: abs(2001), ssn: 501, dataLen: 500 })],
      payload: new Uint8Array([...patternAtRel(301, 200), ...patternAtRel(2001, 300)]),
    });
    const f3 = sf0.c2s(801, { payload: patternAtRel(2301, 200) });
    // subflow 1 carries DSN 501..2000 in between
    sf1.c2s(1, { options: [dss({ dsn: abs(501), ssn: 1, dataLen: 1500 })], payload: patternAtRel(501, 1500) });
    const { conn, out, dsn } = run(cap);
    expect([dsn.get(f1), dsn.get(straddle), dsn.get(f3)]).toEqual([1n, 301n, 2301n]);
    const c2s = conn.data.c2s;
    expect(c2s.holes()).toEqual([]);
    expect(c2s.deliveredBytes).toBe(2500);
    expect(c2s.reinjectedBytes + c2s.retransmittedBytes).toBe(0);
    expect(c2s.unmappedBytes).toBe(0);
    expect(out.bytes).toEqual(patternAtRel(1, 2500));
  });

  it('bytes no mapping covers are counted as unmapped, not placed', () => {
    const { cap, sf0 } = setup();
    sf0.c2s(1, { options: [dss({ dsn: abs(1), ssn: 1, dataLen: 100 })], payload: patternAtRel(1, 150) });
    const { conn } = run(cap);
    expect(conn.data.c2s.deliveredBytes).toBe(100);
    expect(conn.data.c2s.unmappedBytes).toBe(50);
  });
});

describe('32-bit DSNs and data ACKs across the 2^32 wrap', () => {
  it('forward: a 32-bit mapping straddling the wrap, then one after it', () => {
    const { cap, sf0, sf1 } = setup();
    // 64-bit first, then 32-bit (the widening reference is the 64-bit value)
    const a = sf0.c2s(1, { options: [dss({ dsn: abs(1), dsn64: true, ssn: 1, dataLen: 1000 })], payload: patternAtRel(1, 1000) });
    // DSN 1001..2000: low 32 bits 0xfffffcf8..0x000000df
    const b1 = sf1.c2s(1, { options: [dss({ dsn: abs(1001), ssn: 1, dataLen: 1000 })], payload: patternAtRel(1001, 500) });
    const b2 = sf1.c2s(501, { payload: patternAtRel(1501, 500) });
    // DSN 2001..: low 32 bits 0xe0, smaller than every DSN before it
    const c = sf0.c2s(1001, { options: [dss({ dsn: abs(2001), ssn: 1001, dataLen: 1000 })], payload: patternAtRel(2001, 1000) });
    // the server acknowledges everything, with a 32-bit data ACK past the wrap
    const ackFrame = sf0.s2c(1, { options: [dss({ dataAck: abs(3001) })] });
    expect(Number(abs(1001) & 0xffff_ffffn)).toBe(0xffff_fcf8);
    expect(Number(abs(2001) & 0xffff_ffffn)).toBe(0xe0);
    const { conn, out, dsn, ack } = run(cap);
    expect([a, b1, b2, c].map((f) => dsn.get(f))).toEqual([1n, 1001n, 1501n, 2001n]);
    expect(ack.get(ackFrame)).toBe(3001n);
    const c2s = conn.data.c2s;
    expect(c2s.deliveredBytes).toBe(3000);
    expect(c2s.holes()).toEqual([]);
    expect(c2s.dataAckRel).toBe(3001);
    expect(out.bytes).toEqual(patternAtRel(1, 3000));
  });

  it('backward: a 32-bit DSN from before the wrap, after DSNs past it, is a reinjection of old bytes', () => {
    const { cap, sf0, sf1 } = setup();
    sf0.c2s(1, { options: [dss({ dsn: abs(1), ssn: 1, dataLen: 2000 })], payload: patternAtRel(1, 1000) });
    sf0.c2s(1001, { payload: patternAtRel(1001, 1000) });
    sf0.c2s(2001, { options: [dss({ dsn: abs(2001), ssn: 2001, dataLen: 500 })], payload: patternAtRel(2001, 500) });
    const ack1 = sf0.s2c(1, { options: [dss({ dataAck: abs(2501) })] }); // past the wrap
    // subflow 1 reinjects DSN 1601..1700 (low 32 bits 0xffffff50..: before the wrap)
    const re = sf1.c2s(1, { options: [dss({ dsn: abs(1601), ssn: 1, dataLen: 100 })], payload: patternAtRel(1601, 100) });
    const ack2 = sf0.s2c(1, { options: [dss({ dataAck: abs(1701) })] }); // an old, smaller ACK
    const { conn, out, dsn, ack } = run(cap);
    expect(dsn.get(re)).toBe(1601n);
    expect(ack.get(ack1)).toBe(2501n);
    expect(ack.get(ack2)).toBe(1701n);
    const c2s = conn.data.c2s;
    expect(c2s.reinjectedBytes).toBe(100);
    expect([...c2s.reinjections.values()].map((r) => [r.fromSubflow, r.toSubflow, r.bytes])).toEqual([[0, 1, 100]]);
    expect(c2s.deliveredBytes).toBe(2500);
    expect(c2s.maxRelEnd).toBe(2501);
    expect(c2s.dataAckRel).toBe(2501); // the data ACK never goes back
    expect(out.bytes).toEqual(patternAtRel(1, 2500));
  });
});

describe('DATA_FIN', () => {
  it('on a mapping with payload: counted in the data-level length, one DSN after the last byte', () => {
    const { cap, sf0 } = setup();
    const f = sf0.c2s(1, { options: [dss({ dsn: abs(1), ssn: 1, dataLen: 101, fin: true })], payload: patternAtRel(1, 100) });
    const { conn, out } = run(cap);
    const c2s = conn.data.c2s;
    expect(c2s.dataFinRel).toBe(101);
    expect(c2s.deliveredBytes).toBe(100);
    expect(c2s.holes()).toEqual([]);
    expect(c2s.unmappedBytes).toBe(0);
    expect(conn.dataFin.client?.frame).toBe(f);
    expect(out.bytes).toEqual(patternAtRel(1, 100));
  });

  it('bare DATA_FIN (SSN 0, length 1) after the data', () => {
    const { cap, sf0 } = setup();
    sf0.c2s(1, { options: [dss({ dsn: abs(1), ssn: 1, dataLen: 100 })], payload: patternAtRel(1, 100) });
    sf0.c2s(101, { options: [dss({ dsn: abs(101), ssn: 0, dataLen: 1, fin: true })] });
    const { conn } = run(cap);
    expect(conn.data.c2s.dataFinRel).toBe(101);
    expect(conn.data.c2s.holes()).toEqual([]);
  });

  it('a DATA_FIN beyond the last byte seen leaves a hole up to it', () => {
    const { cap, sf0 } = setup();
    sf0.c2s(1, { options: [dss({ dsn: abs(1), ssn: 1, dataLen: 100 })], payload: patternAtRel(1, 100) });
    sf0.c2s(201, { options: [dss({ dsn: abs(201), ssn: 0, dataLen: 1, fin: true })] });
    const { conn } = run(cap);
    expect(conn.data.c2s.holes()).toEqual([{ start: 101, end: 201 }]);
  });
});

describe('infinite mapping', () => {
  it('data-level length 0 maps every later subflow byte, in order', () => {
    const { cap, sf0 } = setup();
    sf0.c2s(1, { options: [dss({ dsn: abs(1), ssn: 1, dataLen: 100 })], payload: patternAtRel(1, 100) });
    const inf = sf0.c2s(101, { options: [dss({ dsn: abs(101), ssn: 101, dataLen: 0 })], payload: patternAtRel(101, 400) });
    sf0.c2s(501, { payload: patternAtRel(501, 500) });
    const { conn, out } = run(cap);
    const c2s = conn.data.c2s;
    expect(c2s.infiniteMapping).toEqual({ frame: inf, subflow: 0 });
    expect(c2s.deliveredBytes).toBe(1000);
    expect(c2s.unmappedBytes).toBe(0);
    expect(out.bytes).toEqual(patternAtRel(1, 1000));
  });
});

describe('contradicting mappings', () => {
  it('the same subflow bytes mapped to two DSNs are reported with frame and subflow', () => {
    const { cap, sf0 } = setup();
    const first = sf0.c2s(1, { options: [dss({ dsn: abs(1), ssn: 1, dataLen: 1000 })], payload: patternAtRel(1, 600) });
    const second = sf0.c2s(601, { options: [dss({ dsn: abs(5001), ssn: 501, dataLen: 500 })], payload: patternAtRel(601, 400) });
    const { conn } = run(cap);
    const conflicts = conn.data.c2s.mappingConflicts;
    expect(conflicts).toHaveLength(1);
    expect(conflicts[0]?.frame).toBe(second);
    expect(conflicts[0]?.message).toContain('subflow 0');
    expect(conflicts[0]?.message).toContain(`(frame ${first})`);
  });
});

describe('DSS checksum through the tracker', () => {
  const MAP_LEN = 999;
  const body = patternAtRel(1, MAP_LEN);
  const csum = dssChecksum(abs(1), 1, MAP_LEN, body);

  function checksummed(cuts: number[], corruptAt: number | null = null): { conn: Connection; frames: number[] } {
    const { cap, sf0 } = setup(MPC_H | MPC_A);
    const bytes = body.slice();
    if (corruptAt !== null) bytes[corruptAt] = (bytes[corruptAt] as number) ^ 0x80;
    const edges = [0, ...cuts, MAP_LEN];
    const frames: number[] = [];
    for (let i = 0; i + 1 < edges.length; i++) {
      const [a, b] = [edges[i] as number, edges[i + 1] as number];
      // the DSS (with its checksum) on the first segment only; the others have none
      const options = i === 0 ? [dss({ dsn: abs(1), ssn: 1, dataLen: MAP_LEN, checksum: csum })] : [];
      frames.push(sf0.c2s(1 + a, { options, payload: bytes.subarray(a, b) }));
    }
    const { conn } = run(cap);
    expect(conn.checksums).toBe(true);
    return { conn, frames };
  }

  it.each([
    { why: 'three segments, even cuts', cuts: [400, 700] },
    { why: 'three segments, odd cuts', cuts: [333, 667] },
    { why: 'three segments, first of one byte', cuts: [1, 2] },
  ])('valid over $why', ({ cuts }) => {
    const { conn } = checksummed(cuts);
    expect(conn.data.c2s.checksumsVerified).toBe(1);
    expect(conn.data.c2s.checksumFailures).toBe(0);
    expect(conn.data.c2s.deliveredBytes).toBe(MAP_LEN);
  });

  it.each([
    { why: 'first segment', at: 10 },
    { why: 'second segment, odd offset', at: 333 },
    { why: 'last byte', at: MAP_LEN - 1 },
  ])('one byte changed in the $why → a failure naming the mapping', ({ at }) => {
    const { conn, frames } = checksummed([333, 667], at);
    const c2s = conn.data.c2s;
    expect(c2s.checksumsVerified).toBe(0);
    expect(c2s.checksumFailures).toBe(1);
    expect(c2s.checksumFailureList).toEqual([{ frame: frames[0], subflow: 0, dsn: 1, dataLen: MAP_LEN }]);
  });

  it('a segment missing from the capture makes the mapping unverifiable', () => {
    const { cap, sf0 } = setup(MPC_H | MPC_A);
    sf0.c2s(1, { options: [dss({ dsn: abs(1), ssn: 1, dataLen: MAP_LEN, checksum: csum })], payload: body.subarray(0, 333) });
    sf0.c2s(668, { payload: body.subarray(667) });
    const { conn } = run(cap);
    const c2s = conn.data.c2s;
    expect(c2s.checksumsVerified + c2s.checksumFailures).toBe(0);
    expect(c2s.checksumsUnverifiable).toBe(1);
  });

  it('a 32-bit DSN past the wrap is checksummed with its widened 64-bit value', () => {
    const { cap, sf0 } = setup(MPC_H | MPC_A);
    const p1 = patternAtRel(1, 2000);
    sf0.c2s(1, { options: [dss({ dsn: abs(1), ssn: 1, dataLen: 2000, checksum: dssChecksum(abs(1), 1, 2000, p1) })], payload: p1 });
    const p2 = patternAtRel(2001, 100);
    sf0.c2s(2001, { options: [dss({ dsn: abs(2001), ssn: 2001, dataLen: 100, checksum: dssChecksum(abs(2001), 2001, 100, p2) })], payload: p2 });
    const { conn } = run(cap);
    expect(conn.data.c2s.checksumsVerified).toBe(2);
    expect(conn.data.c2s.checksumFailures).toBe(0);
  });
});
