/**
 * TCP conversations, numbered as Wireshark's `tcp.stream`: a new index for each new 4-tuple, and
 * a new one when a SYN (without ACK) reuses a 4-tuple with another initial sequence number than
 * the one that started it (packet-tcp.c, "ports reused").
 *
 * State per stream is a row of typed arrays (about 59 bytes), kept in pages so that growing never
 * copies: a port scan of a million SYNs costs tens of megabytes, not gigabytes. Lookup is a
 * chained hash over numeric keys (addresses as AddressTable keys), so the hot path makes no strings.
 */
import type { Segment } from '../dissect/segment.js';
import type { Clock } from './clock.js';
import { TcpFlag } from '../dissect/tcp.js';

const PAGE_BITS = 16;
const PAGE = 1 << PAGE_BITS;
const PAGE_MASK = PAGE - 1;
const IPV6_KEY_BASE = 2 ** 32;
/** Bit flags in `state`: the base sequence number of direction 0 / 1 is known. */
const BASE0 = 1;
const BASE1 = 2;
/** The stream's first packet was a SYN/ACK (so its receiver is the client). */
const FIRST_SYNACK = 4;
/** The stream's first packet was a bare MP_CAPABLE v1 SYN, kept here until the stream says more. */
const OFFER = 8;
/** ...and that SYN had a TCP timestamp (in synTsVal). */
const OFFER_TS = 16;
/** The stream's subflow was released (its connection forgotten). */
const RELEASED = 32;
/** The stream's addresses are IPv6 (keyA/keyB hold AddressTable keys less IPV6_KEY_BASE). */
const V6 = 64;

class Page {
  /** AddressTable keys, less IPV6_KEY_BASE for IPv6 ones (state V6): 32 bits each. */
  readonly keyA = new Uint32Array(PAGE);
  readonly keyB = new Uint32Array(PAGE);
  /** portA << 16 | portB */
  readonly ports = new Uint32Array(PAGE);
  readonly base0 = new Uint32Array(PAGE);
  readonly base1 = new Uint32Array(PAGE);
  readonly state = new Uint8Array(PAGE);
  /** Next stream in the same hash bucket, + 1 (0 = end). */
  readonly next = new Int32Array(PAGE);
  readonly packets0 = new Uint32Array(PAGE);
  readonly packets1 = new Uint32Array(PAGE);
  /** Payload bytes by direction, modulo 2^32 (the carries are in FlowTable.bytesHigh). */
  readonly bytes0 = new Uint32Array(PAGE);
  readonly bytes1 = new Uint32Array(PAGE);
  readonly firstFrame = new Uint32Array(PAGE);
  readonly firstTime = new Float64Array(PAGE);
  /** MP_CAPABLE SYN offer: version << 8 | flags. */
  readonly offer = new Uint16Array(PAGE);
  readonly synTsVal = new Uint32Array(PAGE);
}

/** What a lookup says of the current segment. Reused. */
export interface FlowHit {
  /** tcp.stream */
  stream: number;
  /** 0 when the segment goes A→B (A = the sender of the stream's first packet), 1 when B→A. */
  dir: 0 | 1;
  isNew: boolean;
  srcKey: number;
  dstKey: number;
}

export class FlowTable {
  private readonly pages: Page[] = [];
  private count = 0;
  /** Hash buckets: stream + 1 of the newest stream with that hash (0 = empty). */
  private buckets = new Int32Array(1 << 12);
  private readonly hit: FlowHit = { stream: 0, dir: 0, isNew: false, srcKey: 0, dstKey: 0 };

  get size(): number {
    return this.count;
  }

