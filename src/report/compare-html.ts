/**
 * The page of `mpcap compare --report FILE.html`: one self-contained HTML file (uPlot, styles,
 * the page's script and the data inline; nothing is fetched). The data is `compare --json`
 * exactly, in script#mpcap-compare; assets/report/compare.js draws from it the one-way delay of
 * every path direction over time, each connection's data-level delay, and the losses and
 * reordering per path. The single-capture report's stylesheet (assets/report/app.css) is shared.
 */
import { OutputSink } from '../analysis/output-sink.js';
import { escapeHtml, ownAsset, scriptText, uplotAssets } from './page.js';

/** `json` is the text `compare --json` prints (written as is, with `<` escaped inside the script). */
export async function writeCompareHtml(json: string, title: { A: string; B: string; generator: string }, stream: NodeJS.WritableStream): Promise<void> {
  const uplot = uplotAssets();
  const out = new OutputSink(stream as never);
  out.write(
    `<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<meta name="viewport" content="width=device-width, initial-scale=1">\n` +
      `<meta name="generator" content="${escapeHtml(title.generator)}">\n<title>mpcap compare: ${escapeHtml(title.A)} ↔ ${escapeHtml(title.B)}</title>\n` +
      `<style>\n${uplot.css}\n${ownAsset('app.css')}\n${ownAsset('compare.css')}\n</style>\n</head>\n<body>\n` +
      `<div id="app"><noscript><p>The plots of this page need JavaScript; its data is in the page source (script#mpcap-compare: compare --json).</p></noscript></div>\n` +
      `<script type="application/json" id="mpcap-compare">`,
  );
  out.write(json.indexOf('<') < 0 ? json : json.replace(/</g, '\\u003c'));
  out.write(`</script>\n<script>\n${scriptText(uplot.js)}\n</script>\n<script>\n${scriptText(ownAsset('compare.js'))}\n</script>\n</body>\n</html>\n`);
  await out.end();
}
