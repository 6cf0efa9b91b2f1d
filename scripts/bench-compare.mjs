#!/usr/bin/env node
// bench-compare.mjs — `mpcap compare A B` against `mpcap analyze A`, the criterion of issue #13
// (compare of the pair in at most twice the wall-clock time of analyze of one file).
//
// Usage:
//   node scripts/bench-compare.mjs [--runs N] [--no-in-thread] [--two-workers] [--base DIR] [--json OUT.json] A.pcap B.pcap
//
// --base DIR: also `compare A B` with the build in DIR (another checkout, built), in the same
// rounds, interleaved: for A/B decisions on a shared machine (compare the CPU time, user + sys).
//
// --two-workers: also compare A B with MPCAP_COMPARE_WORKERS=2 (both sides in worker threads: the
// default with three cores or more; on two cores the default is one worker).
//
// Each round runs, one after the other: analyze A (`--json -o /dev/null`, as bench.mjs), compare A B
// (the default: worker threads, one per core), and compare A B with
// MPCAP_COMPARE_WORKERS=0 (both pipelines on the main thread, as before the workers). Every run is
// under GNU time (`/usr/bin/time -f '%e %U %S %M'`: wall, user, system seconds, peak RSS KiB of the
// node process — the workers are threads of it, so their memory is in %M). The ratio
// compare ÷ analyze is taken within each round (same machine load), then its median and best
// are reported, with the best wall time of each command. Both files are read once first (page cache).
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
let runs = 3, inThread = true, twoWorkers = false, jsonOut = null, base = null;
const files = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--runs') runs = Number(args[++i]);
  else if (a === '--no-in-thread') inThread = false;
  else if (a === '--two-workers') twoWorkers = true;
  else if (a === '--json') jsonOut = args[++i];
  else if (a === '--base') base = resolve(args[++i]);
  else if (a.startsWith('-')) usage();
  else files.push(a);
}
function usage() {
  const text = readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n');
  console.error(text.slice(1, text.findIndex((l) => l.startsWith('import'))).map((l) => l.replace(/^\/\/ ?/, '')).join('\n'));
  process.exit(2);
}
if (files.length !== 2 || !(runs >= 1)) usage();
if (!existsSync('/usr/bin/time')) { console.error('bench-compare: /usr/bin/time not found (apt-get install time)'); process.exit(1); }
const [A, B] = files;
for (const f of files) spawnSync('sh', ['-c', `cat "${f}" > /dev/null`]);
const mpcap = join(repo, 'bin', 'mpcap.js');
const cmds = [
  { name: 'analyze A', argv: ['analyze', '--json', '-o', '/dev/null', A], env: {} },
  { name: 'compare A B', argv: ['compare', A, B], env: {} },
  ...(inThread ? [{ name: 'compare A B, in-thread', argv: ['compare', A, B], env: { MPCAP_COMPARE_WORKERS: '0' } }] : []),
  ...(twoWorkers ? [{ name: 'compare A B, 2 workers', argv: ['compare', A, B], env: { MPCAP_COMPARE_WORKERS: '2' } }] : []),
  ...(base === null ? [] : [{ name: 'compare A B, base build', argv: ['compare', A, B], env: {}, bin: join(base, 'bin', 'mpcap.js') }]),
];
function run(c) {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', process.execPath, c.bin ?? mpcap, ...c.argv], { env: { ...process.env, ...c.env }, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0) { console.error(`bench-compare: ${c.name} exited ${r.status}\n${r.stderr}`); process.exit(1); }
  const last = r.stderr.trim().split('\n').pop().split(' ').map(Number);
  return { wall: last[0], user: last[1], sys: last[2], rssMB: Math.round(last[3] / 1024) };
}
const rounds = [];
for (let i = 0; i < runs; i++) {
  const load = loadavg()[0];
  const row = { load: Math.round(load * 10) / 10 };
  for (const c of cmds) row[c.name] = run(c);
  rounds.push(row);
  const ratio = (row['compare A B'].wall / row['analyze A'].wall).toFixed(2);
  const cpu = (x) => x.user + x.sys;
  const cpuRatio = (cpu(row['compare A B']) / cpu(row['analyze A'])).toFixed(2);
  console.error(`round ${i + 1}: load ${row.load}, ` + cmds.map((c) => `${c.name} ${row[c.name].wall} s wall / ${row[c.name].user} s user / ${row[c.name].sys} s sys / ${row[c.name].rssMB} MB`).join('; ') + `; compare ÷ analyze ${ratio} (wall), ${cpuRatio} (user + sys)`);
}
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor((s.length - 1) / 2)]; };
const summary = { files, cpus: cpus().length, runs, commands: {} };
for (const c of cmds) {
  const all = rounds.map((r) => r[c.name]);
  const best = all.reduce((a, b) => (b.wall < a.wall ? b : a));
  summary.commands[c.name] = { best, maxRssMB: Math.max(...all.map((x) => x.rssMB)) };
}
for (const c of cmds.slice(1)) {
  const ratios = rounds.map((r) => r[c.name].wall / r['analyze A'].wall);
  summary.commands[c.name].ratioWall = { median: Math.round(median(ratios) * 100) / 100, best: Math.round(Math.min(...ratios) * 100) / 100 };
}
console.log(`| command | best wall | user | sys | peak RSS | ÷ analyze (wall, same round: median / best) |`);
console.log(`|---|---|---|---|---|---|`);
for (const c of cmds) {
  const s = summary.commands[c.name];
  console.log(`| ${c.name} | ${s.best.wall} s | ${s.best.user} s | ${s.best.sys} s | ${s.maxRssMB} MB | ${s.ratioWall ? `${s.ratioWall.median} / ${s.ratioWall.best}` : '1'} |`);
}
console.log(`\nload average during the rounds: ${rounds.map((r) => r.load).join(', ')} (${summary.cpus} CPUs)`);
if (jsonOut) writeFileSync(jsonOut, JSON.stringify({ summary, rounds }, null, 2) + '\n');
