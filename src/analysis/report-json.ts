/**
 * `analyze --json`, written piece by piece: each connection is built, serialised and written in
 * turn, so that a report of a million connections is valid JSON in bounded memory. The text is
 * exactly what JSON.stringify(report, null, 2) would give.
 */
import type { OutputSink } from './output-sink.js';
import type { ReportParts } from './report.js';

/** Connections written between two waits for a slow reader. */
const DRAIN_EVERY = 64;

/** One report; `depth` is its nesting in an enclosing array (0 for a lone report). */
export async function writeReportJson(parts: ReportParts, out: OutputSink, depth = 0): Promise<void> {
  const pad0 = '  '.repeat(depth);
  const pad1 = pad0 + '  ';
  const pad2 = pad1 + '  ';
  out.write('{');
  let first = true;
  const key = (k: string, v: unknown): void => {
    out.write(`${first ? '' : ','}\n${pad1}${JSON.stringify(k)}: ${nest(JSON.stringify(v, null, 2), pad1)}`);
    first = false;
  };
  for (const [k, v] of Object.entries(parts.head)) key(k, v);
  out.write(`${first ? '' : ','}\n${pad1}"connections": [`);
  first = false;
  let n = 0;
  for (const c of parts.connections()) {
    out.write(`${n === 0 ? '' : ','}\n${pad2}${nest(JSON.stringify(c, null, 2), pad2)}`);
    if (++n % DRAIN_EVERY === 0) await out.drain();
  }
  out.write(n === 0 ? ']' : `\n${pad1}]`);
  key('endpoints', parts.endpoints);
  key('unansweredCapable', parts.unansweredCapable);
  out.write(`\n${pad0}}`);
}

/** Several reports as one JSON array (one per capture file). */
export async function writeReportsJson(all: ReportParts[], out: OutputSink): Promise<void> {
  if (all.length === 1) {
    await writeReportJson(all[0] as ReportParts, out);
    out.write('\n');
    return;
  }
  out.write('[');
  for (let i = 0; i < all.length; i++) {
    out.write(`${i === 0 ? '' : ','}\n  `);
    await writeReportJson(all[i] as ReportParts, out, 1);
  }
  out.write(all.length === 0 ? ']\n' : '\n]\n');
}

function nest(json: string, pad: string): string {
  return json.includes('\n') ? json.replace(/\n/g, `\n${pad}`) : json;
}
