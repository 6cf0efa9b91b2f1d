/**
 * What changed in the tracker with the packet just processed, as events: a connection opened,
 * a subflow joined or closed, an address announced or removed, a connection closed.
 *
 * Cheap by construction: only the subflow the packet belongs to, and its connection, can have
 * changed (the tracker attaches, ends and counts on the packet's own subflow), so each packet
 * costs a few comparisons against what was already reported; nothing is rescanned, except the
 * connection's address list on the rare packet that carries REMOVE_ADDR.
 */
import type { Frame } from '../dissect/frame.js';
import type { Segment } from '../dissect/segment.js';
import type { Connection, Subflow } from '../reassembly/model.js';
import type { MptcpTracker, PacketInfo } from '../reassembly/tracker.js';
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
  how: 'DATA_FIN' | 'MP_FASTCLOSE' | 'MP_TCPRST' | 'RST' | 'FIN';
  subflows: number;
  packets: number;
  payloadBytes: number;
}

export type LiveEvent = ConnectionOpened | SubflowJoined | AddressAdded | AddressRemoved | SubflowClosed | ConnectionClosed;

const SUB_JOINED = 1;
const SUB_CLOSED = 2;

interface ConnSeen {
  addresses: number;
  endedSubflows: number;
  closed: boolean;
}

const ep = (e: { addr: string; port: number }): EndpointJson => ({ address: e.addr, port: e.port });

export class EventDetector {
  /** Per tcp.stream: SUB_* bits already reported. */
  private readonly subSeen: number[] = [];
  /** Per mptcp.stream: what was already reported. */
  private readonly connSeen: Array<ConnSeen | undefined> = [];

  constructor(
    private readonly tracker: MptcpTracker,
    private readonly emit: (e: LiveEvent) => void,
  ) {}

  /** Call after tracker.process(pkt) returned `info`. */
  after(f: Frame, seg: Segment, info: PacketInfo): void {
    const sub = info.subflow;
    if (sub === null || sub.connection === null) return;
    const conn = this.tracker.connections[sub.connection];
    if (!conn) return;
    const frame = f.number;
    const time = round6(info.time);
    let seen = this.connSeen[conn.index];
    if (seen === undefined) {
      seen = { addresses: 0, endedSubflows: 0, closed: false };
      this.connSeen[conn.index] = seen;
      const first = this.tracker.subflows[conn.subflows[0] ?? sub.tcpStream] ?? sub;
      this.emit({
        event: 'connection-opened',
        time,
        frame,
        connection: conn.index,
        version: conn.version,
        client: ep(conn.clientEndpoint ?? first.client),
        server: ep(conn.serverEndpoint ?? first.server),
        clientToken: conn.client.token,
        serverToken: conn.server.token,
        tcpStream: first.tcpStream,
        kind: first.kind,
      });
    }
    let bits = this.subSeen[sub.tcpStream] ?? 0;
    // A join has joined once its handshake completes (or at once when its SYN was not captured).
    if ((bits & SUB_JOINED) === 0 && sub.kind !== 'initial' && conn.subflows[0] !== sub.tcpStream && (sub.establishedTime !== null || !sub.synSeen)) {
      bits |= SUB_JOINED;
      this.emit({
        event: 'subflow-joined',
        time,
        frame,
        connection: conn.index,
        tcpStream: sub.tcpStream,
        kind: sub.kind,
        client: ep(sub.client),
        server: ep(sub.server),
        addrIdClient: sub.addrIdClient,
        addrIdServer: sub.addrIdServer,
        backup: sub.backup,
        hmacValid: sub.hmacValid,
      });
    }
    if (conn.addresses.length > seen.addresses) {
      for (let i = seen.addresses; i < conn.addresses.length; i++) {
        const a = conn.addresses[i];
        if (!a) continue;
        this.emit({ event: 'address-added', time, frame, connection: conn.index, addrId: a.addrId, address: a.address, port: a.port, announcedBy: a.announcedBy, hmacValid: a.hmacValid });
      }
      seen.addresses = conn.addresses.length;
    }
    if (hasRemoveAddr(seg)) {
      for (const a of conn.addresses) {
        if (a.removedFrame === frame) this.emit({ event: 'address-removed', time, frame, connection: conn.index, addrId: a.addrId, address: a.address, announcedBy: a.announcedBy });
      }
    }
    if ((bits & SUB_CLOSED) === 0 && sub.end.how !== 'open') {
      bits |= SUB_CLOSED;
      seen.endedSubflows++;
      this.emit({
        event: 'subflow-closed',
        time,
        frame,
        connection: conn.index,
        tcpStream: sub.tcpStream,
        how: sub.end.how,
        by: sub.end.by,
        reason: sub.end.reason,
        reasonText: sub.end.reasonText,
        joined: sub.kind !== 'join' || (bits & SUB_JOINED) !== 0,
        packets: sub.packets.client + sub.packets.server,
        payloadBytes: sub.payloadBytes.client + sub.payloadBytes.server,
      });
    }
    this.subSeen[sub.tcpStream] = bits;
    if (!seen.closed && (conn.fastClose !== null || seen.endedSubflows >= conn.subflows.length)) {
      seen.closed = true;
      const totals = this.totals(conn);
      this.emit({ event: 'connection-closed', time, frame, connection: conn.index, how: closeHow(conn, this.tracker), subflows: conn.subflows.length, packets: totals.packets, payloadBytes: totals.bytes });
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

function hasRemoveAddr(seg: Segment): boolean {
  for (const m of seg.mptcp) if (m.subtype === 'REMOVE_ADDR') return true;
  return false;
}

/** How it ended, as the report's `end.how` says it (src/analysis/report.ts, connectionEnd). */
function closeHow(conn: Connection, tracker: MptcpTracker): ConnectionClosed['how'] {
  if (conn.fastClose) return 'MP_FASTCLOSE';
  if (conn.dataFin.client && conn.dataFin.server) return 'DATA_FIN';
  const subs = conn.subflows.map((i) => tracker.subflows[i]).filter((s): s is Subflow => s !== undefined);
  if (subs.some((s) => s.end.how === 'MP_TCPRST')) return 'MP_TCPRST';
  return subs.every((s) => s.end.how === 'FIN') ? 'FIN' : 'RST';
}
