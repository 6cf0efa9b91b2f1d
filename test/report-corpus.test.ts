/// <reference lib="dom" />
// (the callbacks of page.evaluate run in the browser)
/**
 * `mpcap report` over every capture there is: the public corpus (../shared/corpus, skipped when
 * absent), the real-kernel fixtures and the crafted ones. Each page is written without error,
 * stays under the size bound, carries analyze's JSON, and (where Chromium is) opens with no
 * console error and with every detail plot drawn.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corpusFiles, craftedPcaps, fixturePcaps, hasCorpus, shortName } from './helpers/corpus.ts';
import { runMain } from './helpers/cli.ts';
import { hasChromium, launchBrowser, NO_CHROMIUM, type OpenBrowser } from './helpers/browser.ts';

if (!hasCorpus) console.warn('../shared/corpus is absent: the corpus part of the report test skips');
if (!hasChromium) console.warn(NO_CHROMIUM);

const tmp = mkdtempSync(path.join(tmpdir(), 'mpcap-report-corpus-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const files = [...fixturePcaps(), ...craftedPcaps(), ...corpusFiles()];
const pages = new Map<string, string>();

describe('report of every capture', () => {
  it.each(files.map((f) => [shortName(f), f]))('%s', async (_name, file) => {
    const out = path.join(tmp, shortName(file).replace(/[^\w.-]/g, '_') + '.html');
    const r = await runMain(['report', file, '-o', out]);
    const a = await runMain(['analyze', '--json', file]);
    // a damaged capture is reported up to the damage (exit 4), as analyze does
    expect(r.code, r.stderr).toBe(a.code);
    expect([0, 4]).toContain(r.code);
    expect(r.stderr).not.toMatch(/internal error/);
    const html = readFileSync(out, 'utf8');
    const m = /<script type="application\/json" id="mpcap-analysis">([\s\S]*?)<\/script>/.exec(html);
    expect(m).not.toBeNull();
    expect(JSON.parse((m as RegExpExecArray)[1] as string)).toEqual(JSON.parse(a.stdout));
    // the size bound of the README: analyze's JSON on one line, the fixed part, and a bounded part per detail section
    const details = (JSON.parse((/id="mpcap-plots">([\s\S]*?)<\/script>/.exec(html) as RegExpExecArray)[1] as string) as { details: unknown[] }).details.length;
    expect(statSync(out).size).toBeLessThan(JSON.stringify(JSON.parse(a.stdout)).length * 1.01 + 200_000 + 800_000 * details);
    pages.set(file, out);
  });
});

describe.skipIf(!hasChromium)('every report opens in headless Chromium', () => {
  let b: OpenBrowser;
  beforeAll(async () => {
    b = await launchBrowser();
  });
  afterAll(async () => {
    await b?.close();
  });

  it('no console error, every detail connection drawn', { timeout: 300_000 }, async () => {
    expect(pages.size).toBe(files.length);
    const page = await b.browser.newPage();
    await page.setViewport({ width: 1280, height: 900 });
    let errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warn') errors.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`pageerror: ${(e as Error).message}`));
    for (const [file, out] of pages) {
      errors = [];
      await page.goto(`file://${out}`, { waitUntil: 'load' });
      await page.waitForFunction(() => (window as unknown as { mpcapReport?: { ready: boolean } }).mpcapReport?.ready === true, { timeout: 30_000 });
      const st = await page.evaluate(() => {
        const r = (window as unknown as { mpcapReport: { plots: Array<{ kind: string; connection: number }>; errors: string[] } }).mpcapReport;
        const details = (JSON.parse((document.getElementById('mpcap-plots') as HTMLElement).textContent as string) as { details: Array<{ index: number }> }).details;
        return { details: details.map((d) => d.index), timelines: r.plots.filter((p) => p.kind === 'timeline').map((p) => p.connection), errors: r.errors };
      });
      expect(st.errors, shortName(file)).toEqual([]);
      expect(errors, shortName(file)).toEqual([]);
      expect(st.timelines, shortName(file)).toEqual(st.details);
    }
    await page.close();
  });
});
