/**
 * Byte builders for dissector fixtures: link layers, IPv4/IPv6, UDP, GTP-U and TCP, put together
 * into `Frame` records. Lengths and checksums are filled in unless a test overrides them to lie.
 */
import type { Frame } from '../../src/dissect/frame.ts';
import { concat, fromHex } from './capture-builders.ts';

export { concat, fromHex };

/** A Frame as a capture reader would hand it out; origLen defaults to the captured length. */
export function frame(data: Uint8Array, linkType: number, origLen = data.length): Frame {
  return { number: 1, tsSec: 0, tsNsec: 0, capLen: data.length, origLen, linkType, interfaceId: 0, fileOffset: 0, data };
}

function be16(v: number): number[] {
  return [(v >>> 8) & 0xff, v & 0xff];
}

function be32(v: number): number[] {
  return [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
}

export function ipv4Bytes(text: string): number[] {
  return text.split('.').map((x) => Number(x));
}

/** Full (uncompressed) IPv6 text only needs "::" expansion; enough for fixtures. */
export function ipv6Bytes(text: string): number[] {
  const [head = '', tail] = text.split('::');
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.flatMap((g) => be16(parseInt(g, 16)));
}

/** RFC 791 header checksum, so that fixtures look like real packets to tshark. */
function ipChecksum(h: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < h.length; i += 2) sum += ((h[i] as number) << 8) | (h[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export interface Ipv4Opts {
  src?: string;
  dst?: string;
  protocol?: number;
  /** Option bytes (padded to 4 by the caller). */
  options?: Uint8Array;
  /** Overrides the computed total length. */
  totalLen?: number;
  id?: number;
  /** Flags + fragment offset word (MF 0x2000, offset in 8-byte units). */
  fragWord?: number;
  ttl?: number;
}

export function ipv4(payload: Uint8Array, o: Ipv4Opts = {}): Uint8Array {
  const opts = o.options ?? new Uint8Array(0);
  const ihl = 5 + opts.length / 4;
  const total = o.totalLen ?? 20 + opts.length + payload.length;
  const h = Uint8Array.from([
    0x40 | ihl, 0, ...be16(total), ...be16(o.id ?? 0x1234), ...be16(o.fragWord ?? 0x4000), o.ttl ?? 64, o.protocol ?? 6, 0, 0,
    ...ipv4Bytes(o.src ?? '10.0.0.1'), ...ipv4Bytes(o.dst ?? '10.0.0.2'), ...opts,
  ]);
  const c = ipChecksum(h);
  h[10] = c >> 8;
  h[11] = c & 0xff;
  return concat(h, payload);
}

export interface Ipv6Opts {
  src?: string;
  dst?: string;
  /** Next header of the fixed header (first extension or the transport protocol). */
  next?: number;
  payloadLen?: number;
  hopLimit?: number;
}

export function ipv6(payload: Uint8Array, o: Ipv6Opts = {}): Uint8Array {
  const h = Uint8Array.from([
    0x60, 0, 0, 0, ...be16(o.payloadLen ?? payload.length), o.next ?? 6, o.hopLimit ?? 64,
    ...ipv6Bytes(o.src ?? '2001:db8::1'), ...ipv6Bytes(o.dst ?? '2001:db8::2'),
  ]);
  return concat(h, payload);
}

export interface TcpOpts {
  srcPort?: number;
  dstPort?: number;
  seq?: number;
  ack?: number;
  /** 12 flag bits; default ACK. */
  flags?: number;
  window?: number;
  /** Option bytes, padded with zeros (EOL) to a multiple of 4. */
  options?: Uint8Array;
  /** Overrides the data offset nibble (in 32-bit words). */
  dataOffset?: number;
  payload?: Uint8Array;
}

export function tcp(o: TcpOpts = {}): Uint8Array {
  const raw = o.options ?? new Uint8Array(0);
  const pad = (4 - (raw.length % 4)) % 4;
  const opts = concat(raw, new Uint8Array(pad));
  const doff = o.dataOffset ?? 5 + opts.length / 4;
  const flags = o.flags ?? 0x010;
  const h = Uint8Array.from([
    ...be16(o.srcPort ?? 40000), ...be16(o.dstPort ?? 80), ...be32(o.seq ?? 1000), ...be32(o.ack ?? 2000),
    ((doff & 0xf) << 4) | ((flags >> 8) & 0x0f), flags & 0xff, ...be16(o.window ?? 512), 0, 0, 0, 0, ...opts,
  ]);
  return concat(h, o.payload ?? new Uint8Array(0));
}

export function udp(payload: Uint8Array, srcPort: number, dstPort: number, len = 8 + payload.length): Uint8Array {
  return concat(Uint8Array.from([...be16(srcPort), ...be16(dstPort), ...be16(len), 0, 0]), payload);
}

/**
 * GTP-U G-PDU (3GPP TS 29.281 §5.1). `extensions` are whole extension headers (length byte in
 * 4-byte units first, next-type byte last); the first one's type goes in the optional fields.
 */
export function gtpU(inner: Uint8Array, teid = 0x01020304, extensions: Array<{ type: number; body: Uint8Array }> = []): Uint8Array {
  const hasExt = extensions.length > 0;
  const ext: number[] = [];
  for (let i = 0; i < extensions.length; i++) {
    const e = extensions[i] as { type: number; body: Uint8Array };
    const next = extensions[i + 1]?.type ?? 0;
    const len = e.body.length + 2;
    if (len % 4 !== 0) throw new Error('GTP extension body must make a multiple of 4 with its 2 framing bytes');
    ext.push(len / 4, ...e.body, next);
  }
  const optional = hasExt ? [0, 0, 0, (extensions[0] as { type: number }).type] : [];
  const length = optional.length + ext.length + inner.length;
  return concat(
    Uint8Array.from([0x30 | (hasExt ? 0x04 : 0), 0xff, ...be16(length), ...be32(teid), ...optional, ...ext]),
    inner,
  );
}

// ---- link layers ----

export function ethernet(etherType: number, payload: Uint8Array, vlans: Array<{ tpid: number; id: number }> = []): Uint8Array {
  // Each tag is TPID then TCI; the payload's EtherType follows the last TCI.
  const tags = vlans.flatMap((v) => [...be16(v.tpid), ...be16(v.id)]);
  const macs = [0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2];
  return concat(Uint8Array.from([...macs, ...tags, ...be16(etherType)]), payload);
}

export function sll(protocol: number, payload: Uint8Array): Uint8Array {
  // packet type 0 (to us), ARPHRD_ETHER, address length 6, address, protocol
  return concat(Uint8Array.from([0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, ...be16(protocol)]), payload);
}

export function sll2(protocol: number, payload: Uint8Array): Uint8Array {
  // protocol, reserved, ifindex, ARPHRD_ETHER, packet type 4 (outgoing), address length 6, address
  return concat(Uint8Array.from([...be16(protocol), 0, 0, 0, 0, 0, 3, 0, 1, 4, 6, 2, 0, 0, 0, 0, 1, 0, 0]), payload);
}

/** 4-byte loopback header: address family little-endian (NULL on x86) or big-endian (LOOP, or NULL from a big-endian host). */
export function loopback(af: number, payload: Uint8Array, littleEndian: boolean): Uint8Array {
  const b = be32(af);
  return concat(Uint8Array.from(littleEndian ? b.reverse() : b), payload);
}

export function ppp(protocol: number, payload: Uint8Array, hdlc: boolean): Uint8Array {
  return concat(Uint8Array.from([...(hdlc ? [0xff, 0x03] : []), ...be16(protocol)]), payload);
}
