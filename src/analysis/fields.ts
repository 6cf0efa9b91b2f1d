/**
 * `dissect -T fields -e NAME`: field names and value formats as tshark 4.0 prints them, so that
 * scripts written for tshark work unchanged. Each field pushes one string per occurrence; the
 * renderer joins occurrences with ',' (tshark's default aggregator).
 */
import { formatEpoch } from '../dissect/capture/timestamp.js';
import type { MptcpOption } from '../dissect/mptcp.js';
import type { PacketView } from './packet-view.js';
import { MPTCP_FIELDS } from './fields-mptcp.js';
import { TCP_FIELDS } from './fields-tcp.js';

export type FieldGetter = (v: PacketView, out: FieldCells) => void;

/**
 * Where a field's getter puts its occurrences, reused for every packet and field: an array emptied
 * with `length = 0` drops its store, and the next push makes one anew (~150 bytes a field a packet:
 * most of `dissect -T fields`' garbage). `join` of one occurrence is that string itself.
 */
export class FieldCells {
  private readonly items: string[] = [];
  length = 0;

  push(a: string, b?: string): void {
    this.items[this.length++] = a;
    if (b !== undefined) this.items[this.length++] = b;
  }

  pushAll(xs: readonly string[]): void {
    for (let i = 0; i < xs.length; i++) this.items[this.length++] = xs[i] as string;
  }

  at(i: number): string {
    return this.items[i] as string;
  }

  clear(): void {
    this.length = 0;
  }

  /** The occurrences joined by `sep` (tshark's aggregator). */
  join(sep: string): string {
    const n = this.length;
    if (n === 0) return '';
    let s = this.items[0] as string;
    for (let i = 1; i < n; i++) s += sep + (this.items[i] as string);
    return s;
  }
}

export interface FieldDef {
  name: string;
  description: string;
  get: FieldGetter;
  /** Needs tshark's TCP sequence analysis (tcp-analysis.ts) run over every packet. */
  tcpAnalysis?: boolean;
  /**
   * How the field compares with tshark 4.0's of the same name: absent = the same, cell by cell, on
   * every capture of the corpus and the fixtures (test/tshark-compat.test.ts,
   * test/tshark-mappings.test.ts); otherwise where tshark is wrong and mpcap is not (README "Where
   * mpcap and tshark differ", each with a test), or for an mpcap-only field what it is instead.
   */
  tshark?: string;
  /** For an mpcap-only field, the tshark type code -Y compares it as (src/filter/tshark-types.ts); default: numbers as numbers, else text. */
  filterType?: string;
}

/** mpcap's own fields are named mpcap.*: tshark has no field of that name. */
export const isMpcapOnly = (name: string): boolean => name.startsWith('mpcap.');

/** Where a field differs from tshark's, by name (each a tested tshark bug), or what an mpcap-only field is. */
const TSHARK_DIFFERENCES: Readonly<Record<string, string>> = {
  'tcp.options.mptcp.checksum': 'tshark never prints a DSS checksum (a length bug); mpcap does',
  'mptcp.ack': 'a 32-bit data ACK past a wrap: mpcap widens it as Linux does, tshark prints a value near 2^64',
  'mptcp.dss.dsn': "a 4-byte DSN beside an 8-byte data ACK (tshark does not widen it: it reads the ACK flag), and a 4-byte DSN past a 32-bit wrap (tshark ORs in the IDSN's high half)",
  'mptcp.rawdsn64': "a 4-byte DSN past a 32-bit wrap (tshark ORs in the IDSN's high half), a 4-byte DSN beside an 8-byte data ACK (tshark does not widen it), DSNs one segment behind while a v1 MP_CAPABLE's repeated data mapping covers the data, and a join SYN sent by the server (tshark gives it the client's DSN base)",
  'mptcp.dsn': "where tshark's mptcp.rawdsn64 is: a 4-byte DSN past a 32-bit wrap, a 4-byte DSN beside an 8-byte data ACK, and DSNs one segment behind while a v1 MP_CAPABLE's repeated data mapping covers the data",
  'mptcp.related_mapping': "where tshark files each repeated v1 MP_CAPABLE data mapping apart (elsewhere the same, in tshark's interval-tree order)",
  'mptcp.reinjection_of': 'data whose DSN tshark has one segment behind (v1 MP_CAPABLE data mappings)',
  'mpcap.dsn': "tshark has no such field; mptcp.dsn is tshark's DSN, from the subflow's mappings",
};

const hex2 = (n: number): string => `0x${n.toString(16).padStart(2, '0')}`;
const hex4 = (n: number): string => `0x${n.toString(16).padStart(4, '0')}`;

