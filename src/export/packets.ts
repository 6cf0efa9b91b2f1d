/**
 * `export --packets`: the per-packet MPTCP table, one row per packet of an MPTCP subflow or with
 * an MPTCP option, written while the capture is read, in bounded memory: rows are gathered in
 * column arrays of one DuckDB vector (2048 rows), appended as one data chunk (a few calls per
 * 2048 rows, not one per value), and every ROWS_PER_PART rows the table is copied out to
 * packets/part-N.parquet and emptied. Staging columns are numbers that fit a double; the 64-bit
 * ones (raw DSN and data ACK) are two 32-bit halves, put together by the COPY's SELECT.
 */
import { join } from 'node:path';
import type { DuckDBAppender, DuckDBConnection, DuckDBDataChunk, DuckDBType, DuckDBValue } from '@duckdb/node-api';
import type { PacketSubscriber } from '../analysis/pipeline.js';
import type { Frame } from '../dissect/frame.js';
import { DSS_WIRE, type Dss } from '../dissect/mptcp.js';
import type { Segment } from '../dissect/segment.js';
import type { PacketInfo } from '../reassembly/tracker.js';
import type { Table } from './columns.js';
import { sqlString, type DuckApi } from './duckdb.js';

export const PACKETS_TABLE: Table = {
  name: 'packets',
  doc: 'With `export --packets`: one row per packet of an MPTCP subflow or with an MPTCP option (names as `dissect -T fields` / tshark say them, camelCase).',
  rowPath: [],
  columns: [
    { name: 'frame', type: 'UINTEGER', doc: 'frame.number', given: true },
    { name: 'time', type: 'TIMESTAMP_NS', doc: 'frame.time', given: true },
    { name: 'tcpStream', type: 'INTEGER', doc: 'tcp.stream', given: true },
    { name: 'mptcpStream', type: 'INTEGER', doc: 'mptcp.stream (null: not an MPTCP subflow)', given: true },
    { name: 'subtypes', type: 'VARCHAR', doc: "MPTCP option subtypes, in order ('MP_CAPABLE', 'DSS', 'DSS,ADD_ADDR', …)", given: true },
    { name: 'tcpFlags', type: 'INTEGER', doc: 'tcp.flags', given: true },
    { name: 'dsn', type: 'UBIGINT', doc: "relative DSN of the first payload byte as mpcap's reassembly places it (mpcap.dsn: the IDSN's next byte is 1)", given: true },
    { name: 'dataSeq', type: 'UBIGINT', doc: "the DSS's data sequence number as on the wire (tcp.options.mptcp.rawdataseqno)", given: true },
    { name: 'subflowSeq', type: 'UINTEGER', doc: "the DSS's subflow sequence number (tcp.options.mptcp.subflowseqno)", given: true },
    { name: 'dataLen', type: 'INTEGER', doc: "the DSS's data-level length (tcp.options.mptcp.datalvllen)", given: true },
    { name: 'dataAck', type: 'UBIGINT', doc: "the DSS's data ACK as on the wire (tcp.options.mptcp.rawdataack)", given: true },
    { name: 'dataFin', type: 'BOOLEAN', doc: 'DATA_FIN flag', given: true },
    { name: 'payloadLen', type: 'INTEGER', doc: 'tcp.len', given: true },
    { name: 'problems', type: 'INTEGER', doc: 'MPTCP options with a problem (malformed, bad length)', given: true },
  ],
};

/** Rows per Parquet file: about 8 MB of staging in DuckDB (262,144 rows cost 55 MB more peak RSS on the 1 GB capture, docs/dataset.md). */
export const ROWS_PER_PART = 65_536;
const VECTOR = 2048;

/** Staging columns: name, DuckDB type. */
const STAGING: Array<[string, string]> = [
  ['frame', 'UINTEGER'], ['tsSec', 'DOUBLE'], ['tsNsec', 'UINTEGER'], ['tcpStream', 'INTEGER'], ['mptcpStream', 'INTEGER'], ['subtypes', 'VARCHAR'],
  ['tcpFlags', 'INTEGER'], ['dsn', 'DOUBLE'], ['seqHi', 'UINTEGER'], ['seqLo', 'UINTEGER'], ['subflowSeq', 'UINTEGER'], ['dataLen', 'INTEGER'],
  ['ackHi', 'UINTEGER'], ['ackLo', 'UINTEGER'], ['dataFin', 'BOOLEAN'], ['payloadLen', 'INTEGER'], ['problems', 'INTEGER'],
];

const CREATE_STAGING = `CREATE TEMP TABLE packets_staging (${STAGING.map(([n, t]) => `"${n}" ${t}`).join(', ')})`;

