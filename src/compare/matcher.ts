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
import { TcpFlag } from '../dissect/tcp.js';
import { B_FROM_CLIENT, B_TCP, R_BITS, R_DSN, R_IPFL, R_LEN, R_SEQ, R_TS_NSEC, R_TS_SEC, R_TSVAL, REC_F64, REC_I32, type SubflowDesc, type SubflowView } from './side-records.js';
import { DataDirection, IO_DSN, IO_PEER, IO_T } from './data-delay.js';
import { DelayStats } from './stats.js';
import { BIT_DIR, BIT_FROM_CLIENT, BIT_MATCHED, F_DSN, F_PEER, F_T, hashOf, I_IPFL, I_LEN, I_PB, I_SEQ, I_TSVAL, MAX_PAIRS, PAIR_SHIFT, REC_F, REC_I, RecordRing, SharedIndex } from './ring.js';

/** Slots of Matcher.curI32 / curF64. */
const C_SEQ = 0;
const C_LEN = 1;
const C_IPFL = 2;
const C_TSVAL = 3;
const C_T = 0;
const C_DSN = 1;
/**
 * The most (capture time) one side may run ahead of the other before it waits: every record waits
 * a window for its copy, so a side's window holds `windowSec` plus this lead of its packets; and the
 * copy a packet finds was pushed at most this long (plus the path's delay) ago, still in the cache.
 * (Half a window before: 1 s of 68k packets/s made side A's window 247k records, not 190k.)
 */
export const MAX_LEAD_SEC = 0.1;
/** Bare SYNs remembered until their subflow is made (a flood of them costs no more). */
const MAX_STASHED_SYNS = 4096;

export class DirAcc {
  sent = 0;
  received = 0;
  matched = 0;
  lost = 0;
  receivedOnly = 0;
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
    readonly sub: SubflowView,
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

/** A decided packet as the sink sees it (one reused object; valid during the call). */
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
  matched = false;
  peerNs = NaN;
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
  readonly ring: RecordRing;
  latestNs = -Infinity;
  /**
   * The oldest record that may still be a duplicate (its time within duplicateSec of the latest):
   * older ones are not looked at for duplicates while the capture's times only go forward.
   */
  recent = 0;
  firstNs = NaN;
  done = false;
  packets = 0;
  plainTcp = 0;
  /** Bare SYNs not (yet) part of a subflow, by sequence number: IP ID, TSval, flags, time. */
  readonly syns = new Map<number, [number, number, number, number]>();
  constructor(
    readonly side: 0 | 1,
    maxPending: number,
    index: SharedIndex,
  ) {
    this.ring = new RecordRing(maxPending, index, side);
  }
  stashSyn(seq: number, ipId: number, tsVal: number, flags: number, tNs: number): void {
    if (this.syns.size >= MAX_STASHED_SYNS) this.syns.delete(this.syns.keys().next().value as number);
    this.syns.set(seq, [ipId, tsVal, flags, tNs]);
  }
  get pending(): number {
    return this.ring.pending;
  }
}

export class Matcher {
  readonly sides: [SideState, SideState];
  readonly pairs: SubPair[] = [];
  private readonly byIsn = new Map<number, SubPair>();
  private readonly byTuple = new Map<string, SubPair>();
  /** The sink's view of a decided packet (reused). */
  private readonly view = new PacketRec();
  /** Whole seconds subtracted from every timestamp (the first frame's), so ns fit a double exactly. */
  private baseSec: number | null = null;
  evicted = 0;
  private readonly windowNs: number;
  private readonly dupNs: number;
  /** See MAX_LEAD_SEC (half the window when the window is shorter). */
  private readonly leadNs: number;
  /** The packet `record` works on (packetAt fills it): seq, len, ipfl, TSval and time, DSN. */
  private readonly curI32 = new Int32Array(4);
  private readonly curF64 = new Float64Array(2);
  /** What a data-level call is given (see DataDirection's `io`). */
  private readonly dataIo = new Float64Array(3);
  /** Data level by `connA:connB:dir`. */
  readonly data = new Map<string, DataDirection>();
  sink: PacketSink | null = null;

  constructor(readonly opts: MatcherOptions) {
    const index = new SharedIndex();
    this.sides = [new SideState(0, opts.maxPending, index), new SideState(1, opts.maxPending, index)];
    this.windowNs = opts.windowSec * 1e9;
    this.dupNs = opts.duplicateSec * 1e9;
    this.leadNs = Math.min(this.windowNs / 2, MAX_LEAD_SEC * 1e9);
  }

  /** ns since the base → seconds since the base. */
  readonly toSec = (ns: number): number => ns / 1e9;

