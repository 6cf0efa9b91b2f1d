/**
 * The tracker's events (src/reassembly/events.ts) as the NDJSON objects of `mpcap live --json`:
 * a connection opened, a subflow joined or closed, an address announced or removed, a connection
 * closed (also when it went idle).
 */
import type { Connection, Subflow } from '../reassembly/model.js';
import type { TrackerEvent } from '../reassembly/events.js';
import type { MptcpTracker } from '../reassembly/tracker.js';
import { round6 } from '../analysis/round.js';

export interface EndpointJson {
  address: string;
  port: number;
}

interface EventBase {
  /** Seconds since the first packet (as every time in the report). */
  time: number;
  /** Packet number that caused it. */
  frame: number;
  connection: number;
}

export interface ConnectionOpened extends EventBase {
  event: 'connection-opened';
  version: number | null;
  client: EndpointJson;
  server: EndpointJson;
  clientToken: number | null;
  serverToken: number | null;
  /** tcp.stream of the subflow it was seen on (its initial subflow, normally). */
  tcpStream: number;
  /** 'initial' = seen from its MP_CAPABLE handshake; otherwise seen from a join or mid-connection. */
  kind: Subflow['kind'];
}

export interface SubflowJoined extends EventBase {
  event: 'subflow-joined';
  tcpStream: number;
  kind: Subflow['kind'];
  client: EndpointJson;
  server: EndpointJson;
  addrIdClient: number | null;
  addrIdServer: number | null;
  backup: boolean;
  hmacValid: boolean | null;
}

export interface AddressAdded extends EventBase {
  event: 'address-added';
  addrId: number;
  address: string;
  port: number | null;
  announcedBy: 'client' | 'server' | null;
  hmacValid: boolean | null;
}

export interface AddressRemoved extends EventBase {
  event: 'address-removed';
  addrId: number;
  address: string;
  announcedBy: 'client' | 'server' | null;
}

export interface SubflowClosed extends EventBase {
  event: 'subflow-closed';
  tcpStream: number;
  how: Subflow['end']['how'];
  by: 'client' | 'server' | null;
  reason: number | null;
  reasonText: string | null;
  /** false: a join that never completed its handshake (refused or unanswered). */
  joined: boolean;
  packets: number;
  payloadBytes: number;
}

export interface ConnectionClosed extends EventBase {
  event: 'connection-closed';
  how: 'DATA_FIN' | 'MP_FASTCLOSE' | 'MP_TCPRST' | 'RST' | 'FIN' | 'idle';
  subflows: number;
  packets: number;
  payloadBytes: number;
}

export type LiveEvent = ConnectionOpened | SubflowJoined | AddressAdded | AddressRemoved | SubflowClosed | ConnectionClosed;

const ep = (e: { addr: string; port: number }): EndpointJson => ({ address: e.addr, port: e.port });

/** Subscribes to the tracker and hands on each event as its NDJSON object. */
export class LiveEvents {
  constructor(
    private readonly tracker: MptcpTracker,
    private readonly emit: (e: LiveEvent) => void,
  ) {
    tracker.subscribe((e) => this.convert(e));
  }

  private convert(e: TrackerEvent): void {
    const conn = e.connection;
    const base = { time: round6(e.time), frame: e.frame, connection: conn.index };
    switch (e.type) {
      case 'connection-opened': {
        const first = e.subflow;
        this.emit({
          event: 'connection-opened',
          ...base,
          version: conn.version,
          client: ep(conn.clientEndpoint ?? first.client),
          server: ep(conn.serverEndpoint ?? first.server),
          clientToken: conn.client.token,
          serverToken: conn.server.token,
          tcpStream: first.tcpStream,
          kind: first.kind,
        });
        return;
      }
      case 'subflow-joined': {
        const sub = e.subflow;
        this.emit({
          event: 'subflow-joined',
          ...base,
          tcpStream: sub.tcpStream,
          kind: sub.kind,
          client: ep(sub.client),
          server: ep(sub.server),
          addrIdClient: sub.addrIdClient,
          addrIdServer: sub.addrIdServer,
          backup: sub.backup,
          hmacValid: sub.hmacValid,
        });
        return;
      }
      case 'address-added': {
        const a = e.address;
        this.emit({ event: 'address-added', ...base, addrId: a.addrId, address: a.address, port: a.port, announcedBy: a.announcedBy, hmacValid: a.hmacValid });
        return;
      }
      case 'address-removed': {
        const a = e.address;
        this.emit({ event: 'address-removed', ...base, addrId: a.addrId, address: a.address, announcedBy: a.announcedBy });
        return;
      }
      case 'subflow-closed': {
        const sub = e.subflow;
        this.emit({
          event: 'subflow-closed',
          ...base,
          tcpStream: sub.tcpStream,
          how: sub.end.how,
          by: sub.end.by,
          reason: sub.end.reason,
          reasonText: sub.end.reasonText,
          joined: e.joined,
          packets: sub.packets.client + sub.packets.server,
          payloadBytes: sub.payloadBytes.client + sub.payloadBytes.server,
        });
        return;
      }
      case 'connection-closed': {
        const totals = this.totals(conn);
        this.emit({ event: 'connection-closed', ...base, how: e.idle ? 'idle' : closeHow(conn, this.tracker), subflows: conn.subflows.length, packets: totals.packets, payloadBytes: totals.bytes });
        return;
      }
      case 'connection-released':
        return;
    }
  }

  private totals(conn: Connection): { packets: number; bytes: number } {
    let packets = 0;
    let bytes = 0;
    for (const i of conn.subflows) {
      const s = this.tracker.subflows[i];
      if (!s) continue;
      packets += s.packets.client + s.packets.server;
      bytes += s.payloadBytes.client + s.payloadBytes.server;
    }
    return { packets, bytes };
  }
}

/** How it ended, as the report's `end.how` says it (src/analysis/report.ts, connectionEnd). */
function closeHow(conn: Connection, tracker: MptcpTracker): ConnectionClosed['how'] {
  if (conn.fastClose) return 'MP_FASTCLOSE';
  if (conn.dataFin.client && conn.dataFin.server) return 'DATA_FIN';
  const subs = conn.subflows.map((i) => tracker.subflows[i]).filter((s): s is Subflow => s !== undefined);
  if (subs.some((s) => s.end.how === 'MP_TCPRST')) return 'MP_TCPRST';
  return subs.every((s) => s.end.how === 'FIN') ? 'FIN' : 'RST';
}
