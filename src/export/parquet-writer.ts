/**
 * One capture's tables written as Parquet (parquet-file.ts): each row's values go straight into
 * its table's column buffers, a row group is written every ROW_GROUP_ROWS rows (so that a capture
 * of a million connections is never held whole) and `finish` writes the rest and every footer:
 * DIR/TABLE/part-0.parquet for every table, an empty table too (the file carries the schema).
 * The choice of this writer over DuckDB's, measured, is in docs/dataset.md.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { TABLES, type Table } from './columns.js';
import { ColumnBuffer, ParquetFile } from './parquet-file.js';
import type { RowSink, Value } from './rows.js';

/** Rows per row group (DuckDB's COPY wrote ~122,880): a few MB of buffers for the widest table. */
export const ROW_GROUP_ROWS = 65_536;

type Put = (b: ColumnBuffer, v: Exclude<Value, null>) => void;

const PUT: Record<string, Put> = {
  UBIGINT: (b, v) => b.int64Big(v as bigint),
  BIGINT: (b, v) => b.int64Big(v as bigint),
  TIMESTAMP_NS: (b, v) => b.int64Big(v as bigint),
  INTEGER: (b, v) => b.int32(v as number),
  UINTEGER: (b, v) => b.int32(v as number),
  DOUBLE: (b, v) => b.double(v as number),
  BOOLEAN: (b, v) => b.bool(v as boolean),
  VARCHAR: (b, v) => b.string(v as string),
};

class TableOut {
  readonly bufs: ColumnBuffer[];
  readonly put: Put[];
  file: ParquetFile | null = null;
  rows = 0;
  constructor(readonly table: Table) {
    this.bufs = table.columns.map((c) => new ColumnBuffer(c.type));
    this.put = table.columns.map((c) => PUT[c.type] as Put);
  }
}

/** Rows of one capture; files under `dir` (the capture's staging directory). */
export class ParquetCaptureWriter implements RowSink {
  private readonly out = new Map<Table, TableOut>();
  private closed = false;

  constructor(
    private readonly dir: string,
    private readonly createdBy: string,
  ) {
    for (const t of TABLES) this.out.set(t, new TableOut(t));
  }

  row(table: Table, values: Value[]): void {
    const o = this.out.get(table) as TableOut;
    const bufs = o.bufs;
    for (let i = 0; i < values.length; i++) {
      const v = values[i] as Value;
      const b = bufs[i] as ColumnBuffer;
      if (v === null) b.null();
      else (o.put[i] as Put)(b, v);
    }
    o.rows++;
    if ((bufs[0] as ColumnBuffer).rows >= ROW_GROUP_ROWS) this.flush(o);
  }

  /** Rows given to a table so far. */
  rows(name: string): number {
    for (const o of this.out.values()) if (o.table.name === name) return o.rows;
    return 0;
  }

  private flush(o: TableOut): void {
    if (o.file === null) {
      const tdir = join(this.dir, o.table.name);
      mkdirSync(tdir, { recursive: true });
      o.file = new ParquetFile(join(tdir, 'part-0.parquet'), o.table.columns, this.createdBy);
    }
    if ((o.bufs[0] as ColumnBuffer).rows > 0) o.file.writeRowGroup(o.bufs);
  }

  /** The last row group and the footer of every table's file. */
  finish(): void {
    for (const o of this.out.values()) {
      this.flush(o);
      (o.file as ParquetFile).close();
    }
    this.closed = true;
  }

  /** After an error: files closed without a footer and removed. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const o of this.out.values()) {
      if (o.file === null) continue;
      o.file.abort();
      rmSync(join(this.dir, o.table.name), { recursive: true, force: true });
    }
  }
}
