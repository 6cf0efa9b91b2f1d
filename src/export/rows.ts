/**
 * The rows of the dataset's tables, made from analyze's report (ReportParts: the same objects
 * `analyze --json` writes), one connection at a time, so that a capture of a million connections
 * is never held whole. Each value is converted to its column's type here (columns.ts): the writer
 * only appends.
 */
import type { ConnectionJson, DataDirectionJson, ReportParts } from '../analysis/report.js';
import { DATASET_SCHEMA_VERSION as DATASET_VERSION, TABLES, type Column, type ColumnType, type Table } from './columns.js';

export type Value = bigint | number | string | boolean | null;

export interface RowSink {
  row(table: Table, values: Value[]): void;
}

/** A capture that could not be read at all: its row in `captures`, with why. */
export interface FailedCapture {
  file: string;
  files: number;
  error: string;
  exitCode: number;
  generator: string;
}

const NS_PER_SEC = 1_000_000_000n;

/** "1700000000.123456789" (capture.start.epoch) → nanoseconds since the epoch. */
export function epochNs(epoch: string): bigint {
  const [sec, frac = ''] = epoch.split('.');
  return BigInt(sec as string) * NS_PER_SEC + BigInt((frac + '000000000').slice(0, 9));
}

function get(obj: unknown, path: readonly string[]): unknown {
  let v = obj;
  for (let i = 0; i < path.length; i++) {
    if (v === null || v === undefined || typeof v !== 'object') return null;
    v = (v as Record<string, unknown>)[path[i] as string];
  }
  return v;
}

function convert(v: unknown, type: ColumnType, startNs: bigint): Value {
  if (v === null || v === undefined) return null;
  switch (type) {
    case 'UBIGINT': {
      const b = typeof v === 'bigint' ? v : BigInt(typeof v === 'number' ? Math.round(v) : String(v));
      if (b < 0n) throw new Error(`negative value ${b} for an unsigned column`);
      return b;
    }
    case 'BIGINT':
      return BigInt(Math.round(v as number));
    case 'INTEGER':
    case 'UINTEGER':
    case 'DOUBLE':
      return v as number;
    case 'BOOLEAN':
      return v as boolean;
    case 'VARCHAR':
      return typeof v === 'string' ? v : JSON.stringify(v);
    case 'TIMESTAMP_NS':
      if (typeof v === 'object') return epochNs((v as { epoch: string }).epoch);
      return startNs + BigInt(Math.round((v as number) * 1e9));
  }
}

/** The values of one row, in the table's column order. */
function values(t: Table, src: unknown, given: Record<string, unknown>, startNs: bigint): Value[] {
  const out: Value[] = new Array<Value>(t.columns.length);
  for (let i = 0; i < t.columns.length; i++) {
    const col = t.columns[i] as Column;
    let v: unknown;
    if (col.given) v = given[col.name];
    else {
      v = get(src, col.path as readonly string[]);
      if (col.count) v = Array.isArray(v) ? v.length : 0;
    }
    out[i] = convert(v, col.type, startNs);
  }
  return out;
}

const T = Object.fromEntries(TABLES.map((t) => [t.name, t])) as Record<string, Table>;
const tbl = (name: string): Table => T[name] as Table;

/** Every row of one capture's report; the `captures` row last (written last, it marks the capture done). */
export function reportRows(parts: ReportParts, sink: RowSink, outcome: { error: string | null; exitCode: number }): void {
  const head = parts.head;
  const startNs = head.capture.start === null ? 0n : epochNs(head.capture.start.epoch);
  for (const conn of parts.connections()) connectionRows(conn, sink, startNs);
  sink.row(tbl('captures'), values(tbl('captures'), head, { datasetVersion: DATASET_VERSION, error: outcome.error, exitCode: outcome.exitCode }, startNs));
}

/** The `captures` row of a capture that could not be read. */
export function failedCaptureRow(f: FailedCapture, sink: RowSink): void {
  const t = tbl('captures');
  const head = { generator: f.generator, capture: { file: f.file, files: new Array<null>(f.files).fill(null) } };
  sink.row(t, values(t, head, { datasetVersion: DATASET_VERSION, error: f.error, exitCode: f.exitCode }, 0n));
}

function connectionRows(conn: ConnectionJson, sink: RowSink, startNs: bigint): void {
  const connection = conn.index;
  sink.row(tbl('connections'), values(tbl('connections'), conn, {}, startNs));
  const sf = tbl('subflows');
  const series = tbl('series');
  for (const s of conn.subflows) {
    sink.row(sf, values(sf, s, { connection }, startNs));
    for (const name of ['cumulativeBytes', 'rttUs'] as const) {
      for (const p of s.series[name]) sink.row(series, values(series, p, { connection, subflow: s.tcpStream, direction: null, series: name }, startNs));
    }
  }
  const ad = tbl('addresses');
  for (const a of conn.addresses) sink.row(ad, values(ad, a, { connection }, startNs));
  for (const direction of ['c2s', 's2c'] as const) {
    const d: DataDirectionJson = conn.data[direction];
    const given = { connection, direction };
    sink.row(tbl('data'), values(tbl('data'), d, given, startNs));
    const re = tbl('reinjections');
    for (const r of d.reinjections) sink.row(re, values(re, r, given, startNs));
    const g = tbl('gaps');
    for (const h of d.holes) sink.row(g, values(g, h, { ...given, kind: 'hole' }, startNs));
    for (const h of d.captureGaps) sink.row(g, values(g, h, { ...given, kind: 'capture' }, startNs));
    for (const h of d.skippedGaps) sink.row(g, values(g, h, { ...given, kind: 'skipped' }, startNs));
    for (const p of conn.series.cumulativeBytes[direction]) sink.row(series, values(series, p, { connection, subflow: null, direction, series: 'cumulativeBytes' }, startNs));
  }
  const cl = tbl('closing');
  conn.closing.events.forEach((e, seq) => sink.row(cl, values(cl, e, { connection, seq }, startNs)));
}