  /**
   * Record `k` of a batch of side `s` (side-records.ts) after its pipeline's tracker. The values
   * travel in typed arrays (the batch's, then `curI32` / `curF64` to `record`), not as arguments:
   * a double or a 32-bit value passed to a call that is not inlined becomes a heap number, and a
   * few of them per packet were most of this thread's garbage.
   */
  packetAt(s: 0 | 1, rf: Float64Array, ri: Int32Array, k: number, sub: SubflowView | null, deferredSyn: SubflowDesc['deferredSyn']): void {
    const f = k * REC_F64;
    const b = k * REC_I32;
    const side = this.sides[s];
    side.packets++;
    const tsSec = rf[f + R_TS_SEC]!;
    if (this.baseSec === null) this.baseSec = tsSec;
    let tNs = (tsSec - this.baseSec) * 1e9 + ri[b + R_TS_NSEC]!;
    if (s === 1) tNs -= this.opts.offsetNs;
    if (Number.isNaN(side.firstNs)) side.firstNs = tNs;
    if (tNs > side.latestNs) side.latestNs = tNs;
    const bits = ri[b + R_BITS]!;
    const isTcp = (bits & B_TCP) !== 0;
    const ipfl = ri[b + R_IPFL]!;
    const flags = ipfl & 0xffff;
    if (sub === null || !isTcp) {
      if (isTcp) {
        side.plainTcp++;
        // a bare MP_CAPABLE SYN: the tracker makes its subflow at the next packet (deferredSyn)
        if ((flags & (TcpFlag.SYN | TcpFlag.ACK)) === TcpFlag.SYN) side.stashSyn(ri[b + R_SEQ]! >>> 0, ipfl >>> 16, ri[b + R_TSVAL]! >>> 0, flags, tNs);
      }
      return;
    }
    const ci = this.curI32;
    const cf = this.curF64;
    let st = side.subs[sub.tcpStream];
    if (st === undefined) {
      st = side.subs[sub.tcpStream] = new SubState(s, sub);
      this.pairSubflow(st);
      const d = deferredSyn;
      const syn = d === null ? undefined : side.syns.get(d.seq);
      if (d !== null && syn !== undefined) {
        side.plainTcp--;
        side.syns.delete(d.seq);
        st.tSynNs = syn[3];
        ci[C_SEQ] = d.seq;
        ci[C_LEN] = 0;
        ci[C_IPFL] = (syn[0] << 16) | syn[2];
        ci[C_TSVAL] = syn[1];
        cf[C_T] = syn[3];
        cf[C_DSN] = -1;
        this.record(side, st, true);
      }
    }
    if (deferredSyn !== null && Number.isNaN(st.tSynNs)) st.tSynNs = side.firstNs + deferredSyn.time * 1e9;
    const syn = (flags & TcpFlag.SYN) !== 0;
    const ack = (flags & TcpFlag.ACK) !== 0;
    if (syn && !ack && Number.isNaN(st.tSynNs)) st.tSynNs = tNs;
    if (syn && ack && Number.isNaN(st.tSynAckNs)) st.tSynAckNs = tNs;
    ci[C_SEQ] = ri[b + R_SEQ]!;
    ci[C_LEN] = ri[b + R_LEN]!;
    ci[C_IPFL] = ipfl;
    ci[C_TSVAL] = ri[b + R_TSVAL]!;
    cf[C_T] = tNs;
    cf[C_DSN] = rf[f + R_DSN]!;
    this.record(side, st, (bits & B_FROM_CLIENT) !== 0);
  }

