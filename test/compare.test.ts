/**
 * `mpcap compare` on the public pair of captures of one run (pymptcpanalyzer client_2 / server_2):
 * connections and subflows matched one by one, and every packet's one-way delay checked against
 * an independent matching made from tshark's output (test/helpers/two-captures.ts).
 */
import { describe, expect, it } from 'vitest';
import { compareCaptures } from '../src/compare/run.ts';
import { corpusDir, hasCorpus, hasTshark } from './helpers/corpus.ts';
import { collectDelays, independentMatch, independentReinjections } from './helpers/two-captures.ts';
import { runMain } from './helpers/cli.ts';
import path from 'node:path';

const client = path.join(corpusDir, 'pymptcpanalyzer', 'client_2.pcap');
const server = path.join(corpusDir, 'pymptcpanalyzer', 'server_2.pcap');

describe.skipIf(!hasCorpus || !hasTshark)('compare: pymptcpanalyzer client_2 / server_2', () => {
  it('matches connection by connection, subflow by subflow, packet by packet', async () => {
    const col = collectDelays();
    const { result } = await compareCaptures(client, server, { sink: col.sink });
    const matched = result.connections.filter((c) => c.matchedBy !== 'unmatched');
    // 4 connections in the client capture, 5 in the server's (one is a stray reset stream of a join)
    expect(matched.map((c) => [c.connectionA, c.connectionB, c.matchedBy, c.clientSide])).toEqual([
      [0, 0, 'keys', 'A'],
      [1, 2, 'keys', 'A'],
      [2, 3, 'keys', 'A'],
      [3, 4, 'keys', 'A'],
    ]);
    const ind = independentMatch(client, server, 'A');
    const ours = new Map<number, number>();
    for (const c of matched) for (const s of c.subflows) if (s.tcpStreamA !== null && s.tcpStreamB !== null) ours.set(s.tcpStreamA, s.tcpStreamB);
    expect([...ours.entries()].sort((x, y) => x[0] - y[0])).toEqual([...ind.pairs.entries()].sort((x, y) => x[0] - y[0]));
    expect(ours.size).toBe(15);
    for (const c of matched) {
      for (const s of c.subflows) {
        expect(s.matchedBy).toBe(s.tcpStreamA === c.subflows[0]?.tcpStreamA ? 'key+isn' : 'token+isn');
        expect(s.nat).toBe(false);
        expect(s.clientSide).toBe('A');
        for (const d of s.directions) {
          const exp = ind.counts.get(`${s.tcpStreamA}|${d.direction}`);
          expect(d.sent, `${s.tcpStreamA} ${d.direction}`).toBe(exp?.sent ?? 0);
          expect(d.matched, `${s.tcpStreamA} ${d.direction}`).toBe(exp?.matched ?? 0);
          expect(d.lost).toBe(d.sent - d.matched);
        }
      }
    }
    // the only subflows left alone: the join whose SYN never reached the server, and the server's stray stream
    const alone = result.connections.filter((c) => c.matchedBy === 'unmatched').flatMap((c) => c.subflows.map((s) => [s.tcpStreamA, s.tcpStreamB]));
    expect(alone).toEqual([[7, null], [null, 2]]);
    // every packet's delay, to the microsecond
    expect(col.delays.size).toBe(ind.delays.size);
    for (const [k, v] of ind.delays) expect(col.delays.get(k), k).toBe(v);
    expect(ind.delays.size).toBeGreaterThan(2500);
    // every reinjection of the client's data: which copy arrived first, useful or wasted
    const reinj = independentReinjections(client, ind);
    const oursReinj = new Map(matched.flatMap((c) => c.data.filter((d) => d.direction === 'c2s').flatMap((d) => d.reinjectionList.map((r) => [`${r.reinjectionSubflow}|${r.dsn}`, { verdict: r.verdict, first: r.firstArrived }] as const))));
    expect(reinj.size).toBeGreaterThan(10);
    expect([...oursReinj.entries()].sort()).toEqual([...reinj.entries()].sort());
  });

  it('CLI: text names the clock and the sides; --json and --relative', async () => {
    const text = await runMain(['compare', client, server]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('Clock: absolute delays');
    expect(text.stdout).toContain('Connection A#1 = B#2  matched by keys; client side: A, server side: B');
    const rel = await runMain(['compare', '--relative', '--json', client, server]);
    expect(rel.code).toBe(0);
    const j = JSON.parse(rel.stdout) as { clock: { mode: string }; connections: Array<{ subflows: Array<{ directions: Array<{ delay: { minUs: number | null; count: number } }> }> }> };
    expect(j.clock.mode).toBe('relative');
    for (const c of j.connections) for (const s of c.subflows) for (const d of s.directions) if (d.delay.count > 0) expect(d.delay.minUs).toBe(0);
    const bad = await runMain(['compare', '--offset', 'abc', client, server]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('mpcap: --offset abc');
  });
});
