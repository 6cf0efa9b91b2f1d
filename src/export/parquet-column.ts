/**
 * One column of a Parquet row group being gathered (parquet-file.ts writes it): the non-null
 * values already PLAIN-encoded (little-endian numbers, 4-byte length + UTF-8 for text, one bit per
 * boolean), a definition byte per row (0: null), the null count, and the minimum and maximum of an
 * integer or time column. `page` gives the data page's body: the definition levels as the
 * RLE / bit-packed hybrid of width 1 (Encodings.md), then the values.
 */
import { endianness } from 'node:os';
import type { ColumnType } from './columns.js';

const TWO_32 = 4294967296;
/**
 * A text column's distinct values kept for its dictionary, at most: past it the column is PLAIN
 * (indices of up to 16 bits). The dictionary is used when it makes the page smaller.
 */
const MAX_DICTIONARY = 1 << 16;

/** A data page's body, and the dictionary page's when the values are dictionary indices. */
export interface Pages {
  data: Buffer;
  /** PLAIN values of the dictionary (null: the data page holds PLAIN values). */
  dictionary: Buffer | null;
  dictionarySize: number;
}

/** PLAIN is little-endian; the DataView calls say so, the checks below rely on the machine's order nowhere else. */
if (endianness() !== 'LE') throw new Error('mpcap export: the Parquet writer needs a little-endian machine');

/** One column's values of the current row group: PLAIN bytes of the non-null ones, a definition byte per row. */
export class ColumnBuffer {
  private values = Buffer.allocUnsafe(1024);
  private view = new DataView(this.values.buffer, this.values.byteOffset, this.values.byteLength);
  private len = 0;
  private defs = new Uint8Array(1024);
  /** Booleans: PLAIN is one bit per value. */
  private bits = 0;
  rows = 0;
  nulls = 0;
  /**
   * Smallest and largest non-null value of an integer or time column, as (high, low) halves
   * compared as the column's type orders them (unsigned or signed): the row group's Statistics,
   * by which a reader skips row groups a filter cannot match.
   */
  private readonly unsigned: boolean;
  private readonly ranged: boolean;
  private seen = false;
  /** Text: value → dictionary index, the dictionary's PLAIN bytes, each non-null value's index. */
  private dict: Map<string, number> | null = null;
  private dictBytes = Buffer.allocUnsafe(0);
  private dictLen = 0;
  private idx = new Uint16Array(0);
  private nIdx = 0;
  private minHi = 0;
  private minLo = 0;
  private maxHi = 0;
  private maxLo = 0;

  constructor(readonly type: ColumnType) {
    this.unsigned = type === 'UBIGINT' || type === 'UINTEGER';
    this.ranged = type !== 'DOUBLE' && type !== 'BOOLEAN' && type !== 'VARCHAR';
    if (type === 'VARCHAR') {
      this.dict = new Map();
      this.dictBytes = Buffer.allocUnsafe(256);
      this.idx = new Uint16Array(256);
    }
  }

  private range(hi: number, lo: number): void {
    if (!this.seen) {
      this.seen = true;
      this.minHi = this.maxHi = hi;
      this.minLo = this.maxLo = lo;
      return;
    }
    if (hi < this.minHi || (hi === this.minHi && lo < this.minLo)) {
      this.minHi = hi;
      this.minLo = lo;
    }
    if (hi > this.maxHi || (hi === this.maxHi && lo > this.maxLo)) {
      this.maxHi = hi;
      this.maxLo = lo;
    }
  }

  /** PLAIN bytes of the minimum and maximum (null: no value, or a column without them). */
  stats(): { min: Buffer; max: Buffer } | null {
    if (!this.ranged || !this.seen) return null;
    const wide = this.type !== 'INTEGER' && this.type !== 'UINTEGER';
    const enc = (hi: number, lo: number): Buffer => {
      const b = Buffer.allocUnsafe(wide ? 8 : 4);
      b.writeUInt32LE(lo >>> 0, 0);
      if (wide) b.writeUInt32LE(hi >>> 0, 4);
      return b;
    };
    return { min: enc(this.minHi, this.minLo), max: enc(this.maxHi, this.maxLo) };
  }

  private grow(n: number): void {
    if (this.len + n > this.values.length) {
      const b = Buffer.allocUnsafe(Math.max(this.values.length * 2, this.len + n));
      this.values.copy(b, 0, 0, this.len);
      this.values = b;
      this.view = new DataView(b.buffer, b.byteOffset, b.byteLength);
    }
  }

  private def(present: number): void {
    if (this.rows === this.defs.length) {
      const d = new Uint8Array(this.defs.length * 2);
      d.set(this.defs);
      this.defs = d;
    }
    this.defs[this.rows++] = present;
  }

  null(): void {
    this.def(0);
    this.nulls++;
  }

  int32(v: number): void {
    this.def(1);
    this.grow(4);
    this.view.setInt32(this.len, v | 0, true);
    this.len += 4;
    this.range(0, this.unsigned ? v >>> 0 : v | 0);
  }

  /** A 64-bit integer from its two 32-bit halves. */
  int64(hi: number, lo: number): void {
    this.def(1);
    this.grow(8);
    this.view.setUint32(this.len, lo >>> 0, true);
    this.view.setUint32(this.len + 4, hi >>> 0, true);
    this.len += 8;
    if (this.ranged) this.range(this.unsigned ? hi >>> 0 : hi | 0, lo >>> 0);
  }

  /** A 64-bit integer from a whole number of magnitude below 2^53. */
  int64Number(v: number): void {
    this.int64(Math.floor(v / TWO_32), v >>> 0);
  }

