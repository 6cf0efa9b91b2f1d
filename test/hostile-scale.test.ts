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
