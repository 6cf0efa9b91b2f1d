/**
 * Thrift's compact protocol, write side only, as much as a Parquet footer and page header need
 * (Apache Thrift, doc/specs/thrift-compact-protocol.md): field headers with the delta of the field
 * id, zigzag varints, binaries with a varint length, lists with a size nibble, structs ended by a
 * stop byte. Numbers stay JS numbers (sizes and offsets of a file are far below 2^53).
 */

/** Compact protocol element types. */
export const CT = { TRUE: 1, FALSE: 2, I8: 3, I16: 4, I32: 5, I64: 6, DOUBLE: 7, BINARY: 8, LIST: 9, SET: 10, MAP: 11, STRUCT: 12 } as const;

const STOP = 0;
/** A field id delta up to this fits the header byte's high nibble. */
const MAX_SHORT_DELTA = 15;
/** A list of fewer elements than this has its size in the header byte. */
const MAX_SHORT_LIST = 15;

export class ThriftWriter {
  private buf = Buffer.allocUnsafe(256);
  private len = 0;
  /** The last field id of each open struct (the innermost last). */
  private readonly lastIds: number[] = [0];

  get length(): number {
    return this.len;
  }

  /** The bytes written so far (a view: valid until the next write). */
  bytes(): Buffer {
    return this.buf.subarray(0, this.len);
  }

  reset(): void {
    this.len = 0;
    this.lastIds.length = 1;
    this.lastIds[0] = 0;
  }

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const b = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(b, 0, 0, this.len);
    this.buf = b;
  }

  private byte(b: number): void {
    this.ensure(1);
    this.buf[this.len++] = b;
  }

  /** Unsigned LEB128 of a non-negative whole number below 2^53. */
  private varint(v: number): void {
    this.ensure(8);
    while (v >= 0x80) {
      this.buf[this.len++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.len++] = v;
  }

  private zigzag(v: number): void {
    this.varint(v >= 0 ? v * 2 : -v * 2 - 1);
  }

  private field(id: number, type: number): void {
    const last = this.lastIds.length - 1;
    const delta = id - (this.lastIds[last] as number);
    if (delta > 0 && delta <= MAX_SHORT_DELTA) this.byte((delta << 4) | type);
    else {
      this.byte(type);
      this.zigzag(id);
    }
    this.lastIds[last] = id;
  }

  i32(id: number, v: number): this {
    this.field(id, CT.I32);
    this.zigzag(v);
    return this;
  }

  i64(id: number, v: number): this {
    this.field(id, CT.I64);
    this.zigzag(v);
    return this;
  }

  /** An optional i64 field: written only when there is a value. */
  i64If(id: number, v: number | null): this {
    return v === null ? this : this.i64(id, v);
  }

  i8(id: number, v: number): this {
    this.field(id, CT.I8);
    this.byte(v & 0xff);
    return this;
  }

  bool(id: number, v: boolean): this {
    this.field(id, v ? CT.TRUE : CT.FALSE);
    return this;
  }

  string(id: number, s: string): this {
    this.field(id, CT.BINARY);
    this.stringValue(s);
    return this;
  }

  binary(id: number, b: Uint8Array): this {
    this.field(id, CT.BINARY);
    this.varint(b.length);
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }

  private stringValue(s: string): void {
    const n = Buffer.byteLength(s);
    this.varint(n);
    this.ensure(n);
    this.len += this.buf.write(s, this.len);
  }

  /** A struct field: `body` writes its fields. */
  struct(id: number, body: (w: this) => void): this {
    this.field(id, CT.STRUCT);
    this.structValue(body);
    return this;
  }

  private structValue(body: (w: this) => void): void {
    this.lastIds.push(0);
    body(this);
    this.byte(STOP);
    this.lastIds.pop();
  }

  private listHeader(id: number, type: number, size: number): void {
    this.field(id, CT.LIST);
    if (size < MAX_SHORT_LIST) this.byte((size << 4) | type);
    else {
      this.byte(0xf0 | type);
      this.varint(size);
    }
  }

  i32List(id: number, values: readonly number[]): this {
    this.listHeader(id, CT.I32, values.length);
    for (const v of values) this.zigzag(v);
    return this;
  }

  stringList(id: number, values: readonly string[]): this {
    this.listHeader(id, CT.BINARY, values.length);
    for (const v of values) this.stringValue(v);
    return this;
  }

  structList<T>(id: number, items: readonly T[], body: (w: this, item: T) => void): this {
    this.listHeader(id, CT.STRUCT, items.length);
    for (const item of items) this.structValue((w) => body(w, item));
    return this;
  }

  /** A top-level struct (a page header, the footer): its fields then the stop byte. */
  message(body: (w: this) => void): Buffer {
    this.reset();
    body(this);
    this.byte(STOP);
    return this.bytes();
  }
}
