/**
 * mptcp.rawdsn64 and mptcp.related_mapping as tshark 4.0 computes them with
 * `-o mptcp.analyze_mappings:TRUE` (packet-tcp.c, mptcp_analysis_dsn_lookup): each DSS mapping
 * of a subflow direction is remembered by its subflow sequence range, and a packet's DSN is read
 * from the mapping that covers its relative sequence number, looked up in Wireshark's own interval
 * tree (wmem-itree.ts: its order and its stale max edges decide what is found). With
 * -o mptcp.intersubflows_retransmission:TRUE, each packet's DSN range is kept per subflow and
 * MPTCP direction, and found on the other subflows: mptcp.reinjection_of. mptcp.dsn is
 * rawdsn64 less the sender's DSN base, printed when tshark's base is known (its
 * MPTCP_META_HAS_BASE_DSN_MSB). tshark's quirks are kept (a pure ACK at sequence 1 is IDSN + 1,
 * nothing is shown without the handshake or the sender's IDSN) but two of its errors are not
 * (README "Where mpcap and tshark differ"): a 4-byte DSN is widened to 64 bits as Linux's
 * __mptcp_expand_seq does, from the direction's last DSN, where tshark ORs in the IDSN's high
 * half (wrong past a 32-bit wrap); and whether it is 4 bytes is read from the DSS's `m` flag, where
 * tshark reads `a` (the data ACK's width).
 */
import type { MptcpOption } from '../dissect/mptcp.js';
import type { Side } from '../reassembly/model.js';
import { widen32 } from '../reassembly/seq.js';
import { WmemItree } from './wmem-itree.js';

interface Mapping {
  frame: number;
  /** The DSN as on the wire (4 or 8 bytes). */
  rawDsn: bigint;
  /** 8 bytes on the wire (RFC 8684 §3.3: the DSS `m` flag). */
  extended: boolean;
  /** The DSN widened to 64 bits when the mapping was seen (null: the sender's base was not known yet). */
  dsn64: bigint | null;
  ssnLow: number;
  ssnHigh: number;
}

const DSS_M8 = 0x08;

export interface DsnResult {
  rawDsn64: bigint | null;
  /** mptcp.dsn: rawDsn64 − the sender's DSN base (null when tshark's base is not known). */
  relDsn: bigint | null;
  /** Each DSS option's DSN as on the wire, and widened to 64 bits (null: no base to widen from): mptcp.dss.dsn. */
  dssDsn: Array<[raw: bigint, dsn64: bigint | null]>;
  /** Frames of the mappings that cover the payload. */
  related: number[];
  /** No mapping covers the payload (tshark's expert mptcp.dss.missing_mapping). */
  missingMapping: boolean;
  /** Earlier frames on other subflows that carried some of the same DSNs (mptcp.reinjection_of). */
  reinjectionOf: number[];
  /** Later frames that did: always empty in one pass, as tshark's single pass (mptcp.reinjected_in). */
  reinjectedIn: number[];
}

/**
 * For mptcp.reinjection_of (tshark -o mptcp.intersubflows_retransmission:TRUE): the MPTCP
 * direction of the packet (its sender's role) and the other subflows of its connection that tshark
 * lists, in its order (newest first).
 */
export interface ReinjectionContext {
  meta: string;
  others: readonly number[];
}

export class MptcpDsnAnalyzer {
  /** Per subflow direction, by SSN low edge: tshark's interval tree replaces a mapping at the same low edge. */
  private readonly maps = new Map<string, WmemItree<number, Mapping>>();
  private readonly found: Mapping[] = [];
  /** Per subflow and MPTCP direction: the 64-bit DSN range of each packet with data (tshark's dsn2packet_map). */
  private readonly packets = new Map<string, WmemItree<bigint, number>>();
  private readonly frames: number[] = [];
  /** Per MPTCP direction (its sender's side): the last 64-bit mapping DSN, the reference a 4-byte DSN is widened from. */
  private readonly lastDsn = new WeakMap<Side, bigint>();
  readonly result: DsnResult = { rawDsn64: null, relDsn: null, dssDsn: [], related: [], missingMapping: false, reinjectionOf: [], reinjectedIn: [] };

