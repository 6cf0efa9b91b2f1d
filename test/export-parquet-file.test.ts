/**
 * mpcap's own Parquet writer (src/export/parquet-file.ts, thrift.ts): Thrift compact known answers,
 * then files of every column type — nulls, booleans across bytes, UTF-8, the 64-bit and 32-bit
 * extremes, nanosecond times past 2^53 — read back by DuckDB (a reader we did not write), over
 * several row groups, compressed and uncompressed pages, and an empty file.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ColumnType } from '../src/export/columns.ts';
import { ColumnBuffer, ParquetFile, type FileColumn } from '../src/export/parquet-file.ts';
import { PacketRows, ROWS_PER_PART } from '../src/export/packets.ts';
import { ThriftWriter } from '../src/export/thrift.ts';

const tmp = mkdtempSync(path.join(tmpdir(), 'mpcap-parquet-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const duck = await import('@duckdb/node-api').catch(() => null);

describe('Thrift compact protocol', () => {
  const hex = (b: Buffer): string => b.toString('hex');
  it.each([
    // field 1 i32 1: header (delta 1 << 4 | I32 5), zigzag 2; stop
    ['i32 field 1 = 1', (w: ThriftWriter) => w.i32(1, 1), '150200'],
    // zigzag of -1 is 1
    ['i32 field 1 = -1', (w: ThriftWriter) => w.i32(1, -1), '150100'],
    // delta 16: long form, type byte then zigzag field id (32)
    ['i64 field 16 = 300', (w: ThriftWriter) => w.i64(16, 300), '0620d80400'],
    // bools live in the type nibble: TRUE 1, FALSE 2 (each field one delta further)
    ['bool fields 1, 2', (w: ThriftWriter) => w.bool(1, true).bool(2, false), '111200'],
    // binary: varint length then bytes
    ['string field 4', (w: ThriftWriter) => w.string(4, 'ab'), '4802616200'],
    // nested struct: its field ids start again from 0
    ['struct field 10 { i8 1 = 64 }', (w: ThriftWriter) => w.struct(10, (s) => s.i8(1, 64)), 'ac13400000'],
    // list of 15 i32: size nibble 0xf, then the size as a varint
    ['list of 15', (w: ThriftWriter) => w.i32List(2, Array(15).fill(0)), '29f50f' + '00'.repeat(15) + '00'],
  ])('%s', (_name, body, want) => {
    expect(hex(new ThriftWriter().message(body as (w: ThriftWriter) => void))).toBe(want);
  });
});

const COLUMNS: FileColumn[] = [
  { name: 'u64', type: 'UBIGINT' },
  { name: 'i64', type: 'BIGINT' },
  { name: 'i32', type: 'INTEGER' },
  { name: 'u32', type: 'UINTEGER' },
  { name: 'f64', type: 'DOUBLE' },
  { name: 'b', type: 'BOOLEAN' },
  { name: 's', type: 'VARCHAR' },
  { name: 'ts', type: 'TIMESTAMP_NS' },
];

interface Row {
  u64: bigint | null;
  i64: bigint | null;
  i32: number | null;
  u32: number | null;
  f64: number | null;
  b: boolean | null;
  s: string | null;
  ts: [number, number] | null;
}

/** Row i: every value from i, one column null in turn, the extremes at the start. */
function row(i: number): Row {
  const n = (col: number): boolean => i % 9 === col;
  return {
    u64: n(0) ? null : i === 1 ? 2n ** 64n - 1n : BigInt(i) * 0x1_0000_0001n,
    i64: n(1) ? null : i === 2 ? -(2n ** 63n) : BigInt(-i) * 1_000_000_007n,
    i32: n(2) ? null : i === 3 ? -(2 ** 31) : i === 4 ? 2 ** 31 - 1 : i * 7 - 500,
    u32: n(3) ? null : i === 5 ? 2 ** 32 - 1 : i * 65_537,
    f64: n(4) ? null : i / 3,
    b: n(5) ? null : i % 3 === 0,
    s: n(6) ? null : i === 7 ? '' : `é✓ row ${i}`,
    // seconds past 2^31 (after 2038), nanoseconds up to 999,999,999: beyond a double's 2^53
    ts: n(7) ? null : [2 ** 31 + i * 1000, i === 8 ? 999_999_999 : i * 1_234_567],
  };
}

function put(bufs: ColumnBuffer[], r: Row): void {
  const [u64, i64, i32, u32, f64, b, s, ts] = bufs as [ColumnBuffer, ColumnBuffer, ColumnBuffer, ColumnBuffer, ColumnBuffer, ColumnBuffer, ColumnBuffer, ColumnBuffer];
  if (r.u64 === null) u64.null();
  else if (r.u64 < 2n ** 53n) u64.int64Number(Number(r.u64));
  else u64.int64(Number(r.u64 >> 32n), Number(r.u64 & 0xffffffffn));
  if (r.i64 === null) i64.null();
  else i64.int64Big(r.i64);
  if (r.i32 === null) i32.null();
  else i32.int32(r.i32);
  if (r.u32 === null) u32.null();
  else u32.int32(r.u32);
  if (r.f64 === null) f64.null();
  else f64.double(r.f64);
  if (r.b === null) b.null();
  else b.bool(r.b);
  if (r.s === null) s.null();
  else s.string(r.s);
  if (r.ts === null) ts.null();
  else ts.int64Ns(r.ts[0], r.ts[1]);
}

