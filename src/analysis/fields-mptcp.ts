/**
 * The rest of tshark 4.0's MPTCP fields: the flag bits of each option as fields of their own,
 * the reserved bits, and what tshark's MPTCP analysis adds to a packet (mptcp.master,
 * mptcp.analysis.subflows, mptcp.dss.dsn). Same value formats as tshark's `-T fields`.
 */
import type { MptcpOption } from '../dissect/mptcp.js';
import type { FieldDef, FieldGetter } from './fields.js';
import type { PacketView } from './packet-view.js';

const hex2 = (n: number): string => `0x${n.toString(16).padStart(2, '0')}`;
const hex4 = (n: number): string => `0x${n.toString(16).padStart(4, '0')}`;
const bit = (x: number, mask: number): string => ((x & mask) !== 0 ? '1' : '0');

function perOption(pick: (o: MptcpOption) => string | null): FieldGetter {
  return (v, out) => {
    const list = v.seg.mptcp;
    for (let i = 0; i < list.length; i++) {
      const x = pick(list[i] as MptcpOption);
      if (x !== null) out.push(x);
    }
  };
}

// MP_CAPABLE flags byte (RFC 8684 §3.1): A, B, C (v1), reserved D-G, H.
const MPC_A = 0x80;
const MPC_B = 0x40;
const MPC_C = 0x20;
const MPC_H = 0x01;
/** The reserved bits between C (or B, in v0) and H, shifted down as tshark shows a masked field. */
const mpcReserved = (o: MptcpOption & { subtype: 'MP_CAPABLE' }): number => (o.version === 1 ? (o.flags & 0x1e) >> 1 : (o.flags & 0x3e) >> 1);

// DSS flags byte (RFC 8684 §3.3): F, m, M, a, A.
const DSS_F = 0x10;
const DSS_M8 = 0x08;
const DSS_M = 0x04;
const DSS_A8 = 0x02;
const DSS_A = 0x01;

// MP_TCPRST (RFC 8684 §3.6): U, V, W, T in the low nibble of byte 2.
const RST_U = 0x08;
const RST_V = 0x04;
const RST_W = 0x02;
const RST_T = 0x01;

const mpc = (fn: (o: MptcpOption & { subtype: 'MP_CAPABLE' }) => string | null): FieldGetter => perOption((o) => (o.subtype === 'MP_CAPABLE' ? fn(o) : null));
const dss = (mask: number): FieldGetter => perOption((o) => (o.subtype === 'DSS' ? bit(o.byte3, mask) : null));
const rst = (mask: number): FieldGetter => perOption((o) => (o.subtype === 'MP_TCPRST' ? bit(o.byte2, mask) : null));

/**
 * The DSN of each DSS of the packet relative to the sender's DSN base, widened as Linux does from the
 * direction's last DSN (mptcp-dsn.ts; tshark ORs in the base's high half, wrong past a 32-bit wrap).
 * Needs the analysis (v.dsnAnalysis); without it, nothing.
 */
export function dssRelativeDsns(v: PacketView, base: bigint, out: { push(s: string): void }): void {
  // by the DSN on the wire: the view may show one option of the packet (tshark's JSON layout)
  const list = v.seg.mptcp;
  for (let i = 0; i < list.length; i++) {
    const o = list[i] as MptcpOption;
    if (o.subtype !== 'DSS' || o.dataSeq === null) continue;
    const d = dssRelativeDsn(v, o.dataSeq, base);
    if (d !== null) out.push(d);
  }
}

/** The relative DSN of the packet's DSS whose DSN on the wire is `raw`, or null. */
export function dssRelativeDsn(v: PacketView, raw: bigint, base: bigint): string | null {
  const d = v.dsnAnalysis?.dssDsn.find(([r]) => r === raw)?.[1];
  return d == null ? null : BigInt.asUintN(64, d - base).toString();
}

/** MP_CAPABLE's crypto bits as tshark 4.0 reads them (C to H of RFC 6824; H alone is HMAC-SHA). */
const MPC_CRYPTO = 0x3f;
const MPC_HMAC_SHA = 0x01;
const mpcFlag = (test: (flags: number) => boolean): FieldGetter => perOption((o) => (o.subtype === 'MP_CAPABLE' && test(o.flags) ? '1' : null));

/**
 * mptcp.analysis.subflows of each connection, kept while no subflow it left out became listed: a
 * join flood's connection asks for its 9,295-long list on every packet (was O(subflows) a packet).
 */
const subflowsText = new WeakMap<object, { len: number; unlisted: number[]; text: string }>();

