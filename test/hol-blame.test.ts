/**
 * Head-of-line blame (src/analysis/hol-blame.ts): a crafted connection whose answer is known, and
 * invariants that tie the blame to the data level's own counters on every real capture.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { capableHandshake, Capture, CraftedSubflow, dss, joinHandshake, patternAtRel, sides, type V1Keys } from './helpers/craft.ts';
import { runMain } from './helpers/cli.ts';
import { corpusFiles, fixturePcaps, shortName } from './helpers/corpus.ts';

const tmp = mkdtempSync(path.join(tmpdir(), 'mpcap-blame-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Stall { startTime: number; endTime: number; durationSec: number; frame: number; endFrame: number | null; dsn: number; subflow: number | null; cause: string; waitingBytes: number }
interface Blame { stalls: number; totalStallSec: number; maxStallSec: number; waitingBytes: number; byCause: Record<string, number>; bySubflow: Array<{ subflow: number | null; stalls: number; stallSec: number; waitingBytes: number }>; longest: Stall[] }

async function analyze(file: string): Promise<{ connections: Array<{ index: number; subflows: Array<{ tcpStream: number }>; headOfLineBlame: Record<'c2s' | 's2c', Blame>; data: Record<'c2s' | 's2c', { deliveredBytes: number; retransmittedBytes: number; reinjectedBytes: number; notCapturedBytes: number; skippedBytes: number; outOfOrderBytes: number; reinjections: Array<{ fromSubflow: number }> }> }> }> {
  const r = await runMain(['analyze', '--json', file]);
  expect([0, 4]).toContain(r.code);
  return JSON.parse(r.stdout);
}

describe('a crafted connection: two subflows, one late segment, one capture gap', () => {
  const k: V1Keys = { clientKey: 0x1111_2222_3333_4444n, serverKey: 0x5555_6666_7777_8888n };
  const { client, server } = sides(k);
  const cap = new Capture();
  const a = new CraftedSubflow(cap, { addr: '10.0.1.1', port: 40000 }, { addr: '10.0.1.2', port: 80 });
  capableHandshake(a, k);
  const b = new CraftedSubflow(cap, { addr: '10.0.2.1', port: 40001 }, { addr: '10.0.1.2', port: 80 }, { c: 0x2000_0000, s: 0x3000_0000 });
  joinHandshake(b, k);
  const seg = (sf: CraftedSubflow, ssn: number, rel: number, len: number, dt: number): number =>
    sf.c2s(ssn, { options: [dss({ dsn: client.idsn + BigInt(rel), ssn, dataLen: len })], payload: patternAtRel(rel, len), dt });
  // 1: B's bytes 1001-2000 arrive before A's 1-1000, which come 50 ms later
  const ahead = seg(b, 1, 1001, 1000, 0.001);
  const fill = seg(a, 1, 1, 1000, 0.05);
  // 2: A's 2001-3000 are never captured; B's 3001-4000 wait until the server's DATA_ACK proves the gap
  seg(b, 1001, 3001, 1000, 0.001);
  a.s2c(1, { options: [dss({ dataAck: client.idsn + 4001n })], dt: 0.001 });
  void server;
  // the proof is applied after its grace (0.25 s of capture time)
  a.s2c(1, { options: [dss({ dataAck: client.idsn + 4001n })], dt: 0.4 });
  const file = path.join(tmp, 'crafted.pcap');
  writeFileSync(file, cap.pcap());

  it('blames the late subflow for the first stall, and no subflow for the capture gap', async () => {
    const r = await analyze(file);
    const conn = r.connections[0];
    expect(conn?.subflows.map((s) => s.tcpStream)).toEqual([0, 1]);
    const blame = conn?.headOfLineBlame.c2s as Blame;
    expect(blame.stalls).toBe(2);
    const [late, gap] = blame.longest as [Stall, Stall];
    expect(late).toMatchObject({ frame: ahead, endFrame: fill, subflow: 0, cause: 'late', waitingBytes: 1000 });
    expect(late.durationSec).toBeCloseTo(0.05, 6);
    expect(gap).toMatchObject({ subflow: null, cause: 'not-captured', waitingBytes: 1000 });
    expect(blame.byCause).toMatchObject({ late: 1, 'not-captured': 1, retransmitted: 0, reinjected: 0, skipped: 0, unfilled: 0 });
    expect(blame.bySubflow.find((s) => s.subflow === 0)).toMatchObject({ stalls: 1, waitingBytes: 1000 });
    expect(conn?.headOfLineBlame.s2c.stalls).toBe(0);
  });
});

describe('blame agrees with the data level on every real capture', () => {
  const files = [...fixturePcaps(), ...corpusFiles()];
  it.each(files.map((f) => [shortName(f), f]))('%s', async (_n, file) => {
    const r = await analyze(file);
    for (const conn of r.connections) {
      const ids = new Set(conn.subflows.map((s) => s.tcpStream));
      for (const dir of ['c2s', 's2c'] as const) {
        const b = conn.headOfLineBlame[dir];
        const d = conn.data[dir];
        const sum = (xs: number[]): number => xs.reduce((x, y) => x + y, 0);
        expect(sum(Object.values(b.byCause))).toBe(b.stalls);
        expect(sum(b.bySubflow.map((s) => s.stalls))).toBe(b.stalls);
        expect(sum(b.bySubflow.map((s) => s.stallSec))).toBeCloseTo(b.totalStallSec, 3);
        expect(sum(b.bySubflow.map((s) => s.waitingBytes))).toBe(b.waitingBytes);
        expect(b.waitingBytes).toBeLessThanOrEqual(d.deliveredBytes);
        expect(b.longest.length).toBe(Math.min(100, b.stalls));
        for (const s of b.longest) {
          expect(s.durationSec).toBeGreaterThanOrEqual(0);
          expect(s.durationSec).toBeLessThanOrEqual(b.maxStallSec);
          if (s.subflow !== null) expect(ids.has(s.subflow)).toBe(true);
        }
        // each cause stands on a counter of the data level
        if (b.byCause.retransmitted) expect(d.retransmittedBytes).toBeGreaterThan(0);
        if (b.byCause.reinjected) expect(d.reinjectedBytes).toBeGreaterThan(0);
        if (b.byCause['not-captured']) expect(d.notCapturedBytes).toBeGreaterThan(0);
        if (b.byCause.skipped) expect(d.skippedBytes).toBeGreaterThan(0);
        for (const s of b.longest) if (s.cause === 'reinjected' && s.subflow !== null) expect(d.reinjections.some((x) => x.fromSubflow === s.subflow)).toBe(true);
        // bytes that waited for a fill imply a stall
        if (d.outOfOrderBytes > 0) expect(b.stalls).toBeGreaterThan(0);
      }
    }
  });
});
