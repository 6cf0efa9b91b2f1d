/**
 * scripts/dask-export.py on a real Dask cluster: a scheduler and two workers started as separate
 * processes on loopback (Debian's /usr/bin/python3 with python3-distributed), an archive of the
 * fixtures and the corpus exported through it, and the dataset compared with the one `mpcap export
 * --jobs 2` writes (same rows, any order). Then again with one worker killed mid-run: Dask runs its
 * tasks elsewhere and the dataset is still complete. Skips, saying so, without python3-distributed.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TABLES } from '../src/export/columns.ts';
import { corpusDir, craftedDir, hasCorpus, pcapsDir, repoRoot } from './helpers/corpus.ts';
import { hasDist, runBin } from './helpers/cli.ts';

const PY = '/usr/bin/python3';
const hasDistributed = existsSync(PY) && spawnSync(PY, ['-c', 'import distributed'], { stdio: 'ignore' }).status === 0;
if (!hasDistributed) console.warn('python3-distributed is not installed (apt-get install python3-distributed): the Dask test skips');
if (!hasDist) console.warn('dist/ is missing (npm run build): the Dask test skips');

const archive = [pcapsDir, craftedDir, ...(hasCorpus ? [corpusDir] : [])];
const tmp = mkdtempSync(path.join(tmpdir(), 'mpcap-dask-'));
const procs: ChildProcess[] = [];
let address = '';
const workers: Array<{ proc: ChildProcess; log: () => string }> = [];

function start(args: string[]): { proc: ChildProcess; log: () => string } {
  const proc = spawn(PY, args, { cwd: tmp, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  proc.stdout?.on('data', (b: Buffer) => (text += b.toString()));
  proc.stderr?.on('data', (b: Buffer) => (text += b.toString()));
  procs.push(proc);
  return { proc, log: () => text };
}

async function until(what: string, ok: () => boolean, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function daskExport(out: string): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(PY, [path.join(repoRoot, 'scripts', 'dask-export.py'), '--scheduler', address, '--node', process.execPath, '-o', out, ...archive], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr?.on('data', (b: Buffer) => (err += b.toString()));
    p.on('close', (code) => resolve({ code: code ?? -1, stderr: err }));
  });
}

/** Every table of a dataset, its rows sorted (the order of the tasks is not the dataset's). */
function dump(ds: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of TABLES) {
    const r = runBin(['query', '--csv', `SELECT * FROM ${t.name} ORDER BY ALL`, ds]);
    expect(r.code, r.stderr).toBe(0);
    out[t.name] = r.stdout;
  }
  return out;
}

const run = hasDistributed && hasDist;

describe.skipIf(!run)('scripts/dask-export.py on a Dask cluster (scheduler + 2 workers on loopback)', () => {
  let reference: Record<string, string>;
  beforeAll(async () => {
    const sched = start(['-m', 'distributed.cli.dask_scheduler', '--host', '127.0.0.1', '--port', '0', '--no-dashboard', '--scheduler-file', path.join(tmp, 'scheduler.json')]);
    await until('the scheduler', () => existsSync(path.join(tmp, 'scheduler.json')) || sched.proc.exitCode !== null);
    address = (JSON.parse(readFileSync(path.join(tmp, 'scheduler.json'), 'utf8')) as { address: string }).address;
    expect(address).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
    for (let i = 0; i < 2; i++) workers.push(start(['-m', 'distributed.cli.dask_worker', address, '--host', '127.0.0.1', '--nthreads', '1', '--no-nanny', '--no-dashboard']));
    await until('two workers', () => workers.every((w) => /Registered to/.test(w.log())));
    const ref = path.join(tmp, 'jobs2');
    const r = runBin(['export', '--jobs', '2', '-o', ref, ...archive]);
    expect([0, 4]).toContain(r.code);
    reference = dump(ref);
    expect(reference.subflows?.split('\n').length).toBeGreaterThan(10);
  }, 600_000);

  afterAll(() => {
    for (const p of procs) if (p.exitCode === null) p.kill('SIGTERM');
    rmSync(tmp, { recursive: true, force: true });
  });

  it('writes the dataset mpcap export --jobs 2 writes', async () => {
    const out = path.join(tmp, 'dask');
    const r = await daskExport(out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/capture sets exported to .*, 0 failed/);
    expect(dump(out)).toEqual(reference);
  }, 600_000);

  it('still completes the dataset when a worker is killed mid-run', async () => {
    const out = path.join(tmp, 'dask-kill');
    const running = daskExport(out);
    // a few captures in: kill one worker (no nanny: the worker process itself), its tasks go elsewhere
    await until('three exported captures', () => existsSync(path.join(out, 'captures')) && readdirSync(path.join(out, 'captures')).length >= 3, 300_000);
    const victim = workers[0]?.proc as ChildProcess;
    victim.kill('SIGKILL');
    const r = await running;
    expect(victim.exitCode !== null || victim.signalCode !== null).toBe(true);
    expect(r.code, r.stderr).toBe(0);
    expect(dump(out)).toEqual(reference);
  }, 600_000);
});