  /** The stream of a TCP segment (creating it if new), and the direction it goes; addresses as AddressTable keys. */
  lookup(seg: Segment, srcKey: number, dstKey: number, now: Clock): FlowHit {
    const frame = seg.frame as NonNullable<Segment['frame']>;
    const sp = seg.srcPort;
    const dp = seg.dstPort;
    const h = hash(srcKey, dstKey, sp, dp) & (this.buckets.length - 1);
    const fwdPorts = ((sp << 16) | dp) >>> 0;
    const revPorts = ((dp << 16) | sp) >>> 0;
    // both addresses of a header are of one family: a flag says which, the keys keep 32 bits
    const v6 = srcKey >= IPV6_KEY_BASE ? V6 : 0;
    const src32 = srcKey >>> 0;
    const dst32 = dstKey >>> 0;
    let found = -1;
    let dir: 0 | 1 = 0;
    for (let i = (this.buckets[h] as number) - 1; i >= 0; ) {
      const p = this.pages[i >>> PAGE_BITS] as Page;
      const j = i & PAGE_MASK;
      const a = p.keyA[j] as number;
      const bk = p.keyB[j] as number;
      const ports = p.ports[j] as number;
      if (a === src32 && bk === dst32 && ports === fwdPorts && ((p.state[j] as number) & V6) === v6) {
        found = i;
        dir = 0;
        break;
      }
      if (a === dst32 && bk === src32 && ports === revPorts && ((p.state[j] as number) & V6) === v6) {
        found = i;
        dir = 1;
        break;
      }
      i = (p.next[j] as number) - 1;
    }
    const flags = seg.flags;
    const synOnly = (flags & (TcpFlag.SYN | TcpFlag.ACK)) === TcpFlag.SYN;
    if (found >= 0 && synOnly) {
      const p = this.pages[found >>> PAGE_BITS] as Page;
      const j = found & PAGE_MASK;
      const st = p.state[j] as number;
      const known = dir === 0 ? st & BASE0 : st & BASE1;
      const base = dir === 0 ? p.base0[j] : p.base1[j];
      if (known && seg.seq !== base) found = -1; // 4-tuple reused
    }
    const out = this.hit;
    out.isNew = found < 0;
    if (found < 0) {
      found = this.add(src32, dst32, v6, fwdPorts, h, frame.number, now.time);
      dir = 0;
      if ((flags & (TcpFlag.SYN | TcpFlag.ACK)) === (TcpFlag.SYN | TcpFlag.ACK)) {
        const p = this.pages[found >>> PAGE_BITS] as Page;
        p.state[found & PAGE_MASK] = (p.state[found & PAGE_MASK] as number) | FIRST_SYNACK;
      }
    }
    const p = this.pages[found >>> PAGE_BITS] as Page;
    const j = found & PAGE_MASK;
    let st = p.state[j] as number;
    const ownBit = dir === 0 ? BASE0 : BASE1;
    const revBit = dir === 0 ? BASE1 : BASE0;
    if (!(st & ownBit)) {
      // As Wireshark: a stream seen from the middle gets relative sequence number 1 on its
      // first segment, so its base is one before it.
      const base = flags & TcpFlag.SYN ? seg.seq : (seg.seq - 1) >>> 0;
      if (dir === 0) p.base0[j] = base;
      else p.base1[j] = base;
      st |= ownBit;
    }
    // ...and an ACK tells where the other direction starts, if nothing else did yet.
    if (flags & TcpFlag.ACK && !(st & revBit)) {
      const base = (seg.ack - 1) >>> 0;
      if (dir === 0) p.base1[j] = base;
      else p.base0[j] = base;
      st |= revBit;
    }
    p.state[j] = st;
    const len = seg.payloadLen;
    if (dir === 0) {
      p.packets0[j] = (p.packets0[j] as number) + 1;
      const b = (p.bytes0[j] as number) + len;
      if (b > 0xffffffff) this.carry(found, 0);
      p.bytes0[j] = b;
    } else {
      p.packets1[j] = (p.packets1[j] as number) + 1;
      const b = (p.bytes1[j] as number) + len;
      if (b > 0xffffffff) this.carry(found, 1);
      p.bytes1[j] = b;
    }
    out.stream = found;
    out.dir = dir;
    out.srcKey = srcKey;
    out.dstKey = dstKey;
    return out;
  }

  /** Packets and payload bytes of a stream so far, by direction (0 = A→B). */
  packets(stream: number, dir: 0 | 1): number {
    const p = this.pages[stream >>> PAGE_BITS] as Page;
    return (dir === 0 ? p.packets0[stream & PAGE_MASK] : p.packets1[stream & PAGE_MASK]) as number;
  }

  bytes(stream: number, dir: 0 | 1): number {
    const p = this.pages[stream >>> PAGE_BITS] as Page;
    const low = (dir === 0 ? p.bytes0[stream & PAGE_MASK] : p.bytes1[stream & PAGE_MASK]) as number;
    return this.bytesHigh.size === 0 ? low : low + (this.bytesHigh.get(2 * stream + dir) ?? 0) * 2 ** 32;
  }

  /** The 2^32 carries of the byte counts that passed 4 GiB, by 2 × stream + direction (rare). */
  private readonly bytesHigh = new Map<number, number>();

  private carry(stream: number, dir: 0 | 1): void {
    const k = 2 * stream + dir;
    this.bytesHigh.set(k, (this.bytesHigh.get(k) ?? 0) + 1);
  }

  /** Streams with an offer still recorded. */
  offerCount = 0;

  /** Remember a stream's first packet, a bare MP_CAPABLE SYN, instead of making it a subflow. */
  setOffer(stream: number, version: number, flags: number, tsVal: number | null): void {
    this.offerCount++;
    const p = this.pages[stream >>> PAGE_BITS] as Page;
    const j = stream & PAGE_MASK;
    p.offer[j] = ((version & 0xff) << 8) | (flags & 0xff);
    p.state[j] = (p.state[j] as number) | OFFER | (tsVal === null ? 0 : OFFER_TS);
    if (tsVal !== null) p.synTsVal[j] = tsVal;
  }

