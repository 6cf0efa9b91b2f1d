#!/usr/bin/env node
// bench.mjs — throughput and peak memory of mpcap, with tshark on the same files beside it.
//
// Usage:
//   node scripts/bench.mjs [--runs N] [--only CMD,CMD] [--mpcap PATH/bin/mpcap.js] [--label TEXT] [--no-tshark] [--json OUT.json] FILE...
//
//   --only    run only these commands: analyze, dissect, fields, extract (mpcap) and their tshark
//             counterparts (conv, conv-mptcp, dissect, fields); default all
//   --mpcap   the mpcap entry point to run (default: this repository's bin/mpcap.js; env MPCAP)
//   --label   how to name that build in the report (default: git commit of its directory)
//
// "× tshark" is tshark's best time over mpcap's for the pair of commands that do the same work:
// analyze ↔ tshark -z conv,tcp with MPTCP analysis on (mptcp.analyze_mptcp and
// mptcp.analyze_mappings: what it takes tshark to link subflows and follow DSNs), dissect ↔
// tshark's summary lines, fields ↔ the same four fields.
//
// For every FILE, every command below runs N times (default 2; rounds interleaved), each under
// GNU time (`/usr/bin/time -f '%e %M'`, Debian package `time`), with standard output sent to
// /dev/null; the best (fastest) run is reported, with the peak RSS of that run (%M: ru_maxrss of the
// measured process, in KiB — node or tshark themselves, as neither forks for these commands).
// Seconds are wall-clock, measured by this script around the child (hrtime); time's own %e agrees
// to 10 ms. Each file is read once (cat > /dev/null) before its runs so all runs read from the page
// cache. Packets come from `capinfos -c -M`; MB/s is file size (10^6 bytes) / seconds.
//
// With two or more files, a "memory vs size" table follows: the peak RSS of each command on each
// file, smallest file first — bounded memory shows as a flat row.
//
// No dependencies beyond Node >= 20, GNU time, and (for the tshark rows and packet counts)
// tshark/capinfos. Captures: scripts/make-bench-capture.sh. Results: docs/benchmarks.md.
import { spawnSync } from 'node:child_process';
import { openSync, closeSync, statSync, readFileSync, writeFileSync, mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir, cpus, totalmem, release } from 'node:os';
import { join, dirname, basename, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
let runs = 2, mpcap = process.env.MPCAP || join(repo, 'bin', 'mpcap.js'), withTshark = true, jsonOut = null, label = null, only = null;
const files = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--runs') runs = Number(args[++i]);
  else if (a === '--mpcap') mpcap = resolve(args[++i]);
  else if (a === '--label') label = args[++i];
  else if (a === '--only') only = new Set(args[++i].split(','));
  else if (a === '--no-tshark') withTshark = false;
  else if (a === '--json') jsonOut = args[++i];
  else if (a === '-h' || a === '--help') { usage(0); }
  else if (a.startsWith('-')) { console.error(`bench: unknown option ${a}`); usage(2); }
  else files.push(a);
}
function usage(code) {
  const text = readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n');
  console.error(text.slice(1, text.findIndex((l) => l.startsWith('import'))).map((l) => l.replace(/^\/\/ ?/, '')).join('\n'));
  process.exit(code);
}
if (!files.length || !(runs >= 1)) usage(2);
const TIME = '/usr/bin/time';
if (!existsSync(TIME)) { console.error('bench: /usr/bin/time not found (apt-get install time)'); process.exit(1); }
const have = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
if (withTshark && !have('tshark')) { console.error('bench: tshark not found; rows skipped'); withTshark = false; }

