/**
 * `analyze --json`, written piece by piece: each connection is built, serialised and written in
 * turn, so that a report of a million connections is valid JSON in bounded memory. The text is
 * exactly what JSON.stringify(report, null, 2) would give.
 */
import { writeJsonNumber } from './json-number.js';
import { LazyList, PointList } from './lazy-list.js';
import type { OutputSink } from './output-sink.js';
import type { ReportParts } from './report.js';
import { ENTRY_DEPTH, RawJson } from './spool.js';

/**
 * Connections written between two waits for a slow reader, at most; and a wait as soon as the
 * reader is behind. Text queued for a pipe outlives V8's small young generation (bin/mpcap.js)
 * and is promoted with the report objects around it: letting 6 MB queue up doubled the peak RSS of
 * `analyze --json | jq` on a flood (30,000 handshakes: 510 MB, 200 MB into a file).
 */
const DRAIN_EVERY = 64;

function drainDue(out: OutputSink, n: number): boolean {
  return n % DRAIN_EVERY === 0 || out.backedUp !== null;
}

/** One report; `depth` is its nesting in an enclosing array (0 for a lone report). */
export async function writeReportJson(parts: ReportParts, out: OutputSink, depth = 0): Promise<void> {
  const pad0 = '  '.repeat(depth);
  const pad1 = pad0 + '  ';
  const pad2 = pad1 + '  ';
  out.write('{');
  let first = true;
  const key = async (k: string, v: unknown): Promise<void> => {
    out.write(`${first ? '' : ','}\n${pad1}${JSON.stringify(k)}: `);
    await writeValue(v, pad1, out);
    first = false;
  };
  for (const [k, v] of Object.entries(parts.head)) await key(k, v);
  out.write(`${first ? '' : ','}\n${pad1}"connections": [`);
  first = false;
  let n = 0;
  for (const c of parts.connections(undefined, true)) {
    out.write(`${n === 0 ? '' : ','}\n${pad2}`);
    // a connection written out early, as text made at this nesting (or, nested deeper, parsed again)
    if (c instanceof RawJson) {
      if (depth + ENTRY_DEPTH === ENTRY_DEPTH) out.write(c.text);
      else await writeValue(JSON.parse(c.text), pad2, out);
    } else {
      await writeValue(c, pad2, out);
    }
    if (drainDue(out, ++n)) await out.drain();
  }
  out.write(n === 0 ? ']' : `\n${pad1}]`);
  await key('endpoints', parts.endpoints);
  await key('unansweredCapable', parts.unansweredCapable);
  out.write(`\n${pad0}}`);
}

/**
 * The same report on one line (JSON.stringify(report) with no indentation), for NDJSON: `live
 * --json`'s summary event. Written in pieces too: a join flood's summary is no single string.
 */
export async function writeReportJsonLine(parts: ReportParts, out: OutputSink): Promise<void> {
  out.write('{');
  let first = true;
  const key = async (k: string, v: unknown): Promise<void> => {
    out.write(`${first ? '' : ','}${JSON.stringify(k)}:`);
    await writeCompact(v, out);
    first = false;
  };
  for (const [k, v] of Object.entries(parts.head)) await key(k, v);
  out.write(`${first ? '' : ','}"connections":[`);
  let n = 0;
  for (const c of parts.connections(undefined, true)) {
    if (n > 0) out.write(',');
    await writeCompact(c instanceof RawJson ? JSON.parse(c.text) : c, out);
    if (drainDue(out, ++n)) await out.drain();
  }
  out.write(']');
  await key('endpoints', parts.endpoints);
  await key('unansweredCapable', parts.unansweredCapable);
  out.write('}');
}

/** JSON.stringify(v), long arrays element by element (see writeValue). */
async function writeCompact(v: unknown, out: OutputSink): Promise<void> {
  if (isLong(v)) {
    await writeCompactArray(v, out);
    return;
  }
  const { parts, long } = stringifyDetached(v, (x) => JSON.stringify(x));
  for (let i = 0; i < parts.length; i++) {
    if (i % 2 === 0) out.write(parts[i] as string);
    else await writeCompactArray(long[Number(parts[i])] as Iterable<unknown>, out);
  }
}

/**
 * `stringify(v)` with every long array under `v` replaced by a marker while the text is made
 * (then put back): the text split at the markers (even pieces are text, odd ones the index of the
 * array that stands there) and the arrays.
 */
