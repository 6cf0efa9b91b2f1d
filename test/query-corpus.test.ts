/**
 * The key test of the dataset: every capture there is (real-kernel fixtures, crafted fixtures, the
 * public corpus when ../shared is there) exported with `mpcap export`, then `subflows` and `data`
 * queried back with `mpcap query --json`: every numeric (and every other) column equals the value
 * `analyze --json` gives for the same capture. Times are compared as offsets from `captures.start`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureId } from '../src/export/capture-set.ts';
import { TABLES, type Column, type Table } from '../src/export/columns.ts';
import { corpusFiles, craftedPcaps, fixturePcaps, hasCorpus, shortName } from './helpers/corpus.ts';
import { runMain } from './helpers/cli.ts';

if (!hasCorpus) console.warn('../shared/corpus is absent: the corpus part of the query test skips');

const files = [...fixturePcaps(), ...craftedPcaps(), ...corpusFiles()];
const tmp = mkdtempSync(path.join(tmpdir(), 'mpcap-query-corpus-'));
const ds = path.join(tmp, 'ds');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

type Row = Record<string, unknown>;
const byCapture = new Map<string, { subflows: Row[]; data: Row[] }>();
const table = (n: string): Table => TABLES.find((t) => t.name === n) as Table;

/** SELECT of a table with times as seconds after the capture's start and 64-bit values as text. */
function selectSql(t: Table, order: string): string {
  const cols = t.columns.map((c) => {
    const q = `t."${c.name}"`;
    if (c.type === 'TIMESTAMP_NS') return `(epoch_ns(${q}) - epoch_ns(k.start)) / 1e9 AS "${c.name}"`;
    if (c.type === 'UBIGINT') return `CAST(${q} AS VARCHAR) AS "${c.name}"`;
    return q;
  });
  return `SELECT t.capture, ${cols.join(', ')} FROM ${t.name} t JOIN captures k USING (capture) ORDER BY t.capture, ${order}`;
}

beforeAll(async () => {
  const e = await runMain(['export', '--jobs', '1', '-o', ds, ...files]);
  expect([0, 4]).toContain(e.code);
  for (const [name, order] of [['subflows', 'connection, "tcpStream"'], ['data', 'connection, direction']] as const) {
    const q = await runMain(['query', '--json', selectSql(table(name), order), ds]);
    expect(q.code, q.stderr).toBe(0);
    for (const r of JSON.parse(q.stdout) as Row[]) {
      const id = r.capture as string;
      if (!byCapture.has(id)) byCapture.set(id, { subflows: [], data: [] });
      (byCapture.get(id) as { subflows: Row[]; data: Row[] })[name].push(r);
    }
  }
}, 600_000);

function expected(c: Column, src: unknown): unknown {
  let v = src;
  for (const k of c.path as readonly string[]) v = v === null || v === undefined ? null : (v as Record<string, unknown>)[k];
  if (c.count) return Array.isArray(v) ? v.length : 0;
  return v === undefined ? null : v;
}

function compare(t: Table, row: Row, src: unknown, given: Record<string, unknown>, where: string): number {
  let n = 0;
  for (const c of t.columns) {
    const want = c.given ? given[c.name] : expected(c, src);
    const got = row[c.name];
    if (c.type === 'TIMESTAMP_NS' && typeof want === 'number') expect(got as number, `${where} ${c.name}`).toBeCloseTo(want, 9);
    else if (c.type === 'UBIGINT' && want !== null) expect(got, `${where} ${c.name}`).toBe(String(want));
    else expect(got, `${where} ${c.name}`).toEqual(want);
    if (typeof want === 'number') n++;
  }
  return n;
}

describe('export + query give analyze --json figures', () => {
  it.each(files.map((f) => [shortName(f), f]))('%s', async (_n, file) => {
    const a = await runMain(['analyze', '--json', file]);
    expect([0, 4]).toContain(a.code);
    const report = JSON.parse(a.stdout) as { connections: Array<{ index: number; subflows: unknown[]; data: Record<string, unknown> }> };
    const got = byCapture.get(await captureId([file])) ?? { subflows: [], data: [] };
    const wantSubflows = report.connections.flatMap((c) => c.subflows.map((s) => ({ c: c.index, s })));
    expect(got.subflows.length).toBe(wantSubflows.length);
    expect(got.data.length).toBe(report.connections.length * 2);
    let numbers = 0;
    // both sides in the same order: connection, then tcp.stream (analyze lists subflows by tcp.stream)
    const sorted = [...wantSubflows].sort((x, y) => x.c - y.c || (x.s as { tcpStream: number }).tcpStream - (y.s as { tcpStream: number }).tcpStream);
    sorted.forEach((w, i) => (numbers += compare(table('subflows'), got.subflows[i] as Row, w.s, { connection: w.c }, `subflow ${i}`)));
    const conns = [...report.connections].sort((x, y) => x.index - y.index);
    conns.forEach((c, i) => {
      for (const [j, dir] of (['c2s', 's2c'] as const).entries()) numbers += compare(table('data'), got.data[2 * i + j] as Row, c.data[dir], { connection: c.index, direction: dir }, `data ${c.index} ${dir}`);
    });
    if (report.connections.length > 0) expect(numbers).toBeGreaterThan(0);
  });
});
