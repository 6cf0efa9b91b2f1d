#!/usr/bin/env node
import { statSync } from 'node:fs';
import v8 from 'node:v8';

// A small young generation: the hot path makes next to no garbage, and V8's default (semi-spaces
// growing to 16 MB) was a third of the resident memory (docs/benchmarks.md). Old space grows by half
// before the next full collection, not by V8's default of up to 4×: when `analyze` writes a flood's
// connections out early (src/analysis/spool.ts), what it frees is old and would otherwise pile up
// (50,000 handshakes: 217 → 135 MB peak RSS, ~8 % more CPU). Before anything loads.
// Starting a worker_thread puts V8's flags back as the command line had them: the code that starts
// one applies the flags listed here again (src/compare/side-source.ts).
const given = process.execArgv.join(' ') + (process.env.NODE_OPTIONS ?? '');
const flags = [];
if (!/--max-semi-space-size/.test(given)) flags.push('--max-semi-space-size=2', '--semi-space-growth-factor=1');
if (!/--heap-growing-percent/.test(given)) flags.push('--heap-growing-percent=50');
for (const f of flags) v8.setFlagsFromString(f);
globalThis[Symbol.for('mpcap.v8Flags')] = flags;
// dist/bundle (scripts/bundle.mjs) starts ~90 ms sooner than dist/'s ~150 modules; used only when
// it is not older than what tsc last wrote.
const { main } = await import(bundleIsCurrent() ? '../dist/bundle/main.js' : '../dist/cli/main.js');

function bundleIsCurrent() {
  try {
    return statSync(new URL('../dist/bundle/main.js', import.meta.url)).mtimeMs >= statSync(new URL('../dist/cli/main.js', import.meta.url)).mtimeMs;
  } catch {
    return false;
  }
}

// `mpcap … | head`: the reader went away; stop quietly, as tshark and tcpdump do.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

process.exitCode = await main(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env });