const FIELDS = ['-e', 'frame.number', '-e', 'tcp.stream', '-e', 'tcp.options.mptcp.subtype', '-e', 'mptcp.stream'];
const node = process.execPath;
function commands(f) {
  const m = (label, display, argv, vs) => ({ tool: 'mpcap', label, vs, display: `mpcap ${display}`, argv: [node, mpcap, ...argv] });
  const t = (label, display, argv) => ({ tool: 'tshark', label, display: `tshark ${display}`, argv: ['tshark', ...argv] });
  const list = [
    m('analyze', 'analyze --json -o /dev/null F', ['analyze', '--json', '-o', '/dev/null', f], 'conv-mptcp'),
    m('dissect', 'dissect F > /dev/null', ['dissect', f], 'dissect'),
    m('fields', 'dissect -T fields -e frame.number -e tcp.stream -e tcp.options.mptcp.subtype -e mptcp.stream F > /dev/null',
      ['dissect', '-T', 'fields', ...FIELDS, f], 'fields'),
    // exit 5 (bytes missing: a header-only capture) is a result, not a failure, for this row
    { ...m('extract', 'extract F --connection 0 --direction c2s -o /dev/null', ['extract', f, '--connection', '0', '--direction', 'c2s', '-o', '/dev/null']), okCodes: [0, 5] },
  ];
  if (withTshark) list.push(
    t('conv', '-r F -q -z conv,tcp > /dev/null', ['-r', f, '-q', '-z', 'conv,tcp']),
    t('conv-mptcp', '-r F -q -o mptcp.analyze_mptcp:TRUE -o mptcp.analyze_mappings:TRUE -z conv,tcp > /dev/null',
      ['-r', f, '-q', '-o', 'mptcp.analyze_mptcp:TRUE', '-o', 'mptcp.analyze_mappings:TRUE', '-z', 'conv,tcp']),
    t('dissect', '-r F > /dev/null', ['-r', f]),
    t('fields', '-r F -T fields -e frame.number -e tcp.stream -e tcp.options.mptcp.subtype -e mptcp.stream > /dev/null',
      ['-r', f, '-T', 'fields', ...FIELDS]),
  );
  return only ? list.filter((c) => only.has(c.label) && (c.tool === 'mpcap' || only.has(c.label))) : list;
}

const scratch = mkdtempSync(join(tmpdir(), 'mpcap-bench-'));
function measure(argv, okCodes = [0]) {
  const tf = join(scratch, 'time.out');
  const devnull = openSync('/dev/null', 'w');
  const t0 = process.hrtime.bigint();
  const r = spawnSync(TIME, ['-f', '%e %M', '-o', tf, ...argv], { stdio: ['ignore', devnull, 'pipe'], maxBuffer: 64 << 20 });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  closeSync(devnull);
  const [e, kb] = readFileSync(tf, 'utf8').trim().split('\n').pop().split(' ').map(Number);
  const err = r.stderr.toString().split('\n').filter((l) => l && !/^Running as user .* dangerous\.$/.test(l));
  if (!okCodes.includes(r.status)) throw new Error(`${argv.join(' ')} exited ${r.status}: ${err.slice(-5).join(' | ')}`);
  return { seconds, timeSeconds: e, rssMB: (kb * 1024) / 1e6 };
}
function sh(cmd, a) { const r = spawnSync(cmd, a, { encoding: 'utf8' }); return r.status === 0 ? r.stdout.trim() : null; }
function packetsOf(f) {
  const out = have('capinfos') ? sh('capinfos', ['-c', '-M', f]) : null;
  const m = out && out.match(/Number of packets:\s*(\d+)/);
  return m ? Number(m[1]) : null;
}

// machine description
const memKB = Number((readFileSync('/proc/meminfo', 'utf8').match(/MemTotal:\s*(\d+)/) || [])[1]);
const git = sh('git', ['-C', dirname(dirname(mpcap)), 'rev-parse', '--short', 'HEAD']);
const dirty = sh('git', ['-C', dirname(dirname(mpcap)), 'status', '--porcelain', '--', 'src', 'bin']);
const machine = {
  cpus: cpus().length, cpu: cpus()[0]?.model, memGiB: +(memKB / 1048576).toFixed(1), kernel: release(),
  node: process.version, tshark: withTshark ? (sh('tshark', ['--version']) || '').split('\n')[0] : null,
  mpcap: mpcap, mpcapCommit: label ?? (git ? git + (dirty ? ' (+ uncommitted changes in src/)' : '') : null),
};

