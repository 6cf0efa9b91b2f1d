#!/usr/bin/env node
// compare-screenshot.mjs — docs/compare-report.png (README, "compare"): the delay plot of
// `mpcap compare --report` on the committed pair (fixtures/compare: a lossy path and a 10 ms delay
// line behind NAT).
//
// Usage: node scripts/compare-screenshot.mjs      (needs npm run build, /usr/bin/chromium)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer from 'puppeteer-core';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const tmp = mkdtempSync(join(tmpdir(), 'mpcap-cmpshot-'));
const page = join(tmp, 'compare.html');
const r = spawnSync(process.execPath, [join(repo, 'bin', 'mpcap.js'), 'compare', '--report', page, 'fixtures/compare/client.pcap.gz', 'fixtures/compare/server.pcap.gz'], { encoding: 'utf8', cwd: repo });
if (r.status !== 0) throw new Error(r.stderr);
const browser = await puppeteer.launch({
  executablePath: process.env.MPCAP_CHROMIUM || '/usr/bin/chromium',
  timeout: 180_000,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${join(tmp, 'profile')}`],
});
try {
  const p = await browser.newPage();
  await p.setViewport({ width: 1100, height: 800 });
  await p.goto(`file://${page}`, { waitUntil: 'load' });
  await p.waitForFunction(() => window.mpcapCompare && window.mpcapCompare.ready, { timeout: 60_000 });
  const fig = await p.$('#delay-0');
  await fig.screenshot({ path: join(repo, 'docs', 'compare-report.png') });
  console.error('wrote docs/compare-report.png');
} finally {
  await browser.close();
  rmSync(tmp, { recursive: true, force: true });
}
