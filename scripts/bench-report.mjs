#!/usr/bin/env node
// bench-report.mjs — `mpcap report` against `mpcap analyze --json` on the same capture, in the
// same run (the machine may be shared: only ratios of runs made side by side mean much), and the
// page opened in headless Chromium.
//
// Usage: node scripts/bench-report.mjs [--runs N] FILE
//
// Rounds interleave analyze and report (N each, default 3); the best time of each is reported,
// with their ratio. Then the page is opened N times in a fresh headless Chromium
// (/usr/bin/chromium, or $MPCAP_CHROMIUM; needs puppeteer-core from the devDependencies): the time
// from navigation to the load event and to the page saying that every plot was drawn
// (window.mpcapReport.ready), best of N. Output: one JSON object on stdout.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(repo, 'bin', 'mpcap.js');
const args = process.argv.slice(2);
let runs = 3;
let file = null;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--runs') runs = Number(args[++i]);
  else file = args[i];
}
if (!file) {
  console.error('usage: node scripts/bench-report.mjs [--runs N] FILE');
  process.exit(2);
}
const dir = mkdtempSync(join(tmpdir(), 'mpcap-bench-report-'));
const page = join(dir, 'report.html');
spawnSync('sh', ['-c', `cat "${file}" > /dev/null`]);

function timed(argv) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [bin, ...argv], { stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 26 });
  const sec = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`mpcap ${argv.join(' ')} failed (${r.status}): ${r.stderr}`);
  return sec;
}

const analyze = [];
const report = [];
for (let i = 0; i < runs; i++) {
  analyze.push(timed(['analyze', '--json', '-o', join(dir, 'analyze.json'), file]));
  report.push(timed(['report', file, '-o', page]));
}
const best = (xs) => Math.min(...xs);
const out = {
  file,
  fileBytes: statSync(file).size,
  runs,
  analyzeJsonSec: analyze,
  reportSec: report,
  ratio: +(best(report) / best(analyze)).toFixed(3),
  analyzeJsonBytes: statSync(join(dir, 'analyze.json')).size,
  pageBytes: statSync(page).size,
};

const chromium = process.env.MPCAP_CHROMIUM || '/usr/bin/chromium';
if (existsSync(chromium)) {
  const { default: puppeteer } = await import('puppeteer-core');
  const loads = [];
  const readies = [];
  for (let i = 0; i < runs; i++) {
    const profile = mkdtempSync(join(tmpdir(), 'mpcap-bench-chromium-'));
    const browser = await puppeteer.launch({
      executablePath: chromium,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`],
    });
    const p = await browser.newPage();
    await p.setViewport({ width: 1280, height: 900 });
    const errors = [];
    p.on('pageerror', (e) => errors.push(e.message));
    p.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    const t0 = Date.now();
    await p.goto(`file://${page}`, { waitUntil: 'load', timeout: 60_000 });
    loads.push((Date.now() - t0) / 1000);
    await p.waitForFunction(() => window.mpcapReport && window.mpcapReport.ready, { timeout: 60_000 });
    readies.push((Date.now() - t0) / 1000);
    out.plots = await p.evaluate(() => window.mpcapReport.plots.length);
    out.pageErrors = errors;
    await browser.close();
    rmSync(profile, { recursive: true, force: true });
  }
  out.loadEventSec = loads;
  out.allPlotsDrawnSec = readies;
  out.bestAllPlotsDrawnSec = best(readies);
}
rmSync(dir, { recursive: true, force: true });
console.log(JSON.stringify(out, null, 2));
