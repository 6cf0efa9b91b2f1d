/**
 * `compare` with each side's pipeline in a worker_thread, or one side's (the built dist/: the worker is a
 * compiled file; asked for, as these pairs are below WORKERS_FROM_BYTES) gives exactly the result of the in-thread run from the sources, also when the
 * sides come in many small batches (4 kB reads, 16 records a batch: batches queue while one side
 * is ahead, readers wait for their buffers to come back), and a worker's error reaches the CLI as
 * the same typed error (exit 3).
 */
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compareCaptures } from '../src/compare/run.ts';
import { corpusDir, hasCorpus, repoRoot } from './helpers/corpus.ts';
import { hasDist, NO_DIST, runBin, runMain } from './helpers/cli.ts';

if (!hasDist) console.warn(NO_DIST);
const fixture = { A: path.join(repoRoot, 'fixtures', 'compare', 'client.pcap.gz'), B: path.join(repoRoot, 'fixtures', 'compare', 'server.pcap.gz') };
const pym = { A: path.join(corpusDir, 'pymptcpanalyzer', 'client_2.pcap'), B: path.join(corpusDir, 'pymptcpanalyzer', 'server_2.pcap') };
const tmp = mkdtempSync(path.join(tmpdir(), 'mpcap-cmpworkers-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

type Run = typeof compareCaptures;
const dist = async (): Promise<Run> => ((await import(path.join(repoRoot, 'dist', 'compare', 'run.js'))) as { compareCaptures: Run }).compareCaptures;

describe('which side the matching thread reads with one worker', () => {
  it('the larger of two captures of the same traffic (the other has the gaps), the smaller of two of different traffic', async () => {
    const { inThreadSide } = await import('../src/compare/side-source.ts');
    expect(inThreadSide(980_697_121, 970_910_777)).toBe(0);
    expect(inThreadSide(970_910_777, 980_697_121)).toBe(1);
    expect(inThreadSide(1000, 1000)).toBe(0);
    expect(inThreadSide(2_000_000_000, 1_000_000_000)).toBe(1);
    expect(inThreadSide(1_000, 2_000)).toBe(0);
    expect(inThreadSide(16, 0)).toBe(1);
  });
});

describe.skipIf(!hasDist)('compare in worker threads', () => {
  const pairs = [['fixtures/compare', fixture, true] as const, ['pymptcpanalyzer client_2 / server_2', pym, hasCorpus] as const];
  for (const [name, pair, present] of pairs) {
    it.skipIf(!present)(`${name}: workers, in-thread, large and small batches: one result`, async () => {
      const base = await compareCaptures(pair.A, pair.B);
      expect(base.workers).toBe(0);
      const run = await dist();
      // these pairs are small (in-thread by default): workers asked for
      expect((await run(pair.A, pair.B)).workers).toBe(0);
      const w = await run(pair.A, pair.B, { workers: true });
      expect(w.workers).toBe(2);
      expect(w.result).toEqual(base.result);
      // one worker (two cores): the matching thread reads the other side itself
      const w1 = await run(pair.A, pair.B, { workers: 1 });
      expect(w1.workers).toBe(1);
      expect(w1.result).toEqual(base.result);
      const small = { chunkBytes: 4096, batchRecords: 16 };
      const ws = await run(pair.A, pair.B, { ...small, workers: true });
      expect(ws.workers).toBe(2);
      expect(ws.result).toEqual(base.result);
      const w1s = await run(pair.A, pair.B, { ...small, workers: 1 });
      expect(w1s.workers).toBe(1);
      expect(w1s.result).toEqual(base.result);
      const ts = await run(pair.A, pair.B, { ...small, workers: false });
      expect(ts.workers).toBe(0);
      expect(ts.result).toEqual(base.result);
      expect(ws.summaries.map((s) => s.frames)).toEqual([base.result.packets.A, base.result.packets.B]);
      // and with --relative (clocks aligned on a SYN first)
      const rel = await compareCaptures(pair.A, pair.B, { relative: true });
      expect((await run(pair.A, pair.B, { ...small, relative: true, workers: true })).result).toEqual(rel.result);
    });
  }

  it('the CLI (workers) prints what the in-process run (in-thread) prints; a side from standard input is read in-thread', async () => {
    const inProc = await runMain(['compare', '--json', fixture.A, fixture.B]);
    for (const n of ['1', '2']) {
      const bin = runBin(['compare', '--json', fixture.A, fixture.B], { env: { MPCAP_COMPARE_WORKERS: n } });
      expect(bin.code, bin.stderr).toBe(0);
      expect(JSON.parse(bin.stdout)).toEqual(JSON.parse(inProc.stdout));
    }
    const { readFileSync } = await import('node:fs');
    const stdin = runBin(['compare', '--json', '-', fixture.B], { input: readFileSync(fixture.A), env: { MPCAP_COMPARE_WORKERS: '1' } });
    expect(stdin.code, stdin.stderr).toBe(0);
    const s = JSON.parse(stdin.stdout) as { files: { A: string } };
    expect(s.files.A).toBe('-');
    expect({ ...JSON.parse(stdin.stdout), files: null }).toEqual({ ...JSON.parse(inProc.stdout), files: null });
  });

  it("a worker's error is the CLI's: exit 3 and the reader's message", async () => {
    const run = await dist();
    await expect(run(fixture.A, path.join(tmp, 'missing.pcap'), { workers: true })).rejects.toMatchObject({ name: 'InputError' });
    const text = path.join(tmp, 'text.pcap');
    writeFileSync(text, 'no capture here\n');
    await expect(run(text, fixture.B, { workers: true })).rejects.toMatchObject({ name: 'CaptureFormatError' });
    // one worker: the text file (far smaller) is the matching thread's side, the capture the worker's
    await expect(run(text, fixture.B, { workers: 1 })).rejects.toMatchObject({ name: 'CaptureFormatError' });
    // with one worker the empty (missing) side is the matching thread's, so both in workers here
    const r = runBin(['compare', fixture.A, path.join(tmp, 'missing.pcap')], { env: { MPCAP_COMPARE_WORKERS: '2' } });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^mpcap: cannot open '.*missing\.pcap': no such file/m);
    const n = runBin(['compare', text, fixture.B], { env: { MPCAP_COMPARE_WORKERS: '2' } });
    expect(n.code).toBe(3);
    expect(n.stderr).toMatch(/not a pcap or pcapng file/);
  });
});
