/**
 * `analyze --max-held`: past a number of held subflows, connections are written out early
 * (src/analysis/spool.ts) and read back by the report; a join flood is cut at that many subflows
 * in one connection. The report is the one made without spilling, less what spilling says about itself.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Analysis } from '../src/analysis/analysis.ts';
import { runPipeline } from '../src/analysis/pipeline.ts';
import { buildSelection, SelectionError } from '../src/filter/select.ts';
import type { MptcpTracker } from '../src/reassembly/tracker.ts';
import { runMain } from './helpers/cli.ts';
import { corpusDir, repoRoot } from './helpers/corpus.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const JOINS = 1500;
let dir = '';
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'mpcap-spool-test-'));
  for (const [only, count] of [['mpc-handshakes', 1200], ['joins', JOINS]] as const) {
    const r = spawnSync(process.execPath, [path.join(repoRoot, 'scripts', 'make-hostile.mjs'), dir, '--only', only, '--count', String(count)], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`make-hostile.mjs failed: ${r.stderr}`);
  }
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The report less what spilling adds: the summary's counts of it, and the problem it gives an open connection. */
function withoutSpill(report: Json): Json {
  const r = structuredClone(report);
  for (const k of ['releasedConnections', 'spilledConnections', 'spilledOpen', 'packetsNotAnalysed']) delete r.summary[k];
  for (const c of r.connections) c.problems = c.problems.filter((p: Json) => p.kind !== 'written-out-open');
  return r;
}

async function analyzeJson(args: string[]): Promise<Json> {
  const r = await runMain(['analyze', '--json', ...args]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as Json;
}

describe('analyze --max-held', () => {
  it('a handshake flood: held subflows stay within the budget, and the report is the unspilled one', async () => {
    const file = path.join(dir, 'mpc-handshakes.pcap');
    const whole = await analyzeJson([file]);
    const spilled = await analyzeJson(['--max-held', '100', file]);
    expect(whole.summary.spilledConnections).toBe(0);
    expect(spilled.summary.spilledConnections).toBeGreaterThan(1000);
    // handshakes never close: every one written out was open, and says so
    expect(spilled.summary.spilledOpen).toBe(spilled.summary.spilledConnections);
    const marked = spilled.connections.filter((c: Json) => c.problems.some((p: Json) => p.kind === 'written-out-open'));
    expect(marked).toHaveLength(spilled.summary.spilledOpen);
    expect(spilled.connections.map((c: Json) => c.index)).toEqual(whole.connections.map((c: Json) => c.index));
    expect(withoutSpill(spilled)).toEqual(withoutSpill(whole));

    // in-process: never more than the budget held after a packet (the spool runs after the other subscribers)
    const analysis = new Analysis();
    analysis.holdAtMost(100);
    let most = 0;
    await runPipeline(file, analysis.pipeline, {
      stdin: process.stdin,
      afterFrame: () => ((most = Math.max(most, analysis.tracker.state.heldSubflows)), true),
    });
    analysis.close();
    expect(most).toBeLessThanOrEqual(100);
    expect(most).toBeGreaterThan(50);
  });

  it('--connection and --subflow find connections written out early; the tables say what was written out', async () => {
    const file = path.join(dir, 'mpc-handshakes.pcap');
    const one = await analyzeJson(['--max-held', '100', '--connection', '5', file]);
    expect(one.connections.map((c: Json) => c.index)).toEqual([5]);
    expect(one.connections[0].problems.map((p: Json) => p.kind)).toEqual(['written-out-open']);
    const sub = await analyzeJson(['--max-held', '100', '--subflow', '7', file]);
    expect(sub.summary).toMatchObject({ connections: 1, subflows: 1 });
    expect(sub.connections[0].subflows.map((s: Json) => s.tcpStream)).toEqual([7]);
    const none = await runMain(['analyze', '--max-held', '100', '--connection', '999999', file]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no such connection \(mptcp\.stream 0 to \d+\)/);
    const tables = await runMain(['analyze', '--max-held', '100', file]);
    expect(tables.code).toBe(0);
    expect(tables.stdout).toMatch(/[\d,]+ connections written out before the end/);
    for (const bad of ['0', '-3', 'x', '1.5']) expect((await runMain(['analyze', '--max-held', bad, file])).code).toBe(2);
  });

  it('a temporary directory that cannot be written: exit 2, saying where and what to do', () => {
    const r = spawnSync(process.execPath, [path.join(repoRoot, 'bin', 'mpcap.js'), 'analyze', '--json', '--max-held', '100', path.join(dir, 'mpc-handshakes.pcap')], {
      encoding: 'utf8',
      env: { ...process.env, TMPDIR: path.join(dir, 'no-such-dir') },
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/cannot write connections out to a temporary file in .*no-such-dir .*set TMPDIR, or raise --max-held/);
    expect(r.stderr).not.toMatch(/internal error/);
  });

  it('a join flood: --max-held joins tracked, the rest counted, their packets not analysed', async () => {
    const MAX_SUBFLOWS = 1000;
    const r = await analyzeJson(['--max-held', String(MAX_SUBFLOWS), path.join(dir, 'joins.pcap')]);
    expect(r.summary.joinsNotTracked).toBe(JOINS - MAX_SUBFLOWS);
    // each untracked join's SYN/ACK and ACK
    expect(r.summary.packetsNotAnalysed).toBe(2 * (JOINS - MAX_SUBFLOWS));
    expect(r.summary.tcpStreams).toBe(JOINS + 1);
    const flooded = r.connections.find((c: Json) => c.subflowCount === MAX_SUBFLOWS) as Json;
    expect(flooded).toBeDefined();
    expect(flooded.problems.filter((p: Json) => p.kind === 'join-flood')).toHaveLength(1);
  });

  const echo = path.join(corpusDir, 'tcpdump', 'mptcp-aa-echo.pcap');
  it.skipIf(!existsSync(echo))('closed connections of a real capture written out early read back unchanged', async () => {
    const whole = await analyzeJson([echo]);
    const spilled = await analyzeJson(['--max-held', '1', echo]);
    expect(whole.summary.connections).toBeGreaterThan(1);
    expect(spilled.summary.spilledConnections).toBeGreaterThan(0);
    expect(spilled.summary.spilledOpen).toBe(0);
    expect(spilled.summary.packetsNotAnalysed).toBe(0);
    expect(withoutSpill(spilled)).toEqual(withoutSpill(whole));
  });
});

describe('--connection on a capture of many connections', () => {
  it('an unknown number is a SelectionError naming the range, not a stack overflow (200,000 connections)', () => {
    const n = 200_000;
    const tracker = {
      subflows: [],
      *heldConnections() {
        for (let i = 0; i < n; i += 2) yield { index: i, subflows: [] };
      },
    } as unknown as MptcpTracker;
    const spooled = Array.from({ length: n / 2 }, (_, k) => ({ index: 2 * k + 1, subflows: new Int32Array(0) }));
    const ask = (c: number) => () => buildSelection(tracker, { matches: null, connections: [c], subflows: [] }, spooled);
    expect(ask(n + 5)).toThrow(SelectionError);
    expect(ask(n + 5)).toThrow(`no such connection (mptcp.stream 0 to ${n - 1})`);
    expect(ask(7)()?.connections).toEqual(new Set([7]));
  });
});
