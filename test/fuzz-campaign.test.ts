/**
 * The fuzz campaign (scripts/fuzz.mjs) as a CI check: a fixed seed, a sample of a few thousand
 * command runs over mutated fixtures (and the public corpus when present), zero failures allowed.
 * A failure leaves its minimised reproduction in the output directory named in the message.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasDist, NO_DIST } from './helpers/cli.ts';
import { corpusDir, hasCorpus, repoRoot } from './helpers/corpus.ts';

/** 400 inputs × 11 commands (dissect -Y, report and compare among them) = 4400 command runs; a minute or two on 2 cores (docs/reliability.md). */
const SEED = 1;
const INPUTS = 400;

describe.skipIf(!hasDist)(`fuzz campaign sample${hasDist ? '' : ` (skipped: ${NO_DIST})`}`, () => {
  it(`seed ${SEED}, ${INPUTS} inputs: no failure`, () => {
    const out = mkdtempSync(path.join(tmpdir(), 'mpcap-fuzz-ci-'));
    const args = ['scripts/fuzz.mjs', '--quick', '--seed', String(SEED), '--inputs', String(INPUTS), '--jobs', '2', '--out', out];
    if (hasCorpus) args.push('--corpus', corpusDir);
    const r = spawnSync(process.execPath, args, { cwd: repoRoot, encoding: 'utf8', timeout: 230_000 });
    const summary = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8')) as {
      inputs: number; commands: number; failingInputs: number; failures: Array<{ n: number; failures: Array<{ oracle: string; command: string; detail: string }>; saved: string[] }>;
    };
    const described = summary.failures.map((f) => `input ${f.n}: ${f.failures.map((x) => `${x.oracle} in ${x.command}: ${x.detail}`).join('; ')} (${f.saved.join(', ')})`);
    expect(described, r.stderr).toEqual([]);
    expect(summary.inputs).toBe(INPUTS);
    expect(summary.commands).toBe(INPUTS * 11);
    expect(r.status).toBe(0);
  }, 240_000);
});