const SELECT = `SELECT frame, make_timestamp_ns(CAST(tsSec AS BIGINT) * 1000000000 + tsNsec) AS "time", "tcpStream", "mptcpStream", subtypes, "tcpFlags",
  CAST(dsn AS UBIGINT) AS dsn, (CAST("seqHi" AS UBIGINT) << 32) | "seqLo" AS "dataSeq", "subflowSeq", "dataLen",
  (CAST("ackHi" AS UBIGINT) << 32) | "ackLo" AS "dataAck", "dataFin", "payloadLen", problems FROM packets_staging`;

export class PacketRows implements PacketSubscriber {
  private readonly cols: DuckDBValue[][] = STAGING.map(() => []);
  private n = 0;
  private chunk: DuckDBDataChunk | null = null;
  private inTable = 0;
  private part = 0;
  rows = 0;
  private constructor(
    private readonly duck: DuckApi,
    private readonly conn: DuckDBConnection,
    private appender: DuckDBAppender,
    private readonly types: DuckDBType[],
    private readonly dir: string,
  ) {}

  /** Staging table in `conn`; Parquet files into dir/packets/. */
  static async create(duck: DuckApi, conn: DuckDBConnection, dir: string): Promise<PacketRows> {
    await conn.run(CREATE_STAGING);
    const a = await conn.createAppender('packets_staging');
    const types = STAGING.map((_, i) => a.columnType(i));
    return new PacketRows(duck, conn, a, types, dir);
  }

  packet(frame: Frame, seg: Segment, info: PacketInfo): void {
    if (!seg.isTcp || (!seg.hasMptcpOption && info.mptcpStream === null)) return;
    let dss: Dss | null = null;
    let subtypes: string | null = null;
    let problems = 0;
    const opts = seg.mptcp;
    for (let i = 0; i < opts.length; i++) {
      const o = opts[i] as (typeof opts)[number];
      if (o.problem !== null) problems++;
      if (dss === null && o.subtype === 'DSS') dss = o;
      subtypes = subtypes === null ? o.subtype : `${subtypes},${o.subtype}`;
    }
    const w = dss === null ? null : dss[DSS_WIRE];
    const c = this.cols;
    const k = this.n;
    c[0]![k] = frame.number;
    c[1]![k] = frame.tsSec;
    c[2]![k] = frame.tsNsec;
    c[3]![k] = info.tcpStream;
    c[4]![k] = info.mptcpStream;
    c[5]![k] = subtypes;
    c[6]![k] = seg.flags;
    c[7]![k] = info.dsn;
    c[8]![k] = w !== null && w.hasSeq ? w.seqHi : null;
    c[9]![k] = w !== null && w.hasSeq ? w.seqLo : null;
    c[10]![k] = dss === null ? null : dss.subflowSeq;
    c[11]![k] = dss === null ? null : dss.dataLen;
    c[12]![k] = w !== null && w.hasAck ? w.ackHi : null;
    c[13]![k] = w !== null && w.hasAck ? w.ackLo : null;
    c[14]![k] = dss === null ? null : dss.dataFin;
    c[15]![k] = seg.payloadLen;
    c[16]![k] = problems;
    this.rows++;
    if (++this.n === VECTOR) this.appendChunk();
  }

  private appendChunk(): void {
    if (this.n === 0) return;
    // one chunk, reset and refilled: a new one per 2048 rows is ~0.3 MB of native memory that only
    // its finalizer frees, which V8 (seeing a small JS object) runs late: 150 MB more peak RSS on
    // the 1 GB bench capture
    const chunk = (this.chunk ??= this.duck.DuckDBDataChunk.create(this.types, VECTOR));
    chunk.reset();
    const cols = this.n === VECTOR ? this.cols : this.cols.map((c) => c.slice(0, this.n));
    chunk.setColumns(cols);
    this.appender.appendDataChunk(chunk);
    this.inTable += this.n;
    this.n = 0;
  }

  /** Between chunks of the capture: a full part goes to its Parquet file. */
  async maybeFlush(): Promise<void> {
    if (this.inTable >= ROWS_PER_PART) await this.flush();
  }

  private async flush(): Promise<void> {
    this.appendChunk();
    this.appender.closeSync();
    await this.conn.run(`COPY (${SELECT}) TO ${sqlString(join(this.dir, `part-${this.part++}.parquet`))} (FORMAT parquet, COMPRESSION zstd)`);
    // dropped and made again, not DELETEd: DuckDB keeps a deleted row's memory with its table
    // (the staging table grew by 7.5 MB a part, to 88 MB on the 1 GB bench capture)
    await this.conn.run('DROP TABLE packets_staging');
    await this.conn.run(CREATE_STAGING);
    this.appender = await this.conn.createAppender('packets_staging');
    this.inTable = 0;
  }

  /** The last part (also when there was no row: the file carries the schema). */
  async finish(): Promise<void> {
    if (this.inTable > 0 || this.n > 0 || this.part === 0) await this.flush();
    this.appender.closeSync();
  }
}
