/**
 * From DSS mappings to data streams (RFC 8684 §3.3): record a subflow's mappings, and place each
 * payload byte at its data sequence number through the mapping that covers it, checking the DSS
 * checksum of each mapping as its bytes arrive.
 */
import type { Segment } from '../dissect/segment.js';
import { TcpFlag } from '../dissect/tcp.js';
import type { DataStream } from './data-stream.js';
import { U64 } from '../dissect/u64.js';
import { newMappingAt, sumBytes, type Mapping } from './mapping.js';
import type { Side, Subflow } from './model.js';
import { seqDiff } from './seq.js';
import type { Clock } from './clock.js';

const DSN_SCRATCH = new U64();

/** Stands for a payload whose bytes nobody reads. */
const NO_BYTES = new Uint8Array(0);

/** Failures and conflicts listed per direction (the counts go on). */
const MAX_LISTED = 100;

/** A DSS mapping as read off a packet (the caller reuses one: no object per packet). */
export interface MappingFields {
  /** Absolute 64-bit DSN (already widened), as 32-bit halves. */
  dsnHi: number;
  dsnLo: number;
  ssn: number;
  dataLen: number;
  dataFin: boolean;
  checksum: number | null;
  frame: number;
  /** The DSN's high half is known (64-bit on the wire, or from the IDSN): the checksum can be checked. */
  dsnExact: boolean;
}

/** Record a mapping sent on `sub` by its client (fromClient) or server; remember it for this packet. */
export function addMapping(stream: DataStream, sub: Subflow, fromClient: boolean, f: MappingFields, packetMappings: Mapping[]): void {
  stream.lastDsn.set(f.dsnHi, f.dsnLo);
  const table = fromClient ? sub.mappings.client : sub.mappings.server;
  const fresh = newMappingAt(f.dsnHi, f.dsnLo, f.ssn, f.dataLen, f.dataFin, f.checksum, f.frame, table.recycle());
  if (!f.dsnExact && f.checksum !== null) {
    fresh.unverifiable = true;
    fresh.checksumValid = null;
  }
  const mapping = table.add(fresh);
  const conflict = table.conflict;
  // a repeat (every segment of a TSO burst carries its mapping): the new record is not kept
  if (mapping !== fresh) table.spare = fresh;
  if (mapping === fresh) {
    stream.mappings++;
    if (fresh.unverifiable) countUnverifiable(stream, fresh);
  }
  if (conflict && stream.mappingConflicts.length < MAX_LISTED) stream.mappingConflicts.push({ frame: f.frame, message: `subflow ${sub.tcpStream}: ${conflict}` });
  if (f.dataLen === 0 && !stream.infiniteMapping) stream.infiniteMapping = { frame: f.frame, subflow: sub.tcpStream };
  if (f.dataFin && f.dataLen > 0) {
    const rel = stream.relOf(f.dsnHi, f.dsnLo);
    if (inRange(rel)) stream.dataFin(rel + f.dataLen - 1, f.frame);
  }
  // a mapping with no payload (a bare DATA_FIN) is checked at once
  if (mapping === fresh && mapping.checksumValid !== null) checksumResult(stream, mapping, sub, mapping.checksumValid);
  packetMappings.push(mapping);
}

/** Relative DSNs (and data ACKs) the data level places: exact integers, far below 2^53. */
export const MAX_REL_DSN = 2 ** 52;

export function inRange(rel: number): boolean {
  return rel > -MAX_REL_DSN && rel < MAX_REL_DSN;
}

function countUnverifiable(stream: DataStream, m: Mapping): void {
  if (m.unverifiableCounted) return;
  m.unverifiableCounted = true;
  stream.checksumsUnverifiable++;
}

function checksumResult(stream: DataStream, m: Mapping, sub: Subflow, ok: boolean): void {
  if (ok) {
    stream.checksumsVerified++;
    return;
  }
  stream.checksumFailures++;
  if (stream.checksumFailureList.length < MAX_LISTED) stream.checksumFailureList.push({ frame: m.frame, subflow: sub.tcpStream, dsn: stream.relOf(m.dsnHi, m.dsnLo), dataLen: m.dataLen });
}

/**
 * Place a segment's payload at its DSN through the mappings that cover it. `sender` is the
 * connection side that sent it (its IDSN is the stream's base). Returns the relative DSN of the
 * first byte, or null when no mapping covers it.
 */
export function placePayload(tcp: Segment, sub: Subflow, fromClient: boolean, stream: DataStream, sender: Side, packetMappings: Mapping[], now: Clock, place = true): number | null {
  const len = tcp.payloadLen;
  let isn = fromClient ? sub.isn.client : sub.isn.server;
  if (isn === null) {
    const first = packetMappings[0];
    if (!first) {
      stream.unmappedBytes += len;
      return null;
    }
    // No SYN captured: take the first mapping to start at this segment's first byte.
    isn = (tcp.seq - first.ssn) >>> 0;
    if (fromClient) sub.isn.client = isn;
    else sub.isn.server = isn;
  }
  if (!stream.baseAt.known && sender.idsn !== null) {
    stream.base = sender.idsn;
    stream.baseFromKey = true;
  }
  // Data on a SYN (TCP Fast Open) starts one after the ISN.
  const relSeq = ((tcp.flags & TcpFlag.SYN ? 1 : 0) + tcp.seq - isn) >>> 0;
  const table = fromClient ? sub.mappings.client : sub.mappings.server;
  let first: number | null = null;
  let off = 0;
  while (off < len) {
    const seq = (relSeq + off) >>> 0;
    const m = table.find(seq);
    if (!m) {
      stream.unmappedBytes += len - off;
      break;
    }
    const into = seqDiff(seq, m.ssn);
    const take = Math.min(len - off, m.payloadLen - into);
    // (the sum first: with no base yet, this byte sets it)
    const at = DSN_SCRATCH;
    at.setSum(m.dsnHi, m.dsnLo, into);
    const dsnRel = stream.relOf(at.hi, at.lo);
    if (!inRange(dsnRel)) {
      // A DSN petabytes from where the stream starts is a corrupt mapping, not data: relative
      // DSNs are exact only below 2^53, and placing it would break the stream's arithmetic.
      stream.unmappedBytes += len - off;
      if (stream.mappingConflicts.length < MAX_LISTED) stream.mappingConflicts.push({ frame: m.frame, message: `subflow ${sub.tcpStream}: a mapping puts bytes at relative DSN ${dsnRel}, more than 2^52 from the stream's start: not placed` });
      break;
    }
    if (first === null) first = dsnRel;
    const from = Math.min(off, tcp.capturedPayload);
    const to = Math.min(off + take, tcp.capturedPayload);
    // A view only where the bytes are read (extract's sink, the DSS checksum): none per packet else.
    const view = stream.sink !== null || m.checksum !== null ? tcp.payload.subarray(from, to) : NO_BYTES;
    if (place) stream.add(dsnRel, take, view, sub.tcpStream, now, to - from);
    if (m.checksum !== null) {
      const verdict = sumBytes(m, into, view, take);
      if (verdict !== null) checksumResult(stream, m, sub, verdict);
      else if (m.unverifiable) countUnverifiable(stream, m);
    }
    off += take;
  }
  return first;
}
