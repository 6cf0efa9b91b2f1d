/**
 * How a connection closed: the order of DATA_FIN, FIN, RST, MP_TCPRST and MP_FASTCLOSE across its
 * subflows, and what departs from RFC 8684 §3.3.3 ("Closing a Connection"): a DATA_FIN closes the
 * connection, acknowledged by a DATA_ACK; only then are the remaining subflows closed, with FIN
 * exchanges; MP_FASTCLOSE is the abrupt way.
 */
import type { Connection, Subflow } from '../reassembly/model.js';
import { round6 } from './round.js';

export interface CloseEvent {
  time: number;
  frame: number | null;
  event: 'DATA_FIN' | 'FIN' | 'RST' | 'MP_TCPRST' | 'MP_FASTCLOSE';
  /** Connection side: 'client' is the connection's client. */
  by: 'client' | 'server' | null;
  subflow: number | null;
}

export interface Closing {
  events: CloseEvent[];
  anomalies: string[];
}


function connRole(s: Subflow, by: 'client' | 'server' | null): 'client' | 'server' | null {
  if (by === null) return null;
  return s.clientIsConnectionClient === false ? (by === 'client' ? 'server' : 'client') : by;
}

export function closing(conn: Connection, subs: Subflow[]): Closing {
  const events: CloseEvent[] = [];
  for (const side of ['client', 'server'] as const) {
    const f = conn.dataFin[side];
    if (f) events.push({ time: round6(f.time), frame: f.frame, event: 'DATA_FIN', by: side, subflow: null });
  }
  if (conn.fastClose) events.push({ time: round6(conn.fastClose.time), frame: conn.fastClose.frame, event: 'MP_FASTCLOSE', by: conn.fastClose.by, subflow: null });
  for (const s of subs) {
    if (s.end.how === 'open' || s.end.time === null) continue;
    const how = s.end.how === 'MP_FASTCLOSE' ? 'RST' : s.end.how;
    events.push({ time: round6(s.end.time), frame: s.end.frame, event: how, by: connRole(s, s.end.by), subflow: s.tcpStream });
  }
  events.sort((a, b) => a.time - b.time || (a.frame ?? 0) - (b.frame ?? 0));

  const anomalies: string[] = [];
  if (conn.fallback) return { events, anomalies };
  const ended = subs.filter((s) => s.end.how !== 'open');
  const allEnded = subs.length > 0 && ended.length === subs.length;
  const finC = conn.dataFin.client;
  const finS = conn.dataFin.server;
  for (const [side, fin, stream] of [
    ['client', finC, conn.data.peek('c2s')],
    ['server', finS, conn.data.peek('s2c')],
  ] as const) {
    if (fin && (stream === null || stream.dataAckRel === null || stream.dataFinRel === null || stream.dataAckRel <= stream.dataFinRel)) {
      anomalies.push(`the ${side}'s DATA_FIN (frame ${fin.frame}) is never acknowledged by a DATA_ACK in the capture`);
    }
  }
  if (allEnded && !conn.fastClose) {
    const byFin = ended.filter((s) => s.end.how === 'FIN');
    if (!finC && !finS && byFin.length > 0) {
      anomalies.push(`every subflow was closed at the TCP level (${byFin.length} by FIN) but neither side sent a DATA_FIN: the connection was never closed at the MPTCP level (RFC 8684 §3.3.3)`);
    }
    if (!finC && !finS && byFin.length === 0) {
      anomalies.push('every subflow was reset and no MP_FASTCLOSE or DATA_FIN was sent: the connection was aborted without MPTCP signalling');
    }
  }
  const bothFin = finC && finS ? Math.max(finC.time, finS.time) : null;
  for (const s of ended) {
    const t = s.end.time ?? 0;
    if (bothFin !== null && s.end.how === 'RST' && t >= bothFin && !conn.fastClose) {
      anomalies.push(`subflow ${s.tcpStream} was reset after the DATA_FIN exchange instead of being closed with FIN (RFC 8684 §3.3.3: remaining subflows MUST be closed with FIN exchanges)`);
    }
  }
  // The last subflow closed with FIN before any DATA_FIN: the data-level close came too late, or never.
  const lastFin = ended.filter((s) => s.end.how === 'FIN').sort((a, b) => (a.end.time ?? 0) - (b.end.time ?? 0));
  const firstDataFin = [finC?.time, finS?.time].filter((x): x is number => x !== undefined).sort((a, b) => a - b)[0];
  if (allEnded && lastFin.length === subs.length && firstDataFin !== undefined) {
    const early = lastFin.filter((s) => (s.end.time ?? 0) < firstDataFin);
    if (early.length === subs.length) anomalies.push('every subflow finished its FIN exchange before the first DATA_FIN');
  }
  return { events, anomalies };
}