function stringifyDetached(v: unknown, stringify: (x: unknown) => string): { parts: string[]; long: Array<Iterable<unknown>> } {
  const found: Array<{ holder: Record<string, unknown> | unknown[]; key: string | number; array: Iterable<unknown> }> = [];
  detachLong(v, found);
  let text: string;
  try {
    text = stringify(v);
  } finally {
    for (const d of found) (d.holder as Record<string | number, unknown>)[d.key] = d.array;
  }
  return { parts: found.length === 0 ? [text] : text.split(MARK_RE), long: found.map((d) => d.array) };
}

async function writeCompactArray(a: Iterable<unknown>, out: OutputSink): Promise<void> {
  out.write('[');
  let i = 0;
  for (const x of a) {
    if (i++ > 0) out.write(',');
    const flat = flatCompact(x);
    if (flat !== null) out.write(flat);
    else await writeCompact(x, out);
    if (out.backedUp !== null) await out.drain();
  }
  out.write(']');
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

/** Written element by element: a long array, or a list made as it is written (never empty, see report.ts). */
function isLong(v: unknown): v is Iterable<unknown> {
  return (Array.isArray(v) && v.length > LONG_ARRAY) || v instanceof LazyList;
}
const MARK = '\u0000long:';
const MARK_RE = /"\\u0000long:(\d+)"/;

/**
 * JSON.stringify(v, null, 2), nested at `pad`, written in pieces: long arrays are left out of the
 * one string (a marker stands in their place while it is made) and written element by element, so
 * that a connection with eight 10,000-point series is never one 5 MB string.
 */
async function writeValue(v: unknown, pad: string, out: OutputSink): Promise<void> {
  if (isLong(v)) {
    await writeArray(v, pad, out);
    return;
  }
  const { parts, long } = stringifyDetached(v, (x) => prettyJsonAt(x, pad.length / 2));
  for (let i = 0; i < parts.length; i++) {
    const piece = parts[i] as string;
    if (i % 2 === 0) {
      out.write(piece);
      continue;
    }
    // the array's own indentation: that of the line its marker stands on
    const before = parts[i - 1] as string;
    const indent = (/^ */.exec(before.slice(before.lastIndexOf('\n') + 1)) as RegExpExecArray)[0];
    await writeArray(long[Number(piece)] as Iterable<unknown>, indent, out);
  }
}

/** Put a marker in place of every long array under `v` (restored by the caller), and list them. */
function detachLong(v: unknown, found: Array<{ holder: Record<string, unknown> | unknown[]; key: string | number; array: Iterable<unknown> }>): void {
  if (v === null || typeof v !== 'object') return;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) visit(v, i, v[i], found);
    return;
  }
  for (const k of Object.keys(v)) visit(v as Record<string, unknown>, k, (v as Record<string, unknown>)[k], found);
}

function visit(holder: Record<string, unknown> | unknown[], key: string | number, x: unknown, found: Array<{ holder: Record<string, unknown> | unknown[]; key: string | number; array: Iterable<unknown> }>): void {
  if (isLong(x)) {
    found.push({ holder, key, array: x });
    (holder as Record<string | number, unknown>)[key] = MARK + String(found.length - 1);
  } else if (x !== null && typeof x === 'object') {
    detachLong(x, found);
  }
}

/**
 * JSON.stringify(v, null, 2) as it reads at `depth` levels of nesting: made inside `depth` arrays
 * and cut out, so the engine indents it (no second pass over the text to add the indentation).
 */
export function prettyJsonAt(v: unknown, depth: number): string {
  if (depth === 0) return JSON.stringify(v, null, 2);
  let wrapped: unknown = v;
  for (let i = 0; i < depth; i++) wrapped = [wrapped];
  const text = JSON.stringify(wrapped, null, 2);
  let head = 0;
  for (let i = 0; i < depth; i++) head += 2 * i + 2; // "[\n" after i levels of indentation
  head += 2 * depth; // the value's own indentation
  let tail = 0;
  for (let i = 0; i < depth; i++) tail += 2 * i + 2; // "\n" + indentation + "]"
  return text.slice(head, text.length - tail);
}

