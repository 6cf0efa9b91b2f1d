/**
 * Head-of-line blame: each stall of a data stream's in-order point, which subflow's late or lost
 * data caused it, how long it lasted and how many bytes waited behind it.
 *
 * A reducer over what the data level already says after each packet (src/reassembly stays as it
 * is): a stall opens when data is held ahead of the in-order point (`maxRelEnd > nextRel`) and
 * closes when the in-order point moves past where it stood. The packet that moves it is the fill;
 * the subflow blamed is the one whose data was missing:
 *  - 'late': the fill came first-time on its subflow (it was slower than the data ahead of it);
 *  - 'retransmitted': the fill was a TCP retransmission on its own subflow (lost there);
 *  - 'reinjected': the fill also carried bytes first seen on another subflow (the sender took the
 *    range from that subflow's queue): that subflow is blamed;
 *  - 'not-captured': the receiver's DATA_ACK proved it had the gap (the capture missed it);
 *  - 'skipped': a buffering cap gave up on the gap;
 *  - 'unfilled': still stalled at the end of the capture.
 * A fill that releases nothing held (it filled only part of the gap) does not end the stall.
 * Bytes waiting: what reached the in-order point with the fill, besides the fill itself.
 * A capture sees only what passed its point: data lost before it and reinjected looks late.
 */
import type { Frame } from '../dissect/frame.js';
import type { Segment } from '../dissect/segment.js';
import type { DataStream } from '../reassembly/data-stream.js';
import type { Connection, Direction } from '../reassembly/model.js';
import type { MptcpTracker, PacketInfo } from '../reassembly/tracker.js';
import type { Clock } from '../reassembly/clock.js';
import type { PacketSubscriber } from './pipeline.js';
import { round6 } from './round.js';

export type StallCause = 'late' | 'retransmitted' | 'reinjected' | 'not-captured' | 'skipped' | 'unfilled';
export const STALL_CAUSES: readonly StallCause[] = ['late', 'retransmitted', 'reinjected', 'not-captured', 'skipped', 'unfilled'];

/** The longest stalls listed per direction (all are counted). */
export const MAX_LISTED_STALLS = 100;

export interface StallJson {
  startTime: number;
  endTime: number;
  durationSec: number;
  /** Frame that opened the stall (data arrived ahead of the in-order point) and the one that ended it (null: unfilled). */
  frame: number;
  endFrame: number | null;
  /** Relative DSN the in-order point stood at when the stall ended (the last part of the gap). */
  dsn: number;
  /** The subflow blamed (tcp.stream), null when no subflow is (not-captured, skipped, unfilled). */
  subflow: number | null;
  cause: StallCause;
  waitingBytes: number;
}

export interface HolBlameJson {
  stalls: number;
  totalStallSec: number;
  maxStallSec: number;
  waitingBytes: number;
  byCause: Record<StallCause, number>;
  /** Per blamed subflow (null: no subflow), most stall time first. */
  bySubflow: Array<{ subflow: number | null; stalls: number; stallSec: number; waitingBytes: number }>;
  /** The longest stalls (up to MAX_LISTED_STALLS), in time order. */
  longest: StallJson[];
}

interface OpenStall {
  startTime: number;
  frame: number;
  at: number;
  notCaptured: number;
  skipped: number;
}

interface Totals {
  stalls: number;
  sec: number;
  waiting: number;
}

class StreamBlame {
  /** The stall open now (one record reused: a stream with three subflows stalls every few packets). */
  private readonly openStall: OpenStall = { startTime: 0, frame: 0, at: 0, notCaptured: 0, skipped: 0 };
  private isOpen = false;
  stalls = 0;
  totalSec = 0;
  maxSec = 0;
  waiting = 0;
  readonly byCause = new Map<StallCause, number>();
  readonly bySubflow = new Map<number | null, Totals>();
  readonly longest: StallJson[] = [];
  /** Index in `longest` of its shortest stall (the first such), once it is full. */
  private shortest = 0;
  /** The stream's counters after the previous packet, to tell what this packet did. */
  lastDelivered = 0;
  lastRetransmitted = 0;
  lastReinjected = 0;
  /** Reinjection bytes per from→to key at lastReinjected (updated only when it changes). */
  readonly reinjBase = new Map<string, number>();
  /** Subflow the data reinjected by the latest packet was first sent on, and that packet's frame. */
  reinjFrom: number | null = null;
  reinjFrame = -1;

