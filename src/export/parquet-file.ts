/**
 * A Parquet file written row group by row group, with no library (Apache Parquet format,
 * parquet.thrift and Encodings.md): every column OPTIONAL (nulls as definition levels, RLE /
 * bit-packed hybrid of width 1), values PLAIN or, for text that repeats, a dictionary page and
 * RLE_DICTIONARY indices; one data page (v1) per column chunk; chunks of 4 KB or more compressed
 * with GZIP (the one Parquet codec Node's zlib has, read by every Parquet reader); min/max
 * statistics of integer and time columns; the footer in Thrift's compact protocol. The logical types are the dataset's (columns.ts): UBIGINT is
 * INT64 + INTEGER(64, unsigned), TIMESTAMP_NS is INT64 + TIMESTAMP(NANOS, not UTC-adjusted), as
 * DuckDB itself writes them. Why not DuckDB's writer any more: docs/dataset.md.
 *
 * Rows are gathered in ColumnBuffers (bytes already PLAIN-encoded, one definition byte per row),
 * so that a row group costs a few copies and one compression call per column.
 */
import { closeSync, openSync, writeSync, writevSync } from 'node:fs';
import { constants as zlibConstants, gzipSync } from 'node:zlib';
import type { ColumnType } from './columns.js';
import { ColumnBuffer } from './parquet-column.js';
import { ThriftWriter } from './thrift.js';

export { ColumnBuffer };

/** parquet.thrift `Type`. */
const PHYSICAL = { BOOLEAN: 0, INT32: 1, INT64: 2, DOUBLE: 5, BYTE_ARRAY: 6 } as const;
/** parquet.thrift `ConvertedType` (still written beside the logical type, for older readers). */
const CONVERTED = { UTF8: 0, UINT_32: 13, UINT_64: 14, INT_32: 17, INT_64: 18 } as const;
const OPTIONAL = 1;
const ENCODING = { PLAIN: 0, RLE: 3, RLE_DICTIONARY: 8 } as const;
const CODEC = { UNCOMPRESSED: 0, GZIP: 2 } as const;
/**
 * A page smaller than this is written uncompressed (the codec is per column chunk): a zlib stream
 * costs ~0.1 ms to set up and saves little on a few hundred bytes; most columns of the per-capture
 * tables are that small.
 */
const MIN_COMPRESS_BYTES = 4096;
const DATA_PAGE = 0;
const DICTIONARY_PAGE = 2;
const MAGIC = Buffer.from('PAR1', 'latin1');
/** Level 1: within 5-14 % of level 6's size on these columns at three quarters of its CPU or less (docs/dataset.md). */
const GZIP_LEVEL = 1;

export interface FileColumn {
  name: string;
  type: ColumnType;
}

interface Physical {
  type: number;
  converted?: number;
  /** The member of the LogicalType union (its field, written inside SchemaElement.logicalType). */
  logical?: (w: ThriftWriter) => void;
}

function physical(t: ColumnType): Physical {
  switch (t) {
    case 'UBIGINT':
      return { type: PHYSICAL.INT64, converted: CONVERTED.UINT_64, logical: (w) => w.struct(10, (i) => i.i8(1, 64).bool(2, false)) };
    case 'BIGINT':
      return { type: PHYSICAL.INT64, converted: CONVERTED.INT_64, logical: (w) => w.struct(10, (i) => i.i8(1, 64).bool(2, true)) };
    case 'INTEGER':
      return { type: PHYSICAL.INT32, converted: CONVERTED.INT_32, logical: (w) => w.struct(10, (i) => i.i8(1, 32).bool(2, true)) };
    case 'UINTEGER':
      return { type: PHYSICAL.INT32, converted: CONVERTED.UINT_32, logical: (w) => w.struct(10, (i) => i.i8(1, 32).bool(2, false)) };
    case 'DOUBLE':
      return { type: PHYSICAL.DOUBLE };
    case 'BOOLEAN':
      return { type: PHYSICAL.BOOLEAN };
    case 'VARCHAR':
      return { type: PHYSICAL.BYTE_ARRAY, converted: CONVERTED.UTF8, logical: (w) => w.struct(1, () => {}) };
    case 'TIMESTAMP_NS':
      // TimestampType { isAdjustedToUTC = false, unit = NANOS (TimeUnit field 3) }
      return { type: PHYSICAL.INT64, logical: (w) => w.struct(8, (ts) => ts.bool(1, false).struct(2, (u) => u.struct(3, () => {}))) };
  }
}

interface ChunkMeta {
  offset: number;
  /** The data page's offset (after the dictionary page, when there is one). */
  dataOffset: number;
  dictionary: boolean;
  stats: { min: Buffer; max: Buffer } | null;
  codec: number;
  compressed: number;
  uncompressed: number;
  values: number;
  nulls: number;
}

interface RowGroupMeta {
  rows: number;
  offset: number;
  chunks: ChunkMeta[];
}

/** A Parquet file being written; `close` writes the footer. Synchronous: each call is a few large writes. */
export class ParquetFile {
  private readonly fd: number;
  private pos = 0;
  private readonly groups: RowGroupMeta[] = [];
  private readonly thrift = new ThriftWriter();
  private closed = false;

  constructor(
    path: string,
    private readonly columns: readonly FileColumn[],
    private readonly createdBy: string,
  ) {
    this.fd = openSync(path, 'w');
    this.write(MAGIC);
  }

  private write(b: Uint8Array): void {
    let done = 0;
    while (done < b.length) done += writeSync(this.fd, b, done, b.length - done, this.pos + done);
    this.pos += b.length;
  }

