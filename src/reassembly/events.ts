/**
 * What the tracker tells its subscribers, as typed events: a connection opened, a subflow joined
 * or closed, an address announced or removed, a connection closed, a connection released (its
 * state freed). Subscribers (live NDJSON, eviction, statistics) never diff the tracker's state.
 *
 * Cheap by construction: only the subflow a packet belongs to, and its connection, can change
 * with that packet (the tracker attaches, ends and counts on the packet's own subflow), so each
 * packet costs a few comparisons against what was already announced; nothing is rescanned, except
 * the connection's address list on the rare packet that carries REMOVE_ADDR.
 */
import type { AddressEntry, Connection, Subflow } from './model.js';

interface EventBase {
  /** Seconds since the first packet, and the packet that caused it. */
  time: number;
  frame: number;
  connection: Connection;
}

export type TrackerEvent =
  | (EventBase & { type: 'connection-opened'; subflow: Subflow })
  /** A join's handshake completed (or a subflow was first seen mid-connection). */
  | (EventBase & { type: 'subflow-joined'; subflow: Subflow })
  | (EventBase & { type: 'address-added'; address: AddressEntry })
  | (EventBase & { type: 'address-removed'; address: AddressEntry })
  /** `joined` false: a join that never completed its handshake (refused or unanswered). */
  | (EventBase & { type: 'subflow-closed'; subflow: Subflow; joined: boolean })
  /** Every subflow ended, or MP_FASTCLOSE; `idle` when the tracker closed it after a timeout. */
  | (EventBase & { type: 'connection-closed'; idle: boolean })
  /** The tracker forgot the connection (its subscribers should too). */
  | (EventBase & { type: 'connection-released' });

export type TrackerListener = (e: TrackerEvent) => void;

const SUB_JOINED = 1;
const SUB_CLOSED = 2;

interface Announced {
  addresses: number;
  endedSubflows: number;
  closed: boolean;
}

/** Turns the state change of one packet into events. Used by the tracker only. */
export class ChangeDetector {
  /** Per tcp.stream: SUB_* bits already announced. */
  private readonly subSeen = new Map<number, number>();
  /** Per mptcp.stream: what was already announced. */
  private readonly connSeen = new Map<number, Announced>();

  constructor(private readonly emit: TrackerListener) {}

  /** After the tracker processed a packet of `sub` (which has a connection). */
  after(conn: Connection, sub: Subflow, first: Subflow, frame: number, time: number, removeAddr: boolean): void {
    let seen = this.connSeen.get(conn.index);
    if (seen === undefined) {
      seen = { addresses: 0, endedSubflows: 0, closed: false };
      this.connSeen.set(conn.index, seen);
      this.emit({ type: 'connection-opened', time, frame, connection: conn, subflow: first });
    }
    let bits = this.subSeen.get(sub.tcpStream) ?? 0;
    // A join has joined once its handshake completes (or at once when its SYN was not captured).
    if ((bits & SUB_JOINED) === 0 && sub.kind !== 'initial' && conn.subflows[0] !== sub.tcpStream && (sub.establishedTime !== null || !sub.synSeen)) {
      bits |= SUB_JOINED;
      this.emit({ type: 'subflow-joined', time, frame, connection: conn, subflow: sub });
    }
    if (conn.addresses.length > seen.addresses) {
      for (let i = seen.addresses; i < conn.addresses.length; i++) {
        const a = conn.addresses[i];
        if (a) this.emit({ type: 'address-added', time, frame, connection: conn, address: a });
      }
      seen.addresses = conn.addresses.length;
    }
    if (removeAddr) {
      for (const a of conn.addresses) if (a.removedFrame === frame) this.emit({ type: 'address-removed', time, frame, connection: conn, address: a });
    }
    if ((bits & SUB_CLOSED) === 0 && sub.end.how !== 'open') {
      bits |= SUB_CLOSED;
      seen.endedSubflows++;
      this.emit({ type: 'subflow-closed', time, frame, connection: conn, subflow: sub, joined: sub.kind !== 'join' || (bits & SUB_JOINED) !== 0 });
    }
    this.subSeen.set(sub.tcpStream, bits);
    if (!seen.closed && (conn.fastClose !== null || seen.endedSubflows >= conn.subflows.length)) {
      seen.closed = true;
      this.emit({ type: 'connection-closed', time, frame, connection: conn, idle: false });
    }
  }

  /** Whether the connection-closed event of this connection was announced. */
  closed(conn: Connection): boolean {
    return this.connSeen.get(conn.index)?.closed === true;
  }

  /** Close a connection that went idle (announces it once). */
  closeIdle(conn: Connection, frame: number, time: number): void {
    const seen = this.connSeen.get(conn.index);
    if (!seen || seen.closed) return;
    seen.closed = true;
    this.emit({ type: 'connection-closed', time, frame, connection: conn, idle: true });
  }

  /** Forget what was announced of a released connection. */
  forget(conn: Connection): void {
    this.connSeen.delete(conn.index);
    for (const s of conn.subflows) this.subSeen.delete(s);
  }
}
