/**
 * The data level of a DSS option (RFC 8684 §3.3): its data ACK acknowledges the other direction's
 * data (32-bit values widened as Linux's __mptcp_expand_seq does), its mapping goes to the
 * sending subflow's table, its DATA_FIN to the connection.
 */
import type { Dss } from '../dissect/mptcp.js';
import type { ConnectionState } from './connections.js';
import { addMapping } from './data-level.js';
import type { Mapping } from './mapping.js';
import type { Subflow } from './model.js';
import { widen32 } from './seq.js';
import type { PacketInfo } from './tracker.js';

export function onDss(state: ConnectionState, m: Dss, sub: Subflow, fromClient: boolean, frame: number, info: PacketInfo, packetMappings: Mapping[]): void {
  const conn = state.conn(sub);
  if (!conn) return;
  const sender = state.side(conn, sub, fromClient);
  const receiver = state.side(conn, sub, !fromClient);
  if (m.dataSeq64) sender.dsn64Seen = true;
  const role = state.role(sub, fromClient);
  // A data ACK acknowledges the other direction's data.
  const acked = conn.data[role === 'client' ? 's2c' : 'c2s'];
  const own = conn.data[role === 'client' ? 'c2s' : 's2c'];
  if (acked.base === null && receiver.idsn !== null) {
    acked.base = receiver.idsn;
    acked.baseFromKey = true;
  }
  if (own.base === null && sender.idsn !== null) {
    own.base = sender.idsn;
    own.baseFromKey = true;
  }
  if (m.dataAck !== null) {
    const ref = acked.lastAckAbs ?? acked.lastDsnAbs ?? receiver.idsn ?? m.dataAck;
    const full = m.dataAck64 ? m.dataAck : widen32(m.dataAck, ref);
    acked.lastAckAbs = full;
    if (acked.base !== null) acked.ack(Number(BigInt.asIntN(64, full - acked.base)), info.time, frame);
    if (receiver.idsn !== null || receiver.dsn64Seen) {
      // mptcp.ack as Wireshark: relative to the receiver's IDSN (0 when only a 64-bit DSN was seen)
      if (info.dataAckAbs === null) {
        info.dataAckAbs = full;
        info.dataAckBase = receiver.idsn ?? 0n;
      }
    }
  }
  if (m.dataSeq !== null && m.subflowSeq !== null && m.dataLen !== null) {
    const full = m.dataSeq64 ? m.dataSeq : widen32(m.dataSeq, own.lastDsnAbs ?? own.base ?? m.dataSeq);
    // The checksum covers the 64-bit DSN: a 32-bit one can only be widened right when the
    // IDSN (the key) or an earlier 64-bit DSN gives the high half.
    if (m.dataSeq64) own.dsnHighKnown = true;
    addMapping(own, sub, fromClient, { dsn: full, ssn: m.subflowSeq, dataLen: m.dataLen, dataFin: m.dataFin, checksum: m.checksum, frame, dsnExact: own.dsnHighKnown || own.baseFromKey }, packetMappings);
  }
  if (m.dataFin) {
    if (!conn.dataFin[role]) conn.dataFin[role] = { frame, time: info.time, dataSeq: m.dataSeq };
  }
}
