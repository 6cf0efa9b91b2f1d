/**
 * Per-packet matching of two captures of the same traffic. Each side's packets (of MPTCP
 * subflows) enter a FIFO and a hash index keyed by (subflow pair, direction, TCP seq, payload
 * length, IP ID, TSval, flags); a packet finds its copy in the other side's index. A packet is
 * decided (lost / received / delay) when the other side's capture has run `windowSec` past it —
 * so memory is bounded by the packets of one window (and `maxPending` per side).
 *
 * Subflows are paired when first seen: by the client's ISN when the SYN was captured, else by
 * the 4-tuple (no NAT). Keys and tokens confirm the pairing afterwards (results.ts).
 */
import type { Segment } from '../dissect/segment.js';
import { FrameRecord, type Frame } from '../dissect/frame.js';
import { TcpFlag } from '../dissect/tcp.js';
import type { Subflow } from '../reassembly/model.js';
import type { PacketInfo } from '../reassembly/tracker.js';
import { DataDirection } from './data-delay.js';
import { DelayStats } from './stats.js';

const IPV4_ID_FROM_SRC = 8;
/** Bare SYNs remembered until their subflow is made (a flood of them costs no more). */
const MAX_STASHED_SYNS = 4096; // the IPv4 Identification field is 8 bytes before the source address (RFC 791)

export class DirAcc {
  sent = 0;
  received = 0;
  matched = 0;
  lost = 0;
  receivedOnly = 0;
  dupSender = 0;
  dupReceiver = 0;
  reordered = 0;
  maxSendNs = -Infinity;
  readonly delay = new DelayStats();
  /** duplicates counted per side before the sender is known */
  readonly dups: [number, number] = [0, 0];
}

export class SubState {
  pair: SubPair | null = null;
  /** This side's subflow client is the pair's client's peer (orphans matched by a reversed tuple). */
  flip = 0;
  tSynNs = NaN;
  tSynAckNs = NaN;
  constructor(
    readonly side: 0 | 1,
    readonly sub: Subflow,
  ) {}
}

export class SubPair {
  readonly sides: [SubState | null, SubState | null] = [null, null];
  readonly dirs: [DirAcc, DirAcc] = [new DirAcc(), new DirAcc()];
  /** Side nearer the subflow's client (0 = A). */
  clientSide: 0 | 1 | null = null;
  clientSideBy: 'handshake' | 'delay-sign' | null = null;
  matchedBy: 'isn' | '4-tuple' | null = null;
  /** Data level of the connection direction each subflow direction carries (set when first needed). */
  readonly data: [DataDirection | null, DataDirection | null] = [null, null];
  constructor(readonly id: number) {}
}

export class PacketRec {
  side: 0 | 1 = 0;
  pair: SubPair | null = null;
  st: SubState | null = null;
  dir = 0;
  rawFromClient = true;
  seq = 0;
  len = 0;
  ipId = 0;
  tsVal = 0;
  flags = 0;
  tNs = 0;
  dsn = -1;
  hash = 0;
  matched = false;
  peerNs = NaN;
  next: PacketRec | null = null;
}

export interface MatcherOptions {
  windowSec: number;
  maxPending: number;
  duplicateSec: number;
  /** B's clock minus A's, ns. */
  offsetNs: number;
}

/** Called when a packet is decided: a received copy (matched or not) or a lost one. */
export type PacketSink = (rec: PacketRec, senderSide: 0 | 1, kind: 'delivered' | 'lost' | 'received-only') => void;

export class SideState {
  readonly subs: Array<SubState | undefined> = [];
  readonly fifo: Array<PacketRec | undefined> = [];
  head = 0;
  readonly index = new Map<number, PacketRec>();
  latestNs = -Infinity;
  firstNs = NaN;
  done = false;
  packets = 0;
  plainTcp = 0;
  /** Bare SYNs not (yet) part of a subflow, by sequence number: IP ID, TSval, flags, time. */
  readonly syns = new Map<number, [number, number, number, number]>();
  constructor(readonly side: 0 | 1) {}
  stashSyn(seq: number, ipId: number, tsVal: number, flags: number, tNs: number): void {
    if (this.syns.size >= MAX_STASHED_SYNS) this.syns.delete(this.syns.keys().next().value as number);
    this.syns.set(seq, [ipId, tsVal, flags, tNs]);
  }
  get pending(): number {
    return this.fifo.length - this.head;
  }
}

