/**
 * DSS mappings of one subflow direction (RFC 8684 §3.3.1): subflow sequence range → data
 * sequence range. A mapping may cover many segments, a segment may straddle mappings, and a
 * segment with no DSS belongs to the mapping that covers its bytes.
 */
import { toBig, U64 } from '../dissect/u64.js';
import { addPayload, checksumValid, pseudoHeaderSumAt } from './dss-checksum.js';
import { seqDiff } from './seq.js';

export interface Mapping {
  /** Absolute 64-bit DSN of the mapping's first byte, as 32-bit halves (see mappingDsn). */
  dsnHi: number;
  dsnLo: number;
  /** Relative subflow sequence number of its first byte. */
  ssn: number;
  /** Data-level length as on the wire (DATA_FIN included); 0 = infinite mapping. */
  dataLen: number;
  dataFin: boolean;
  /** Payload bytes the mapping covers (data-level length less the DATA_FIN byte). */
  payloadLen: number;
  checksum: number | null;
  /** Running checksum sum, and how far (offset in the mapping) bytes have been added in order. */
  sum: number;
  summedTo: number;
  /** true/false once every byte was summed; null while open or if a gap made it unverifiable. */
  checksumValid: boolean | null;
  unverifiable: boolean;
  /** Already counted in the stream's checksumsUnverifiable. */
  unverifiableCounted: boolean;
  frame: number;
}

/** Mappings kept per subflow direction; older ones are done with. */
const MAX_MAPPINGS = 64;

export class MappingTable {
  readonly list: Mapping[] = [];

  /**
   * Add a mapping. Returns the mapping kept: `m`, or the earlier one it repeats (not added twice).
   * `conflict` then describes how it contradicts an earlier mapping of the same bytes (same subflow
   * bytes, different data sequence numbers), else is null.
   */
  add(m: Mapping): Mapping {
    this.conflict = null;
    // The common case: a mapping of bytes past every kept one (the next segment in order) can
    // neither repeat nor contradict any of them, so the scan below is skipped.
    if (this.infinite === 0 && m.payloadLen > 0 && m.dataLen > 0 && (this.list.length === 0 || seqDiff(m.ssn, this.maxEnd) >= 0)) {
      this.push(m);
      return m;
    }
    for (let i = this.list.length - 1; i >= 0; i--) {
      const old = this.list[i] as Mapping;
      if (old.ssn === m.ssn && old.dsnHi === m.dsnHi && old.dsnLo === m.dsnLo && old.dataLen === m.dataLen) return old;
      if (old.dataLen === 0 || m.dataLen === 0 || old.payloadLen === 0 || m.payloadLen === 0) continue;
      const a = seqDiff(m.ssn, old.ssn);
      if (a >= 0 && a < old.payloadLen) {
        const expected = SCRATCH;
        expected.setSum(old.dsnHi, old.dsnLo, a);
        if (expected.hi !== m.dsnHi || expected.lo !== m.dsnLo) {
          this.push(m);
          this.conflict = `subflow bytes from ${m.ssn} are mapped to DSN ${mappingDsn(m)} but an earlier mapping (frame ${old.frame}) put them at ${expected.big()}`;
          return m;
        }
      }
    }
    this.push(m);
    return m;
  }

  /** A record add() did not keep (a repeat), for recycle() to hand out again. */
  spare: Mapping | undefined = undefined;

  /** What the last add() found contradicting, or null. */
  conflict: string | null = null;

  /** One past the highest subflow byte any kept mapping covers (a bare DATA_FIN counts one byte), wrap-aware. */
  private maxEnd = 0;
  /** Kept infinite mappings (they cover everything after them). */
  private infinite = 0;

  /**
   * When the table is full, take its oldest mapping out and hand it back for reuse (newMapping's
   * `into`): a mapping per segment would otherwise be garbage that lives just long enough to
   * reach the old generation, and the heap would grow with the capture.
   */
  recycle(): Mapping | undefined {
    const spare = this.spare;
    if (spare !== undefined) {
      this.spare = undefined;
      return spare;
    }
    if (this.list.length < MAX_MAPPINGS) return undefined;
    const old = this.list.shift() as Mapping;
    if (old.dataLen === 0) this.infinite--;
    return old;
  }