  /** The packet in `curI32` / `curF64`, of subflow `st` on `side`: index it, find its copy. */
  private record(side: SideState, st: SubState, fromClient: boolean): void {
    const ci = this.curI32;
    const seq = ci[C_SEQ]!;
    const len = ci[C_LEN]!;
    const ipfl = ci[C_IPFL]!;
    const tsVal = ci[C_TSVAL]!;
    const tNs = this.curF64[C_T]!;
    const s = side.side;
    const pair = st.pair as SubPair;
    const pid = pair.id;
    const dir = (fromClient ? 0 : 1) ^ st.flip;
    const hash = hashOf(pid, dir, seq, len, ipfl >>> 16, tsVal, ipfl & 0xffff);
    const own = side.ring;
    // the same packet captured twice on this side (e.g. -i any sees it on two interfaces): while
    // times go forward (this packet is the latest) only the records since `recent` can be, and
    // the walk stops there without touching an older record (a cache miss per packet); a packet
    // earlier than the latest looks at the whole chain
    let floor = -1;
    if (tNs === side.latestNs) {
      let r = Math.max(side.recent, own.head);
      while (r < own.tail && own.timeAt(r) < tNs - this.dupNs) r++;
      side.recent = floor = r;
    }
    for (let id = own.first(hash); id >= floor && id !== -1; id = own.nextOf(id)) {
      const k = own.at(id);
      if (sameAt(own.i32, k * REC_I, pid, dir, seq, len, ipfl, tsVal) && tNs - own.f64[k * REC_F + F_T]! <= this.dupNs) {
        pair.dirs[dir]!.dups[s]++;
        return;
      }
    }
    if (own.full()) {
      this.evicted++;
      this.pop(side);
    }
    const id = own.push();
    const k = own.at(id);
    const i32 = own.i32;
    const f64 = own.f64;
    const ib = k * REC_I;
    const fb = k * REC_F;
    i32[ib + I_PB] = (pid << PAIR_SHIFT) | dir | (fromClient ? BIT_FROM_CLIENT : 0);
    i32[ib + I_SEQ] = seq;
    i32[ib + I_LEN] = len;
    i32[ib + I_IPFL] = ipfl;
    i32[ib + I_TSVAL] = tsVal;
    f64[fb + F_T] = tNs;
    f64[fb + F_PEER] = NaN;
    f64[fb + F_DSN] = this.curF64[C_DSN]!;
    own.index(id, hash);
    const other = this.sides[(1 - s) as 0 | 1].ring;
    for (let oid = other.first(hash); oid !== -1; oid = other.nextOf(oid)) {
      const ok = other.at(oid);
      const oi = other.i32;
      const ob = ok * REC_I;
      if ((oi[ob + I_PB]! & BIT_MATCHED) === 0 && sameAt(oi, ob, pid, dir, seq, len, ipfl, tsVal)) {
        oi[ob + I_PB] = oi[ob + I_PB]! | BIT_MATCHED;
        i32[ib + I_PB] = i32[ib + I_PB]! | BIT_MATCHED;
        other.f64[ok * REC_F + F_PEER] = tNs;
        f64[fb + F_PEER] = other.f64[ok * REC_F + F_T]!;
        break;
      }
    }
  }

  /**
   * Decide every packet whose window has closed on both sides (call after each batch, and with
   * `all` at the end), the two sides' packets in one time order: the order does not depend on how
   * the two readers' batches interleaved, so neither do the data level and its series.
   */
  drain(all = false): void {
    const a = this.sides[0];
    const b = this.sides[1];
    const ha = all || b.done ? Infinity : b.latestNs - this.windowNs;
    const hb = all || a.done ? Infinity : a.latestNs - this.windowNs;
    const horizon = Math.min(ha, hb);
    const ra = a.ring;
    const rb = b.ring;
    for (;;) {
      const ta = ra.pending > 0 ? ra.timeAt(ra.head) : Infinity;
      const tb = rb.pending > 0 ? rb.timeAt(rb.head) : Infinity;
      if (ta === Infinity && tb === Infinity) break;
      if (ta <= tb) {
        if (ta > horizon) break;
        this.pop(a);
      } else {
        if (tb > horizon) break;
        this.pop(b);
      }
    }
  }

  /** Side `s` is ahead of the other by more than the lead (MAX_LEAD_SEC): it should wait. */
  ahead(s: 0 | 1): boolean {
    const other = this.sides[(1 - s) as 0 | 1];
    return !other.done && this.sides[s].latestNs > other.latestNs + this.leadNs;
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
    if (this.pairs.length >= MAX_PAIRS) throw new Error('compare: more than 2^28 subflows');
    const p = new SubPair(this.pairs.length);
    p.sides[st.side] = st;
    st.pair = p;
    this.pairs.push(p);
    return p;
  }