export class Matcher {
  readonly sides: [SideState, SideState] = [new SideState(0), new SideState(1)];
  readonly pairs: SubPair[] = [];
  private readonly byIsn = new Map<number, SubPair>();
  private readonly byTuple = new Map<string, SubPair>();
  private readonly pool: PacketRec[] = [];
  /** Whole seconds subtracted from every timestamp (the first frame's), so ns fit a double exactly. */
  private baseSec: number | null = null;
  evicted = 0;
  private readonly windowNs: number;
  private readonly dupNs: number;
  /** Data level by `connA:connB:dir`. */
  readonly data = new Map<string, DataDirection>();
  sink: PacketSink | null = null;

  constructor(readonly opts: MatcherOptions) {
    this.windowNs = opts.windowSec * 1e9;
    this.dupNs = opts.duplicateSec * 1e9;
  }

  /** ns since the base → seconds since the base. */
  readonly toSec = (ns: number): number => ns / 1e9;

  /** One packet of side `s` after its pipeline's tracker. */
  packet(s: 0 | 1, frame: Frame, seg: Segment, info: PacketInfo): void {
    const side = this.sides[s];
    side.packets++;
    if (this.baseSec === null) this.baseSec = frame.tsSec;
    let tNs = (frame.tsSec - this.baseSec) * 1e9 + frame.tsNsec;
    if (s === 1) tNs -= this.opts.offsetNs;
    if (Number.isNaN(side.firstNs)) side.firstNs = tNs;
    if (tNs > side.latestNs) side.latestNs = tNs;
    const sub = info.subflow;
    if (sub === null || !seg.isTcp) {
      if (seg.isTcp) {
        side.plainTcp++;
        // a bare MP_CAPABLE SYN: the tracker makes its subflow at the next packet (deferredSyn)
        if ((seg.flags & (TcpFlag.SYN | TcpFlag.ACK)) === TcpFlag.SYN) side.stashSyn(seg.seq, readIpId(frame, seg), seg.hasTimestamps ? seg.tsVal : 0, seg.flags, tNs);
      }
      return;
    }
    let st = side.subs[sub.tcpStream];
    if (st === undefined) {
      st = side.subs[sub.tcpStream] = new SubState(s, sub);
      this.pairSubflow(st);
      const d = info.deferredSyn;
      const syn = d === null ? undefined : side.syns.get(d.seq);
      if (d !== null && syn !== undefined) {
        side.plainTcp--;
        side.syns.delete(d.seq);
        st.tSynNs = syn[3];
        this.record(side, st, true, d.seq, 0, syn[0], syn[1], syn[2], syn[3], -1);
      }
    }
    if (info.deferredSyn !== null && Number.isNaN(st.tSynNs)) st.tSynNs = side.firstNs + info.deferredSyn.time * 1e9;
    const syn = (seg.flags & TcpFlag.SYN) !== 0;
    const ack = (seg.flags & TcpFlag.ACK) !== 0;
    if (syn && !ack && Number.isNaN(st.tSynNs)) st.tSynNs = tNs;
    if (syn && ack && Number.isNaN(st.tSynAckNs)) st.tSynAckNs = tNs;
    this.record(side, st, info.fromClient, seg.seq, seg.payloadLen, readIpId(frame, seg), seg.hasTimestamps ? seg.tsVal : 0, seg.flags, tNs, info.dsn ?? -1);
  }

  private record(side: SideState, st: SubState, fromClient: boolean, seq: number, len: number, ipId: number, tsVal: number, flags: number, tNs: number, dsn: number): void {
    const s = side.side;
    const pair = st.pair as SubPair;
    const dir = (fromClient ? 0 : 1) ^ st.flip;
    const hash = hashOf(pair.id, dir, seq, len, ipId, tsVal, flags);
    const own = side.index;
    // the same packet captured twice on this side (e.g. -i any sees it on two interfaces)
    for (let r = own.get(hash) ?? null; r !== null; r = r.next) {
      if (same(r, pair, dir, seq, len, ipId, tsVal, flags) && tNs - r.tNs <= this.dupNs) {
        pair.dirs[dir]!.dups[s]++;
        return;
      }
    }
    const rec = this.pool.pop() ?? new PacketRec();
    rec.side = s;
    rec.pair = pair;
    rec.st = st;
    rec.dir = dir;
    rec.rawFromClient = fromClient;
    rec.seq = seq;
    rec.len = len;
    rec.ipId = ipId;
    rec.tsVal = tsVal;
    rec.flags = flags;
    rec.tNs = tNs;
    rec.dsn = dsn;
    rec.hash = hash;
    rec.matched = false;
    rec.peerNs = NaN;
    rec.next = own.get(hash) ?? null;
    own.set(hash, rec);
    side.fifo.push(rec);
    const other = this.sides[(1 - s) as 0 | 1].index;
    for (let r = other.get(hash) ?? null; r !== null; r = r.next) {
      if (!r.matched && same(r, pair, dir, seq, len, ipId, tsVal, flags)) {
        r.matched = rec.matched = true;
        r.peerNs = tNs;
        rec.peerNs = r.tNs;
        break;
      }
    }
    if (side.pending > this.opts.maxPending) {
      this.evicted++;
      this.pop(side);
    }
  }