  get stall(): OpenStall | null {
    return this.isOpen ? this.openStall : null;
  }

  open(now: Clock, frame: number, at: number, notCaptured: number, skipped: number): void {
    const o = this.openStall;
    o.startTime = now.time;
    o.frame = frame;
    o.at = at;
    o.notCaptured = notCaptured;
    o.skipped = skipped;
    this.isOpen = true;
  }

  /** The open stall ended now, at `endFrame`: counted, and listed if among the longest. */
  close(now: Clock, endFrame: number, subflow: number | null, cause: StallCause, waitingBytes: number): void {
    const time = now.time;
    const o = this.openStall;
    this.isOpen = false;
    const durationSec = round6(Math.max(0, time - o.startTime));
    this.stalls++;
    this.totalSec += durationSec;
    if (durationSec > this.maxSec) this.maxSec = durationSec;
    this.waiting += waitingBytes;
    this.byCause.set(cause, (this.byCause.get(cause) ?? 0) + 1);
    let t = this.bySubflow.get(subflow);
    if (t === undefined) this.bySubflow.set(subflow, (t = { stalls: 0, sec: 0, waiting: 0 }));
    t.stalls++;
    t.sec += durationSec;
    t.waiting += waitingBytes;
    const l = this.longest;
    const full = l.length >= MAX_LISTED_STALLS;
    // most stalls are short: no record is made for one that would not be listed
    if (full && (l[this.shortest] as StallJson).durationSec >= durationSec) return;
    const s: StallJson = {
      startTime: round6(o.startTime),
      // merged captures are not always in time order: a stall never lasts less than nothing
      endTime: round6(Math.max(time, o.startTime)),
      durationSec,
      frame: o.frame,
      endFrame,
      dsn: o.at,
      subflow,
      cause,
      waitingBytes,
    };
    if (full) l[this.shortest] = s;
    else l.push(s);
    if (l.length < MAX_LISTED_STALLS) return;
    let min = 0;
    for (let i = 1; i < l.length; i++) if ((l[i] as StallJson).durationSec < (l[min] as StallJson).durationSec) min = i;
    this.shortest = min;
  }
}

export class HolBlameReducer implements PacketSubscriber {
  /** By mptcp.stream. */
  private readonly conns = new Map<number, { c2s: StreamBlame; s2c: StreamBlame }>();
  private lastIndex = -1;
  private last: { c2s: StreamBlame; s2c: StreamBlame } | undefined = undefined;

  constructor(private readonly tracker: MptcpTracker) {}

  packet(frame: Frame, seg: Segment, info: PacketInfo): void {
    const sub = info.subflow;
    if (sub === null || sub.connection === null) return;
    const conn = this.tracker.connections[sub.connection];
    if (conn === undefined) return;
    const c2s = conn.data.peek('c2s');
    const s2c = conn.data.peek('s2c');
    if (c2s === null && s2c === null) return;
    // consecutive packets mostly belong to one connection: skip the map then
    let b = conn.index === this.lastIndex ? this.last : this.conns.get(conn.index);
    if (b === undefined) this.conns.set(conn.index, (b = { c2s: new StreamBlame(), s2c: new StreamBlame() }));
    this.lastIndex = conn.index;
    this.last = b;
    // the stream this packet's payload went to (null: none)
    const same = sub.clientIsConnectionClient !== false;
    const mine = info.dsn === null ? null : info.fromClient === same ? 'c2s' : 's2c';
    if (c2s !== null) this.step(b.c2s, c2s, mine === 'c2s', seg, sub.tcpStream, frame.number, info);
    if (s2c !== null) this.step(b.s2c, s2c, mine === 's2c', seg, sub.tcpStream, frame.number, info);
  }

