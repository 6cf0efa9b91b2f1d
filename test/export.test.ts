/**
 * `mpcap export` and `mpcap query` as a user runs them: the Hive layout, idempotence and --force,
 * a failed capture recorded in `captures` with its error and exit code while the others go on,
 * usage errors, the install hint (exit 6) without DuckDB, the three output forms of query, and
 * --jobs 2 (worker threads, the built CLI) writing the same rows as --jobs 1.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { captureId } from '../src/export/capture-set.ts';
import { TABLES } from '../src/export/columns.ts';
import { fixturePcaps, pcapsDir } from './helpers/corpus.ts';
import { hasDist, NO_DIST, runBin, runMain } from './helpers/cli.ts';

const tmp = mkdtempSync(path.join(tmpdir(), 'mpcap-export-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const twoPaths = path.join(pcapsDir, 'two-paths.pcap');
const loss = path.join(pcapsDir, 'loss.pcap');

describe('export', () => {
  const ds = path.join(tmp, 'ds');
  it('writes DIR/TABLE/capture=ID/part-0.parquet for every table, ID the content hash', async () => {
    const r = await runMain(['export', '--jobs', '1', '-o', ds, twoPaths, loss]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/2 captures exported/);
    for (const f of [twoPaths, loss]) {
      const id = await captureId([f]);
      expect(id).toMatch(/^[0-9a-f]{16}$/);
      for (const t of TABLES) expect(statSync(path.join(ds, t.name, `capture=${id}`, 'part-0.parquet')).size, t.name).toBeGreaterThan(0);
    }
    expect(readdirSync(ds).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('skips a capture already there, and exports it again with --force', async () => {
    const again = await runMain(['export', '--jobs', '1', '-o', ds, twoPaths]);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/0 captures exported, 1 already there/);
    const forced = await runMain(['export', '--jobs', '1', '--force', '-o', ds, twoPaths]);
    expect(forced.stderr).toMatch(/1 capture exported/);
    const q = await runMain(['query', '--json', 'SELECT count(*) AS n FROM captures', ds]);
    expect(JSON.parse(q.stdout)).toEqual([{ n: 2 }]);
  });

  it('the same bytes under two names in one run into a new dataset: exported once, then seen as there', async () => {
    const dir = path.join(tmp, 'dup');
    const copy = path.join(tmp, 'two-paths-copy.pcap');
    writeFileSync(copy, readFileSync(twoPaths));
    // jobs 1: the copy's ID is known only after its analysis (hashed from its read), then found exported
    const r = await runMain(['export', '--jobs', '1', '-o', dir, twoPaths, copy]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/1 capture exported, 1 already there/);
    expect(readdirSync(path.join(dir, 'captures'))).toEqual([`capture=${await captureId([twoPaths])}`]);
    expect(readdirSync(dir).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('records a capture that cannot be read, with its error and exit code, and goes on', async () => {
    const bad = path.join(tmp, 'not-a-capture.pcap');
    writeFileSync(bad, 'hello, this is no capture\n');
    const ds2 = path.join(tmp, 'ds-bad');
    const r = await runMain(['export', '--jobs', '1', '-o', ds2, bad, twoPaths, path.join(tmp, 'missing.pcap')]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/not-a-capture\.pcap: not exported: .*not a pcap/);
    expect(r.stderr).toMatch(/1 capture exported, 2 failed/);
    const q = await runMain(['query', '--json', 'SELECT file, "exitCode", error IS NOT NULL AS failed, connections FROM captures ORDER BY file', ds2]);
    const rows = JSON.parse(q.stdout) as Array<{ file: string; exitCode: number; failed: boolean; connections: number | null }>;
    expect(rows.map((x) => [path.basename(x.file), x.exitCode, x.failed]).sort()).toEqual([
      ['missing.pcap', 3, true],
      ['not-a-capture.pcap', 3, true],
      ['two-paths.pcap', 0, false],
    ]);
    expect(rows.find((x) => x.file === twoPaths)?.connections).toBe(1);
  });

  it('a quoted glob is one capture set (its files read as one capture), --merge makes one of all', async () => {
    const ds3 = path.join(tmp, 'ds-glob');
    const r = await runMain(['export', '--jobs', '1', '-o', ds3, path.join(pcapsDir, 'two-p*.pcap'), path.join(pcapsDir, 'l?ss.pcap')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/2 captures exported/);
    const m = await runMain(['export', '--jobs', '1', '--merge', '-o', path.join(tmp, 'ds-merge'), twoPaths, loss]);
    expect(m.stderr).toMatch(/1 capture exported/);
    const q = await runMain(['query', '--json', 'SELECT "fileCount" AS n, packets FROM captures', path.join(tmp, 'ds-merge')]);
    const a = JSON.parse((await runMain(['analyze', '--json', twoPaths, loss])).stdout) as { capture: { packets: number } };
    expect(JSON.parse(q.stdout)).toEqual([{ n: 2, packets: a.capture.packets }]);
  });

  it('usage errors exit 2', async () => {
    expect((await runMain(['export', twoPaths])).code).toBe(2);
    expect((await runMain(['export', '-o', path.join(tmp, 'x'), '--jobs', '0', twoPaths])).code).toBe(2);
    expect((await runMain(['export', '-o', path.join(tmp, 'x'), '-'])).code).toBe(2);
    expect((await runMain(['export', '-o', path.join(tmp, 'x'), path.join(tmp, 'nothing-*.pcap')])).stderr).toMatch(/no file matches/);
  });

  it('export needs no DuckDB (its own Parquet writer); query says how to install it and exits 6', async () => {
    const y = path.join(tmp, 'y');
    const e = await runMain(['export', '-o', y, twoPaths], { env: { MPCAP_NO_DUCKDB: '1' } });
    expect(e.code, e.stderr).toBe(0);
    expect(readdirSync(path.join(y, 'subflows')).filter((d) => d.startsWith('capture='))).toHaveLength(1);
    for (const argv of [['query', 'SELECT 1', ds], ['query', 'SELECT 1', twoPaths]]) {
      const r = await runMain(argv, { env: { MPCAP_NO_DUCKDB: '1' } });
      expect(r.code).toBe(6);
      expect(r.stderr).toMatch(/npm install @duckdb\/node-api/);
    }
  });
});

describe('query', () => {
  const ds = path.join(tmp, 'ds');
  it('prints a table that fits the terminal, --csv and --json', async () => {
    const sql = 'SELECT connection, "tcpStream", kind, "client_address", "server_address", "payloadBytes", "rtt_medianUs", "startTime" FROM subflows WHERE capture = (SELECT capture FROM captures WHERE file LIKE \'%two-paths%\') ORDER BY 2';
    const t = await runMain(['query', sql, ds], { env: { COLUMNS: '60' } });
    expect(t.code, t.stderr).toBe(0);
    for (const line of t.stdout.trimEnd().split('\n')) expect(line.length).toBeLessThanOrEqual(60);
    expect(t.stdout).toMatch(/\(2 rows; \d+ more columns? not shown/);
    const c = await runMain(['query', '--csv', sql, ds]);
    const lines = c.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('connection,tcpStream,kind,client_address,server_address,payloadBytes,rtt_medianUs,startTime');
    expect(lines).toHaveLength(3);
    const j = JSON.parse((await runMain(['query', '--json', sql, ds])).stdout) as Array<Record<string, unknown>>;
    const a = JSON.parse((await runMain(['analyze', '--json', twoPaths])).stdout) as { connections: Array<{ subflows: Array<{ payloadBytes: number; client: { address: string } }> }> };
    expect(j.map((r) => [r.payloadBytes, r.client_address])).toEqual(a.connections[0]?.subflows.map((s) => [s.payloadBytes, s.client.address]));
  });

  it('reads captures directly (a temporary dataset), and says what is wrong with bad SQL', async () => {
    const q = await runMain(['query', '--json', 'SELECT count(*) AS n FROM subflows', twoPaths]);
    expect(q.code, q.stderr).toBe(0);
    expect(JSON.parse(q.stdout)).toEqual([{ n: 2 }]);
    const bad = await runMain(['query', 'SELECT nope FROM subflows', ds]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/the SQL failed: .*nope/);
  });

  it('an empty dataset still has every view, with its columns', async () => {
    const empty = path.join(tmp, 'empty');
    await runMain(['export', '--jobs', '1', '-o', empty, path.join(tmp, 'missing.pcap')]);
    const q = await runMain(['query', '--json', 'SELECT count(*) AS n, max("rtt_medianUs") AS m FROM subflows', empty]);
    expect(JSON.parse(q.stdout)).toEqual([{ n: 0, m: null }]);
  });
});

describe.skipIf(!hasDist)('export --jobs 2 (worker threads, the built CLI)', () => {
  it('writes the same rows as --jobs 1', () => {
    if (!hasDist) throw new Error(NO_DIST);
    const files = fixturePcaps();
    const one = path.join(tmp, 'j1');
    const two = path.join(tmp, 'j2');
    expect(runBin(['export', '--jobs', '1', '-o', one, ...files]).code).toBe(0);
    const r = runBin(['export', '--jobs', '2', '-o', two, ...files]);
    expect(r.code, r.stderr).toBe(0);
    for (const t of ['subflows', 'data', 'series', 'connections']) {
      const sql = `SELECT * FROM ${t} ORDER BY ALL`;
      const a = runBin(['query', '--csv', sql, one]).stdout;
      const b = runBin(['query', '--csv', sql, two]).stdout;
      expect(b, t).toBe(a);
      expect(a.split('\n').length).toBeGreaterThan(2);
    }
    expect(existsSync(path.join(two, 'captures'))).toBe(true);
  });
});