const fmt = (x, d = 1) => (x == null || !isFinite(x) ? '–' : x >= 1000 ? Math.round(x).toLocaleString('en-US') : x.toFixed(d));
const results = [];
const log = (s) => process.stderr.write(s + '\n');
for (const f of files) {
  const size = statSync(f).size;
  const packets = packetsOf(f);
  spawnSync('sh', ['-c', 'cat "$1" > /dev/null', 'sh', f]); // warm the page cache
  const cmds = commands(f);
  const best = cmds.map(() => null);
  for (let round = 1; round <= runs; round++) {
    cmds.forEach((c, i) => {
      const r = measure(c.argv, c.okCodes);
      log(`bench: ${basename(f)} run ${round}/${runs}: ${c.display}: ${r.seconds.toFixed(2)} s, ${r.rssMB.toFixed(1)} MB`);
      if (!best[i] || r.seconds < best[i].seconds) best[i] = r;
    });
  }
  results.push({ file: f, size, packets, rows: cmds.map((c, i) => ({ tool: c.tool, label: c.label, vs: c.vs ?? null, command: c.display, ...best[i],
    packetsPerSecond: packets ? packets / best[i].seconds : null, mbPerSecond: size / 1e6 / best[i].seconds })) });
}
rmSync(scratch, { recursive: true, force: true });

// report
const out = [];
out.push(`Machine: ${machine.cpus} CPUs (${machine.cpu}), ${machine.memGiB} GiB RAM, Linux ${machine.kernel}`);
out.push(`Node ${machine.node}; ${machine.tshark ?? 'tshark not run'}; mpcap ${machine.mpcapCommit ?? ''} (${machine.mpcap})`);
out.push(`Best of ${runs} run(s) per command; F is the capture; output to /dev/null.`);
for (const r of results) {
  out.push('', `### ${basename(r.file)} — ${fmt(r.size / 1e6)} MB, ${r.packets?.toLocaleString('en-US') ?? '?'} packets`, '');
  out.push('| tool | command | seconds | packets/s | MB/s | peak RSS MB | × tshark |', '|---|---|---:|---:|---:|---:|---:|');
  for (const x of r.rows) {
    const peer = x.vs ? r.rows.find((y) => y.tool === 'tshark' && y.label === x.vs) : null;
    const ratio = peer ? `${(peer.seconds / x.seconds).toFixed(1)}×` : '';
    out.push(`| ${x.tool} | \`${x.command}\` | ${x.seconds.toFixed(2)} | ${fmt(x.packetsPerSecond)} | ${fmt(x.mbPerSecond)} | ${fmt(x.rssMB)} | ${ratio} |`);
  }
}
if (results.length > 1) {
  const sorted = [...results].sort((a, b) => a.size - b.size);
  out.push('', '### Memory vs size (peak RSS MB, best run)', '');
  out.push(`| command | ${sorted.map((r) => `${basename(r.file)} (${fmt(r.size / 1e6, 0)} MB)`).join(' | ')} | ratio last/first |`);
  out.push(`|---|${sorted.map(() => '---:').join('|')}|---:|`);
  for (const [i, row] of sorted[0].rows.entries()) {
    const rss = sorted.map((r) => r.rows[i].rssMB);
    out.push(`| ${row.tool} ${row.label} | ${rss.map((x) => fmt(x)).join(' | ')} | ${(rss.at(-1) / rss[0]).toFixed(2)}× |`);
  }
  out.push(`| *(file size ratio)* | ${sorted.map(() => '').join(' | ')} | ${(sorted.at(-1).size / sorted[0].size).toFixed(2)}× |`);
}
console.log(out.join('\n'));
if (jsonOut) writeFileSync(jsonOut, JSON.stringify({ machine, runs, date: new Date().toISOString(), results }, null, 2) + '\n');
