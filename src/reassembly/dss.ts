/**
 * The data level of a DSS option (RFC 8684 §3.3): its data ACK acknowledges the other direction's
 * data (32-bit values widened as Linux's __mptcp_expand_seq does), its mapping goes to the
 * sending subflow's table, its DATA_FIN to the connection. 64-bit values are handled as 32-bit
 * halves (dissect/u64.ts): this runs for nearly every packet.
 */
import { DSS_WIRE, type Dss } from '../dissect/mptcp.js';
import { hiOf, loOf, U64 } from '../dissect/u64.js';
import type { ConnectionState } from './connections.js';
import { addMapping, type MappingFields } from './data-level.js';
import type { Mapping } from './mapping.js';
import type { Subflow } from './model.js';
import type { PacketInfo } from './tracker.js';

/** Reused for every mapping (addMapping copies what it keeps). */
const fields: MappingFields = { dsnHi: 0, dsnLo: 0, ssn: 0, dataLen: 0, dataFin: false, checksum: null, frame: 0, dsnExact: false };
const wide = new U64();

export function onDss(state: ConnectionState, m: Dss, sub: Subflow, fromClient: boolean, frame: number, info: PacketInfo, packetMappings: Mapping[]): void {
  const conn = state.conn(sub);
  if (!conn) return;
  const sender = state.side(conn, sub, fromClient);
  const receiver = state.side(conn, sub, !fromClient);
  if (m.dataSeq64) sender.dsn64Seen = true;
  // A data ACK acknowledges the other direction's data.
  const acked = state.stream(conn, sub, !fromClient);
  const own = state.stream(conn, sub, fromClient);
  if (!acked.baseAt.known && receiver.idsn !== null) {
    acked.base = receiver.idsn;
    acked.baseFromKey = true;
  }
  if (!own.baseAt.known && sender.idsn !== null) {
    own.base = sender.idsn;
    own.baseFromKey = true;
  }
  const w = m[DSS_WIRE];
  if (w.hasAck) {
    if (m.dataAck64) wide.set(w.ackHi, w.ackLo);
    else {
      const ref = reference(acked.lastAck, acked.lastDsn, receiver.idsn);
      if (ref === null) wide.set(0, w.ackLo);
      else wide.setWidened(w.ackLo, ref.hi, ref.lo);
    }
    acked.lastAck.copy(wide);
    if (acked.baseAt.known) acked.ack(acked.relOf(wide.hi, wide.lo), info, frame);
    if (receiver.idsn !== null || receiver.dsn64Seen) {
      // mptcp.ack as Wireshark: relative to the receiver's IDSN (0 when only a 64-bit DSN was seen)
      if (!info.dataAckAbs.known) {
        info.dataAckAbs.copy(wide);
        info.dataAckBase = receiver.idsn ?? 0n;
      }
    }
  }
  if (w.hasSeq && m.subflowSeq !== null && m.dataLen !== null) {
    if (m.dataSeq64) {
      fields.dsnHi = w.seqHi;
      fields.dsnLo = w.seqLo;
    } else {
      const ref = own.lastDsn.known ? own.lastDsn : own.baseAt.known ? own.baseAt : null;
      if (ref === null) wide.set(0, w.seqLo);
      else wide.setWidened(w.seqLo, ref.hi, ref.lo);
      fields.dsnHi = wide.hi;
      fields.dsnLo = wide.lo;
    }
    // The checksum covers the 64-bit DSN: a 32-bit one can only be widened right when the
    // IDSN (the key) or an earlier 64-bit DSN gives the high half.
    if (m.dataSeq64) own.dsnHighKnown = true;
    fields.ssn = m.subflowSeq;
    fields.dataLen = m.dataLen;
    fields.dataFin = m.dataFin;
    fields.checksum = m.checksum;
    fields.frame = frame;
    fields.dsnExact = own.dsnHighKnown || own.baseFromKey;
    addMapping(own, sub, fromClient, fields, packetMappings);
  }
  if (m.dataFin) {
    const role = state.role(sub, fromClient);
    if (!conn.dataFin[role]) conn.dataFin[role] = { frame, time: info.time, dataSeq: m.dataSeq };
  }
}

const idsnRef = new U64();

/** The reference a 32-bit data ACK is widened from: the last ACK, else the last DSN, else the IDSN. */
function reference(lastAck: U64, lastDsn: U64, idsn: bigint | null): U64 | null {
  if (lastAck.known) return lastAck;
  if (lastDsn.known) return lastDsn;
  if (idsn === null) return null;
  idsnRef.set(hiOf(idsn), loOf(idsn));
  return idsnRef;
}