/** Element by element, waiting for a slow reader between elements (200,000 subflows of one connection). */
async function writeArray(a: Iterable<unknown>, indent: string, out: OutputSink): Promise<void> {
  if (a instanceof PointList && a.length > 0) {
    await writePoints(a, indent, out);
    return;
  }
  const inner = indent + '  ';
  out.write('[');
  let i = 0;
  for (const x of a) {
    const sep = i++ === 0 ? '' : ',';
    // a time series' [t, value] points, most of a report's text: made here, not by a stringify each
    const flat = flatPretty(x, inner);
    if (flat !== null) out.write(`${sep}\n${inner}${flat}`);
    else {
      out.write(`${sep}\n${inner}`);
      await writeValue(x, inner, out);
    }
    if (out.backedUp !== null) await out.drain();
  }
  out.write(`\n${indent}]`);
}

/** Text of points made here, handed to the sink as one string per this many bytes. */
const POINT_CHUNK = 1 << 16;
let pointBytes = Buffer.alloc(0);

/**
 * A time series' points as writeArray writes them ([t, v] pairs, JSON.stringify's layout), each
 * formatted into a reused byte buffer (json-number.ts): no pair, no string per point.
 */
async function writePoints(a: PointList, indent: string, out: OutputSink): Promise<void> {
  const inner = indent + '  ';
  const inner2 = inner + '  ';
  // one point: ",\n" inner "[\n" inner2 t ",\n" inner2 v "\n" inner "]", numbers ≤ 32 bytes
  const most = 3 * inner.length + 2 * inner2.length + 80;
  if (pointBytes.length < POINT_CHUNK + most) pointBytes = Buffer.alloc(POINT_CHUNK + most);
  const b = pointBytes;
  const spaces = (at: number, k: number): number => {
    b.fill(0x20, at, at + k);
    return at + k;
  };
  let at = 0;
  b[at++] = 0x5b; // [
  for (let i = 0; i < a.length; i++) {
    if (i > 0) b[at++] = 0x2c;
    b[at++] = 0x0a;
    at = spaces(at, inner.length);
    b[at++] = 0x5b;
    b[at++] = 0x0a;
    at = spaces(at, inner2.length);
    at = writeJsonNumber(a.t(i), b, at);
    b[at++] = 0x2c;
    b[at++] = 0x0a;
    at = spaces(at, inner2.length);
    at = writeJsonNumber(a.v(i), b, at);
    b[at++] = 0x0a;
    at = spaces(at, inner.length);
    b[at++] = 0x5d; // ]
    if (at >= POINT_CHUNK) {
      out.write(b.toString('latin1', 0, at));
      at = 0;
      if (out.backedUp !== null) await out.drain();
    }
  }
  if (at > 0) out.write(b.toString('latin1', 0, at));
  out.write(`\n${indent}]`);
}

/** JSON text of a primitive, as JSON.stringify gives it in an array (undefined reads null); null for anything else. */
function primitiveJson(x: unknown): string | null {
  switch (typeof x) {
    case 'number':
      return Number.isFinite(x) ? String(x) : 'null';
    case 'string':
      return JSON.stringify(x);
    case 'boolean':
      return x ? 'true' : 'false';
    case 'undefined':
      return 'null';
    case 'object':
      return x === null ? 'null' : null;
    default:
      return null;
  }
}

/**
 * JSON.stringify(x, null, 2) at `indent` when x is a primitive or an array of primitives (no
 * more than 16 of them); null otherwise (the caller stringifies). Exactly the engine's text.
 */
function flatPretty(x: unknown, indent: string): string | null {
  if (!Array.isArray(x)) return typeof x === 'object' && x !== null ? null : primitiveJson(x);
  const n = x.length;
  if (n === 0) return '[]';
  if (n > 16) return null;
  const inner = indent + '  ';
  let s = '[';
  for (let i = 0; i < n; i++) {
    const e = primitiveJson(x[i]);
    if (e === null) return null;
    s += `${i === 0 ? '' : ','}\n${inner}${e}`;
  }
  return `${s}\n${indent}]`;
}

/** JSON.stringify(x) of a primitive or a short array of primitives; null otherwise. */
function flatCompact(x: unknown): string | null {
  if (!Array.isArray(x)) return typeof x === 'object' && x !== null ? null : primitiveJson(x);
  const n = x.length;
  if (n > 16) return null;
  let s = '[';
  for (let i = 0; i < n; i++) {
    const e = primitiveJson(x[i]);
    if (e === null) return null;
    s += i === 0 ? e : `,${e}`;
  }
  return `${s}]`;
}