/** What DuckDB's JSON-ish rows should say for a row. */
function expected(i: number): unknown[] {
  const r = row(i);
  return [
    i,
    r.u64,
    r.i64,
    r.i32,
    r.u32,
    r.f64,
    r.b,
    r.s,
    r.ts === null ? null : BigInt(r.ts[0]) * 1_000_000_000n + BigInt(r.ts[1]),
  ];
}

async function readBack(file: string): Promise<{ types: string[]; rows: unknown[][] }> {
  const d = duck as NonNullable<typeof duck>;
  const inst = await d.DuckDBInstance.create(':memory:');
  const c = await inst.connect();
  try {
    const f = file.replace(/'/g, "''");
    const types = (await c.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${f}')`)).getRows().map((r) => String(r[1]));
    // the timestamp as nanoseconds since the epoch (exact), the row number to order by
    const sql = `SELECT row_number() OVER () - 1 AS n, u64, i64, i32, u32, f64, b, s, epoch_ns(ts) FROM read_parquet('${f}')`;
    const rows = (await c.runAndReadAll(sql)).getRows();
    return { types, rows: rows.map((r) => [Number(r[0]), ...r.slice(1)]) };
  } finally {
    c.closeSync();
    inst.closeSync();
  }
}

const TYPES: Record<ColumnType, string> = {
  UBIGINT: 'UBIGINT',
  BIGINT: 'BIGINT',
  INTEGER: 'INTEGER',
  UINTEGER: 'UINTEGER',
  DOUBLE: 'DOUBLE',
  BOOLEAN: 'BOOLEAN',
  VARCHAR: 'VARCHAR',
  TIMESTAMP_NS: 'TIMESTAMP_NS',
};

describe.skipIf(duck === null)('Parquet files read back by DuckDB', () => {
  it('every type, nulls in every column, three row groups (compressed and not), exact values', async () => {
    const file = path.join(tmp, 'all.parquet');
    const f = new ParquetFile(file, COLUMNS, 'mpcap test');
    const bufs = COLUMNS.map((c) => new ColumnBuffer(c.type));
    // 5 rows (every page under the compression threshold), then 3,000 (compressed), then 13
    const sizes = [5, 3000, 13];
    let i = 0;
    for (const size of sizes) {
      for (let k = 0; k < size; k++) put(bufs, row(i++));
      f.writeRowGroup(bufs);
    }
    f.close();
    const got = await readBack(file);
    expect(got.types).toEqual(COLUMNS.map((c) => TYPES[c.type]));
    expect(got.rows).toHaveLength(i);
    for (let n = 0; n < i; n++) {
      const want = expected(n);
      // the 32-bit ones come back as numbers, the 64-bit ones as bigint
      expect(got.rows[n], `row ${n}`).toEqual(want);
    }
  });

  it('row groups carry the minimum and maximum of integer and time columns, in the column type\'s order: a filter on any extreme finds every row', async () => {
    // the extremes of each group (3 groups of 5, 3,000 and 13 rows) are the values a wrong statistic would make DuckDB skip
    const file = path.join(tmp, 'all.parquet');
    const d = duck as NonNullable<typeof duck>;
    const inst = await d.DuckDBInstance.create(':memory:');
    const c = await inst.connect();
    try {
      const f = `read_parquet('${file.replace(/'/g, "''")}')`;
      const withStats = (await c.runAndReadAll(`SELECT count(*) FROM parquet_metadata('${file.replace(/'/g, "''")}') WHERE stats_min_value IS NOT NULL`)).getRows()[0]?.[0];
      expect(withStats).toBe(15n); // 5 ranged columns × 3 row groups
      const rows = Array.from({ length: 3018 }, (_, i) => expected(i));
      const groups = [rows.slice(0, 5), rows.slice(5, 3005), rows.slice(3005)];
      const cols: Array<[string, number, (v: unknown) => string]> = [
        ['u64', 1, (v) => `${v}::UBIGINT`],
        ['i64', 2, (v) => `(${v})::BIGINT`],
        ['i32', 3, (v) => `(${v})::INTEGER`],
        ['u32', 4, (v) => `${v}::UINTEGER`],
        ['ts', 8, (v) => `make_timestamp_ns(${v})`],
      ];
      for (const [name, k, lit] of cols) {
        for (const g of groups) {
          const vals = g.map((r) => r[k]).filter((v) => v !== null) as Array<number | bigint>;
          for (const v of [vals.reduce((a, b) => (b < a ? b : a)), vals.reduce((a, b) => (b > a ? b : a))]) {
            const want = BigInt(rows.filter((r) => r[k] === v).length);
            const got = (await c.runAndReadAll(`SELECT count(*) FROM ${f} WHERE ${name === 'ts' ? 'ts' : name} = ${lit(v)}`)).getRows()[0]?.[0];
            expect(got, `${name} = ${v}`).toBe(want);
          }
        }
      }
    } finally {
      c.closeSync();
      inst.closeSync();
    }
  });

  it('a file without a row (the schema only) reads as no rows of the right types', async () => {
    const file = path.join(tmp, 'empty.parquet');
    new ParquetFile(file, COLUMNS, 'mpcap test').close();
    const got = await readBack(file);
    expect(got.types).toEqual(COLUMNS.map((c) => TYPES[c.type]));
    expect(got.rows).toEqual([]);
  });

  it('a row group whose columns disagree on the row count is refused', () => {
    const f = new ParquetFile(path.join(tmp, 'bad.parquet'), COLUMNS.slice(0, 2), 'mpcap test');
    const bufs = COLUMNS.slice(0, 2).map((c) => new ColumnBuffer(c.type));
    (bufs[0] as ColumnBuffer).int64Number(1);
    expect(() => f.writeRowGroup(bufs)).toThrow(/has 0 rows, not 1/);
    f.abort();
  });
});

describe.skipIf(duck === null)('export --packets parts', () => {
  it('a part of exactly ROWS_PER_PART rows each, the rest in the last, every frame once', async () => {
    const dir = mkdtempSync(path.join(tmp, 'parts-'));
    const rows = new PacketRows(dir, 'mpcap test');
    const n = 2 * ROWS_PER_PART + 5;
    // the fields PacketRows reads: a TCP packet of an MPTCP subflow without options
    const seg = { isTcp: true, hasMptcpOption: false, mptcp: [], flags: 0x10, payloadLen: 100 };
    const info = { tcpStream: 3, mptcpStream: 0, dsn: null };
    for (let i = 1; i <= n; i++) {
      const frame = { number: i, tsSec: 1_700_000_000 + Math.floor(i / 1000), tsNsec: (i % 1000) * 1_000_000 };
      (rows as unknown as { packet: (f: unknown, s: unknown, p: unknown) => void }).packet(frame, seg, info);
    }
    rows.finish();
    const d = duck as NonNullable<typeof duck>;
    const inst = await d.DuckDBInstance.create(':memory:');
    const c = await inst.connect();
    try {
      const g = (await c.runAndReadAll(`SELECT filename, count(*)::INTEGER, min(frame)::INTEGER, max(frame)::INTEGER FROM read_parquet('${dir}/*.parquet', filename = true) GROUP BY 1 ORDER BY 3`)).getRows();
      expect(g.map((r) => [path.basename(String(r[0])), r[1], r[2], r[3]])).toEqual([
        ['part-0.parquet', ROWS_PER_PART, 1, ROWS_PER_PART],
        ['part-1.parquet', ROWS_PER_PART, ROWS_PER_PART + 1, 2 * ROWS_PER_PART],
        ['part-2.parquet', 5, 2 * ROWS_PER_PART + 1, n],
      ]);
      const t = (await c.runAndReadAll(`SELECT epoch_ns("time") FROM read_parquet('${dir}/part-2.parquet') WHERE frame = ${n}`)).getRows()[0]?.[0];
      expect(t).toBe(BigInt(1_700_000_000 + Math.floor(n / 1000)) * 1_000_000_000n + BigInt((n % 1000) * 1_000_000));
    } finally {
      c.closeSync();
      inst.closeSync();
    }
  });
});

describe.skipIf(duck === null)('dictionary-encoded text', () => {
  it.each([
    ['1 value (one RLE run)', 1, 5000],
    ['3 values (2-bit indices)', 3, 5000],
    ['300 values (9-bit indices, across bytes)', 300, 7001],
    ['all distinct (PLAIN: the dictionary would not be smaller)', 1_000_000, 300],
  ])('%s: every value back, nulls kept, two row groups', async (_n, distinct, rows) => {
    const file = path.join(tmp, `dict-${distinct}.parquet`);
    const cols: FileColumn[] = [{ name: 's', type: 'VARCHAR' }];
    const f = new ParquetFile(file, cols, 'mpcap test');
    const b = new ColumnBuffer('VARCHAR');
    const value = (i: number): string | null => (i % 11 === 0 ? null : `addr-${(i * 7919) % distinct}-é`);
    for (let i = 0; i < rows; i++) {
      const v = value(i);
      if (v === null) b.null();
      else b.string(v);
      if (i === 99) f.writeRowGroup([b]);
    }
    f.writeRowGroup([b]);
    f.close();
    const d = duck as NonNullable<typeof duck>;
    const inst = await d.DuckDBInstance.create(':memory:');
    const c = await inst.connect();
    try {
      const got = (await c.runAndReadAll(`SELECT s FROM read_parquet('${file}')`)).getRows().map((r) => r[0]);
      expect(got).toEqual(Array.from({ length: rows }, (_, i) => value(i)));
      const enc = (await c.runAndReadAll(`SELECT DISTINCT encodings FROM parquet_metadata('${file}')`)).getRows().map((r) => String(r[0]));
      expect(enc.some((e) => e.includes('RLE_DICTIONARY'))).toBe(distinct < rows);
    } finally {
      c.closeSync();
      inst.closeSync();
    }
  });
});