  private step(b: StreamBlame, d: DataStream, carried: boolean, seg: Segment, subflow: number, frame: number, at: Clock): void {
    if (d.reinjectedBytes !== b.lastReinjected) {
      b.lastReinjected = d.reinjectedBytes;
      for (const [key, r] of d.reinjections) {
        if ((b.reinjBase.get(key) ?? 0) !== r.bytes) {
          b.reinjBase.set(key, r.bytes);
          if (r.toSubflow === subflow) {
            b.reinjFrom = r.fromSubflow;
            b.reinjFrame = frame;
          }
        }
      }
    }
    const next = d.nextRel;
    const stall = b.stall;
    if (stall !== null && next > stall.at) {
      let cause: StallCause;
      let blamed: number | null = null;
      if (d.notCapturedBytes > stall.notCaptured) cause = 'not-captured';
      else if (d.skippedBytes > stall.skipped) cause = 'skipped';
      else if (!carried) cause = 'not-captured';
      else if (b.reinjFrame === frame) {
        cause = 'reinjected';
        blamed = b.reinjFrom;
      } else {
        cause = d.retransmittedBytes > b.lastRetransmitted ? 'retransmitted' : 'late';
        blamed = subflow;
      }
      const delivered = d.deliveredBytes - b.lastDelivered;
      const waiting = Math.max(0, delivered - (carried ? seg.payloadLen : 0));
      if (blamed !== null && waiting === 0 && d.maxRelEnd > next) {
        // part of the gap filled, nothing released yet: the same stall goes on
        stall.at = next;
        b.lastDelivered = d.deliveredBytes;
        b.lastRetransmitted = d.retransmittedBytes;
        return;
      }
      b.close(at, frame, blamed, cause, waiting);
    }
    if (b.stall === null && d.maxRelEnd > next) b.open(at, frame, next, d.notCapturedBytes, d.skippedBytes);
    b.lastDelivered = d.deliveredBytes;
    b.lastRetransmitted = d.retransmittedBytes;
  }

  /** Forget a released connection. */
  release(index: number): void {
    this.conns.delete(index);
    if (index === this.lastIndex) {
      this.lastIndex = -1;
      this.last = undefined;
    }
  }

  /** The blame of one direction, as the report gives it (a stall still open counts as unfilled, up to `endTime`). */
  json(conn: Connection, dir: Direction, endTime: number): HolBlameJson {
    const b = this.conns.get(conn.index)?.[dir];
    if (b === undefined) return emptyBlame();
    const open = b.stall;
    const longest = b.longest.slice();
    const byCause = new Map(b.byCause);
    const bySubflow = new Map([...b.bySubflow].map(([k, v]) => [k, { ...v }]));
    let stalls = b.stalls;
    let total = b.totalSec;
    let max = b.maxSec;
    if (open !== null) {
      const dur = round6(Math.max(0, endTime - open.startTime));
      const s: StallJson = { startTime: round6(open.startTime), endTime: round6(Math.max(endTime, open.startTime)), durationSec: dur, frame: open.frame, endFrame: null, dsn: open.at, subflow: null, cause: 'unfilled', waitingBytes: 0 };
      stalls++;
      total += dur;
      if (dur > max) max = dur;
      byCause.set('unfilled', (byCause.get('unfilled') ?? 0) + 1);
      const t = bySubflow.get(null) ?? { stalls: 0, sec: 0, waiting: 0 };
      t.stalls++;
      t.sec += dur;
      bySubflow.set(null, t);
      if (longest.length < MAX_LISTED_STALLS) longest.push(s);
      else {
        let min = 0;
        for (let i = 1; i < longest.length; i++) if ((longest[i] as StallJson).durationSec < (longest[min] as StallJson).durationSec) min = i;
        if ((longest[min] as StallJson).durationSec < dur) longest[min] = s;
      }
    }
    return {
      stalls,
      totalStallSec: round6(total),
      maxStallSec: round6(max),
      waitingBytes: b.waiting,
      byCause: Object.fromEntries(STALL_CAUSES.map((c) => [c, byCause.get(c) ?? 0])) as Record<StallCause, number>,
      bySubflow: [...bySubflow]
        .map(([subflow, t]) => ({ subflow, stalls: t.stalls, stallSec: round6(t.sec), waitingBytes: t.waiting }))
        .sort((x, y) => y.stallSec - x.stallSec || y.stalls - x.stalls || (x.subflow ?? -1) - (y.subflow ?? -1)),
      longest: longest.sort((x, y) => x.startTime - y.startTime || x.frame - y.frame),
    };
  }
}

export function emptyBlame(): HolBlameJson {
  return {
    stalls: 0,
    totalStallSec: 0,
    maxStallSec: 0,
    waitingBytes: 0,
    byCause: Object.fromEntries(STALL_CAUSES.map((c) => [c, 0])) as Record<StallCause, number>,
    bySubflow: [],
    longest: [],
  };
}
