/**
 * Byte builders for capture-file fixtures: classic pcap and pcapng, either byte order, with
 * overrides for the length fields so tests can make them lie.
 */

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** "a1 b2 c3 d4 ..." → bytes (whitespace and `|` ignored, so fixtures can be laid out as dumps). */
export function fromHex(hex: string): Uint8Array {
  const clean = hex.replace(/[\s|]/g, '');
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function toHex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
}

/** `n` bytes 0, 1, 2, ... (mod 256), optionally starting at `seed`. */
export function payload(n: number, seed = 0): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (seed + i) & 0xff;
  return out;
}

class Writer {
  private readonly bytes: number[] = [];
  constructor(private readonly le: boolean) {}
  u8(v: number): this { this.bytes.push(v & 0xff); return this; }
  u16(v: number): this {
    const b = [(v >>> 8) & 0xff, v & 0xff];
    this.bytes.push(...(this.le ? b.reverse() : b));
    return this;
  }
  u32(v: number): this {
    const b = [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
    this.bytes.push(...(this.le ? b.reverse() : b));
    return this;
  }
  u64(v: bigint): this {
    const hi = Number((BigInt.asUintN(64, v) >> 32n) & 0xffffffffn);
    const lo = Number(BigInt.asUintN(64, v) & 0xffffffffn);
    return this.le ? this.u32(lo).u32(hi) : this.u32(hi).u32(lo);
  }
  raw(b: Uint8Array): this { for (const x of b) this.bytes.push(x); return this; }
  pad4(): this { while (this.bytes.length % 4 !== 0) this.bytes.push(0); return this; }
  get length(): number { return this.bytes.length; }
  done(): Uint8Array { return Uint8Array.from(this.bytes); }
}

// ---- classic pcap ----

export interface PcapHeaderOpts {
  le?: boolean;
  ns?: boolean;
  snapLen?: number;
  linkType?: number;
  major?: number;
  minor?: number;
}

export function pcapHeader(o: PcapHeaderOpts = {}): Uint8Array {
  const w = new Writer(o.le ?? true);
  return w.u32(o.ns === true ? 0xa1b23c4d : 0xa1b2c3d4).u16(o.major ?? 2).u16(o.minor ?? 4)
    .u32(0).u32(0).u32(o.snapLen ?? 65535).u32(o.linkType ?? 1).done();
}

export interface PcapRecordOpts {
  le?: boolean;
  sec: number;
  frac: number;
  data: Uint8Array;
  /** Defaults to data.length: override to make the header lie. */
  capLen?: number;
  origLen?: number;
}

export function pcapRecord(o: PcapRecordOpts): Uint8Array {
  const w = new Writer(o.le ?? true);
  return w.u32(o.sec).u32(o.frac).u32(o.capLen ?? o.data.length).u32(o.origLen ?? o.data.length).raw(o.data).done();
}

export function pcapFile(h: PcapHeaderOpts, records: Array<Omit<PcapRecordOpts, 'le'>>): Uint8Array {
  return concat(pcapHeader(h), ...records.map((r) => pcapRecord({ ...r, le: h.le ?? true })));
}

// ---- pcapng ----

export interface BlockOpts {
  le?: boolean;
  /** Written instead of the true total length (both copies unless trailingLen is given). */
  totalLen?: number;
  trailingLen?: number;
}

/** A generic block: body padded to 4, both length copies. */
export function block(type: number, body: Uint8Array, o: BlockOpts = {}): Uint8Array {
  const le = o.le ?? true;
  const padded = new Writer(le).raw(body).pad4().done();
  const total = 12 + padded.length;
  return new Writer(le).u32(type).u32(o.totalLen ?? total).raw(padded).u32(o.trailingLen ?? o.totalLen ?? total).done();
}

export interface Option {
  code: number;
  value: Uint8Array;
}

function options(le: boolean, opts: Option[]): Uint8Array {
  if (opts.length === 0) return new Uint8Array(0);
  const w = new Writer(le);
  for (const o of opts) w.u16(o.code).u16(o.value.length).raw(o.value).pad4();
  return w.u16(0).u16(0).done(); // opt_endofopt
}

export function shb(o: BlockOpts & { major?: number; minor?: number } = {}): Uint8Array {
  const le = o.le ?? true;
  const body = new Writer(le).u32(0x1a2b3c4d).u16(o.major ?? 1).u16(o.minor ?? 0).u64(-1n).done();
  return block(0x0a0d0d0a, body, o);
}

export interface IdbOpts extends BlockOpts {
  linkType?: number;
  snapLen?: number;
  name?: string;
  tsresol?: number;
  tsoffset?: bigint;
}

export function idb(o: IdbOpts = {}): Uint8Array {
  const le = o.le ?? true;
  const opts: Option[] = [];
  if (o.name !== undefined) opts.push({ code: 2, value: new TextEncoder().encode(o.name) });
  if (o.tsresol !== undefined) opts.push({ code: 9, value: Uint8Array.of(o.tsresol) });
  if (o.tsoffset !== undefined) opts.push({ code: 14, value: new Writer(le).u64(o.tsoffset).done() });
  const body = new Writer(le).u16(o.linkType ?? 1).u16(0).u32(o.snapLen ?? 0).raw(options(le, opts)).done();
  return block(1, body, o);
}

export interface EpbOpts extends BlockOpts {
  ifId?: number;
  /** 64-bit tick count in the interface's resolution. */
  ticks: bigint;
  data: Uint8Array;
  capLen?: number;
  origLen?: number;
}

export function epb(o: EpbOpts): Uint8Array {
  const le = o.le ?? true;
  const w = new Writer(le).u32(o.ifId ?? 0).u32(Number(o.ticks >> 32n)).u32(Number(o.ticks & 0xffffffffn))
    .u32(o.capLen ?? o.data.length).u32(o.origLen ?? o.data.length).raw(o.data).pad4();
  return block(6, w.done(), o);
}

export function opb(o: EpbOpts & { drops?: number }): Uint8Array {
  const le = o.le ?? true;
  const w = new Writer(le).u16(o.ifId ?? 0).u16(o.drops ?? 0).u32(Number(o.ticks >> 32n)).u32(Number(o.ticks & 0xffffffffn))
    .u32(o.capLen ?? o.data.length).u32(o.origLen ?? o.data.length).raw(o.data).pad4();
  return block(2, w.done(), o);
}

export function spb(o: BlockOpts & { data: Uint8Array; origLen?: number }): Uint8Array {
  const le = o.le ?? true;
  return block(3, new Writer(le).u32(o.origLen ?? o.data.length).raw(o.data).pad4().done(), o);
}

/** Splits `bytes` at the given cut points (sorted or not), as chunks for CaptureParser.push. */
export function splitAt(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.filter((c) => c > 0 && c < bytes.length))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const c of [...points, bytes.length]) {
    out.push(bytes.subarray(prev, c));
    prev = c;
  }
  return out;
}

/** Deterministic PRNG (mulberry32) for random splits that reproduce. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
