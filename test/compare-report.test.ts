/// <reference lib="dom" />
// (the callbacks of page.evaluate run in the browser)
/**
 * `mpcap compare --report FILE.html`: the page of the committed pair (fixtures/compare: a lossy
 * path and a 10 ms delay line behind NAT) and of the public pymptcpanalyzer pair, opened in a real
 * headless Chromium (puppeteer-core + Debian chromium, as test/report.test.ts). No console error,
 * no request beyond the file itself, one delay plot per matched connection with one series per
 * path direction, and what each series draws equal to that direction's series in `compare --json`.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CompareResult } from '../src/compare/model.ts';
import { corpusDir, hasCorpus, repoRoot } from './helpers/corpus.ts';
import { runMain } from './helpers/cli.ts';
import { hasChromium, launchBrowser, NO_CHROMIUM, type OpenBrowser } from './helpers/browser.ts';

if (!hasChromium) console.warn(NO_CHROMIUM);

const fixture = { A: path.join(repoRoot, 'fixtures', 'compare', 'client.pcap.gz'), B: path.join(repoRoot, 'fixtures', 'compare', 'server.pcap.gz') };
const pym = { A: path.join(corpusDir, 'pymptcpanalyzer', 'client_2.pcap'), B: path.join(corpusDir, 'pymptcpanalyzer', 'server_2.pcap') };
const tmp = mkdtempSync(path.join(tmpdir(), 'mpcap-cmpreport-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function makePage(pair: { A: string; B: string }, name: string, extra: string[] = []): Promise<{ page: string; json: CompareResult }> {
  const page = path.join(tmp, `${name}.html`);
  const r = await runMain(['compare', '--report', page, ...extra, pair.A, pair.B]);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stderr).toContain(`wrote ${page}`);
  const j = await runMain(['compare', '--json', ...extra, pair.A, pair.B]);
  expect(j.code, j.stderr).toBe(0);
  return { page, json: JSON.parse(j.stdout) as CompareResult };
}

describe('compare --report, without a browser', () => {
  it('is one file that fetches nothing, and carries compare --json exactly', async () => {
    const { page, json } = await makePage(fixture, 'fixture');
    const html = readFileSync(page, 'utf8');
    const outsideData = html.replace(/<script type="application\/json"[^>]*>[\s\S]*?<\/script>/g, '');
    expect(outsideData).not.toMatch(/<script[^>]+src=/i);
    expect(outsideData).not.toMatch(/<link[^>]+href=/i);
    expect(outsideData).not.toMatch(/url\(\s*['"]?https?:/i);
    const data = /<script type="application\/json" id="mpcap-compare">([\s\S]*?)<\/script>/.exec(html);
    expect(data).not.toBeNull();
    expect(JSON.parse((data as RegExpExecArray)[1] as string)).toEqual(json);
    expect(statSync(page).size).toBeLessThan(1_000_000);
  });

  it('an unreadable capture exits 3 and leaves no page; a page that cannot be written exits before reading', async () => {
    const page = path.join(tmp, 'none.html');
    const r = await runMain(['compare', '--report', page, fixture.A, path.join(tmp, 'missing.pcap')]);
    expect(r.code).toBe(3);
    expect(existsSync(page)).toBe(false);
    const notCapture = path.join(tmp, 'text.pcap');
    writeFileSync(notCapture, 'not a capture at all\n');
    const n = await runMain(['compare', '--report', page, notCapture, fixture.B]);
    expect(n.code).toBe(3);
    expect(existsSync(page)).toBe(false);
    const w = await runMain(['compare', '--report', path.join(tmp, 'no', 'such', 'dir.html'), fixture.A, fixture.B]);
    expect(w.code).not.toBe(0);
    expect(w.stderr).toMatch(/cannot write .*its directory does not exist/);
  });
});

interface Drawn {
  id: string;
  kind: string;
  keys: string[];
  labels: string[];
  /** Per series: the [x, y] points it draws (uPlot's data, mode 2: each series its own x and y). */
  points: Array<Array<[number, number]>>;
}