  /** Decide every packet whose window has closed (call after each chunk, and with `all` at the end). */
  drain(all = false): void {
    for (const s of [0, 1] as const) {
      const side = this.sides[s];
      const other = this.sides[(1 - s) as 0 | 1];
      const horizon = all || other.done ? Infinity : other.latestNs - this.windowNs;
      while (side.head < side.fifo.length && (side.fifo[side.head] as PacketRec).tNs <= horizon) this.pop(side);
      if (side.head > 65536 && side.head * 2 > side.fifo.length) {
        side.fifo.splice(0, side.head);
        side.head = 0;
      }
    }
  }

  /** Side `s` is ahead of the other by more than half a window: it should wait. */
  ahead(s: 0 | 1): boolean {
    const other = this.sides[(1 - s) as 0 | 1];
    return !other.done && this.sides[s].latestNs > other.latestNs + this.windowNs / 2;
  }

  private pairSubflow(st: SubState): void {
    const sub = st.sub;
    const s = st.side;
    if (sub.synSeen && sub.isn.client !== null) {
      const p = this.byIsn.get(sub.isn.client);
      if (p !== undefined && p.sides[s] === null) {
        this.byIsn.delete(sub.isn.client);
        p.sides[s] = st;
        st.pair = p;
        p.matchedBy = 'isn';
        return;
      }
      const np = this.newPair(st);
      this.byIsn.set(sub.isn.client, np);
      return;
    }
    const fwd = `${sub.client.addr}|${sub.client.port}|${sub.server.addr}|${sub.server.port}`;
    const rev = `${sub.server.addr}|${sub.server.port}|${sub.client.addr}|${sub.client.port}`;
    for (const [key, flip] of [[fwd, 0], [rev, 1]] as const) {
      const p = this.byTuple.get(key);
      if (p !== undefined && p.sides[s] === null) {
        this.byTuple.delete(key);
        p.sides[s] = st;
        st.pair = p;
        st.flip = flip;
        p.matchedBy = '4-tuple';
        return;
      }
    }
    this.byTuple.set(fwd, this.newPair(st));
  }

  private newPair(st: SubState): SubPair {
    const p = new SubPair(this.pairs.length);
    p.sides[st.side] = st;
    st.pair = p;
    this.pairs.push(p);
    return p;
  }

  private pop(side: SideState): void {
    const rec = side.fifo[side.head] as PacketRec;
    side.fifo[side.head++] = undefined;
    // unlink from this side's index
    const first = side.index.get(rec.hash);
    if (first === rec) {
      if (rec.next === null) side.index.delete(rec.hash);
      else side.index.set(rec.hash, rec.next);
    } else {
      for (let r = first ?? null; r !== null; r = r.next) {
        if (r.next === rec) {
          r.next = rec.next;
          break;
        }
      }
    }
    this.decide(rec);
    rec.next = null;
    rec.pair = null;
    rec.st = null;
    this.pool.push(rec);
  }

