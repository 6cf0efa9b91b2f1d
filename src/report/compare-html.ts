/**
 * The page of `mpcap compare --report FILE.html`: one self-contained HTML file (uPlot, styles,
 * the page's script and the data inline; nothing is fetched). The data is `compare --json`
 * exactly, in script#mpcap-compare; assets/report/compare.js draws from it the one-way delay of
 * every path direction over time, each connection's data-level delay, and the losses and
 * reordering per path. The single-capture report's stylesheet (assets/report/app.css) is shared.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { OutputSink } from '../analysis/output-sink.js';

let assets: { uplotJs: string; uplotCss: string; appCss: string; compareJs: string; compareCss: string } | null = null;

function pageAssets(): NonNullable<typeof assets> {
  if (assets) return assets;
  const require = createRequire(import.meta.url);
  const uplotDir = fileURLToPath(new URL('.', `file://${require.resolve('uplot/package.json')}`));
  const own = (name: string): string => readFileSync(fileURLToPath(new URL(`../../assets/report/${name}`, import.meta.url)), 'utf8');
  assets = {
    uplotJs: readFileSync(`${uplotDir}dist/uPlot.iife.min.js`, 'utf8'),
    uplotCss: readFileSync(`${uplotDir}dist/uPlot.min.css`, 'utf8'),
    appCss: own('app.css'),
    compareJs: own('compare.js'),
    compareCss: own('compare.css'),
  };
  return assets;
}

const escapeHtml = (s: string): string => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);
/** Inline script text: only `</script` could end it early. */
const scriptText = (s: string): string => s.replace(/<\/(script)/gi, '<\\/$1');

/** `json` is the text `compare --json` prints (written as is, with `<` escaped inside the script). */
export async function writeCompareHtml(json: string, title: { A: string; B: string; generator: string }, stream: NodeJS.WritableStream): Promise<void> {
  const a = pageAssets();
  const out = new OutputSink(stream as never);
  out.write(
    `<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<meta name="viewport" content="width=device-width, initial-scale=1">\n` +
      `<meta name="generator" content="${escapeHtml(title.generator)}">\n<title>mpcap compare: ${escapeHtml(title.A)} ↔ ${escapeHtml(title.B)}</title>\n` +
      `<style>\n${a.uplotCss}\n${a.appCss}\n${a.compareCss}\n</style>\n</head>\n<body>\n` +
      `<div id="app"><noscript><p>The plots of this page need JavaScript; its data is in the page source (script#mpcap-compare: compare --json).</p></noscript></div>\n` +
      `<script type="application/json" id="mpcap-compare">`,
  );
  out.write(json.indexOf('<') < 0 ? json : json.replace(/</g, '\\u003c'));
  out.write(`</script>\n<script>\n${scriptText(a.uplotJs)}\n</script>\n<script>\n${scriptText(a.compareJs)}\n</script>\n</body>\n</html>\n`);
  await out.end();
}
