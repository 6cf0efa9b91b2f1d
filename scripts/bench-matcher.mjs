#!/usr/bin/env node
// bench-matcher.mjs — `compare`'s matching thread alone, without the two pipelines: for A/B
// decisions on the matcher (src/compare/matcher.ts, ring.ts, data-delay.ts) on a shared machine.
//
// Usage:
//   node scripts/bench-matcher.mjs dump A.pcap B.pcap OUT.bin     each side's batches, once
//   node scripts/bench-matcher.mjs run OUT.bin [RUNS] [DIST]      match them RUNS times (default 3)
//
// `dump` reads both captures through the sides' pipelines (in-thread, this checkout's dist/) and
// writes every batch (v8.serialize). `run` feeds them to a Matcher as src/compare/run.ts does (a
// side more than the lead ahead waits) with the default window, and prints per run the CPU time
// (process.cpuUsage: this thread and V8's helpers), the peak window sizes and an md5 of the result
// (equal across builds when the output is). DIST: another build's dist/ directory (default this
// checkout's). Run node with mpcap's V8 flags, as bin/mpcap.js sets them:
//   node --max-semi-space-size=2 --semi-space-growth-factor=1 --heap-growing-percent=50 scripts/bench-matcher.mjs run OUT.bin 4
import v8 from 'node:v8';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const [mode, ...args] = process.argv.slice(2);
const load = (dist, mod) => import(pathToFileURL(join(dist, 'compare', mod)).href);

if (mode === 'dump' && args.length === 3) {
  const [a, b, out] = args;
  const { Credits, readSide } = await load(join(repo, 'dist'), 'side-run.js');
  const sides = [];
  for (const path of [a, b]) {
    const credits = new Credits();
    const batches = [];
    const emit = (bt) => {
      batches.push({ ...bt, buffer: bt.buffer.slice(0, bt.count * 48) });
      queueMicrotask(() => credits.give(null));
    };
    const end = await readSide(path, process.stdin, emit, credits, {});
    sides.push({ batches, end });
  }
  writeFileSync(out, v8.serialize(sides));
} else if (mode === 'run' && args.length >= 1) {
  const [file, runsArg, distArg] = args;
  const dist = resolve(distArg ?? join(repo, 'dist'));
  const { Matcher } = await load(dist, 'matcher.js');
  const { applyBatch } = await load(dist, 'side-records.js');
  const { buildResult } = await load(dist, 'results.js');
  const { DEFAULT_WINDOW_SEC, DEFAULT_MAX_PENDING, DEFAULT_DUPLICATE_SEC } = await load(dist, 'run.js');
  const sides = v8.deserialize(readFileSync(file));
  const copy = (b) => ({ ...b, subflows: b.subflows.map((d) => ({ ...d, client: { ...d.client }, server: { ...d.server }, isn: { ...d.isn }, join: d.join && { ...d.join } })) });
  for (let r = 0; r < Number(runsArg ?? 3); r++) {
    // fresh subflow copies per run (the matcher updates them)
    const queues = sides.map((x) => x.batches.map(copy));
    const t0 = process.cpuUsage();
    const mopts = { windowSec: DEFAULT_WINDOW_SEC, maxPending: DEFAULT_MAX_PENDING, duplicateSec: DEFAULT_DUPLICATE_SEC, offsetNs: 0 };
    const m = new Matcher(mopts);
    const views = [[], []];
    const consumers = [0, 1].map((s) => ({ packetAt: (f, i, k, sub, d) => m.packetAt(s, f, i, k, sub, d) }));
    const next = [0, 0];
    const peak = [0, 0];
    for (let progressed = true; progressed; ) {
      progressed = false;
      for (const s of [0, 1]) {
        while (next[s] < queues[s].length && !m.ahead(s)) {
          applyBatch(queues[s][next[s]++], views[s], consumers[s]);
          m.drain();
          peak[s] = Math.max(peak[s], m.sides[s].pending);
          progressed = true;
        }
        if (next[s] === queues[s].length && !m.sides[s].done) {
          m.sides[s].done = true;
          progressed = true;
        }
      }
    }
    m.drain(true);
    const res = buildResult(m, [sides[0].end.connections, sides[1].end.connections], { A: 'A', B: 'B' }, mopts, false, null);
    const c = process.cpuUsage(t0);
    const md5 = createHash('md5').update(JSON.stringify(res)).digest('hex').slice(0, 12);
    console.log(`run ${r + 1}: ${((c.user + c.system) / 1e6).toFixed(3)} s CPU, peak window ${peak.join(' / ')} records, result ${md5}`);
  }
} else {
  const text = readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n');
  console.error(text.slice(1, text.findIndex((l) => l.startsWith('import'))).map((l) => l.replace(/^\/\/ ?/, '')).join('\n'));
  process.exit(2);
}
