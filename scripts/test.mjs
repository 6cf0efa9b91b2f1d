#!/usr/bin/env node
/**
 * `npm test`'s vitest, with colour only on a terminal: vitest's colour library (tinyrainbow)
 * colours whenever TERM is set, so CI logs and pipes got escape codes. NO_COLOR is set for it
 * when standard output is not a terminal (FORCE_COLOR still forces colour).
 *
 * The whole suite (no arguments) runs in two passes: everything else on every core, then the
 * tests that drive real kernel MPTCP traffic between network namespaces one file at a time. Those
 * measure the kernel (its counters, its path manager's joins, libpcap's drops), and with another
 * test file loading both cores beside them the kernel's timing changed what they saw (a transfer
 * done before the second ADD_ADDR echo, a join not made yet). The two JSON reports are merged into
 * .vitest-results.json for .ci/run's tally. With arguments, one pass of exactly what was asked.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const vitest = path.join(path.dirname(require.resolve('vitest/package.json')), 'vitest.mjs');
const env = { ...process.env };
if (!process.stdout.isTTY && !('FORCE_COLOR' in env)) env.NO_COLOR = '1';
const run = (args) => spawnSync(process.execPath, [vitest, 'run', ...args], { stdio: 'inherit', env }).status ?? 1;

const args = process.argv.slice(2);
if (args.length > 0) process.exit(run(args));

/** The tests that run real kernel traffic in network namespaces (test/helpers/netns.ts). */
const KERNEL = ['test/kernel-oracle.test.ts', 'test/live.test.ts', 'test/live-drops.test.ts', 'test/compare-scenario.test.ts', 'test/fresh-capture.test.ts'];
const RESULTS = '.vitest-results.json';
const parts = ['.vitest-results.rest.json', '.vitest-results.kernel.json'];
for (const p of parts) rmSync(p, { force: true });
const rest = run([...KERNEL.flatMap((f) => ['--exclude', f]), `--outputFile.json=${parts[0]}`]);
const kernel = run(['--no-file-parallelism', `--outputFile.json=${parts[1]}`, ...KERNEL]);

const merged = { numTotalTests: 0, numPassedTests: 0, numFailedTests: 0, numPendingTests: 0, numTodoTests: 0, numTotalTestSuites: 0, numPassedTestSuites: 0, numFailedTestSuites: 0, numPendingTestSuites: 0, success: true, testResults: [] };
for (const p of parts) {
  if (!existsSync(p)) {
    merged.success = false;
    continue;
  }
  const r = JSON.parse(readFileSync(p, 'utf8'));
  for (const k of Object.keys(merged)) if (typeof merged[k] === 'number') merged[k] += r[k] ?? 0;
  merged.success &&= r.success !== false;
  merged.testResults.push(...(r.testResults ?? []));
  rmSync(p, { force: true });
}
writeFileSync(RESULTS, JSON.stringify(merged));
process.stdout.write(`\nall tests: ${merged.numPassedTests} passed, ${merged.numFailedTests} failed, ${merged.numPendingTests + merged.numTodoTests} skipped (the namespace tests ran one file at a time after the rest)\n`);
process.exit(rest !== 0 || kernel !== 0 ? 1 : 0);
