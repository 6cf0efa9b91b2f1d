/**
 * Small versions (a few thousand packets) of the adversarial scale captures of
 * scripts/make-hostile.mjs: every command finishes, with valid output and a documented exit code.
 * The big versions and what they cost today are in docs/reliability.md.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMain } from './helpers/cli.ts';
import { repoRoot } from './helpers/corpus.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'mpcap-hostile-scale-'));
  const r = spawnSync(process.execPath, [path.join(repoRoot, 'scripts', 'make-hostile.mjs'), dir, '--small'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`make-hostile.mjs failed: ${r.stderr}`);
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// name, packets, connections (as analyze counts them today), tcp streams
const CASES: Array<[string, number, number, number]> = [
  ['syn-scan-1m', 3000, 0, 3000],
  ['syn-scan-2m', 4000, 0, 4000],
  ['syn-scan-v6', 3000, 0, 3000],
  ['mpc-syn-flood', 3000, 0, 3000],
  ['mpc-handshakes', 3000, 1000, 1000],
  ['joins', 3003, 2, 1001],
  ['zeros', 4096, 0, 0],
  ['caplen-bound', 8, 0, 1],
];

describe('the endpoints of a scan (thousands of addresses: listed as they are written)', () => {
  it('equal, row for row, what the packets say, in every output', async () => {
    const file = path.join(dir, 'syn-scan-1m.pcap');
    // the oracle: each packet's addresses and length, as dissect prints them
    const fields = await runMain(['dissect', '-T', 'fields', '-e', 'ip.src', '-e', 'ip.dst', '-e', 'frame.len', file]);
    expect(fields.code).toBe(0);
    const want = new Map<string, { packets: number; bytes: number; txPackets: number; rxPackets: number; txBytes: number; rxBytes: number }>();
    const row = (a: string) => want.get(a) ?? want.set(a, { packets: 0, bytes: 0, txPackets: 0, rxPackets: 0, txBytes: 0, rxBytes: 0 }).get(a)!;
    let packets = 0;
    for (const line of fields.stdout.split('\n').filter((l) => l !== '')) {
      const [src, dst, len] = line.split('\t') as [string, string, string];
      const n = Number(len);
      packets++;
      Object.assign(row(src), { packets: row(src).packets + 1, bytes: row(src).bytes + n, txPackets: row(src).txPackets + 1, txBytes: row(src).txBytes + n });
      Object.assign(row(dst), { packets: row(dst).packets + 1, bytes: row(dst).bytes + n, rxPackets: row(dst).rxPackets + 1, rxBytes: row(dst).rxBytes + n });
    }
    expect(want.size).toBeGreaterThan(1000); // past the few hundred made at once
    const expected = [...want]
      .map(([address, r]) => ({ address, packets: r.packets, share: Math.round((r.packets / packets) * 1e6) / 1e6, bytes: r.bytes, txPackets: r.txPackets, rxPackets: r.rxPackets, txBytes: r.txBytes, rxBytes: r.rxBytes }))
      .sort((a, b) => b.packets - a.packets || (a.address < b.address ? -1 : 1));

    const json = await runMain(['analyze', '--json', file]);
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout) as Json;
    expect(report.summary.endpointsExact).toBe(true);
    expect(report.endpoints).toEqual(expected);

    // the one-line summary of live, and the tables' first rows and count of the rest
    const { readFileSync: read } = await import('node:fs');
    const live = await runMain(['live', '-r', '-', '--json'], { stdin: read(file) });
    expect(live.code).toBe(0);
    const summary = JSON.parse(live.stdout.trim().split('\n').at(-1) as string) as Json;
    expect(summary.report.endpoints).toEqual(expected);
    const tables = await runMain(['analyze', file]);
    expect(tables.code).toBe(0);
    const rest = /\.\.\. and ([\d,]+) more addresses/.exec(tables.stdout);
    expect(rest, tables.stdout.slice(-2000)).not.toBeNull();
    const shown = expected.length - Number((rest as RegExpExecArray)[1]!.replace(/,/g, ''));
    expect(shown).toBeGreaterThan(0);
    // the rows shown are the busiest, in order
    const listed = expected.slice(0, shown).map((e) => tables.stdout.indexOf(` ${e.address} `));
    expect(listed.every((at, i) => at > 0 && (i === 0 || at > (listed[i - 1] as number)))).toBe(true);
  });
});

describe('adversarial scale inputs, small versions', () => {
  it.each(CASES)('%s: every command finishes with valid output', async (name, packets, connections, tcpStreams) => {
    const file = path.join(dir, `${name}.pcap`);
    const json = await runMain(['analyze', '--json', file]);
    expect(json.stderr).toBe('');
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout) as Json;
    expect(report.capture.packets).toBe(packets);
    expect(report.summary).toMatchObject({ connections, tcpStreams });

    const tables = await runMain(['analyze', file]);
    expect(tables.code).toBe(0);
    expect(tables.stdout).toContain(`${packets.toLocaleString('en-US')} packets`);

    const fields = await runMain(['dissect', '-T', 'fields', '-e', 'frame.number', '-e', 'tcp.stream', '-e', 'tcp.options.mptcp.subtype', file]);
    expect(fields.code).toBe(0);
    expect(fields.stdout.split('\n').filter((l) => l !== '')).toHaveLength(packets);

    const ndjson = await runMain(['dissect', '-T', 'ndjson', file]);
    expect(ndjson.code).toBe(0);
    expect(ndjson.stdout.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Json)).toHaveLength(packets);

    const extract = await runMain(['extract', '--connection', '0', '--direction', 'c2s', '-o', '-', file]);
    // No connection (0): a usage error (2) with a message; with one, the (empty) stream: 0 (or 5).
    expect(connections === 0 ? [2] : [0, 5]).toContain(extract.code);
    if (connections === 0) expect(extract.stderr).toMatch(/there is no MPTCP connection 0/);

    const live = await runMain(['live', '-r', '-', '--json'], { stdin: readFileSync(file) });
    expect(live.code).toBe(0);
    const events = live.stdout.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Json);
    expect(events.at(-1)).toMatchObject({ event: 'summary' });
  });
});