  private decide(rec: PacketRec): void {
    const p = rec.pair as SubPair;
    if (p.clientSide === null) this.findClientSide(p, rec);
    const clientSide = p.clientSide ?? 0;
    const senderSide = (rec.dir === 0 ? clientSide : 1 - clientSide) as 0 | 1;
    const d = p.dirs[rec.dir] as DirAcc;
    const data = rec.dsn >= 0 && rec.len > 0 ? this.dataOf(p, rec) : null;
    if (rec.side === senderSide) {
      d.sent++;
      if (!rec.matched) {
        d.lost++;
        this.sink?.(rec, senderSide, 'lost');
      }
      if (data !== null) {
        data.senderSide = senderSide === 0 ? 'A' : 'B';
        data.sent(rec.dsn, rec.len, rec.tNs, (rec.st as SubState).sub.tcpStream, rec.peerNs);
      }
    } else {
      d.received++;
      if (rec.matched) {
        d.matched++;
        d.delay.add(this.toSec(rec.peerNs), Math.round((rec.tNs - rec.peerNs) / 1000));
        if (rec.peerNs < d.maxSendNs) d.reordered++;
        else d.maxSendNs = rec.peerNs;
        this.sink?.(rec, senderSide, 'delivered');
      } else {
        d.receivedOnly++;
        this.sink?.(rec, senderSide, 'received-only');
      }
      if (data !== null) data.received(rec.dsn, rec.len, rec.tNs);
    }
  }

  private findClientSide(p: SubPair, rec: PacketRec): void {
    const a = p.sides[0];
    const b = p.sides[1];
    if (a !== null && b !== null) {
      const gapA = a.tSynAckNs - a.tSynNs;
      const gapB = b.tSynAckNs - b.tSynNs;
      if (!Number.isNaN(gapA) && !Number.isNaN(gapB) && gapA !== gapB) {
        p.clientSide = gapA > gapB ? 0 : 1;
        p.clientSideBy = 'handshake';
        return;
      }
    }
    if (rec.matched) {
      // the copy seen later is the receiver's
      const senderOfDir = rec.peerNs > rec.tNs ? rec.side : 1 - rec.side;
      p.clientSide = (rec.dir === 0 ? senderOfDir : 1 - senderOfDir) as 0 | 1;
      p.clientSideBy = 'delay-sign';
    }
  }

  private dataOf(p: SubPair, rec: PacketRec): DataDirection | null {
    const st = rec.st as SubState;
    const a = p.sides[0];
    const b = p.sides[1];
    if (a === null || b === null || a.sub.connection === null || b.sub.connection === null) return null;
    const connClient = st.sub.clientIsConnectionClient ?? true;
    // c2s of the connection on the record's own side (both sides agree when both saw the handshakes)
    const c2s = rec.rawFromClient === connClient;
    const key = `${a.sub.connection}:${b.sub.connection}:${c2s ? 'c2s' : 's2c'}`;
    let d = this.data.get(key);
    if (d === undefined) {
      d = new DataDirection(c2s ? 'c2s' : 's2c', this.toSec);
      this.data.set(key, d);
    }
    return d;
  }

  /** Seconds since the base of the earlier first frame (the comparison's origin). */
  originSec(): number {
    const a = this.sides[0].firstNs;
    const b = this.sides[1].firstNs;
    const m = Math.min(Number.isNaN(a) ? Infinity : a, Number.isNaN(b) ? Infinity : b);
    return Number.isFinite(m) ? m / 1e9 : 0;
  }

  baseSeconds(): number {
    return this.baseSec ?? 0;
  }
}

function readIpId(frame: Frame, seg: Segment): number {
  return seg.ipVersion === 4 ? readU16(frame, seg.srcOffset - IPV4_ID_FROM_SRC) : 0;
}

function readU16(frame: Frame, off: number): number {
  if (frame instanceof FrameRecord) {
    const at = frame.start + off;
    return ((frame.bytes[at] as number) << 8) | (frame.bytes[at + 1] as number);
  }
  const d = frame.data;
  return ((d[off] as number) << 8) | (d[off + 1] as number);
}

function hashOf(pair: number, dir: number, seq: number, len: number, ipId: number, tsVal: number, flags: number): number {
  let lo = Math.imul(seq ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(ipId + 1, 0xc2b2ae35) ^ Math.imul(tsVal, 0x27d4eb2f);
  lo = (lo ^ (lo >>> 15)) >>> 0;
  const hi = (Math.imul(pair * 2 + dir, 0x165667b1) ^ Math.imul(len + 1, 0x9e3779b1) ^ flags) & 0xfffff;
  return hi * 4294967296 + lo;
}

function same(r: PacketRec, pair: SubPair, dir: number, seq: number, len: number, ipId: number, tsVal: number, flags: number): boolean {
  return r.pair === pair && r.dir === dir && r.seq === seq && r.len === len && r.ipId === ipId && r.tsVal === tsVal && r.flags === flags;
}
