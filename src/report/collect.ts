/**
 * What `report` draws beyond `analyze --json`, gathered in the same single pass: per subflow the
 * data sequence numbers it carried over time (with retransmissions and reinjections marked) and
 * the bytes it carried first, the DATA_ACK of each direction, RTT from timestamps, and the
 * timeline's markers (handshakes, addresses, MP_PRIO, MP_FAIL, closes). Every series is bounded
 * (Series halves its resolution past MAX_SERIES_POINTS) and so is the marker list.
 */
import type { Frame } from '../dissect/frame.js';
import type { Segment } from '../dissect/segment.js';
import { TcpFlag } from '../dissect/tcp.js';
import type { PacketSubscriber } from '../analysis/pipeline.js';
import { Series } from '../analysis/series.js';
import type { StatsReducer } from '../analysis/subflow-stats.js';
import type { DataStream } from '../reassembly/data-stream.js';
import type { Connection, Subflow } from '../reassembly/model.js';
import type { MptcpTracker, PacketInfo } from '../reassembly/tracker.js';
import { downsample, type PlotSeries } from './downsample.js';

/** Markers kept per subflow and kind, and per connection (the rest are counted). */
const MAX_MARKERS_PER_KIND = 100;
const MAX_MARKERS = 2000;

/** Points a detail section's own series share (a connection of many subflows gets fewer per series). */
export const POINT_BUDGET = 40_000;
const MIN_POINTS_PER_SERIES = 100;

export type MarkerKind = 'SYN' | 'MP_JOIN' | 'FIN' | 'RST' | 'ADD_ADDR' | 'REMOVE_ADDR' | 'MP_PRIO' | 'MP_FAIL' | 'MP_FASTCLOSE' | 'MP_TCPRST' | 'DATA_FIN';

/** [time, frame, tcp.stream, kind, detail] */
export type Marker = [number, number, number, MarkerKind, string];

class DirPlots {
  readonly dsn = new Series(0.0005);
  readonly retransmitted = new Series(0.001);
  readonly reinjected = new Series(0.001);
  /** Bytes placed at the data level, and those no subflow had carried before. */
  placedBytes = 0;
  firstBytes = 0;
}

class SubflowPlots {
  readonly dir: [DirPlots, DirPlots] = [new DirPlots(), new DirPlots()];
  readonly markerCounts = new Map<MarkerKind, number>();
}

class StreamState {
  readonly dataAck = new Series(0.001);
  lastAck: number | null = null;
  duplicates = 0;
  reinjected = 0;
  unmapped = 0;
}

class ConnPlots {
  readonly subflows = new Map<number, SubflowPlots>();
  readonly streams: [StreamState, StreamState] = [new StreamState(), new StreamState()];
  readonly markers: Marker[] = [];
  markersDropped = 0;
}

export interface DirPlotsJson {
  dsn: PlotSeries;
  retransmitted: PlotSeries;
  reinjected: PlotSeries;
  placedBytes: number;
  firstBytes: number;
}

export interface ConnectionPlotsJson {
  index: number;
  /** Only subflows with something to draw (the page takes the others as empty). */
  subflows: Array<{ tcpStream: number; c2s: DirPlotsJson; s2c: DirPlotsJson; rttTsUs: PlotSeries }>;
  dataAck: { c2s: PlotSeries; s2c: PlotSeries };
  markers: Marker[];
  markersDropped: number;
}

/** Any option the timeline marks (most packets carry only a DSS without DATA_FIN). */
function hasMarkerOption(seg: Segment): boolean {
  const o = seg.mptcp;
  for (let i = 0; i < o.length; i++) {
    const m = o[i] as Segment['mptcp'][number];
    if (m.subtype === 'DSS' ? m.dataFin : m.subtype !== 'MP_CAPABLE') return true;
  }
  return false;
}

const duplicatesOf = (d: DataStream): number => d.retransmittedBytes + d.reinjectedBytes + d.duplicateUnattributedBytes + d.lateBytes;

