/**
 * mptcp.rawdsn64 and mptcp.related_mapping as tshark 4.0 computes them with
 * `-o mptcp.analyze_mappings:TRUE` (packet-tcp.c, mptcp_analysis_dsn_lookup): each DSS mapping
 * of a subflow direction is remembered by its subflow sequence range, and a packet's DSN is read
 * from the mapping that covers its relative sequence number. tshark's quirks are kept: a mapping's
 * DSN is widened to 64 bits from the data ACK's width flag, a pure ACK at sequence 1 is IDSN + 1,
 * and nothing is shown without the handshake or the sender's IDSN.
 */
import type { MptcpOption } from '../dissect/mptcp.js';

interface Mapping {
  frame: number;
  /** The interval tree's key: the first mapping at this SSN set it, a later one only replaced the data. */
  keyHigh: number;
  rawDsn: bigint;
  extended: boolean;
  ssnLow: number;
  ssnHigh: number;
}

const LOW32 = 0xffffffffn;
const DSS_A8 = 0x02;

export interface DsnResult {
  rawDsn64: bigint | null;
  /** Frames of the mappings that cover the payload. */
  related: number[];
}

function put(list: Map<number, Mapping>, m: Mapping): void {
  const old = list.get(m.ssnLow);
  m.keyHigh = old ? old.keyHigh : m.ssnHigh;
  list.set(m.ssnLow, m);
}

export class MptcpDsnAnalyzer {
  /** Per subflow direction, by SSN low edge: tshark's interval tree replaces a mapping at the same low edge. */
  private readonly maps = new Map<string, Map<number, Mapping>>();
  readonly result: DsnResult = { rawDsn64: null, related: [] };

  /**
   * One packet of a subflow direction: its MPTCP options (mappings are remembered first), its
   * relative sequence number and payload length, whether that direction's SYN was seen, and the
   * sender's DSN base (null when unknown). `analyzed`: tshark's MPTCP analysis covers the packet.
   */
  process(key: string, frame: number, options: readonly MptcpOption[], syn: boolean, relSeq: number, seglen: number, synSeen: boolean, base: bigint | null, analyzed: boolean): DsnResult {
    const r = this.result;
    r.rawDsn64 = null;
    r.related = [];
    let list = this.maps.get(key);
    for (const o of options) {
      if (o.subtype === 'DSS' && o.dataSeq !== null && o.subflowSeq !== null && o.dataLen !== null && o.dataLen !== 0) {
        if (!list) this.maps.set(key, (list = new Map()));
        put(list, { frame, keyHigh: 0, rawDsn: o.dataSeq, extended: (o.byte3 & DSS_A8) !== 0, ssnLow: o.subflowSeq >>> 0, ssnHigh: (o.subflowSeq + o.dataLen - 1) >>> 0 });
      } else if (o.subtype === 'MP_CAPABLE' && o.dataLen !== null && o.dataLen !== 0 && base !== null) {
        // a v1 MP_CAPABLE with data maps SSN 1 to the IDSN's next byte
        if (!list) this.maps.set(key, (list = new Map()));
        put(list, { frame, keyHigh: 0, rawDsn: BigInt.asUintN(64, base + 1n), extended: true, ssnLow: 1, ssnHigh: o.dataLen });
      }
    }
    if (!analyzed || !synSeen) return r;
    // tshark's meta base_dsn is 0 until the sender's key (or a 64-bit DSN) is seen
    const b = base ?? 0n;
    let raw: bigint;
    if (syn) raw = b;
    else if (relSeq === 1 && seglen === 0) raw = BigInt.asUintN(64, b + 1n);
    else {
      const lo = relSeq;
      const hi = seglen ? (relSeq + seglen - 1) >>> 0 : relSeq;
      const found = [...(list?.values() ?? [])].filter((m) => m.ssnLow <= hi && m.keyHigh >= lo);
      if (found.length === 0) return r;
      if (seglen) r.related = found.map((m) => m.frame);
      // the last mapping that covers the packet
      const m = found.reduce((a, b) => (b.ssnLow >= a.ssnLow ? b : a));
      if (relSeq < m.ssnLow || relSeq > m.ssnHigh) return r;
      const dsn = m.rawDsn + BigInt(relSeq - m.ssnLow);
      if (!m.extended && base === null) return r; // widening needs the IDSN's high half
      raw = m.extended ? dsn : BigInt.asUintN(64, (b & ~LOW32) | dsn);
    }
    r.rawDsn64 = BigInt.asUintN(64, raw);
    return r;
  }
}
