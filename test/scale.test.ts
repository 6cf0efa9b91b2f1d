/**
 * Floods and scans end in a summary, not in a report the size of the flood: connection attempts
 * nobody answered are counted (summary.attempts) and listed one by one only when few or asked
 * (--attempts); tables stay a screenful. And the streamed JSON is exactly JSON.stringify's text.
 */
import { describe, expect, it } from 'vitest';
import { analyzeFile } from '../src/cli/analyze.ts';
import type { Report } from '../src/analysis/report.ts';
import { Capture, CraftedSubflow, MPC_H, mpCapable } from './helpers/craft.ts';
import { runMain } from './helpers/cli.ts';
import { craftedPcaps, fixturePcaps, shortName } from './helpers/corpus.ts';
import { Readable } from 'node:stream';

/** `n` bare MP_CAPABLE SYNs from distinct 4-tuples (v1: no key; v0: a key each). */
function synFlood(n: number, version: 0 | 1): Uint8Array {
  const cap = new Capture();
  for (let i = 0; i < n; i++) {
    const sf = new CraftedSubflow(cap, { addr: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, port: 1024 + (i % 60_000) }, { addr: '192.0.2.1', port: 443 });
    sf.syn([version === 1 ? mpCapable({ flags: MPC_H }) : mpCapable({ version: 0, flags: MPC_H, senderKey: 0x1000_0000_0000_0000n + BigInt(i) })], 0.0001);
  }
  return cap.pcap();
}

async function report(args: string[], stdin: Uint8Array): Promise<Report> {
  const r = await runMain(['analyze', '--json', ...args, '-'], { stdin });
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as Report;
}

describe('connection attempts nobody answered', () => {
  it('5,000 MP_CAPABLE v1 SYNs: counted, the busiest sources named, none listed unless --attempts', async () => {
    const flood = synFlood(5000, 1);
    const r = await report([], flood);
    expect(r.summary.tcpStreams).toBe(5000);
    expect(r.summary.unansweredCapable).toBe(5000);
    expect(r.summary.attempts).toMatchObject({ connections: 0, unansweredCapable: 5000, listed: false, sources: 5000, firstTime: 0 });
    expect(r.summary.attempts.topSources).toHaveLength(10);
    expect(r.unansweredCapable).toEqual([]);
    expect(r.connections).toEqual([]);
    const all = await report(['--attempts'], flood);
    expect(all.unansweredCapable).toHaveLength(5000);
    expect(all.unansweredCapable[4999]).toMatchObject({ tcpStream: 4999, version: 1, fallback: false, client: { address: '10.0.19.135', port: 1024 + 4999 }, server: { address: '192.0.2.1', port: 443 } });
    const tables = await runMain(['analyze', '-'], { stdin: flood });
    expect(tables.code).toBe(0);
    expect(tables.stdout).toContain('5,000 connection attempts nobody answered');
    expect(tables.stdout.split('\n').length).toBeLessThan(100);
  });

  it('300 MP_CAPABLE v0 SYNs (a key each: a connection each, as tshark numbers them): summarised, listed with --attempts', async () => {
    const flood = synFlood(300, 0);
    const r = await report([], flood);
    expect(r.summary.attempts).toMatchObject({ connections: 300, listed: false });
    expect(r.summary.connections).toBe(0);
    expect(r.connections).toEqual([]);
    const all = await report(['--attempts'], flood);
    expect(all.connections.map((c) => c.index)).toEqual([...Array(300).keys()]);
    expect(all.summary.connections).toBe(300);
  });

  it('a few attempts are listed as before (no summary needed)', async () => {
    const r = await report([], synFlood(20, 1));
    expect(r.summary.attempts.listed).toBe(true);
    expect(r.unansweredCapable).toHaveLength(20);
  });
});

describe('analyze --json is streamed: the text equals JSON.stringify of the whole report', () => {
  it.each([...fixturePcaps(), ...craftedPcaps()].map((f) => [shortName(f), f]))('%s', async (_n, file) => {
    const streamed = await runMain(['analyze', '--json', file]);
    const whole = await analyzeFile(file, { stdin: Readable.from([]), stderr: process.stderr });
    expect(streamed.stdout).toBe(JSON.stringify({ ...whole.report, generator: (JSON.parse(streamed.stdout) as Report).generator }, null, 2) + '\n');
  });
});

describe('the one-line report (live --json summary) is JSON.stringify of the report, written in pieces', () => {
  it('with long arrays (series of 1000 points, 700 endpoints) at several depths', async () => {
    const { writeReportJsonLine } = await import('../src/analysis/report-json.ts');
    const { OutputSink } = await import('../src/analysis/output-sink.ts');
    const { TextSink } = await import('./helpers/cli.ts');
    const points = Array.from({ length: 1000 }, (_v, i) => [i / 1000, i * 1448]);
    const conn = { index: 0, subflows: [{ tcpStream: 0, series: { cumulativeBytes: points, rttUs: points.slice(0, 300) } }], series: { cumulativeBytes: { c2s: points, s2c: [] } } };
    const endpoints = Array.from({ length: 700 }, (_v, i) => ({ address: `10.0.${i >> 8}.${i & 255}`, packets: i }));
    const parts = { head: { schemaVersion: 1, generator: 'test', summary: { connections: 1 } }, connections: () => [conn], sizes: () => [], endpoints, unansweredCapable: [] };
    const sink = new TextSink();
    const out = new OutputSink(sink);
    await writeReportJsonLine(parts as never, out);
    await out.end();
    expect(sink.text).toBe(JSON.stringify({ ...parts.head, connections: [conn], endpoints, unansweredCapable: [] }));
  });
});

describe('long arrays of primitives and short arrays are written without a stringify each, to the same text', () => {
  // odd elements: what JSON.stringify turns into null, -0, strings that need escaping, empty and nested arrays
  const odd: unknown[] = [NaN, Infinity, -Infinity, -0, 1e21, 5e-7, 'a"b\\c\n\u2028\u0000', true, false, null, undefined, [], [1, [2]], [NaN, undefined, 'x'], { a: 1 }, Array.from({ length: 17 }, (_v, i) => i)];
  const long = Array.from({ length: 600 }, (_v, i) => (i % 3 === 0 ? odd[i % odd.length] : [i / 7, i % 5 === 0 ? -0 : i * 1448]));
  const conn = { index: 0, subflows: [{ tcpStream: 0, series: { rttUs: long } }], primitives: Array.from({ length: 400 }, (_v, i) => odd[i % odd.length]) };
  const parts = { head: { schemaVersion: 1, generator: 'test' }, connections: () => [conn], sizes: () => [], endpoints: long, unansweredCapable: [] };
  const whole = { ...parts.head, connections: [conn], endpoints: long, unansweredCapable: [] };

  it.each([
    ['pretty (analyze --json)', 'writeReportJson', (v: unknown) => JSON.stringify(v, null, 2)],
    ['one line (live --json summary)', 'writeReportJsonLine', (v: unknown) => JSON.stringify(v)],
  ] as const)('%s', async (_what, writer, stringify) => {
    const json = await import('../src/analysis/report-json.ts');
    const { OutputSink } = await import('../src/analysis/output-sink.ts');
    const { TextSink } = await import('./helpers/cli.ts');
    const sink = new TextSink();
    const out = new OutputSink(sink);
    await json[writer](parts as never, out);
    await out.end();
    expect(sink.text).toBe(stringify(whole));
  });
});