export class PlotCollector implements PacketSubscriber {
  private readonly conns = new Map<number, ConnPlots>();
  private lastStream = -1;
  private lastConn: ConnPlots | null = null;
  private lastSub: SubflowPlots | null = null;

  constructor(private readonly tracker: MptcpTracker) {}

  packet(frame: Frame, seg: Segment, info: PacketInfo): void {
    const sub = info.subflow;
    if (sub === null || sub.connection === null) return;
    const conn = this.tracker.connections[sub.connection];
    if (conn === undefined) return;
    let cp: ConnPlots | undefined;
    let sp: SubflowPlots | undefined;
    if (sub.tcpStream === this.lastStream && this.lastConn !== null && this.lastSub !== null) {
      // consecutive packets mostly belong to one subflow: skip the maps then
      cp = this.lastConn;
      sp = this.lastSub;
    } else {
      cp = this.conns.get(conn.index);
      if (cp === undefined) this.conns.set(conn.index, (cp = new ConnPlots()));
      sp = cp.subflows.get(sub.tcpStream);
      if (sp === undefined) cp.subflows.set(sub.tcpStream, (sp = new SubflowPlots()));
      this.lastStream = sub.tcpStream;
      this.lastConn = cp;
      this.lastSub = sp;
    }
    const t = info.time;
    // a bare MP_CAPABLE SYN is only counted until the stream proves to be a subflow: mark it now
    if (info.deferredSyn !== null) cp.markers.push([info.deferredSyn.time, sub.firstFrame, sub.tcpStream, 'SYN', 'SYN, MP_CAPABLE (from the client)']);
    if (seg.flags & (TcpFlag.SYN | TcpFlag.FIN | TcpFlag.RST) || hasMarkerOption(seg)) this.markers(cp, sp, seg, sub, info, frame.number);
    const same = sub.clientIsConnectionClient !== false;
    if (info.dsn !== null) {
      const dir = info.fromClient === same ? 0 : 1;
      const d = conn.data.peek(dir === 0 ? 'c2s' : 's2c');
      if (d !== null) {
        const ss = cp.streams[dir];
        const dp = sp.dir[dir];
        const dups = duplicatesOf(d);
        const dupDelta = dups - ss.duplicates;
        const placed = seg.payloadLen - (d.unmappedBytes - ss.unmapped);
        ss.duplicates = dups;
        ss.unmapped = d.unmappedBytes;
        dp.placedBytes += placed;
        dp.firstBytes += Math.max(0, placed - dupDelta);
        dp.dsn.push(t, info.dsn);
        if (dupDelta > 0) {
          if (d.reinjectedBytes > ss.reinjected) dp.reinjected.push(t, info.dsn);
          else dp.retransmitted.push(t, info.dsn);
        }
        ss.reinjected = d.reinjectedBytes;
      }
    }
    this.ack(cp.streams[0], conn.data.peek('c2s'), t);
    this.ack(cp.streams[1], conn.data.peek('s2c'), t);
  }

  private ack(ss: StreamState, d: DataStream | null, t: number): void {
    if (d === null || d.dataAckRel === null || d.dataAckRel === ss.lastAck) return;
    ss.lastAck = d.dataAckRel;
    ss.dataAck.push(d.dataAckTime ?? t, d.dataAckRel);
  }

