#!/usr/bin/env node
// report-screenshots.mjs — the screenshots of docs/ (README, "mpcap report"): the report of a
// real-kernel fixture (three paths, ADD_ADDR signalled), and, when given, of a big capture.
//
// Usage: node scripts/report-screenshots.mjs [BIG.pcap]     (needs npm run build, /usr/bin/chromium)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer from 'puppeteer-core';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const tmp = mkdtempSync(join(tmpdir(), 'mpcap-shots-'));
const report = (file, out) => {
  // run from the repository, so that the page names the fixture by its relative path
  const r = spawnSync(process.execPath, [join(repo, 'bin', 'mpcap.js'), 'report', file, '-o', out], { encoding: 'utf8', cwd: repo });
  if (r.status !== 0) throw new Error(r.stderr);
};
const small = join(tmp, 'small.html');
report('fixtures/pcaps/three-paths-signal.pcap', small);
const big = process.argv[2] ? join(tmp, 'big.html') : null;
if (big) report(resolve(process.argv[2]), big);

const browser = await puppeteer.launch({
  executablePath: process.env.MPCAP_CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${join(tmp, 'profile')}`],
});
const page = await browser.newPage();
await page.setViewport({ width: 1100, height: 800 });
const open = async (f) => {
  await page.goto(`file://${f}`, { waitUntil: 'load' });
  await page.waitForFunction(() => window.mpcapReport && window.mpcapReport.ready);
};
const shot = async (sel, name) => {
  const el = await page.$(sel);
  await el.screenshot({ path: join(repo, 'docs', name) });
  console.log(`docs/${name}`);
};
await open(small);
await page.screenshot({ path: join(repo, 'docs', 'report-overview.png'), clip: { x: 0, y: 0, width: 1100, height: 620 } });
console.log('docs/report-overview.png');
// the timeline with the tooltip of the second subflow's MP_JOIN SYN
const at = await page.evaluate(() => {
  const u = window.mpcapReport.chart('c0-timeline');
  u.root.scrollIntoView({ block: 'center' });
  const s = u.series.findIndex((x) => x.label === 'MP_JOIN');
  const i = u.data[s].findIndex((v) => v !== null && v !== undefined);
  const r = u.over.getBoundingClientRect();
  return { x: r.left + u.valToPos(u.data[0][i], 'x'), y: r.top + u.valToPos(u.data[s][i], 'y') };
});
await page.mouse.move(at.x, at.y, { steps: 2 });
await shot('#c0-timeline', 'report-timeline.png');
await page.mouse.move(1, 1);
await shot('#c0-dsn-c2s', 'report-dsn.png');
await shot('#c0-rtt', 'report-rtt.png');
await shot('#conn-0 .blame', 'report-blame.png');
if (big) {
  await open(big);
  await shot('#c0-throughput', 'report-throughput-1gb.png');
  await shot('#c0-cumulative', 'report-cumulative-1gb.png');
}
await browser.close();
rmSync(tmp, { recursive: true, force: true });