  /** The offer recorded by setOffer, or null; `take` forgets it (the stream became a subflow). */
  offer(stream: number, take: boolean): { version: number; flags: number; isn: number; tsVal: number | null } | null {
    const p = this.pages[stream >>> PAGE_BITS] as Page;
    const j = stream & PAGE_MASK;
    const st = p.state[j] as number;
    if (!(st & OFFER)) return null;
    if (take) {
      p.state[j] = st & ~(OFFER | OFFER_TS);
      this.offerCount--;
    }
    const o = p.offer[j] as number;
    return { version: o >> 8, flags: o & 0xff, isn: p.base0[j] as number, tsVal: st & OFFER_TS ? (p.synTsVal[j] as number) : null };
  }

  /** Streams whose offer is still only here (never became subflows). */
  *offers(): Iterable<{ stream: number; keyA: number; keyB: number; portA: number; portB: number; version: number; time: number }> {
    for (let i = 0; i < this.count; i++) {
      const p = this.pages[i >>> PAGE_BITS] as Page;
      const j = i & PAGE_MASK;
      if (!((p.state[j] as number) & OFFER)) continue;
      const ports = p.ports[j] as number;
      yield { stream: i, keyA: fullKey(p, j, p.keyA), keyB: fullKey(p, j, p.keyB), portA: ports >>> 16, portB: ports & 0xffff, version: (p.offer[j] as number) >> 8, time: p.firstTime[j] as number };
    }
  }

  markReleased(stream: number): void {
    const p = this.pages[stream >>> PAGE_BITS] as Page;
    p.state[stream & PAGE_MASK] = (p.state[stream & PAGE_MASK] as number) | RELEASED;
  }

  isReleased(stream: number): boolean {
    return (((this.pages[stream >>> PAGE_BITS] as Page).state[stream & PAGE_MASK] as number) & RELEASED) !== 0;
  }

  firstWasSynAck(stream: number): boolean {
    return (((this.pages[stream >>> PAGE_BITS] as Page).state[stream & PAGE_MASK] as number) & FIRST_SYNACK) !== 0;
  }

  firstFrame(stream: number): number {
    return (this.pages[stream >>> PAGE_BITS] as Page).firstFrame[stream & PAGE_MASK] as number;
  }

  firstTime(stream: number): number {
    return (this.pages[stream >>> PAGE_BITS] as Page).firstTime[stream & PAGE_MASK] as number;
  }

  private add(keyA: number, keyB: number, v6: number, ports: number, h: number, frame: number, time: number): number {
    const i = this.count++;
    if ((i & PAGE_MASK) === 0) this.pages.push(new Page());
    const p = this.pages[i >>> PAGE_BITS] as Page;
    const j = i & PAGE_MASK;
    p.keyA[j] = keyA;
    p.keyB[j] = keyB;
    p.ports[j] = ports;
    p.firstFrame[j] = frame;
    p.firstTime[j] = time;
    p.state[j] = v6;
    p.next[j] = this.buckets[h] as number;
    this.buckets[h] = i + 1;
    if (this.count > this.buckets.length) this.rehash();
    return i;
  }

  /** Double the buckets when there are more streams than buckets (chains stay short). */
  private rehash(): void {
    const buckets = new Int32Array(this.buckets.length * 2);
    const mask = buckets.length - 1;
    // oldest first, so that in each chain the newest stream of a reused 4-tuple stays first
    for (let i = 0; i < this.count; i++) {
      const p = this.pages[i >>> PAGE_BITS] as Page;
      const j = i & PAGE_MASK;
      const ports = p.ports[j] as number;
      const h = hash(fullKey(p, j, p.keyA), fullKey(p, j, p.keyB), ports >>> 16, ports & 0xffff) & mask;
      p.next[j] = buckets[h] as number;
      buckets[h] = i + 1;
    }
    this.buckets = buckets;
  }
}

/** The AddressTable key of row j's address A or B (`keys` is p.keyA or p.keyB). */
function fullKey(p: Page, j: number, keys: Uint32Array): number {
  return (keys[j] as number) + ((p.state[j] as number) & V6 ? IPV6_KEY_BASE : 0);
}

/** The same for both directions of a 4-tuple (a symmetric mix), spread over 32 bits. */
function hash(a: number, b: number, pa: number, pb: number): number {
  const ha = mix(a, pa);
  const hb = mix(b, pb);
  return (ha ^ hb) >>> 0;
}

function mix(addr: number, port: number): number {
  // addr >>> 0 is addr % 2^32 and Math.imul the low 32 bits of the product, as `^` would take
  // them, without a floating-point modulo (a call into C) on every packet
  let x = (addr >>> 0) ^ Math.floor(addr / IPV6_KEY_BASE) ^ Math.imul(port, 0x9e3779b1);
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return x ^ (x >>> 16);
}