  private markers(cp: ConnPlots, sp: SubflowPlots, seg: Segment, sub: Subflow, info: PacketInfo, frame: number): void {
    const by = info.fromClient === (sub.clientIsConnectionClient !== false) ? 'client' : 'server';
    const add = (kind: MarkerKind, detail: string): void => {
      const n = sp.markerCounts.get(kind) ?? 0;
      sp.markerCounts.set(kind, n + 1);
      if (n >= MAX_MARKERS_PER_KIND || cp.markers.length >= MAX_MARKERS) {
        cp.markersDropped++;
        return;
      }
      cp.markers.push([info.time, frame, sub.tcpStream, kind, `${detail} (from the ${by})`]);
    };
    const f = seg.flags;
    let join = false;
    for (const m of seg.mptcp) {
      switch (m.subtype) {
        case 'MP_JOIN':
          if (m.phase !== 'ACK') {
            join = true;
            add('MP_JOIN', `MP_JOIN ${m.phase}${m.backup ? ', backup' : ''}${m.addrId !== null ? `, address id ${m.addrId}` : ''}`);
          }
          break;
        case 'ADD_ADDR':
          add('ADD_ADDR', `ADD_ADDR${m.echo ? ' (echo)' : ''} id ${m.addrId} ${m.address}${m.port !== null ? ` port ${m.port}` : ''}`);
          break;
        case 'REMOVE_ADDR':
          add('REMOVE_ADDR', `REMOVE_ADDR id ${m.addrIds.join(', ')}`);
          break;
        case 'MP_PRIO':
          add('MP_PRIO', `MP_PRIO ${m.backup ? 'backup' : 'regular'}`);
          break;
        case 'MP_FAIL':
          add('MP_FAIL', `MP_FAIL DSN ${m.dataSeq}`);
          break;
        case 'MP_FASTCLOSE':
          add('MP_FASTCLOSE', 'MP_FASTCLOSE');
          break;
        case 'MP_TCPRST':
          add('MP_TCPRST', `MP_TCPRST reason ${m.reason}${m.transient ? ', transient' : ''}`);
          break;
        case 'DSS':
          if (m.dataFin) add('DATA_FIN', `DATA_FIN${m.dataSeq !== null ? ` (DSN ${m.dataSeq} as on the wire)` : ''}`);
          break;
        default:
          break;
      }
    }
    if (f & TcpFlag.SYN && !join) add('SYN', f & TcpFlag.ACK ? 'SYN/ACK' : 'SYN');
    if (f & TcpFlag.FIN) add('FIN', 'FIN');
    if (f & TcpFlag.RST) add('RST', 'RST');
  }

  /** What the page draws for one connection, each series cut down to at most `maxPerSeries` (fewer with many subflows: POINT_BUDGET). */
  json(conn: Connection, stats: StatsReducer, maxPerSeries: number): ConnectionPlotsJson {
    const cp = this.conns.get(conn.index) ?? new ConnPlots();
    // 7 series per subflow (DSN, retransmitted, reinjected, each way, and RTT) and the 2 DATA_ACKs
    const maxPoints = Math.max(MIN_POINTS_PER_SERIES, Math.min(maxPerSeries, Math.floor(POINT_BUDGET / (7 * conn.subflows.length + 2))));
    const dirJson = (p: DirPlots | undefined): DirPlotsJson => ({
      dsn: downsample(p?.dsn.points ?? [], maxPoints),
      retransmitted: downsample(p?.retransmitted.points ?? [], maxPoints),
      reinjected: downsample(p?.reinjected.points ?? [], maxPoints),
      placedBytes: p?.placedBytes ?? 0,
      firstBytes: p?.firstBytes ?? 0,
    });
    return {
      index: conn.index,
      // subflows with nothing to draw are left out (a join flood has thousands)
      subflows: conn.subflows.flatMap((s) => {
        const sp = cp.subflows.get(s);
        const rtt = stats.subflows[s]?.rttTsSeries.points ?? [];
        if (rtt.length === 0 && (sp === undefined || (sp.dir[0].dsn.length === 0 && sp.dir[1].dsn.length === 0))) return [];
        return [{ tcpStream: s, c2s: dirJson(sp?.dir[0]), s2c: dirJson(sp?.dir[1]), rttTsUs: downsample(rtt, maxPoints, 1) }];
      }),
      dataAck: { c2s: downsample(cp.streams[0].dataAck.points, maxPoints), s2c: downsample(cp.streams[1].dataAck.points, maxPoints) },
      markers: cp.markers.map((m) => [Math.round(m[0] * 1e6) / 1e6, m[1], m[2], m[3], m[4]] as Marker).sort((a, b) => a[0] - b[0] || a[1] - b[1]),
      markersDropped: cp.markersDropped,
    };
  }
}
