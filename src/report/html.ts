/**
 * The report page: one self-contained HTML file (styles, the charting library, the page's script
 * and the data inline; nothing is fetched). The data is two JSON blocks: `analyze --json` of the
 * capture, exactly (one line), and what the plots draw beyond it for the connections given detail
 * pages (collect.ts). Written piece by piece: the connections are serialised one at a time.
 */
import type { ReportParts } from '../analysis/report.js';
import { writeReportJsonLine } from '../analysis/report-json.js';
import { OutputSink } from '../analysis/output-sink.js';
import type { ConnectionPlotsJson } from './collect.js';
import { escapeHtml, ownAsset, scriptText, uplotAssets } from './page.js';

/** Points per plotted series at most (the page says so on a plot that was cut down). */
export const MAX_PLOT_POINTS = 1000;

export interface PagePlots {
  /** Bump when the shape below changes. */
  version: 1;
  maxPoints: number;
  /** Sliding window of the throughput plot. */
  throughputWindowSec: number;
  /** The connections with a detail section, in the order shown. */
  details: ConnectionPlotsJson[];
  /** Why those: "the N largest by bytes", "asked with --connection". */
  selection: string;
}

/** Text inside <script> must not close it: `<` is written as \u003c (the same JSON once parsed). */
class ScriptSafeSink extends OutputSink {
  override write(s: string): void {
    super.write(s.indexOf('<') < 0 ? s : s.replace(/</g, '\\u003c'));
  }
}

export async function writeReportHtml(parts: ReportParts, plots: PagePlots, stream: NodeJS.WritableStream): Promise<void> {
  const uplot = uplotAssets();
  const out = new OutputSink(stream as never);
  out.write(
    `<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<meta name="viewport" content="width=device-width, initial-scale=1">\n` +
      `<meta name="generator" content="${escapeHtml(parts.head.generator)}">\n<title>mpcap report: ${escapeHtml(parts.head.capture.file)}</title>\n` +
      `<style>\n${uplot.css}\n${ownAsset('app.css')}\n</style>\n</head>\n<body>\n` +
      `<div id="app"><noscript><p>The plots of this report need JavaScript; its data is in the page source (script#mpcap-analysis: analyze --json).</p></noscript></div>\n` +
      `<script type="application/json" id="mpcap-analysis">`,
  );
  const safe = new ScriptSafeSink(stream as never);
  // the two sinks share the stream: flush one before the other writes
  await out.drain();
  await writeReportJsonLine(parts, safe);
  await safe.drain();
  out.write(`</script>\n<script type="application/json" id="mpcap-plots">`);
  await out.drain();
  safe.write(JSON.stringify(plots));
  await safe.drain();
  out.write(`</script>\n<script>\n${scriptText(uplot.js)}\n</script>\n<script>\n${scriptText(ownAsset('app.js'))}\n</script>\n</body>\n</html>\n`);
  await out.end();
}
