/**
 * `export --packets`: the per-packet MPTCP table, one row per packet of an MPTCP subflow or with
 * an MPTCP option, written while the capture is read, in bounded memory: each packet's values go
 * straight into the column buffers of parquet-file.ts (PLAIN bytes: no object per packet, the
 * 64-bit values from their 32-bit halves, no bigint), and every ROWS_PER_PART rows they are
 * written out as packets/part-N.parquet (one row group) and reused.
 */
import { join } from 'node:path';
import type { PacketSubscriber } from '../analysis/pipeline.js';
import type { Frame } from '../dissect/frame.js';
import { DSS_WIRE, type Dss } from '../dissect/mptcp.js';
import type { Segment } from '../dissect/segment.js';
import type { PacketInfo } from '../reassembly/tracker.js';
import type { Table } from './columns.js';
import { ColumnBuffer, ParquetFile } from './parquet-file.js';

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

/** Rows per Parquet file (one row group): ~6 MB of column buffers, reused part after part. */
export const ROWS_PER_PART = 65_536;

const enum C {
  frame, time, tcpStream, mptcpStream, subtypes, tcpFlags, dsn, dataSeq, subflowSeq, dataLen, dataAck, dataFin, payloadLen, problems,
}

export class PacketRows implements PacketSubscriber {
  private readonly cols: ColumnBuffer[] = PACKETS_TABLE.columns.map((c) => new ColumnBuffer(c.type));
  private inPart = 0;
  private part = 0;
  rows = 0;

  /** Parquet files into dir (the staging packets/ directory). */
  constructor(
    private readonly dir: string,
    private readonly createdBy: string,
  ) {}

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
    c[C.frame]!.int32(frame.number);
    c[C.time]!.int64Ns(frame.tsSec, frame.tsNsec);
    if (info.tcpStream === null) c[C.tcpStream]!.null();
    else c[C.tcpStream]!.int32(info.tcpStream);
    if (info.mptcpStream === null) c[C.mptcpStream]!.null();
    else c[C.mptcpStream]!.int32(info.mptcpStream);
    if (subtypes === null) c[C.subtypes]!.null();
    else c[C.subtypes]!.string(subtypes);
    c[C.tcpFlags]!.int32(seg.flags);
    if (info.dsn === null) c[C.dsn]!.null();
    else c[C.dsn]!.int64Number(info.dsn);
    if (w !== null && w.hasSeq) c[C.dataSeq]!.int64(w.seqHi, w.seqLo);
    else c[C.dataSeq]!.null();
    if (dss === null || dss.subflowSeq === null) c[C.subflowSeq]!.null();
    else c[C.subflowSeq]!.int32(dss.subflowSeq);
    if (dss === null || dss.dataLen === null) c[C.dataLen]!.null();
    else c[C.dataLen]!.int32(dss.dataLen);
    if (w !== null && w.hasAck) c[C.dataAck]!.int64(w.ackHi, w.ackLo);
    else c[C.dataAck]!.null();
    if (dss === null) c[C.dataFin]!.null();
    else c[C.dataFin]!.bool(dss.dataFin);
    c[C.payloadLen]!.int32(seg.payloadLen);
    c[C.problems]!.int32(problems);
    this.rows++;
    // a full part goes to its file at once (the writer is synchronous): the buffers never grow past it
    if (++this.inPart === ROWS_PER_PART) this.flush();
  }

  private flush(): void {
    const f = new ParquetFile(join(this.dir, `part-${this.part++}.parquet`), PACKETS_TABLE.columns, this.createdBy);
    try {
      if (this.inPart > 0) f.writeRowGroup(this.cols);
    } catch (e) {
      f.abort();
      throw e;
    }
    f.close();
    this.inPart = 0;
  }

  /** The last part (also when there was no row: the file carries the schema). */
  finish(): void {
    if (this.inPart > 0 || this.part === 0) this.flush();
  }
}
