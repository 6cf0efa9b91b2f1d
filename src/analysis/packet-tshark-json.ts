/**
 * `dissect -T json --tshark-layout`: the packet as `tshark -T json` lays it out
 * (`_source.layers.frame`, `.ip`, `.tcp`, the MPTCP options under `tcp.options_tree`, the
 * analysis under `tcp.analysis` and `mptcp.analysis`), every value a string in tshark's format,
 * so that scripts written for tshark's JSON read mpcap's unchanged. Only the fields mpcap knows
 * are there; where tshark repeats a key (several MPTCP options) so does this, as tshark does.
 */
import type { MptcpOption } from '../dissect/mptcp.js';
import { FieldCells, FIELDS, fieldValue, type FieldDef } from './fields.js';
import type { PacketView } from './packet-view.js';

/** A JSON object whose keys may repeat (tshark's layout repeats "mptcp" for each option). */
export type Entries = Array<[string, string | Entries]>;

const FLAG_FIELDS = new Set(
  ['backup.flag', 'checksumreq.flags', 'extensibility.flag', 'nomoresubflows.flag', 'sha1.flag', 'sha256.flag', 'reserved.flag', 'datafin.flag', 'dseqn8.flag', 'dseqnpresent.flag', 'dataack8.flag', 'dataackpresent.flag'].map((f) => `tcp.options.mptcp.${f}`),
);
const BYTES = new Set(['tcp.options.mptcp.sendhmac']);
const OPTION_FIELDS: FieldDef[] = [...FIELDS.values()].filter((d) => d.name.startsWith('tcp.options.mptcp.') && !FLAG_FIELDS.has(d.name));
const FLAG_DEFS: FieldDef[] = [...FIELDS.values()].filter((d) => FLAG_FIELDS.has(d.name));

function get(name: string): FieldDef {
  const d = FIELDS.get(name);
  if (!d) throw new Error(`no field ${name}`);
  return d;
}

const scratch = new FieldCells();
function value(def: FieldDef, v: PacketView): string {
  return fieldValue(def, v, scratch);
}

function add(out: Entries, v: PacketView, names: readonly string[]): void {
  for (const n of names) {
    const s = value(get(n), v);
    if (s !== '') out.push([n, s]);
  }
}

/** The same view, seeing only one of the packet's MPTCP options. */
function withOption(v: PacketView, o: MptcpOption): PacketView {
  const one = Object.create(v) as PacketView;
  Object.defineProperty(one, 'seg', { value: { ...v.seg, mptcp: [o] } });
  return one;
}

function mptcpOption(v: PacketView, o: MptcpOption): Entries {
  const one = withOption(v, o);
  const e: Entries = [
    ['tcp.option_kind', '30'],
    ['tcp.option_len', String(o.length)],
  ];
  for (const def of OPTION_FIELDS) {
    let s = value(def, one);
    if (s === '') continue;
    // tshark's JSON writes byte fields with colons (-T fields without)
    if (BYTES.has(def.name)) s = s.replace(/(..)(?!$)/g, '$1:');
    e.push([def.name, s]);
    if (def.name === 'tcp.options.mptcp.flags') {
      const flags: Entries = [];
      for (const f of FLAG_DEFS) {
        const x = value(f, one);
        if (x !== '') flags.push([f.name, x]);
      }
      if (flags.length) e.push(['tcp.options.mptcp.flags_tree', flags]);
    }
  }
  if (o.subtype === 'MP_CAPABLE') add(e, v, ['mptcp.expected_token', 'mptcp.expected_idsn']);
  if (o.subtype === 'DSS') add(e, one, ['mptcp.dss.dsn']);
  if (o.subtype === 'REMOVE_ADDR') add(e, one, ['mptcp.rm_addr.count']);
  return e;
}

function localDate(tsSec: number): string {
  const d = new Date(tsSec * 1000);
  if (Number.isNaN(d.getTime())) return 'unknown';
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

export function packetTsharkEntries(v: PacketView): Entries {
  const p = v.pkt;
  const frame: Entries = [];
  add(frame, v, ['frame.time_epoch', 'frame.time_delta', 'frame.time_relative', 'frame.number', 'frame.len', 'frame.cap_len']);
  const layers: Entries = [['frame', frame]];
  for (const ip of p.ips) {
    if (ip.version === 4) {
      layers.push(['ip', [['ip.version', '4'], ['ip.hdr_len', String(ip.headerLen)], ['ip.len', String(ip.headerLen + ip.payloadLen)], ['ip.id', `0x${ip.id.toString(16).padStart(4, '0')}`], ['ip.ttl', String(ip.ttl)], ['ip.proto', String(ip.protocol)], ['ip.src', ip.src], ['ip.dst', ip.dst]]]);
    } else {
      layers.push(['ipv6', [['ipv6.version', '6'], ['ipv6.plen', String(ip.payloadLen)], ['ipv6.nxt', String(ip.protocol)], ['ipv6.hlim', String(ip.ttl)], ['ipv6.src', ip.src], ['ipv6.dst', ip.dst]]]);
    }
  }
  if (p.tcp) {
    const tcp: Entries = [];
    add(tcp, v, ['tcp.srcport', 'tcp.dstport', 'tcp.stream', 'tcp.len', 'tcp.seq', 'tcp.seq_raw', 'tcp.nxtseq', 'tcp.ack', 'tcp.ack_raw']);
    tcp.push(['tcp.hdr_len', String(p.tcp.headerLen)]);
    add(tcp, v, ['tcp.flags', 'tcp.window_size_value', 'tcp.window_size']);
    tcp.push(['tcp.checksum', `0x${p.tcp.checksum.toString(16).padStart(4, '0')}`], ['tcp.urgent_pointer', String(p.tcp.urgent)]);
    const opts: Entries = [];
    for (const o of p.tcp.options) if (o.kind === 'MPTCP') opts.push(['mptcp', mptcpOption(v, o.mptcp)]);
    if (opts.length) tcp.push(['tcp.options_tree', opts]);
    const analysis: Entries = [];
    add(analysis, v, ['tcp.analysis.acks_frame', 'tcp.analysis.ack_rtt', 'tcp.analysis.bytes_in_flight']);
    if (analysis.length) tcp.push(['tcp.analysis', analysis]);
    if (v.connection !== null) {
      const m: Entries = [];
      add(m, v, ['mptcp.master', 'mptcp.stream', 'mptcp.analysis.subflows']);
      tcp.push(['mptcp.analysis', m]);
    }
    layers.push(['tcp', tcp]);
  }
  return [
    ['_index', `packets-${localDate(v.frame.tsSec)}`],
    ['_type', 'doc'],
    ['_score', '\u0000null'],
    ['_source', [['layers', layers]]],
  ];
}

/** Written by hand: JSON.stringify cannot repeat a key. `indent` null gives one line. */
export function entriesJson(e: Entries, indent: number | null, depth = 1): string {
  const nl = indent === null ? '' : '\n';
  const pad = indent === null ? '' : ' '.repeat(indent * depth);
  const end = indent === null ? '' : ' '.repeat(indent * (depth - 1));
  const sep = indent === null ? ':' : ': ';
  const parts = e.map(([k, val]) => `${pad}${JSON.stringify(k)}${sep}${typeof val === 'string' ? (val === '\u0000null' ? 'null' : JSON.stringify(val)) : entriesJson(val, indent, depth + 1)}`);
  return parts.length ? `{${nl}${parts.join(`,${nl}`)}${nl}${end}}` : '{}';
}
