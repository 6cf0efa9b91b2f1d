/// <reference lib="dom" />
// (the callbacks of page.evaluate run in the browser)
/**
 * `mpcap report`: the page of a real kernel capture, opened in a real headless Chromium. No
 * console error, no request beyond the file itself, every plot drawn with the series it should
 * have, one timeline lane per subflow, the embedded JSON equal to `analyze --json`, and a
 * tooltip on hover.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pcapsDir } from './helpers/corpus.ts';
import { runMain } from './helpers/cli.ts';
import { hasChromium, launchBrowser, NO_CHROMIUM, type OpenBrowser } from './helpers/browser.ts';

if (!hasChromium) console.warn(NO_CHROMIUM);

const tmp = mkdtempSync(path.join(tmpdir(), 'mpcap-report-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface PlotInfo {
  id: string;
  kind: string;
  connection: number;
  series: number;
  roles: string[];
  points: number;
}

interface SubflowJ {
  tcpStream: number;
  firstFrame: number;
}
interface ConnJ {
  index: number;
  subflows: SubflowJ[];
  data: Record<'c2s' | 's2c', { deliveredBytes: number }>;
  headOfLineBlame: Record<'c2s' | 's2c', { stalls: number; longest: unknown[] }>;
}

async function makeReport(file: string, extra: string[] = []): Promise<{ page: string; analysis: { connections: ConnJ[] } }> {
  const out = path.join(tmp, `${path.basename(file)}-${extra.join('_')}.html`);
  const r = await runMain(['report', file, '-o', out, ...extra]);
  expect(r.code, r.stderr).toBe(0);
  const a = await runMain(['analyze', '--json', file]);
  expect(a.code, a.stderr).toBe(0);
  return { page: out, analysis: JSON.parse(a.stdout) as { connections: ConnJ[] } };
}

describe('report page, offline, without a browser', () => {
  it('is one file that fetches nothing: no src=, no link, no http URL outside the data', async () => {
    const { page } = await makeReport(path.join(pcapsDir, 'two-paths.pcap'));
    const html = readFileSync(page, 'utf8');
    const outsideData = html.replace(/<script type="application\/json"[^>]*>[\s\S]*?<\/script>/g, '');
    expect(outsideData).not.toMatch(/<script[^>]+src=/i);
    expect(outsideData).not.toMatch(/<link[^>]+href=/i);
    expect(outsideData).not.toMatch(/url\(\s*['"]?https?:/i);
    expect(outsideData).not.toMatch(/\bimport\s*\(/);
    expect(statSync(page).size).toBeLessThan(1_000_000);
  });

  it('refuses a connection that is not in the capture (exit 2), and a bad --top', async () => {
    const file = path.join(pcapsDir, 'two-paths.pcap');
    const r = await runMain(['report', file, '-o', path.join(tmp, 'x.html'), '--connection', '99']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--connection 99: not a connection of/);
    const t = await runMain(['report', file, '-o', path.join(tmp, 'y.html'), '--top', 'many']);
    expect(t.code).toBe(2);
    expect(t.stderr).toMatch(/--top many/);
  });

  it('reads standard input; a file that is no capture exits 3 and leaves no page behind', async () => {
    const out = path.join(tmp, 'stdin.html');
    const r = await runMain(['report', '-', '-o', out], { stdin: readFileSync(path.join(pcapsDir, 'two-paths.pcap')) });
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(out, 'utf8')).toContain('"file":"(standard input)"');
    const bad = path.join(tmp, 'bad.html');
    const n = await runMain(['report', path.join(pcapsDir, 'two-paths.json'), '-o', bad]);
    expect(n.code).toBe(3);
    expect(existsSync(bad)).toBe(false);
  });

  it('with several captures, -o names a directory and each capture gets its page', async () => {
    const dir = path.join(tmp, 'several');
    const r = await runMain(['report', path.join(pcapsDir, 'two-paths.pcap'), path.join(pcapsDir, 'loss.pcap'), '-o', dir + '/']);
    expect(r.code, r.stderr).toBe(0);
    for (const n of ['two-paths.html', 'loss.html']) expect(statSync(path.join(dir, n)).size).toBeGreaterThan(60_000);
    const bad = await runMain(['report', path.join(pcapsDir, 'two-paths.pcap'), path.join(pcapsDir, 'loss.pcap'), '-o', path.join(tmp, 'one.html')]);
    expect(bad.code).toBe(2);
  });
});

describe.skipIf(!hasChromium)('report page in headless Chromium', () => {
  let b: OpenBrowser;
  beforeAll(async () => {
    b = await launchBrowser();
  });
  afterAll(async () => {
    await b?.close();
  });

  async function open(file: string): Promise<{ page: Page; errors: string[]; requests: string[]; loadMs: number }> {
    const page = await b.browser.newPage();
    await page.setViewport({ width: 1280, height: 900 });
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warn') errors.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`pageerror: ${(e as Error).message}`));
    page.on('request', (r) => requests.push(r.url()));
    const t0 = Date.now();
    await page.goto(`file://${file}`, { waitUntil: 'load' });
    await page.waitForFunction(() => (window as unknown as { mpcapReport?: { ready: boolean } }).mpcapReport?.ready === true, { timeout: 30_000 });
    return { page, errors, requests, loadMs: Date.now() - t0 };
  }

  it('plots zoom on a drag, pan on Shift + drag, reset on a double click, hide a series from the legend', async () => {
    const { page: html } = await makeReport(path.join(pcapsDir, 'two-paths.pcap'));
    const { page, errors } = await open(html);
    try {
      type Range = { min: number; max: number };
      const box = await page.evaluate(() => {
        const u = (window as unknown as { mpcapReport: { chart(id: string): any } }).mpcapReport.chart('c0-cumulative');
        u.root.scrollIntoView({ block: 'center' });
        const r = u.over.getBoundingClientRect();
        return { left: r.left, top: r.top, width: r.width, height: r.height, min: u.scales.x.min, max: u.scales.x.max };
      });
      const scale = (): Promise<Range> => page.evaluate(() => {
        const u = (window as unknown as { mpcapReport: { chart(id: string): any } }).mpcapReport.chart('c0-cumulative');
        return { min: u.scales.x.min as number, max: u.scales.x.max as number };
      });
      const y = box.top + box.height / 2;
      await page.mouse.move(box.left + box.width * 0.25, y);
      await page.mouse.down();
      await page.mouse.move(box.left + box.width * 0.5, y, { steps: 5 });
      await page.mouse.up();
      const zoomed = await scale();
      expect(zoomed.max - zoomed.min).toBeLessThan((box.max - box.min) * 0.4);
      await page.keyboard.down('Shift');
      await page.mouse.move(box.left + box.width * 0.6, y);
      await page.mouse.down();
      await page.mouse.move(box.left + box.width * 0.4, y, { steps: 5 });
      await page.mouse.up();
      await page.keyboard.up('Shift');
      const panned = await scale();
      expect(panned.max - panned.min).toBeCloseTo(zoomed.max - zoomed.min, 6);
      expect(panned.min).toBeGreaterThan(zoomed.min);
      await page.mouse.click(box.left + box.width / 2, y, { clickCount: 2 });
      const reset = await scale();
      expect(reset.max - reset.min).toBeCloseTo(box.max - box.min, 6);
      const th = await page.evaluate(() => {
        const u = (window as unknown as { mpcapReport: { chart(id: string): any } }).mpcapReport.chart('c0-cumulative');
        // with legend.live off the x series has no row: the first row is series 1
        const r = (u.root.querySelectorAll('.u-legend .u-series')[0]?.querySelector('th') as HTMLElement).getBoundingClientRect();
        return { x: r.left + r.width / 2, y: r.top + r.height / 2 };
      });
      await page.mouse.click(th.x, th.y);
      const shown = await page.evaluate(() => (window as unknown as { mpcapReport: { chart(id: string): any } }).mpcapReport.chart('c0-cumulative').series[1].show as boolean);
      expect(shown).toBe(false);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  });

  for (const name of ['three-paths-signal.pcap', 'loss.pcap', 'fastclose.pcap']) {
    it(`${name}: drawn without error, every plot with its series, JSON as analyze --json, tooltips`, async () => {
      const file = path.join(pcapsDir, name);
      const { page: html, analysis } = await makeReport(file);
      const { page, errors, requests } = await open(html);
      try {
        // the embedded analysis is analyze --json, to the last field
        const embedded = await page.evaluate(() => JSON.parse((document.getElementById('mpcap-analysis') as HTMLElement).textContent as string) as unknown);
        expect(embedded).toEqual(analysis);

        const plots = await page.evaluate(() => (window as unknown as { mpcapReport: { plots: PlotInfo[] } }).mpcapReport.plots);
        expect(analysis.connections.length).toBeGreaterThan(0);
        for (const conn of analysis.connections.slice(0, 5)) {
          const n = conn.subflows.length;
          const mine = plots.filter((p) => p.connection === conn.index);
          const one = (kind: string): PlotInfo[] => mine.filter((p) => p.kind === kind);
          const count = (p: PlotInfo, role: string): number => p.roles.filter((r) => r === role).length;
          const [timeline] = one('timeline');
          expect(timeline, `connection ${conn.index} has a timeline`).toBeDefined();
          // one lane per subflow of analyze --json, and at least the SYNs marked
          expect(count(timeline as PlotInfo, 'lane')).toBe(n);
          expect(count(timeline as PlotInfo, 'marker')).toBeGreaterThan(0);
          expect((timeline as PlotInfo).series).toBe(n + count(timeline as PlotInfo, 'marker'));
          const [cum] = one('cumulative');
          expect(cum?.series).toBe(n + 2);
          const dataDirs = (['c2s', 's2c'] as const).filter((d) => conn.data[d].deliveredBytes > 0);
          const dsn = one('dsn');
          expect(dsn.length).toBeGreaterThanOrEqual(dataDirs.length);
          for (const p of dsn) {
            expect(p.series).toBe(n + 4);
            expect(count(p, 'subflow')).toBe(n);
            expect(count(p, 'ack')).toBe(1);
            expect(count(p, 'stall')).toBe(1);
          }
          expect(one('throughput')[0]?.series).toBe(n + 2);
          expect(one('rtt')[0]?.series).toBe(2 * n);
          for (const kind of ['first-share', 'share-subflow', 'share-address', 'hol-histogram']) expect(one(kind)[0]?.series, kind).toBe(2);
        }

        // every plot's canvas holds coloured pixels (series drawn, not just axes)
        const drawn = await page.evaluate(() =>
          Array.from(document.querySelectorAll('figure.plot')).map((fig) => {
            const c = fig.querySelector('canvas') as HTMLCanvasElement;
            const g = c.getContext('2d') as CanvasRenderingContext2D;
            const px = g.getImageData(0, 0, c.width, c.height).data;
            let coloured = 0;
            for (let i = 0; i < px.length; i += 4) {
              const [r, gr, bl, a] = [px[i] as number, px[i + 1] as number, px[i + 2] as number, px[i + 3] as number];
              if (a > 0 && (Math.abs(r - gr) > 40 || Math.abs(gr - bl) > 40 || Math.abs(r - bl) > 40)) coloured++;
            }
            return { id: fig.id, coloured, width: c.width };
          }),
        );
        expect(drawn.length).toBe(plots.length);
        for (const d of drawn) {
          const p = plots.find((x) => x.id === d.id) as PlotInfo;
          expect(d.width, d.id).toBeGreaterThan(400);
          // a few dots at least; a plot with series of many points, many more pixels
          expect(d.coloured, `${d.id}: no series drawn`).toBeGreaterThan(Math.min(30, p.points));
        }

        // hover the first subflow's SYN marker: the tooltip names it and its frame
        const first = (analysis.connections[0] as ConnJ).subflows[0] as SubflowJ;
        const at = await page.evaluate((id: string) => {
          const u = (window as unknown as { mpcapReport: { chart(id: string): any } }).mpcapReport.chart(id);
          u.root.scrollIntoView({ block: 'center' });
          const s = u.series.findIndex((x: { label: string }) => x.label === 'SYN');
          const i = (u.data[s] as Array<number | null | undefined>).findIndex((v) => v !== null && v !== undefined);
          const r = u.over.getBoundingClientRect();
          return { x: r.left + u.valToPos(u.data[0][i], 'x'), y: r.top + u.valToPos(u.data[s][i], 'y'), s };
        }, `c${(analysis.connections[0] as ConnJ).index}-timeline`);
        expect(at.s).toBeGreaterThan(0);
        await page.mouse.move(at.x - 30, at.y - 30);
        await page.mouse.move(at.x, at.y, { steps: 3 });
        await page.waitForFunction(() => (document.getElementById('mpcap-tooltip') as HTMLElement).style.display === 'block', { timeout: 5000 });
        const tipText = await page.evaluate(() => (document.getElementById('mpcap-tooltip') as HTMLElement).textContent);
        expect(tipText).toContain('SYN');
        expect(tipText).toContain(`frame ${first.firstFrame}:`);
        // and away from every point it goes
        await page.mouse.move(5, 5);
        const hidden = await page.evaluate(() => (document.getElementById('mpcap-tooltip') as HTMLElement).style.display);
        expect(hidden).toBe('none');

        // the overview table sorts on a header click
        const order = await page.evaluate(() => {
          const th = document.querySelector('#overview table.sortable th') as HTMLElement;
          th.click();
          th.click();
          return Array.from(document.querySelectorAll('#overview table.sortable tbody tr')).map((tr) => Number((tr as HTMLTableRowElement).cells[0]?.dataset.v));
        });
        expect(order).toEqual([...order].sort((x, y) => y - x));

        expect(errors).toEqual([]);
        expect(requests.filter((u) => !u.startsWith('file://'))).toEqual([]);
      } finally {
        await page.close();
      }
    });
  }
});
