/**
 * Crafted MPTCP traffic for reassembly tests: MPTCP option bytes (MP_CAPABLE, MP_JOIN, DSS),
 * Ethernet/IPv4/TCP frames that carry them, TCP subflows that keep their own sequence numbers,
 * and a capture that turns into a pcap file or is fed straight to an `MptcpTracker`.
 *
 * The DSS checksum here is written from RFC 8684 §3.3.1 independently of src/, so that it can be
 * the oracle for src/reassembly/dss-checksum.ts.
 */
import { writeFileSync } from 'node:fs';
import type { Frame } from '../../src/dissect/frame.ts';
import { Pipeline } from '../../src/analysis/pipeline.ts';
import { joinAckHmac, joinSynAckHmac, keyMaterial } from '../../src/reassembly/crypto.ts';
import type { MptcpTracker, PacketInfo } from '../../src/reassembly/tracker.ts';
import { concat, pcapFile } from './capture-builders.ts';
import { ethernet, ipv4, tcp } from './frames.ts';

export { concat };

const MPTCP_KIND = 30;
export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;
const ETHERTYPE_IPV4 = 0x0800;
const LINKTYPE_ETHERNET = 1;

/** The application pattern of the real fixtures: byte at stream offset i is i mod 256. */
export function pattern(len: number, fromOffset = 0): Uint8Array {
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++) out[i] = (fromOffset + i) & 0xff;
  return out;
}

/** The pattern bytes of relative DSNs [rel, rel + len): relative DSN 1 is stream offset 0. */
export function patternAtRel(rel: number, len: number): Uint8Array {
  return pattern(len, rel - 1);
}

