/**
 * Subflow tracking (RFC 8684 §3.2, RFC 9293): a subflow's record, its handshake (ISNs, when it was
 * established, fallback), and how it ended (FIN, RST, MP_TCPRST, MP_FASTCLOSE).
 */
import { TCPRST_REASONS, type MptcpOption } from '../dissect/mptcp.js';
import type { Segment } from '../dissect/segment.js';
import { TcpFlag } from '../dissect/tcp.js';
import type { ConnectionState } from './connections.js';
import { MappingTable } from './mapping.js';
import type { Subflow } from './model.js';
import type { Clock } from './clock.js';

export function onTcpFlags(state: ConnectionState, tcp: Segment, sub: Subflow, fromClient: boolean, hasCapable: boolean, tcpRst: { reason: number; transient: boolean } | null, frame: number, now: Clock): void {
  const time = now.time;
  const flags = tcp.flags;
  const syn = (flags & TcpFlag.SYN) !== 0;
  const ack = (flags & TcpFlag.ACK) !== 0;
  if (syn && !ack && fromClient) {
    sub.synSeen = true;
    if (sub.isn.client === null) sub.isn.client = tcp.seq;
  } else if (syn && ack && !fromClient) {
    if (sub.isn.server === null) sub.isn.server = tcp.seq;
    const offer = state.capableSyn.get(sub.tcpStream);
    if (offer && !hasCapable && !sub.fallback) {
      sub.fallback = true;
      const conn = state.conn(sub);
      if (conn) {
        conn.fallback = true;
        state.problem(conn, 'fallback', frame, `the server answered the MP_CAPABLE SYN without MP_CAPABLE: the connection fell back to plain TCP`);
      }
    }
  } else if (ack && !syn && fromClient && sub.establishedTime === null && sub.isn.server !== null) {
    sub.establishedTime = time;
    const conn = state.conn(sub);
    // A join refused with a RST and then retried on the same 4-tuple (the SYN again, answered
    // this time): the RST ended the first attempt, not this subflow, which is open and not refused.
    if (sub.join?.refused && sub.end.how === 'RST' && sub.end.time !== null && sub.end.time <= time) {
      sub.join.refused = false;
      sub.end = { how: 'open', frame: null, time: null, reason: null, reasonText: null, transient: null, by: null };
      if (conn) state.problem(conn, 'join-refused', frame, `subflow ${sub.tcpStream} (${sub.client.addr}:${sub.client.port} → ${sub.server.addr}:${sub.server.port}): the join was retried after the RST and established`);
    }
    sub.bytesBeforeEstablished = conn ? (conn.data.peek('c2s')?.deliveredBytes ?? 0) + (conn.data.peek('s2c')?.deliveredBytes ?? 0) : null;
  }
  if (flags & TcpFlag.FIN) {
    if (fromClient) sub.finClient = true;
    else sub.finServer = true;
    if (sub.finClient && sub.finServer && sub.end.how === 'open') endSubflow(sub, 'FIN', frame, time, fromClient);
  }
  if (flags & TcpFlag.RST) {
    // an MP_TCPRST replaces a plain RST's end (it carries the reason), not an earlier MP_TCPRST: the
    // first reset ended the subflow, a later one is the peer answering it
    if (tcpRst && sub.end.how !== 'MP_TCPRST') {
      endSubflow(sub, 'MP_TCPRST', frame, time, fromClient);
      sub.end.reason = tcpRst.reason;
      sub.end.reasonText = TCPRST_REASONS[tcpRst.reason] ?? 'unknown reason';
      sub.end.transient = tcpRst.transient;
    } else if (sub.end.how === 'open' || sub.end.how === 'FIN') {
      endSubflow(sub, 'RST', frame, time, fromClient);
    }
    // Refused: the server resets the join before any payload, whether before the third ACK or at it
    // (Linux checks its subflow limit only when the third ACK arrives, in subflow_syn_recv_sock)
    if (sub.join && !sub.join.refused && !fromClient && (sub.establishedTime === null || sub.payloadBytes.client + sub.payloadBytes.server === 0)) {
      sub.join.refused = true;
      const conn = state.conn(sub);
      if (conn) state.problem(conn, 'join-refused', frame, `subflow ${sub.tcpStream} (${sub.client.addr}:${sub.client.port} → ${sub.server.addr}:${sub.server.port}): the join was refused with a RST`);
    }
  }
}

export function newSubflow(tcpStream: number, client: { addr: string; port: number }, server: { addr: string; port: number }, frame: number, time: number): Subflow {
  return {
    tcpStream,
    clientDir: 0,
    connection: null,
    kind: 'orphan',
    client,
    server,
    clientIsConnectionClient: null,
    synSeen: false,
    isn: { client: null, server: null },
    addrIdClient: null,
    addrIdServer: null,
    backup: false,
    backupHistory: [],
    join: null,
    hmacValid: null,
    firstFrame: frame,
    startTime: time,
    establishedTime: null,
    bytesBeforeEstablished: null,
    end: { how: 'open', frame: null, time: null, reason: null, reasonText: null, transient: null, by: null },
    finClient: false,
    finServer: false,
    fallback: false,
    packets: { client: 0, server: 0 },
    payloadBytes: { client: 0, server: 0 },
    lastTime: time,
    mappings: new SubflowMappings(),
  };
}

/** Each direction's mapping table, made at its first use: a flood's subflows carry no DSS. */
class SubflowMappings {
  private c: MappingTable | null = null;
  private s: MappingTable | null = null;

  get client(): MappingTable {
    return (this.c ??= new MappingTable());
  }

  get server(): MappingTable {
    return (this.s ??= new MappingTable());
  }
}

export function endSubflow(sub: Subflow, how: Subflow['end']['how'], frame: number, time: number, fromClient: boolean): void {
  sub.end.how = how;
  sub.end.frame = frame;
  sub.end.time = time;
  sub.end.by = fromClient ? 'client' : 'server';
}

/** A SYN whose only MPTCP option is a key-less (v1) MP_CAPABLE, and no data. */
export function isBareCapableSyn(seg: Segment): boolean {
  if ((seg.flags & (TcpFlag.SYN | TcpFlag.ACK)) !== TcpFlag.SYN || seg.payloadLen !== 0 || seg.mptcp.length !== 1) return false;
  const m = seg.mptcp[0] as MptcpOption;
  return m.subtype === 'MP_CAPABLE' && m.senderKey === null && m.version !== 0;
}
