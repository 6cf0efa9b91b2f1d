/**
 * One capture's tables written as Parquet through DuckDB: rows go into an in-memory table per
 * dataset table through an Appender (no SQL text per row), then `COPY … TO … (FORMAT parquet)`
 * writes each file. The choice, against a pure-JS writer, is measured in docs/dataset.md.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { DuckDBAppender, DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { TABLES, type ColumnType, type Table } from './columns.js';
import { sqlName, sqlString, type DuckApi } from './duckdb.js';
import type { RowSink, Value } from './rows.js';

/** Parquet compression: zstd is ~30% smaller than snappy here and every reader named in the README reads it. */
const COMPRESSION = 'zstd';

export function createTableSql(t: Table, name: string): string {
  return `CREATE TEMP TABLE ${sqlName(name)} (${t.columns.map((c) => `${sqlName(c.name)} ${c.type}`).join(', ')})`;
}

type Append = (a: DuckDBAppender, v: Value) => void;

function appender(type: ColumnType, duck: DuckApi): Append {
  switch (type) {
    case 'UBIGINT':
      return (a, v) => a.appendUBigInt(v as bigint);
    case 'BIGINT':
      return (a, v) => a.appendBigInt(v as bigint);
    case 'INTEGER':
      return (a, v) => a.appendInteger(v as number);
    case 'UINTEGER':
      return (a, v) => a.appendUInteger(v as number);
    case 'DOUBLE':
      return (a, v) => a.appendDouble(v as number);
    case 'BOOLEAN':
      return (a, v) => a.appendBoolean(v as boolean);
    case 'VARCHAR':
      return (a, v) => a.appendVarchar(v as string);
    case 'TIMESTAMP_NS':
      return (a, v) => a.appendTimestampNanoseconds(duck.timestampNanosValue(v as bigint));
  }
}

let instance: Promise<DuckDBInstance> | null = null;

/**
 * One DuckDB thread: the parallelism is one capture per thread (--jobs), not inside DuckDB. Its
 * allocator (jemalloc) otherwise keeps up to 512 MB freed by a statement before giving it back:
 * at 1 MB, `export --packets` of the 1 GB bench capture peaks ~30 MB lower (docs/dataset.md).
 */
const INSTANCE_OPTIONS: Record<string, string> = {
  threads: '1',
  allocator_bulk_deallocation_flush_threshold: '1MB',
  ...(process.env.MPCAP_X ? (JSON.parse(process.env.MPCAP_X) as Record<string, string>) : {}),
};

/**
 * One in-memory DuckDB per thread (main or --jobs worker), made once and kept: making and closing
 * one per capture cost ~18 ms each (20 % of a 4 MB capture's export).
 */
function threadInstance(duck: DuckApi): Promise<DuckDBInstance> {
  instance ??= duck.DuckDBInstance.create(':memory:', INSTANCE_OPTIONS).catch((e: unknown) => {
    instance = null;
    throw e;
  });
  return instance;
}

interface Open {
  table: Table;
  name: string;
  appender: DuckDBAppender;
  append: Append[];
  rows: number;
}

/** Rows of one capture into DuckDB; `finish` writes DIR/TABLE/part-0.parquet for every table. */
export class ParquetCaptureWriter implements RowSink {
  private readonly open = new Map<Table, Open>();

  private constructor(private readonly conn: DuckDBConnection) {}

  static async create(duck: DuckApi): Promise<ParquetCaptureWriter> {
    // a connection of this thread's instance: its TEMP tables are its own and go with it
    const conn = await (await threadInstance(duck)).connect();
    const w = new ParquetCaptureWriter(conn);
    for (const t of TABLES) {
      const name = `t_${t.name}`;
      await conn.run(createTableSql(t, name));
      const a = await conn.createAppender(name);
      w.open.set(t, { table: t, name, appender: a, append: t.columns.map((c) => appender(c.type, duck)), rows: 0 });
    }
    return w;
  }

  /** The connection the tables are in (the per-packet table stages its rows there too). */
  get connection(): DuckDBConnection {
    return this.conn;
  }

  row(table: Table, values: Value[]): void {
    const o = this.open.get(table) as Open;
    const a = o.appender;
    for (let i = 0; i < values.length; i++) {
      const v = values[i] as Value;
      if (v === null) a.appendNull();
      else (o.append[i] as Append)(a, v);
    }
    a.endRow();
    o.rows++;
  }

  /** Rows appended to a table so far. */
  rows(name: string): number {
    for (const o of this.open.values()) if (o.table.name === name) return o.rows;
    return 0;
  }

  /** Write every table to dir/TABLE/part-0.parquet (an empty table too: the file carries the schema). */
  async finish(dir: string): Promise<void> {
    try {
      for (const o of this.open.values()) {
        o.appender.closeSync();
        const tdir = join(dir, o.table.name);
        await mkdir(tdir, { recursive: true });
        await this.conn.run(`COPY ${sqlName(o.name)} TO ${sqlString(join(tdir, 'part-0.parquet'))} (FORMAT parquet, COMPRESSION ${COMPRESSION})`);
      }
    } finally {
      this.close();
    }
  }

  private closed = false;

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.conn.closeSync();
  }
}