  /** Pieces written with one system call (a row group is two pieces a column). */
  private writeAll(pieces: Uint8Array[], bytes: number): void {
    const n = writevSync(this.fd, pieces, this.pos);
    if (n === bytes) this.pos += bytes;
    else {
      // short write (unusual on a file): the rest piece by piece
      this.pos += n;
      this.write(Buffer.concat(pieces).subarray(n));
    }
  }

  /** One row group from the buffers (one per column, in order, the same number of rows), which are then reset. */
  writeRowGroup(bufs: readonly ColumnBuffer[]): void {
    const rows = (bufs[0] as ColumnBuffer).rows;
    const group: RowGroupMeta = { rows, offset: this.pos, chunks: [] };
    const pieces: Uint8Array[] = [];
    let at = this.pos;
    for (let i = 0; i < bufs.length; i++) {
      const b = bufs[i] as ColumnBuffer;
      if (b.rows !== rows) throw new Error(`parquet: column ${this.columns[i]?.name} has ${b.rows} rows, not ${rows}`);
      const p = b.pages();
      const body = p.data;
      // one codec for the column chunk's pages
      const codec = body.length + (p.dictionary?.length ?? 0) >= MIN_COMPRESS_BYTES ? CODEC.GZIP : CODEC.UNCOMPRESSED;
      const pack = (x: Buffer): Buffer => (codec === CODEC.GZIP ? gzipSync(x, { level: GZIP_LEVEL, strategy: zlibConstants.Z_DEFAULT_STRATEGY }) : x);
      const offset = at;
      let compressed = 0;
      let uncompressed = 0;
      if (p.dictionary !== null) {
        const dict = p.dictionary;
        const packedDict = pack(dict);
        const size = p.dictionarySize;
        const dh = this.thrift.message((w) =>
          w
            .i32(1, DICTIONARY_PAGE)
            .i32(2, dict.length)
            .i32(3, packedDict.length)
            .struct(7, (d) => d.i32(1, size).i32(2, ENCODING.PLAIN)),
        );
        pieces.push(Buffer.from(dh), packedDict);
        at += dh.length + packedDict.length;
        compressed += dh.length + packedDict.length;
        uncompressed += dh.length + dict.length;
      }
      const dataOffset = at;
      const packed = pack(body);
      const encoding = p.dictionary !== null ? ENCODING.RLE_DICTIONARY : ENCODING.PLAIN;
      const header = this.thrift.message((w) =>
        w
          .i32(1, DATA_PAGE)
          .i32(2, body.length)
          .i32(3, packed.length)
          .struct(5, (d) => d.i32(1, rows).i32(2, encoding).i32(3, ENCODING.RLE).i32(4, ENCODING.RLE)),
      );
      // the header is a view of the Thrift writer's buffer, reused for the next one
      pieces.push(Buffer.from(header), packed);
      at += header.length + packed.length;
      compressed += header.length + packed.length;
      uncompressed += header.length + body.length;
      group.chunks.push({ offset, dataOffset, dictionary: p.dictionary !== null, stats: b.stats(), codec, compressed, uncompressed, values: rows, nulls: b.nulls });
    }
    this.writeAll(pieces, at - this.pos);
    for (const b of bufs) b.reset();
    this.groups.push(group);
  }

  /** The footer (FileMetaData), its length and the magic; then the file is closed. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      const cols = this.columns;
      const footer = this.thrift.message((w) =>
        w
          .i32(1, 1)
          .structList(2, [null, ...cols], (s, c) => {
            if (c === null) s.string(4, 'schema').i32(5, cols.length);
            else {
              const p = physical(c.type);
              s.i32(1, p.type).i32(3, OPTIONAL).string(4, c.name);
              if (p.converted !== undefined) s.i32(6, p.converted);
              const logical = p.logical;
              if (logical !== undefined) s.struct(10, logical);
            }
          })
          .i64(3, this.groups.reduce((n, g) => n + g.rows, 0))
          .structList(4, this.groups, (rg, g) =>
            rg
              .structList(1, g.chunks, (cc, ch) => {
                const i = g.chunks.indexOf(ch);
                const c = cols[i] as FileColumn;
                cc.i64(2, ch.offset).struct(3, (m) =>
                  m
                    .i32(1, physical(c.type).type)
                    .i32List(2, ch.dictionary ? [ENCODING.PLAIN, ENCODING.RLE, ENCODING.RLE_DICTIONARY] : [ENCODING.PLAIN, ENCODING.RLE])
                    .stringList(3, [c.name])
                    .i32(4, ch.codec)
                    .i64(5, ch.values)
                    .i64(6, ch.uncompressed)
                    .i64(7, ch.compressed)
                    .i64(9, ch.dataOffset)
                    .i64If(11, ch.dictionary ? ch.offset : null)
                    .struct(12, (st) => {
                      st.i64(3, ch.nulls);
                      const r = ch.stats;
                      if (r !== null) st.binary(5, r.max).binary(6, r.min);
                    }),
                );
              })
              .i64(2, g.chunks.reduce((n, ch) => n + ch.uncompressed, 0))
              .i64(3, g.rows)
              .i64(5, g.offset)
              .i64(6, g.chunks.reduce((n, ch) => n + ch.compressed, 0)),
          )
          .string(6, this.createdBy)
          // TypeDefinedOrder for every column: min_value / max_value are ordered as the logical type says (unsigned for UINT)
          .structList(7, cols, (o) => o.struct(1, () => {})),
      );
      const tail = Buffer.allocUnsafe(8);
      tail.writeUInt32LE(footer.length, 0);
      MAGIC.copy(tail, 4);
      this.write(footer);
      this.write(tail);
    } finally {
      closeSync(this.fd);
    }
  }

  /** Close without a footer (an error midway): the file is not a valid Parquet file and is removed with its staging directory. */
  abort(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }
}