  private pop(side: SideState): void {
    const ring = side.ring;
    const k = ring.shift();
    const i32 = ring.i32;
    const f64 = ring.f64;
    const ib = k * REC_I;
    const fb = k * REC_F;
    const bits = i32[ib + I_PB]!;
    const p = this.pairs[bits >>> PAIR_SHIFT] as SubPair;
    // a pair has one subflow per side
    const st = p.sides[side.side] as SubState;
    const dir = (bits & BIT_DIR) as 0 | 1;
    const matched = (bits & BIT_MATCHED) !== 0;
    const fromClient = (bits & BIT_FROM_CLIENT) !== 0;
    const tNs = f64[fb + F_T]!;
    const peerNs = f64[fb + F_PEER]!;
    const s = side.side;
    if (p.clientSide === null) this.findClientSide(p, s, dir, matched, tNs, peerNs);
    const clientSide = p.clientSide ?? 0;
    const senderSide = (dir === 0 ? clientSide : 1 - clientSide) as 0 | 1;
    const d = p.dirs[dir] as DirAcc;
    const dsn = f64[fb + F_DSN]!;
    const len = i32[ib + I_LEN]!;
    const data = dsn >= 0 && len > 0 ? this.dataOf(p, st, fromClient) : null;
    const sink = this.sink;
    if (sink !== null) {
      const v = this.view;
      v.side = s;
      v.pair = p;
      v.st = st;
      v.dir = dir;
      v.rawFromClient = fromClient;
      v.seq = i32[ib + I_SEQ]! >>> 0;
      v.len = len;
      v.ipId = i32[ib + I_IPFL]! >>> 16;
      v.tsVal = i32[ib + I_TSVAL]! >>> 0;
      v.flags = i32[ib + I_IPFL]! & 0xffff;
      v.tNs = tNs;
      v.dsn = dsn;
      v.matched = matched;
      v.peerNs = peerNs;
    }
    if (s === senderSide) {
      d.sent++;
      if (!matched) {
        d.lost++;
        sink?.(this.view, senderSide, 'lost');
      }
      if (data !== null) {
        data.senderSide = senderSide === 0 ? 'A' : 'B';
        const io = this.dataIo;
        io[IO_DSN] = dsn;
        io[IO_T] = tNs;
        io[IO_PEER] = peerNs;
        data.sent(len, st.sub.tcpStream);
      }
    } else {
      d.received++;
      if (matched) {
        d.matched++;
        const us = Math.round((tNs - peerNs) / 1000);
        if (d.delay.count1(us)) d.delay.point(this.toSec(peerNs), us);
        if (peerNs < d.maxSendNs) d.reordered++;
        else d.maxSendNs = peerNs;
        sink?.(this.view, senderSide, 'delivered');
      } else {
        d.receivedOnly++;
        sink?.(this.view, senderSide, 'received-only');
      }
      if (data !== null) {
        const io = this.dataIo;
        io[IO_DSN] = dsn;
        io[IO_T] = tNs;
        data.received(len);
      }
    }
  }

  private findClientSide(p: SubPair, side: 0 | 1, dir: 0 | 1, matched: boolean, tNs: number, peerNs: number): void {
    const a = p.sides[0];
    const b = p.sides[1];
    if (a !== null && b !== null) {
      const gapA = a.tSynAckNs - a.tSynNs;
      const gapB = b.tSynAckNs - b.tSynNs;
      // only a handshake every reading order has seen by now: the SYN/ACKs within a window of this packet
      const seen = a.tSynAckNs <= tNs + this.windowNs && b.tSynAckNs <= tNs + this.windowNs;
      if (seen && !Number.isNaN(gapA) && !Number.isNaN(gapB) && gapA !== gapB) {
        p.clientSide = gapA > gapB ? 0 : 1;
        p.clientSideBy = 'handshake';
        return;
      }
    }
    if (matched) {
      // the copy seen later is the receiver's
      const senderOfDir = peerNs > tNs ? side : 1 - side;
      p.clientSide = (dir === 0 ? senderOfDir : 1 - senderOfDir) as 0 | 1;
      p.clientSideBy = 'delay-sign';
    }
  }

  private dataOf(p: SubPair, st: SubState, rawFromClient: boolean): DataDirection | null {
    const a = p.sides[0];
    const b = p.sides[1];
    if (a === null || b === null || a.sub.connection === null || b.sub.connection === null) return null;
    const connClient = st.sub.clientIsConnectionClient ?? true;
    // c2s of the connection on the record's own side (both sides agree when both saw the handshakes)
    const c2s = rawFromClient === connClient;
    const slot = c2s ? 0 : 1;
    const cached = p.data[slot];
    if (cached !== null) return cached;
    const key = `${a.sub.connection}:${b.sub.connection}:${c2s ? 'c2s' : 's2c'}`;
    let d = this.data.get(key);
    if (d === undefined) {
      d = new DataDirection(c2s ? 'c2s' : 's2c', this.windowNs, this.toSec, this.dataIo);
      this.data.set(key, d);
    }
    p.data[slot] = d;
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

function sameAt(r: Int32Array, b: number, pair: number, dir: number, seq: number, len: number, ipfl: number, tsVal: number): boolean {
  const pb = r[b + I_PB]!;
  return r[b + I_SEQ] === (seq | 0) && pb >>> PAIR_SHIFT === pair && (pb & BIT_DIR) === dir && r[b + I_LEN] === len && r[b + I_IPFL] === ipfl && r[b + I_TSVAL] === (tsVal | 0);
}