  int64Big(v: bigint): void {
    const u = BigInt.asUintN(64, v);
    this.int64(Number(u >> 32n), Number(u & 0xffffffffn));
  }

  /** sec × 10^9 + nsec exactly, without a bigint: the low half by 32-bit multiplication, the high from the rounded double. */
  int64Ns(sec: number, nsec: number): void {
    let lo = Math.imul(sec, 1_000_000_000) >>> 0;
    let hi = Math.round((sec * 1_000_000_000 - lo) / TWO_32);
    lo += nsec;
    if (lo >= TWO_32) {
      lo -= TWO_32;
      hi++;
    }
    this.int64(hi, lo);
  }

  double(v: number): void {
    this.def(1);
    this.grow(8);
    this.view.setFloat64(this.len, v, true);
    this.len += 8;
  }

  bool(v: boolean): void {
    this.def(1);
    const byte = this.bits >>> 3;
    if ((this.bits & 7) === 0) {
      this.grow(1);
      this.values[byte] = 0;
      this.len++;
    }
    if (v) (this.values as Uint8Array)[byte] = ((this.values[byte] as number) | (1 << (this.bits & 7)));
    this.bits++;
  }

  string(s: string): void {
    this.def(1);
    this.grow(4 + s.length * 3);
    const start = this.len;
    const n = this.values.write(s, start + 4, 'utf8');
    this.view.setUint32(start, n, true);
    this.len += 4 + n;
    const d = this.dict;
    if (d === null) return;
    let k = d.get(s);
    if (k === undefined) {
      k = d.size;
      if (k === MAX_DICTIONARY) {
        this.dict = null;
        return;
      }
      d.set(s, k);
      if (this.dictLen + 4 + n > this.dictBytes.length) {
        const b = Buffer.allocUnsafe(Math.max(this.dictBytes.length * 2, this.dictLen + 4 + n));
        this.dictBytes.copy(b, 0, 0, this.dictLen);
        this.dictBytes = b;
      }
      this.values.copy(this.dictBytes, this.dictLen, start, start + 4 + n);
      this.dictLen += 4 + n;
    }
    if (this.nIdx === this.idx.length) {
      const i = new Uint16Array(this.idx.length * 2);
      i.set(this.idx);
      this.idx = i;
    }
    this.idx[this.nIdx++] = k;
  }

  /**
   * The data page's body (definition levels, then PLAIN values or dictionary indices: bit width in
   * one byte, then the RLE / bit-packed hybrid: one RLE run for a constant column, bit-packed
   * otherwise), and the dictionary page's body when the dictionary makes them smaller.
   */
  pages(): Pages {
    const d = this.dict;
    if (d !== null && d.size === 1) {
      // one value (a constant column): one RLE run, header (count << 1), then the index 0 in one byte
      const run = Buffer.from([1, ...uleb(this.nIdx * 2), 0]);
      return { data: this.withLevels(run, run.length), dictionary: Buffer.from(this.dictBytes.subarray(0, this.dictLen)), dictionarySize: 1 };
    }
    if (d !== null && d.size > 1) {
      const n = this.nIdx;
      const width = 32 - Math.clz32(d.size - 1);
      const groups = Math.ceil(n / 8);
      const head = uleb(groups * 2 + 1);
      const indexBytes = 1 + head.length + groups * width;
      if (this.dictLen + indexBytes < this.len) {
        const packed = Buffer.alloc(indexBytes);
        packed[0] = width;
        packed.set(head, 1);
        // LSB first, 8 values in `width` bytes per group; the last group padded with 0s
        const ix = this.idx;
        let o = 1 + head.length;
        let acc = 0;
        let bits = 0;
        for (let j = 0; j < groups * 8; j++) {
          acc |= (j < n ? (ix[j] as number) : 0) << bits;
          bits += width;
          while (bits >= 8) {
            packed[o++] = acc & 0xff;
            acc >>>= 8;
            bits -= 8;
          }
        }
        return { data: this.withLevels(packed, packed.length), dictionary: Buffer.from(this.dictBytes.subarray(0, this.dictLen)), dictionarySize: d.size };
      }
    }
    return { data: this.withLevels(this.values, this.len), dictionary: null, dictionarySize: 0 };
  }

  /** Definition levels (RLE / bit-packed hybrid, width 1, with their 4-byte length) then `len` bytes of `values`. */
  private withLevels(values: Buffer, len: number): Buffer {
    const rows = this.rows;
    let levels: Buffer;
    if (this.nulls === 0) {
      // one RLE run of 1s: header (count << 1), then the value in one byte
      levels = Buffer.from([...uleb(rows * 2), 1]);
    } else {
      const groups = Math.ceil(rows / 8);
      const head = uleb(groups * 2 + 1);
      levels = Buffer.alloc(head.length + groups);
      levels.set(head);
      const d = this.defs;
      for (let i = 0; i < rows; i++) if (d[i] === 1) levels[head.length + (i >>> 3)] = (levels[head.length + (i >>> 3)] as number) | (1 << (i & 7));
    }
    const body = Buffer.allocUnsafe(4 + levels.length + len);
    body.writeUInt32LE(levels.length, 0);
    levels.copy(body, 4);
    values.copy(body, 4 + levels.length, 0, len);
    return body;
  }

  reset(): void {
    this.seen = false;
    if (this.type === 'VARCHAR') this.dict = new Map();
    this.dictLen = 0;
    this.nIdx = 0;
    this.len = 0;
    this.bits = 0;
    this.rows = 0;
    this.nulls = 0;
  }
}

function uleb(v: number): number[] {
  const out: number[] = [];
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}