  private push(m: Mapping): void {
    this.list.push(m);
    if (m.dataLen === 0) this.infinite++;
    else {
      const end = (m.ssn + Math.max(1, m.payloadLen)) >>> 0;
      if (this.list.length === 1 || seqDiff(end, this.maxEnd) > 0) this.maxEnd = end;
    }
    if (this.list.length > MAX_MAPPINGS) {
      const old = this.list.shift() as Mapping;
      if (old.dataLen === 0) this.infinite--;
    }
  }

  /** The newest mapping that covers relative subflow sequence number `seq`. */
  find(seq: number): Mapping | null {
    for (let i = this.list.length - 1; i >= 0; i--) {
      const m = this.list[i] as Mapping;
      if (m.dataLen === 0) return m; // infinite mapping covers everything after it
      const d = seqDiff(seq, m.ssn);
      if (d >= 0 && d < m.payloadLen) return m;
    }
    return null;
  }
}

const SCRATCH = new U64();

/** The mapping's absolute DSN as a BigInt (for messages). */
export function mappingDsn(m: Mapping): bigint {
  return toBig(m.dsnHi, m.dsnLo);
}

/** A mapping; `into` (one MappingTable.recycle() gave back) is filled instead of making a new one. */
export function newMapping(dsn: bigint, ssn: number, dataLen: number, dataFin: boolean, checksum: number | null, frame: number, into?: Mapping): Mapping {
  const d = BigInt.asUintN(64, dsn);
  return newMappingAt(Number(d >> 32n), Number(d & 0xffffffffn), ssn, dataLen, dataFin, checksum, frame, into);
}

/** newMapping with the DSN as 32-bit halves (the hot path: no BigInt). */
export function newMappingAt(dsnHi: number, dsnLo: number, ssn: number, dataLen: number, dataFin: boolean, checksum: number | null, frame: number, into?: Mapping): Mapping {
  const payloadLen = dataLen === 0 ? Infinity : Math.max(0, dataLen - (dataFin ? 1 : 0));
  const sum = checksum === null ? 0 : pseudoHeaderSumAt(dsnHi, dsnLo, ssn, dataLen, checksum);
  let m: Mapping;
  if (into === undefined) {
    m = { dsnHi, dsnLo, ssn, dataLen, dataFin, payloadLen, checksum, sum, summedTo: 0, checksumValid: null, unverifiable: false, unverifiableCounted: false, frame };
  } else {
    m = into;
    m.dsnHi = dsnHi;
    m.dsnLo = dsnLo;
    m.ssn = ssn;
    m.dataLen = dataLen;
    m.dataFin = dataFin;
    m.payloadLen = payloadLen;
    m.checksum = checksum;
    m.sum = sum;
    m.summedTo = 0;
    m.checksumValid = null;
    m.unverifiable = false;
    m.unverifiableCounted = false;
    m.frame = frame;
  }
  if (checksum !== null && payloadLen === 0) m.checksumValid = checksumValid(m.sum);
  return m;
}

/**
 * Add payload bytes at offset `off` of the mapping to its checksum. Returns the verdict when this
 * completes the mapping, else null. Bytes already summed (retransmissions) are skipped; bytes
 * past a gap make the mapping unverifiable (we never saw the missing ones).
 */
export function sumBytes(m: Mapping, off: number, bytes: Uint8Array, len: number): boolean | null {
  if (m.checksum === null || m.checksumValid !== null || m.unverifiable) return null;
  const end = off + len;
  if (end <= m.summedTo) return null;
  if (off > m.summedTo || bytes.length < len) {
    m.unverifiable = true;
    return null;
  }
  const skip = m.summedTo - off;
  m.sum = addPayload(m.sum, bytes.subarray(skip, len), m.summedTo);
  m.summedTo = end;
  if (m.summedTo >= m.payloadLen) {
    m.checksumValid = checksumValid(m.sum);
    return m.checksumValid;
  }
  return null;
}
