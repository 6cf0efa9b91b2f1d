/**
 * The report's numbers formatted into bytes (src/analysis/json-number.ts) and the series written
 * from them (PointList in report-json.ts): exactly JSON.stringify's text, on every kind of number a
 * report holds and on those it should never hold.
 */
import { describe, expect, it } from 'vitest';
import { writeJsonNumber } from '../../src/analysis/json-number.ts';
import { PointList } from '../../src/analysis/lazy-list.ts';
import { OutputSink } from '../../src/analysis/output-sink.ts';
import { writeReportJson } from '../../src/analysis/report-json.ts';
import type { ReportParts } from '../../src/analysis/report.ts';
import { round6 } from '../../src/analysis/round.ts';
import { TextSink } from '../helpers/cli.ts';

const buf = new Uint8Array(64);
const text = (x: number): string => Buffer.from(buf.buffer, 0, writeJsonNumber(x, buf, 0)).toString('latin1');

/** xorshift32: the same numbers every run. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

const edges = [
  0, -0, 1, -1, 9, 10, 99, 100, 1e-6, -1e-6, 5e-7, 1e-7, 0.1, 0.2, 0.1 + 0.2, 0.5, 1.5, 2.000001, 9.999999, 99.9, 12345.6,
  2 ** 31 - 1, 2 ** 31, 2 ** 31 + 0.5, 2 ** 32 + 0.000001, 2 ** 33 + 0.25, 2 ** 52, 2 ** 53, 2 ** 53 + 2, 1e21, 1e22, -1e21,
  1733112345.123456, 1733112345.1, 1733112345.000001, Number.MAX_SAFE_INTEGER, Number.MIN_VALUE, Number.MAX_VALUE, NaN, Infinity, -Infinity,
];

describe('writeJsonNumber', () => {
  it('writes what JSON.stringify writes, on edge cases', () => {
    for (const x of edges) expect(text(x), String(x)).toBe(JSON.stringify([x]).slice(1, -1));
  });

  it('writes what JSON.stringify writes, on 200,000 numbers of the kinds a report holds and others', () => {
    const r = rng(0x5eed);
    for (let i = 0; i < 200_000; i++) {
      const u = r();
      let x: number;
      switch (i % 8) {
        case 0: x = round6(1.7e9 + u * 1e8); break; // epoch times, to the microsecond
        case 1: x = round6(u * 5000); break; // relative times
        case 2: x = Math.round(u * 2e6 * 10) / 10; break; // RTTs in µs, to a tenth
        case 3: x = Math.floor(u * 2 ** 53); break; // byte counts, sequence numbers
        case 4: x = (u - 0.5) * 10 ** Math.floor(r() * 40 - 20); break; // anything
        case 5: x = round6((u - 0.5) * 1e4); break; // negative times
        case 6: x = Math.round(u * 1e7) / 1e7; break; // seven places: not the fast path
        default: x = u * 2 ** 34; break;
      }
      const want = JSON.stringify([x]).slice(1, -1);
      if (text(x) !== want) expect(text(x), `${x}`).toBe(want);
    }
  });
});

describe('a PointList in the pretty JSON report', () => {
  it('is written exactly as JSON.stringify(report, null, 2) writes the same pairs, nested at any depth', async () => {
    const r = rng(7);
    const n = 3000; // several of the writer's 64 KB pieces
    const t = Array.from({ length: n }, (_, i) => round6(1733112345 + i * 0.001 + r() * 1e-3));
    const v = Array.from({ length: n }, (_, i) => (i % 3 === 0 ? Math.round(r() * 1e5 * 10) / 10 : Math.floor(r() * 2 ** 40)));
    v[5] = NaN;
    v[6] = 0.1 + 0.2;
    const points = (): PointList => new PointList(n, (i) => t[i] as number, (i) => v[i] as number);
    const pairs = t.map((x, i) => [x, v[i]]);
    const conn = (p: unknown): unknown => ({ index: 0, series: { cumulativeBytes: { c2s: p, s2c: [] } }, subflows: [{ tcpStream: 0, series: { rttUs: p } }] });
    const parts = { head: { schemaVersion: 1 }, connections: () => [conn(points())], endpoints: [], unansweredCapable: { count: 0 } } as unknown as ReportParts;
    const sink = new TextSink();
    const out = new OutputSink(sink);
    await writeReportJson(parts, out);
    await out.end();
    const want = JSON.stringify({ schemaVersion: 1, connections: [conn(pairs)], endpoints: [], unansweredCapable: { count: 0 } }, null, 2);
    expect(sink.text).toBe(want);
  });
});