function u16(v: number): number[] {
  return [(v >>> 8) & 0xff, v & 0xff];
}
function u32(v: number): number[] {
  return [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
}
function u64(v: bigint): number[] {
  const x = BigInt.asUintN(64, v);
  return [...u32(Number(x >> 32n)), ...u32(Number(x & 0xffffffffn))];
}
function option(subtypeAndByte2: number, byte3: number, body: number[]): Uint8Array {
  return Uint8Array.from([MPTCP_KIND, 4 + body.length, subtypeAndByte2, byte3, ...body]);
}

// ---- MPTCP options (RFC 8684 §3.1, §3.2, §3.3) ----

/** MP_CAPABLE flags: A checksum required, H HMAC-SHA256. */
export const MPC_A = 0x80;
export const MPC_H = 0x01;

/**
 * MP_CAPABLE, v1 unless told. Length follows from what is given: no key (SYN, 4), sender key
 * (SYN/ACK, 12), both keys (ACK, 20), + data-level length (22), + checksum (24).
 */
export function mpCapable(o: { version?: number; flags?: number; senderKey?: bigint; receiverKey?: bigint; dataLen?: number; checksum?: number } = {}): Uint8Array {
  const body: number[] = [];
  if (o.senderKey !== undefined) body.push(...u64(o.senderKey));
  if (o.receiverKey !== undefined) body.push(...u64(o.receiverKey));
  if (o.dataLen !== undefined) body.push(...u16(o.dataLen));
  if (o.checksum !== undefined) body.push(...u16(o.checksum));
  return option(0x00 | (o.version ?? 1), o.flags ?? MPC_H, body);
}

export function mpJoinSyn(o: { token: number; nonce: number; addrId?: number; backup?: boolean }): Uint8Array {
  return option(0x10 | (o.backup ? 1 : 0), o.addrId ?? 0, [...u32(o.token), ...u32(o.nonce)]);
}

export function mpJoinSynAck(o: { hmac: bigint; nonce: number; addrId?: number; backup?: boolean }): Uint8Array {
  return option(0x10 | (o.backup ? 1 : 0), o.addrId ?? 0, [...u64(o.hmac), ...u32(o.nonce)]);
}

export function mpJoinAck(o: { hmacHex: string }): Uint8Array {
  const mac = Array.from({ length: 20 }, (_, i) => parseInt(o.hmacHex.slice(2 * i, 2 * i + 2), 16));
  return Uint8Array.from([MPTCP_KIND, 24, 0x10, 0, ...mac]);
}

export interface DssOpts {
  /** Data ACK (omitted when undefined); written as its low 32 bits unless ack64. */
  dataAck?: bigint;
  ack64?: boolean;
  /** Mapping (omitted when dsn is undefined); DSN written as its low 32 bits unless dsn64. */
  dsn?: bigint;
  dsn64?: boolean;
  ssn?: number;
  dataLen?: number;
  /** The checksum field (only with a mapping). */
  checksum?: number;
  fin?: boolean;
}

/** DSS option: flags F 0x10, m 0x08, M 0x04, a 0x02, A 0x01 (RFC 8684 §3.3). */
export function dss(o: DssOpts): Uint8Array {
  let flags = 0;
  const body: number[] = [];
  if (o.dataAck !== undefined) {
    flags |= 0x01;
    if (o.ack64) {
      flags |= 0x02;
      body.push(...u64(o.dataAck));
    } else body.push(...u32(Number(BigInt.asUintN(32, o.dataAck))));
  }
  if (o.dsn !== undefined) {
    flags |= 0x04;
    if (o.dsn64) {
      flags |= 0x08;
      body.push(...u64(o.dsn));
    } else body.push(...u32(Number(BigInt.asUintN(32, o.dsn))));
    body.push(...u32(o.ssn ?? 0), ...u16(o.dataLen ?? 0));
    if (o.checksum !== undefined) body.push(...u16(o.checksum));
  }
  if (o.fin) flags |= 0x10;
  return option(0x20, flags, body);
}

/**
 * The DSS checksum field for a mapping (RFC 8684 §3.3.1): ones' complement of the ones'
 * complement sum over DSN (64 bits) ‖ SSN (32) ‖ data-level length (16) ‖ zero (16) ‖ payload,
 * the payload padded with a zero byte to an even length.
 */
export function dssChecksum(dsn: bigint, ssn: number, dataLen: number, payload: Uint8Array): number {
  const buf = Uint8Array.from([...u64(dsn), ...u32(ssn), ...u16(dataLen), 0, 0, ...payload, ...(payload.length % 2 ? [0] : [])]);
  let sum = 0;
  for (let i = 0; i < buf.length; i += 2) sum += ((buf[i] as number) << 8) | (buf[i + 1] as number);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

// ---- frames, subflows, captures ----

export interface Host {
  addr: string;
  port: number;
}

export interface SegmentOpts {
  flags?: number;
  options?: Uint8Array[];
  payload?: Uint8Array;
  /** Seconds after the previous frame (default 1 ms). */
  dt?: number;
}

/** Ethernet + IPv4 + TCP (checksums left at zero: the analyzer never judges them). */
export function tcpFrame(src: Host, dst: Host, seq: number, ack: number, o: SegmentOpts = {}): Uint8Array {
  const seg = tcp({
    srcPort: src.port,
    dstPort: dst.port,
    seq: seq >>> 0,
    ack: ack >>> 0,
    flags: o.flags ?? TCP_ACK,
    window: 0xffff,
    options: concat(...(o.options ?? [])),
    ...(o.payload ? { payload: o.payload } : {}),
  });
  return ethernet(ETHERTYPE_IPV4, ipv4(seg, { src: src.addr, dst: dst.addr }));
}

export interface CraftedFrame {
  /** Seconds since the capture's first frame. */
  t: number;
  data: Uint8Array;
}

/** Frames in capture order, with times. Frame numbers are 1-based positions in `frames`. */
export class Capture {
  readonly frames: CraftedFrame[] = [];
  private t = 0;
  readonly startSec = 1_700_000_000;

  push(data: Uint8Array, dt = 0.001): number {
    if (this.frames.length > 0) this.t += dt;
    this.frames.push({ t: this.t, data });
    return this.frames.length;
  }

  /** Time the next frame will get with this dt. */
  get now(): number {
    return this.t;
  }

  /** The frames as a classic pcap; with `snapLen`, frames longer than it are cut (origLen kept). */
  pcap(snapLen = 262144): Uint8Array {
    return pcapFile(
      { linkType: LINKTYPE_ETHERNET, snapLen },
      this.frames.map((f) => {
        const us = Math.round(f.t * 1e6);
        const data = f.data.subarray(0, Math.min(f.data.length, snapLen));
        return { sec: this.startSec + Math.floor(us / 1e6), frac: us % 1e6, data, origLen: f.data.length };
      }),
    );
  }

  write(path: string): string {
    writeFileSync(path, this.pcap());
    return path;
  }

  /** The frames as a capture reader would hand them out (same numbering and times as pcap()). */
  *records(): Generator<Frame> {
    for (let i = 0; i < this.frames.length; i++) {
      const f = this.frames[i] as CraftedFrame;
      const us = Math.round(f.t * 1e6);
      yield {
        number: i + 1,
        tsSec: this.startSec + Math.floor(us / 1e6),
        tsNsec: (us % 1e6) * 1000,
        capLen: f.data.length,
        origLen: f.data.length,
        linkType: LINKTYPE_ETHERNET,
        interfaceId: 0,
        fileOffset: 0,
        data: f.data,
      };
    }
  }

  /**
   * Run the frames through a fresh tracker, optionally with a hook on each new connection and a
   * look at what the tracker says of each packet (its PacketInfo is reused: copy what you keep).
   */
  track(onConnection: MptcpTracker['onConnection'] = null, onInfo?: (frame: number, info: PacketInfo) => void): MptcpTracker {
    const pipeline = new Pipeline();
    const tracker = pipeline.tracker;
    tracker.onConnection = onConnection;
    for (const f of this.records()) {
      const info = pipeline.add(f);
      onInfo?.(f.number, info);
    }
    return tracker;
  }
}

/**
 * One TCP subflow between `client` and `server`. Sequence numbers are given relative to each
 * side's ISN (the SYN has 0, the first payload byte 1: the DSS subflow sequence number), and
 * each frame acknowledges everything the other side sent so far.
 */
export class CraftedSubflow {
  private next = { c: 1, s: 1 };

  constructor(
    readonly cap: Capture,
    readonly client: Host,
    readonly server: Host,
    readonly isn = { c: 0x1000_0000, s: 0x7000_0000 },
  ) {}

  private emit(from: 'c' | 's', ssn: number, o: SegmentOpts): number {
    const [src, dst] = from === 'c' ? [this.client, this.server] : [this.server, this.client];
    const other = from === 'c' ? 's' : 'c';
    const flags = o.flags ?? TCP_ACK;
    const ack = flags & TCP_ACK ? this.isn[other] + this.next[other] : 0;
    const len = o.payload?.length ?? 0;
    const end = ssn + len + (flags & TCP_FIN ? 1 : 0);
    if (end > this.next[from]) this.next[from] = end;
    return this.cap.push(tcpFrame(src, dst, this.isn[from] + ssn, ack, o), o.dt);
  }

  syn(options: Uint8Array[], dt?: number): number {
    return this.emit('c', 0, { flags: TCP_SYN, options, ...(dt === undefined ? {} : { dt }) });
  }

  synAck(options: Uint8Array[], dt?: number): number {
    return this.emit('s', 0, { flags: TCP_SYN | TCP_ACK, options, ...(dt === undefined ? {} : { dt }) });
  }

  /** Client → server at subflow sequence number `ssn`. */
  c2s(ssn: number, o: SegmentOpts = {}): number {
    return this.emit('c', ssn, o);
  }

  /** Server → client at subflow sequence number `ssn`. */
  s2c(ssn: number, o: SegmentOpts = {}): number {
    return this.emit('s', ssn, o);
  }
}

export interface V1Keys {
  clientKey: bigint;
  serverKey: bigint;
}

/** Token and IDSN of each side (v1: SHA-256 of the key). */
export function sides(k: V1Keys): { client: { token: number; idsn: bigint }; server: { token: number; idsn: bigint } } {
  return { client: keyMaterial(k.clientKey, 1), server: keyMaterial(k.serverKey, 1) };
}

/** The v1 MP_CAPABLE three-way handshake on an initial subflow. */
export function capableHandshake(sf: CraftedSubflow, k: V1Keys, flags = MPC_H): void {
  sf.syn([mpCapable({ flags })]);
  sf.synAck([mpCapable({ flags, senderKey: k.serverKey })]);
  sf.c2s(1, { options: [mpCapable({ flags, senderKey: k.clientKey, receiverKey: k.serverKey })] });
}

/** An MP_JOIN three-way handshake from the connection's client, with HMACs that verify. */
export function joinHandshake(sf: CraftedSubflow, k: V1Keys, nonces = { c: 0x11223344, s: 0x55667788 }, addrId = 1): void {
  const { server } = sides(k);
  sf.syn([mpJoinSyn({ token: server.token, nonce: nonces.c, addrId })]);
  sf.synAck([mpJoinSynAck({ hmac: joinSynAckHmac(1, k.clientKey, k.serverKey, nonces.c, nonces.s), nonce: nonces.s, addrId: 0 })]);
  sf.c2s(1, { options: [mpJoinAck({ hmacHex: joinAckHmac(1, k.clientKey, k.serverKey, nonces.c, nonces.s) })] });
}

/** Offsets of the records of a classic pcap (little or big endian): where each frame's bytes start. */
export function pcapRecordOffsets(file: Uint8Array): Array<{ frame: number; dataOffset: number; capLen: number }> {
  const dv = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const magic = dv.getUint32(0, true);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  const out: Array<{ frame: number; dataOffset: number; capLen: number }> = [];
  let at = 24;
  while (at + 16 <= file.length) {
    const capLen = dv.getUint32(at + 8, le);
    out.push({ frame: out.length + 1, dataOffset: at + 16, capLen });
    at += 16 + capLen;
  }
  return out;
}

/** First index of `needle` in `hay` at or after `from`, or -1. */
export function indexOfBytes(hay: Uint8Array, needle: Uint8Array, from = 0): number {
  return Buffer.from(hay.buffer, hay.byteOffset, hay.byteLength).indexOf(Buffer.from(needle), from);
}

/** A DataSink that keeps (copies of) everything written to it. */
export class CollectSink {
  private parts: Uint8Array[] = [];
  write(bytes: Uint8Array): void {
    this.parts.push(bytes.slice());
  }
  get bytes(): Uint8Array {
    return concat(...this.parts);
  }
}