  /**
   * One packet of a subflow direction: its MPTCP options (mappings are remembered first), its
   * relative sequence number and payload length, whether that direction's SYN was seen, and the
   * sender's side of the connection (null when unknown; its DSN base is its IDSN, or 0 once it sent
   * a 64-bit DSN, as tshark's). `analyzed`: tshark's MPTCP analysis covers the packet.
   */
  process(key: string, frame: number, options: readonly MptcpOption[], syn: boolean, relSeq: number, seglen: number, synSeen: boolean, sender: Side | null, analyzed: boolean, reinjection: ReinjectionContext | null = null, tcpStream = -1): DsnResult {
    const r = this.result;
    const base = sender === null ? null : (sender.idsn ?? (sender.dsn64Seen ? 0n : null));
    r.rawDsn64 = null;
    r.relDsn = null;
    r.dssDsn = [];
    r.related = [];
    r.missingMapping = false;
    r.reinjectionOf = [];
    r.reinjectedIn = [];
    let list = this.maps.get(key);
    for (const o of options) {
      if (o.subtype === 'DSS' && o.dataSeq !== null) {
        const extended = (o.byte3 & DSS_M8) !== 0;
        const dsn64 = extended ? o.dataSeq : this.widen(sender, base, o.dataSeq);
        if (sender !== null && dsn64 !== null) this.lastDsn.set(sender, dsn64);
        r.dssDsn.push([o.dataSeq, dsn64]);
        if (o.subflowSeq === null || o.dataLen === null || o.dataLen === 0) continue;
        if (!list) this.maps.set(key, (list = new WmemItree<number, Mapping>(0)));
        const m: Mapping = { frame, rawDsn: o.dataSeq, extended, dsn64, ssnLow: o.subflowSeq >>> 0, ssnHigh: (o.subflowSeq + o.dataLen - 1) >>> 0 };
        list.insert(m.ssnLow, m.ssnHigh, m);
      } else if (o.subtype === 'MP_CAPABLE' && o.dataLen !== null && o.dataLen !== 0 && base !== null) {
        // a v1 MP_CAPABLE with data maps SSN 1 to the IDSN's next byte
        if (!list) this.maps.set(key, (list = new WmemItree<number, Mapping>(0)));
        const dsn64 = BigInt.asUintN(64, base + 1n);
        const m: Mapping = { frame, rawDsn: dsn64, extended: true, dsn64, ssnLow: 1, ssnHigh: o.dataLen };
        if (sender !== null) this.lastDsn.set(sender, dsn64);
        list.insert(m.ssnLow, m.ssnHigh, m);
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
      const found = list ? list.find(lo, hi, this.found) : [];
      if (found.length === 0) {
        r.missingMapping = true;
        return r;
      }
      if (seglen) r.related = found.map((m) => m.frame);
      // tshark takes the list's head
      const m = found[0] as Mapping;
      if (relSeq < m.ssnLow || relSeq > m.ssnHigh) return r;
      // a 4-byte DSN seen before the sender's base: widened now, if the base is known by now
      const dsn64 = m.dsn64 ?? this.widen(sender, base, m.rawDsn);
      if (dsn64 === null) return r;
      raw = dsn64 + BigInt(relSeq - m.ssnLow);
    }
    raw = BigInt.asUintN(64, raw);
    r.rawDsn64 = raw;
    if (base !== null) r.relDsn = BigInt.asUintN(64, raw - base);
    if (reinjection !== null && seglen > 0) this.reinjections(reinjection, tcpStream, frame, raw, seglen);
    return r;
  }

  /** A 4-byte DSN to 64 bits, nearest the direction's last DSN (at first its base); null without a base. */
  private widen(sender: Side | null, base: bigint | null, dsn32: bigint): bigint | null {
    if (sender === null || base === null) return null;
    return widen32(dsn32, this.lastDsn.get(sender) ?? base);
  }

  /** tshark's mptcp_add_duplicated_dsn: remember this packet's DSNs, then look for them on the other subflows. */
  private reinjections(ctx: ReinjectionContext, tcpStream: number, frame: number, raw: bigint, seglen: number): void {
    const hi = BigInt.asUintN(64, raw + BigInt(seglen - 1));
    const own = `${tcpStream}|${ctx.meta}`;
    let tree = this.packets.get(own);
    if (!tree) this.packets.set(own, (tree = new WmemItree<bigint, number>(0n)));
    tree.insert(raw, hi, frame);
    for (const s of ctx.others) {
      const t = this.packets.get(`${s}|${ctx.meta}`);
      if (t === undefined) continue;
      for (const f of t.find(raw, hi, this.frames)) (f < frame ? this.result.reinjectionOf : this.result.reinjectedIn).push(f);
    }
  }
}
