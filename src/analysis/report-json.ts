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
    out.write(`${first ? '' : ','}\n${pad1}${JSON.stringify(k)}: `);
    writeValue(v, pad1, out);
    first = false;
  };
  for (const [k, v] of Object.entries(parts.head)) key(k, v);
  out.write(`${first ? '' : ','}\n${pad1}"connections": [`);
  first = false;
  let n = 0;
  for (const c of parts.connections()) {
    out.write(`${n === 0 ? '' : ','}\n${pad2}`);
    writeValue(c, pad2, out);
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

/** Arrays longer than this (time series, endpoints) are written element by element. */
const LONG_ARRAY = 256;
const MARK = '\u0000long:';
const MARK_RE = /"\\u0000long:(\d+)"/;

/**
 * JSON.stringify(v, null, 2), nested at `pad`, written in pieces: long arrays are left out of the
 * one string (a marker stands in their place) and written element by element, so that a
 * connection with eight 20,000-point series is never one 10 MB string.
 */
function writeValue(v: unknown, pad: string, out: OutputSink): void {
  const long: unknown[][] = [];
  const skeleton = JSON.stringify(v, (_k, x: unknown) => {
    if (Array.isArray(x) && x.length > LONG_ARRAY) {
      long.push(x);
      return MARK + String(long.length - 1);
    }
    return x;
  }, 2);
  if (long.length === 0) {
    out.write(nest(skeleton, pad));
    return;
  }
  const parts = skeleton.split(MARK_RE);
  for (let i = 0; i < parts.length; i++) {
    const text = parts[i] as string;
    if (i % 2 === 0) {
      out.write(nest(text, pad));
      continue;
    }
    // the array's own indentation: that of the line its marker stands on
    const before = parts[i - 1] as string;
    const lineStart = before.lastIndexOf('\n') + 1;
    const indent = pad + (/^ */.exec(before.slice(lineStart)) as RegExpExecArray)[0];
    writeArray(long[Number(text)] as unknown[], indent, out);
  }
}

function writeArray(a: unknown[], indent: string, out: OutputSink): void {
  const inner = indent + '  ';
  out.write('[');
  for (let i = 0; i < a.length; i++) {
    out.write(`${i === 0 ? '' : ','}\n${inner}`);
    writeValue(a[i], inner, out);
  }
  out.write(`\n${indent}]`);
}

function nest(json: string, pad: string): string {
  return json.includes('\n') ? json.replace(/\n/g, `\n${pad}`) : json;
}