describe.skipIf(!hasChromium)('compare --report in headless Chromium', () => {
  let b: OpenBrowser;
  beforeAll(async () => {
    b = await launchBrowser();
  });
  afterAll(async () => {
    await b?.close();
  });

  async function check(pair: { A: string; B: string }, name: string, extra: string[] = []): Promise<{ drawn: Drawn[]; json: CompareResult }> {
    const { page: file, json } = await makePage(pair, name, extra);
    const page = await b.browser.newPage();
    await page.setViewport({ width: 1280, height: 900 });
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warn') errors.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`pageerror: ${(e as Error).message}`));
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(`file://${file}`, { waitUntil: 'load' });
    await page.waitForFunction(() => (window as unknown as { mpcapCompare?: { ready: boolean } }).mpcapCompare?.ready === true, { timeout: 30_000 });
    const drawn = await page.evaluate(() => {
      const st = (window as unknown as { mpcapCompare: { errors: string[]; plots: Array<{ id: string; kind: string; keys: string[]; labels: string[] }>; charts: Array<{ data: Array<[number[], number[]] | null> }> } }).mpcapCompare;
      return {
        errors: st.errors,
        plots: st.plots.map((p, i) => {
          const d = (st.charts[i] as { data: Array<[number[], number[]] | null> }).data;
          return { ...p, points: d.slice(1).map((s) => (s as [number[], number[]])[0].map((x, k) => [x, (s as [number[], number[]])[1][k] as number] as [number, number])) };
        }),
      };
    });
    await page.close();
    expect(errors).toEqual([]);
    expect(drawn.errors).toEqual([]);
    expect(requests).toEqual([`file://${file}`]);
    return { drawn: drawn.plots, json };
  }

  /** Every matched connection: a delay plot, one series per path direction with points, each = its JSON series. */
  function expectSeries(drawn: Drawn[], json: CompareResult): number {
    let series = 0;
    json.connections.forEach((c, ci) => {
      const plot = drawn.find((p) => p.id === `delay-${ci}`);
      if (c.connectionA === null || c.connectionB === null) {
        expect(plot).toBeUndefined();
        return;
      }
      expect(plot, `connection ${ci}`).toBeDefined();
      const p = plot as Drawn;
      const want: Array<{ key: string; pts: Array<[number, number]> }> = [];
      c.subflows.forEach((s, si) => {
        for (const d of s.directions) if (d.series.time.length > 0) want.push({ key: `${ci}:${si}:${d.direction}`, pts: d.series.time.map((t, k) => [t, d.series.delayUs[k] as number]) });
      });
      expect(p.keys).toEqual(want.map((w) => w.key));
      want.forEach((w, k) => expect(p.points[k], w.key).toEqual(w.pts));
      series += want.length;
      const data = drawn.find((q) => q.id === `data-delay-${ci}`);
      const dirs = c.data.filter((d) => d.series.time.length > 0);
      if (dirs.length === 0) expect(data).toBeUndefined();
      else dirs.forEach((d, k) => expect((data as Drawn).points[k]).toEqual(d.series.time.map((t, i) => [t, d.series.delayUs[i] as number])));
    });
    return series;
  }

  it('the committed pair: one delay series per path direction (2 subflows × 2), equal to compare --json', async () => {
    const { drawn, json } = await check(fixture, 'fixture-browser');
    expect(expectSeries(drawn, json)).toBe(4);
    // the delay line's path draws ≥ 10 ms, the other below it
    const delays = json.connections[0]!.subflows.map((s) => s.directions[0]!.delay.medianUs as number);
    expect(Math.max(...delays)).toBeGreaterThanOrEqual(10_000);
    expect(Math.min(...delays)).toBeLessThan(10_000);
  });

  it('--relative: the series drawn are the relative ones (each minimum 0)', async () => {
    const { drawn, json } = await check(fixture, 'fixture-relative', ['--relative']);
    expect(expectSeries(drawn, json)).toBe(4);
    for (const s of json.connections[0]!.subflows) for (const d of s.directions) expect(d.delay.minUs).toBe(0);
  });

  it.skipIf(!hasCorpus)('pymptcpanalyzer client_2 / server_2: a plot per matched connection', async () => {
    const { drawn, json } = await check(pym, 'pym');
    const matched = json.connections.filter((c) => c.connectionA !== null && c.connectionB !== null);
    expect(matched.length).toBe(4);
    expect(drawn.filter((p) => p.kind === 'delay').length).toBe(4);
    expect(expectSeries(drawn, json)).toBeGreaterThanOrEqual(15);
  });
});
