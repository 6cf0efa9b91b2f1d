/**
 * The periodic `stats` event (and the terminal table drawn from it): per MPTCP connection still
 * open (or closed since the last one), its subflows with packets, bytes, their share of the
 * connection's bytes, their rate over the interval, and their state.
 *
 * Built once per interval from the connections known to be open, never from all connections.
 */
import type { Subflow } from '../reassembly/model.js';
import type { MptcpTracker } from '../reassembly/tracker.js';
import type { EndpointJson } from './events.js';

export interface SubflowStats {
  tcpStream: number;
  addrIdClient: number | null;
  addrIdServer: number | null;
  kind: Subflow['kind'];
  client: EndpointJson;
  server: EndpointJson;
  /** 'handshake' (join not yet complete), 'open', or how it ended (FIN, RST, MP_TCPRST, MP_FASTCLOSE). */
  state: string;
  backup: boolean;
  packets: number;
  payloadBytes: number;
  /** This subflow's part of the connection's payload bytes so far, 0..1. */
  share: number;
  /** Payload bytes per second over the last interval. */
  bytesPerSec: number;
}

export interface ConnectionStats {
  connection: number;
  version: number | null;
  client: EndpointJson | null;
  server: EndpointJson | null;
  state: 'open' | 'closed';
  addressesAnnounced: number;
  addressesRemoved: number;
  packets: number;
  payloadBytes: number;
  /** Payload bytes per second over the last interval, all subflows. */
  bytesPerSec: number;
  subflows: SubflowStats[];
}

export interface StatsEvent {
  event: 'stats';
  /** Wall-clock seconds since the capture started. */
  elapsedSec: number;
  /** Packets and captured bytes in all, and over the last interval. */
  packets: number;
  bytes: number;
  intervalPackets: number;
  intervalBytes: number;
  intervalSec: number;
  connectionsOpen: number;
  connectionsSeen: number;
  /** libpcap's pcap_stats() since the start (null when the source cannot tell, e.g. -r -): ps_drop, ps_ifdrop. */
  kernelDropped: number | null;
  interfaceDropped: number | null;
  /** The same, over the last interval. */
  intervalKernelDropped: number | null;
  intervalInterfaceDropped: number | null;
  connections: ConnectionStats[];
}

/** The drop counters a stats event reports (the source's, see source.ts SourceStats). */
export interface DropCounts {
  kernelDropped: number | null;
  ifDropped: number | null;
}

const delta = (now: number | null, before: number): number | null => (now === null ? null : now - before);

const round3 = (x: number): number => Math.round(x * 1000) / 1000;
const ep = (e: { addr: string; port: number } | null): EndpointJson | null => (e === null ? null : { address: e.addr, port: e.port });

function subflowState(s: Subflow): string {
  if (s.end.how !== 'open') return s.end.how;
  return s.synSeen && s.establishedTime === null ? 'handshake' : 'open';
}

export class StatsBuilder {
  /** Connections to report: open ones, and closed ones still shown (value: reports left after closing). */
  private readonly live = new Map<number, number>();
  private readonly prevBytes = new Map<number, number>();
  private lastPackets = 0;
  private lastBytes = 0;
  private lastKernelDropped = 0;
  private lastIfDropped = 0;
  private lastAtMs: number;

  /**
   * `lingerReports`: how many stats a closed connection still appears in (1 for JSON: it is
   * reported closed once; more on a terminal, so that it does not vanish at once).
   */
  constructor(
    private readonly tracker: MptcpTracker,
    private readonly startMs: number,
    private readonly lingerReports = 1,
  ) {
    this.lastAtMs = startMs;
  }

  opened(conn: number): void {
    this.live.set(conn, Infinity);
  }

  closed(conn: number): void {
    if (this.live.has(conn)) this.live.set(conn, this.lingerReports);
  }

  build(nowMs: number, packets: number, bytes: number, drops: DropCounts): StatsEvent {
    const intervalSec = Math.max(1e-3, (nowMs - this.lastAtMs) / 1000);
    const connections: ConnectionStats[] = [];
    for (const [index, left] of this.live) {
      const conn = this.tracker.connections[index];
      if (!conn) continue;
      const subs: SubflowStats[] = [];
      let total = 0;
      let connPackets = 0;
      for (const i of conn.subflows) {
        const s = this.tracker.subflows[i];
        if (s) total += s.payloadBytes.client + s.payloadBytes.server;
      }
      for (const i of conn.subflows) {
        const s = this.tracker.subflows[i];
        if (!s) continue;
        const b = s.payloadBytes.client + s.payloadBytes.server;
        const p = s.packets.client + s.packets.server;
        connPackets += p;
        const prev = this.prevBytes.get(i) ?? 0;
        this.prevBytes.set(i, b);
        subs.push({
          tcpStream: i,
          addrIdClient: s.addrIdClient,
          addrIdServer: s.addrIdServer,
          kind: s.kind,
          client: { address: s.client.addr, port: s.client.port },
          server: { address: s.server.addr, port: s.server.port },
          state: subflowState(s),
          backup: s.backup,
          packets: p,
          payloadBytes: b,
          share: total > 0 ? round3(b / total) : 0,
          bytesPerSec: Math.round((b - prev) / intervalSec),
        });
      }
      const closed = left !== Infinity;
      connections.push({
        connection: index,
        version: conn.version,
        client: ep(conn.clientEndpoint),
        server: ep(conn.serverEndpoint),
        state: closed ? 'closed' : 'open',
        addressesAnnounced: conn.addresses.length,
        addressesRemoved: conn.addresses.reduce((n, a) => n + (a.removedFrame !== null ? 1 : 0), 0),
        packets: connPackets,
        payloadBytes: total,
        bytesPerSec: subs.reduce((n, f) => n + f.bytesPerSec, 0),
        subflows: subs,
      });
      if (closed) {
        if (left <= 1) {
          this.live.delete(index);
          for (const i of conn.subflows) this.prevBytes.delete(i);
        } else {
          this.live.set(index, left - 1);
        }
      }
    }
    const ev: StatsEvent = {
      event: 'stats',
      elapsedSec: round3((nowMs - this.startMs) / 1000),
      packets,
      bytes,
      intervalPackets: packets - this.lastPackets,
      intervalBytes: bytes - this.lastBytes,
      intervalSec: round3(intervalSec),
      connectionsOpen: connections.filter((c) => c.state === 'open').length,
      connectionsSeen: this.tracker.connections.length,
      kernelDropped: drops.kernelDropped,
      interfaceDropped: drops.ifDropped,
      intervalKernelDropped: delta(drops.kernelDropped, this.lastKernelDropped),
      intervalInterfaceDropped: delta(drops.ifDropped, this.lastIfDropped),
      connections,
    };
    this.lastKernelDropped = drops.kernelDropped ?? 0;
    this.lastIfDropped = drops.ifDropped ?? 0;
    this.lastPackets = packets;
    this.lastBytes = bytes;
    this.lastAtMs = nowMs;
    return ev;
  }
}