/** A per-option field: `pick` returns the value or null when the option has no such field. */
function mptcpField(pick: (o: MptcpOption) => string | string[] | null): FieldGetter {
  return (v, out) => {
    const list = v.seg.mptcp;
    for (let i = 0; i < list.length; i++) {
      const x = pick(list[i] as MptcpOption);
      if (x === null) continue;
      if (typeof x === 'string') out.push(x);
      else out.pushAll(x);
    }
  };
}

function subtypeCode(o: MptcpOption): number {
  return o.byte2 >> 4;
}

/** frame.time_epoch: seconds.nanoseconds, negative times with their sign (-1.5 s is -1.500000000). */
export function frameTimeEpoch(tsSec: number, tsNsec: number): string {
  return formatEpoch(tsSec, tsNsec);
}

const defs: FieldDef[] = [
  { name: 'frame.number', description: 'Frame number (1-based)', get: (v, o) => void o.push(String(v.frame.number)) },
  { name: 'frame.len', description: 'Frame length on the wire', get: (v, o) => void o.push(String(v.frame.origLen)) },
  { name: 'frame.cap_len', description: 'Frame length captured', get: (v, o) => void o.push(String(v.frame.capLen)) },
  { name: 'frame.time_epoch', description: 'Arrival time, seconds since the epoch', get: (v, o) => void o.push(frameTimeEpoch(v.frame.tsSec, v.frame.tsNsec)) },
  { name: 'frame.time_relative', description: 'Seconds since the first frame', get: (v, o) => void o.push(v.relTime) },
  { name: 'ip.src', description: 'IPv4 source (every IPv4 layer, outermost first)', get: (v, o) => v.pkt.ips.forEach((ip) => ip.version === 4 && o.push(ip.src)) },
  { name: 'ip.dst', description: 'IPv4 destination', get: (v, o) => v.pkt.ips.forEach((ip) => ip.version === 4 && o.push(ip.dst)) },
  { name: 'ip.addr', description: 'IPv4 source or destination (both, per layer): -Y ip.addr == X matches either direction', get: (v, o) => v.pkt.ips.forEach((ip) => ip.version === 4 && o.push(ip.src, ip.dst)) },
  { name: 'ipv6.src', description: 'IPv6 source', get: (v, o) => v.pkt.ips.forEach((ip) => ip.version === 6 && o.push(ip.src)) },
  { name: 'ipv6.dst', description: 'IPv6 destination', get: (v, o) => v.pkt.ips.forEach((ip) => ip.version === 6 && o.push(ip.dst)) },
  { name: 'ipv6.addr', description: 'IPv6 source or destination (both, per layer)', get: (v, o) => v.pkt.ips.forEach((ip) => ip.version === 6 && o.push(ip.src, ip.dst)) },
  { name: 'tcp.srcport', description: 'TCP source port', get: (v, o) => void (v.seg.isTcp && o.push(String(v.seg.srcPort))) },
  { name: 'tcp.dstport', description: 'TCP destination port', get: (v, o) => void (v.seg.isTcp && o.push(String(v.seg.dstPort))) },
  { name: 'tcp.port', description: 'TCP source or destination port (both)', get: (v, o) => void (v.seg.isTcp && o.push(String(v.seg.srcPort), String(v.seg.dstPort))) },
  { name: 'tcp.stream', description: 'TCP conversation index', get: (v, o) => void (v.tcpStream !== null && o.push(String(v.tcpStream))) },
  { name: 'tcp.len', description: 'TCP payload length', get: (v, o) => void (v.seg.isTcp && o.push(String(v.seg.payloadLen))) },
  { name: 'tcp.seq_raw', description: 'TCP sequence number', get: (v, o) => void (v.seg.isTcp && o.push(String(v.seg.seq))) },
  { name: 'tcp.ack_raw', description: 'TCP acknowledgment number', get: (v, o) => void (v.seg.isTcp && o.push(String(v.seg.ack))) },
  { name: 'tcp.flags', description: 'TCP flags (12 bits)', get: (v, o) => void (v.seg.isTcp && o.push(hex4(v.seg.flags))) },
  { name: 'tcp.flags.fin', description: 'TCP FIN flag (1 or 0)', get: (v, o) => void (v.seg.isTcp && o.push(v.seg.flags & 0x01 ? '1' : '0')) },
  { name: 'tcp.flags.syn', description: 'TCP SYN flag (1 or 0)', get: (v, o) => void (v.seg.isTcp && o.push(v.seg.flags & 0x02 ? '1' : '0')) },
  { name: 'tcp.flags.reset', description: 'TCP RST flag (1 or 0)', get: (v, o) => void (v.seg.isTcp && o.push(v.seg.flags & 0x04 ? '1' : '0')) },
  { name: 'tcp.flags.push', description: 'TCP PSH flag (1 or 0)', get: (v, o) => void (v.seg.isTcp && o.push(v.seg.flags & 0x08 ? '1' : '0')) },
  { name: 'tcp.flags.ack', description: 'TCP ACK flag (1 or 0)', get: (v, o) => void (v.seg.isTcp && o.push(v.seg.flags & 0x10 ? '1' : '0')) },
  // an option of fewer than 3 bytes has no subtype byte at all
  { name: 'tcp.options.mptcp.subtype', description: 'MPTCP option subtype', get: mptcpField((m) => (m.length < 3 ? null : String(subtypeCode(m)))) },
  {
    name: 'tcp.options.mptcp.version',
    description: 'MP_CAPABLE version',
    get: mptcpField((m) => (m.subtype === 'MP_CAPABLE' ? String(m.version) : null)),
  },
  {
    name: 'tcp.options.mptcp.flags',
    description: 'MPTCP option flags',
    get: mptcpField((m) => {
      switch (m.subtype) {
        case 'MP_CAPABLE':
        case 'DSS':
          return hex2(m.byte3);
        case 'MP_TCPRST':
        case 'MP_PRIO':
          return hex2(m.byte2);
        case 'MP_JOIN':
          return m.phase === 'ACK' ? null : hex2(m.byte2);
        default:
          return null;
      }
    }),
  },
  {
    name: 'tcp.options.mptcp.sendkey',
    description: "Sender's key",
    get: mptcpField((m) => (m.subtype === 'MP_CAPABLE' && m.senderKey !== null ? m.senderKey.toString() : null)),
  },
  {
    name: 'tcp.options.mptcp.recvkey',
    description: "Receiver's key",
    get: mptcpField((m) => (m.subtype === 'MP_CAPABLE' && m.receiverKey !== null ? m.receiverKey.toString() : m.subtype === 'MP_FASTCLOSE' ? m.receiverKey.toString() : null)),
  },
  {
    name: 'tcp.options.mptcp.recvtok',
    description: "Receiver's token (MP_JOIN SYN)",
    get: mptcpField((m) => (m.subtype === 'MP_JOIN' && m.receiverToken !== null ? String(m.receiverToken) : null)),
  },
  {
    name: 'tcp.options.mptcp.sendrand',
    description: "Sender's nonce (MP_JOIN)",
    get: mptcpField((m) => (m.subtype === 'MP_JOIN' && m.senderNonce !== null ? String(m.senderNonce) : null)),
  },
  {
    name: 'tcp.options.mptcp.sendtrunchmac',
    description: "Sender's truncated HMAC (MP_JOIN SYN/ACK)",
    get: mptcpField((m) => (m.subtype === 'MP_JOIN' && m.senderTruncHmac !== null ? m.senderTruncHmac.toString() : null)),
  },
  {
    name: 'tcp.options.mptcp.sendhmac',
    description: "Sender's HMAC (MP_JOIN ACK)",
    get: mptcpField((m) => (m.subtype === 'MP_JOIN' && m.senderHmac !== null ? m.senderHmac : null)),
  },
  {
    name: 'tcp.options.mptcp.addrid',
    description: 'Address ID',
    get: mptcpField((m) => {
      switch (m.subtype) {
        case 'MP_JOIN':
          return m.addrId === null ? null : String(m.addrId);
        case 'ADD_ADDR':
          return String(m.addrId);
        case 'REMOVE_ADDR':
          return m.addrIds.map(String);
        case 'MP_PRIO':
          return m.addrId === null ? null : String(m.addrId);
        default:
          return null;
      }
    }),
  },
  {
    name: 'tcp.options.mptcp.backup.flag',
    description: 'Backup flag (MP_JOIN, MP_PRIO)',
    get: mptcpField((m) => (m.subtype === 'MP_JOIN' && m.phase !== 'ACK' ? (m.backup ? '1' : '0') : m.subtype === 'MP_PRIO' ? (m.backup ? '1' : '0') : null)),
  },
  {
    name: 'tcp.options.mptcp.rawdataack',
    description: 'Data ACK as on the wire',
    get: mptcpField((m) => (m.subtype === 'DSS' && m.dataAck !== null ? m.dataAck.toString() : null)),
  },
  {
    name: 'tcp.options.mptcp.rawdataseqno',
    description: 'Data sequence number as on the wire',
    get: mptcpField((m) => (m.subtype === 'DSS' && m.dataSeq !== null ? m.dataSeq.toString() : m.subtype === 'MP_FAIL' ? m.dataSeq.toString() : null)),
  },
  {
    name: 'tcp.options.mptcp.subflowseqno',
    description: 'Subflow sequence number (relative)',
    get: mptcpField((m) => (m.subtype === 'DSS' && m.subflowSeq !== null ? String(m.subflowSeq) : null)),
  },
  {
    name: 'tcp.options.mptcp.datalvllen',
    description: 'Data-level length',
    get: mptcpField((m) => (m.subtype === 'DSS' || m.subtype === 'MP_CAPABLE' ? (m.dataLen === null ? null : String(m.dataLen)) : null)),
  },
  {
    name: 'tcp.options.mptcp.checksum',
    description: 'DSS checksum (tshark 4.0 never prints it: see README)',
    get: mptcpField((m) => ((m.subtype === 'DSS' || m.subtype === 'MP_CAPABLE') && m.checksum !== null ? hex4(m.checksum) : null)),
  },
  {
    name: 'tcp.options.mptcp.ipv4',
    description: 'ADD_ADDR IPv4 address',
    get: mptcpField((m) => (m.subtype === 'ADD_ADDR' && m.ipVersion === 4 ? m.address : null)),
  },
  {
    name: 'tcp.options.mptcp.ipv6',
    description: 'ADD_ADDR IPv6 address',
    get: mptcpField((m) => (m.subtype === 'ADD_ADDR' && m.ipVersion === 6 ? m.address : null)),
  },
  {
    name: 'tcp.options.mptcp.port',
    description: 'ADD_ADDR port',
    get: mptcpField((m) => (m.subtype === 'ADD_ADDR' && m.port !== null ? String(m.port) : null)),
  },
  {
    name: 'tcp.options.mptcp.echo',
    description: 'ADD_ADDR echo flag (v1)',
    get: mptcpField((m) => (m.subtype === 'ADD_ADDR' && m.format === 1 ? (m.echo ? '1' : '0') : null)),
  },
  {
    name: 'tcp.options.mptcp.addaddrtrunchmac',
    description: 'ADD_ADDR truncated HMAC (v1)',
    get: mptcpField((m) => (m.subtype === 'ADD_ADDR' && m.truncHmac !== null ? m.truncHmac.toString() : null)),
  },
  {
    name: 'tcp.options.mptcp.rst_reason',
    description: 'MP_TCPRST reason',
    get: mptcpField((m) => (m.subtype === 'MP_TCPRST' ? hex2(m.reason) : null)),
  },
  { name: 'mptcp.stream', description: 'MPTCP connection index', get: (v, o) => void (v.mptcpStream !== null && o.push(String(v.mptcpStream))) },
  { name: 'mptcp.expected_token', description: "Token expected from the sender's key", get: (v, o) => void (v.expectedToken !== null && o.push(String(v.expectedToken))) },
  { name: 'mptcp.expected_idsn', description: "IDSN expected from the sender's key", get: (v, o) => void (v.expectedIdsn !== null && o.push(v.expectedIdsn.toString())) },
  { name: 'mptcp.ack', description: 'Data ACK (relative)', get: (v, o) => void (v.dataAck !== null && o.push(v.dataAck.toString())) },
  { name: 'mpcap.dsn', description: "DSN of the payload's first byte (relative: the IDSN's next byte is 1), from mpcap's reassembly of the connection", filterType: 'U', get: (v, o) => void (v.dsn !== null && o.push(v.dsn.toString())) },
];

export const FIELDS: ReadonlyMap<string, FieldDef> = new Map(
  [...defs, ...TCP_FIELDS, ...MPTCP_FIELDS].map((d) => {
    const note = TSHARK_DIFFERENCES[d.name];
    return [d.name, note === undefined ? d : { ...d, tshark: note }];
  }),
);

/** The registered names nearest to `name` (edit distance), for "did you mean". */
export function nearestFields(name: string, max = 3): string[] {
  const scored = [...FIELDS.keys()].map((k) => ({ k, d: editDistance(name, k) }));
  scored.sort((a, b) => a.d - b.d || a.k.localeCompare(b.k));
  const limit = Math.max(3, Math.floor(name.length / 3));
  return scored.filter((x) => x.d <= limit || x.k.startsWith(name) || x.k.includes(name)).slice(0, max).map((x) => x.k);
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min((prev[j] as number) + 1, (cur[j - 1] as number) + 1, (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length] as number;
}

export function fieldValue(def: FieldDef, view: PacketView, scratch: FieldCells): string {
  scratch.clear();
  def.get(view, scratch);
  return scratch.join(',');
}