export const MPTCP_FIELDS: FieldDef[] = [
  { name: 'tcp.options.mptcp.checksumreq.flags', description: 'MP_CAPABLE A: checksum required', get: mpc((o) => bit(o.flags, MPC_A)) },
  { name: 'tcp.options.mptcp.extensibility.flag', description: 'MP_CAPABLE B: extensibility', get: mpc((o) => bit(o.flags, MPC_B)) },
  { name: 'tcp.options.mptcp.nomoresubflows.flag', description: 'MP_CAPABLE C (v1): no new subflows to this address', get: mpc((o) => (o.version === 1 ? bit(o.flags, MPC_C) : null)) },
  { name: 'tcp.options.mptcp.reserved.flag', description: 'MP_CAPABLE reserved flags', get: mpc((o) => hex2(mpcReserved(o))) },
  { name: 'tcp.options.mptcp.sha1.flag', description: 'MP_CAPABLE H (v0, or any version but 1): HMAC-SHA1', get: mpc((o) => (o.version !== 1 ? bit(o.flags, MPC_H) : null)) },
  { name: 'tcp.options.mptcp.sha256.flag', description: 'MP_CAPABLE H (v1): HMAC-SHA256', get: mpc((o) => (o.version === 1 ? bit(o.flags, MPC_H) : null)) },
  { name: 'tcp.options.mptcp.datafin.flag', description: 'DSS F: DATA_FIN', get: dss(DSS_F) },
  { name: 'tcp.options.mptcp.dseqn8.flag', description: 'DSS m: the DSN is 8 octets', get: dss(DSS_M8) },
  { name: 'tcp.options.mptcp.dseqnpresent.flag', description: 'DSS M: DSN, subflow sequence number, length (and checksum) present', get: dss(DSS_M) },
  { name: 'tcp.options.mptcp.dataack8.flag', description: 'DSS a: the data ACK is 8 octets', get: dss(DSS_A8) },
  { name: 'tcp.options.mptcp.dataackpresent.flag', description: 'DSS A: data ACK present', get: dss(DSS_A) },
  { name: 'tcp.options.mptcp.flag_U.flag', description: 'MP_TCPRST U', get: rst(RST_U) },
  { name: 'tcp.options.mptcp.flag_V.flag', description: 'MP_TCPRST V', get: rst(RST_V) },
  { name: 'tcp.options.mptcp.flag_W.flag', description: 'MP_TCPRST W', get: rst(RST_W) },
  { name: 'tcp.options.mptcp.flag_T.flag', description: 'MP_TCPRST T: transient', get: rst(RST_T) },
  {
    name: 'tcp.options.mptcp.reserved',
    description: 'Reserved bits (MP_JOIN ACK, MP_FASTCLOSE, MP_FAIL)',
    get: perOption((o) => {
      const r = hex4(((o.byte2 & 0x0f) << 8) | o.byte3);
      if (o.subtype === 'MP_JOIN') return o.phase === 'ACK' ? r : null;
      return o.subtype === 'MP_FASTCLOSE' || o.subtype === 'MP_FAIL' ? r : null;
    }),
  },
  { name: 'tcp.options.mptcp.ipver', description: 'ADD_ADDR IP version (v0)', get: perOption((o) => (o.subtype === 'ADD_ADDR' && o.format === 0 ? String(o.ipVersion) : null)) },
  { name: 'mptcp.rm_addr.count', description: 'REMOVE_ADDR: number of address IDs', get: perOption((o) => (o.subtype === 'REMOVE_ADDR' ? String(o.addrIds.length) : null)) },
  { name: 'mptcp.analysis', description: "1 on a packet tshark's MPTCP analysis covers (it has an mptcp.stream)", get: (v, out) => void (v.connection !== null && out.push('1')) },
  {
    name: 'mptcp.master',
    description: "1 when the packet's subflow is the connection's first (MP_CAPABLE) subflow",
    get: (v, out) => {
      const c = v.connection;
      if (c === null) return;
      out.push(v.masterStream !== null && v.masterStream === v.tcpStream ? '1' : '0');
    },
  },
  {
    name: 'mptcp.analysis.subflows',
    description: "The connection's subflows so far (tcp.stream), newest first, as tshark prints them",
    get: (v, out) => {
      const c = v.connection;
      if (c === null) return;
      const len = c.subflows.length;
      let e = subflowsText.get(c);
      if (e === undefined || e.unlisted.some((n) => v.listedSubflow(n))) {
        e = { len: 0, unlisted: [], text: '' };
        subflowsText.set(c, e);
      }
      // subflows are only ever added: the new ones go in front (newest first)
      if (e.len < len) {
        let front = '';
        for (let i = len - 1; i >= e.len; i--) {
          const n = c.subflows[i] as number;
          if (v.listedSubflow(n)) front += `${n} `;
          else e.unlisted.push(n);
        }
        e.text = front + e.text;
        e.len = len;
      }
      if (e.text !== '') out.push(e.text);
    },
  },
  { name: 'mptcp.connection.missing_algorithm', description: 'Expert: an MP_CAPABLE names no crypto algorithm (flags C-H all 0)', get: mpcFlag((f) => (f & MPC_CRYPTO) === 0) },
  { name: 'mptcp.connection.unsupported_algorithm', description: 'Expert: an MP_CAPABLE names another algorithm than HMAC-SHA (flags C-H other than H alone)', get: mpcFlag((f) => (f & MPC_CRYPTO) !== MPC_HMAC_SHA) },
  {
    name: 'mptcp.connection.echoed_key_mismatch',
    description: "Expert: an MP_CAPABLE ACK echoes another receiver's key than the receiver announced",
    get: (v, out) => {
      const list = v.seg.mptcp;
      for (let i = 0; i < list.length; i++) {
        const o = list[i] as MptcpOption;
        if (o.subtype !== 'MP_CAPABLE' || o.receiverKey === null) continue;
        const k = v.receiverKey;
        if (k !== null && k !== o.receiverKey) out.push('1');
      }
    },
  },
  { name: 'mptcp.dss.infinite_mapping', description: 'Expert: a DSS mapping of data-level length 0 (infinite mapping)', get: perOption((o) => (o.subtype === 'DSS' && o.dataSeq !== null && o.dataLen === 0 ? '1' : null)) },
  {
    name: 'mptcp.dss.dsn',
    description: "DSS mapping's DSN relative to the sender's IDSN (needs the key)",
    tcpAnalysis: true,
    get: (v, out) => {
      const base = v.senderDsnBase;
      if (base !== null) dssRelativeDsns(v, base, out);
    },
  },
];
