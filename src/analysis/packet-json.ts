/**
 * `dissect -T json / ndjson`: every decoded field of a packet. One naming style: lower case,
 * dots between a field's namespaces and snake_case within (the tshark field names at the top
 * level, so `jq '."tcp.stream"'` works as with `tshark -T ek`; the same style inside the IP
 * headers, TCP options and MPTCP options). The TCP options are listed in wire order, an MPTCP
 * option there only by kind, offset and length: its decoded fields are in `mptcp`, once.
 * 64-bit values (keys, DSNs, HMACs) are decimal strings because JSON numbers lose precision
 * past 2^53. `--tshark-layout` gives tshark's own layout instead (packet-tshark-json.ts).
 */
import type { MptcpOption } from '../dissect/mptcp.js';
import type { TcpOption } from '../dissect/tcp.js';
import { FieldCells, FIELDS, fieldValue } from './fields.js';
import type { PacketView } from './packet-view.js';

/** Fields copied as numbers rather than strings. */
const NUMERIC = new Set([
  'frame.number', 'frame.len', 'frame.cap_len', 'tcp.srcport', 'tcp.dstport', 'tcp.stream', 'tcp.len', 'tcp.seq_raw', 'tcp.ack_raw',
  'tcp.seq', 'tcp.ack', 'tcp.nxtseq', 'tcp.window_size', 'tcp.window_size_value', 'tcp.analysis.acks_frame', 'tcp.analysis.bytes_in_flight',
  'mptcp.stream', 'mptcp.expected_token', 'mptcp.rm_addr.count', 'mptcp.master', 'mptcp.analysis',
]);

/** camelCase → snake_case: `headerLen` → `header_len`. */
const snake = (k: string): string => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

function snakeKeys(rec: object, skip: ReadonlySet<string> = NONE): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const [k, val] of Object.entries(rec)) if (!skip.has(k)) o[snake(k)] = plain(val);
  return o;
}
const NONE: ReadonlySet<string> = new Set();
const RAW_BYTES: ReadonlySet<string> = new Set(['byte2', 'byte3']);
/** Per-option fields go in the option objects instead. */
const PER_OPTION = (name: string): boolean => name.startsWith('tcp.options.mptcp.');

function plain(x: unknown): unknown {
  if (typeof x === 'bigint') return x.toString();
  if (x instanceof Uint8Array) return Buffer.from(x.buffer, x.byteOffset, x.length).toString('hex');
  if (Array.isArray(x)) return x.map(plain);
  return x;
}

export function mptcpOptionJson(m: MptcpOption): Record<string, unknown> {
  return snakeKeys(m, RAW_BYTES);
}

function tcpOptionJson(t: TcpOption): Record<string, unknown> {
  // the MPTCP option's fields are in the packet's `mptcp` list: named here, decoded there
  if (t.kind === 'MPTCP') return { kind: 'MPTCP', offset: t.offset, length: t.mptcp.length };
  return snakeKeys(t);
}

export function packetJson(v: PacketView): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const scratch = new FieldCells();
  for (const def of FIELDS.values()) {
    if (PER_OPTION(def.name)) continue;
    const s = fieldValue(def, v, scratch);
    if (s === '') continue;
    out[def.name] = NUMERIC.has(def.name) && !s.includes(',') ? Number(s) : s;
  }
  const p = v.pkt;
  out['frame.interface_id'] = p.frame.interfaceId;
  out['frame.link_type'] = p.frame.linkType;
  out.link = p.link;
  if (p.vlanIds.length) out['vlan.id'] = p.vlanIds;
  out.protocol = p.protocol;
  out.ip = p.ips.map((ip) => snakeKeys(ip));
  if (p.tunnel) out.tunnel = p.tunnel;
  if (p.tcp) {
    const t = p.tcp;
    out['tcp.hdr_len'] = t.headerLen;
    out['tcp.window_size_value'] = t.window;
    out['tcp.checksum'] = `0x${t.checksum.toString(16).padStart(4, '0')}`;
    out['tcp.urgent_pointer'] = t.urgent;
    out['tcp.options'] = t.options.map(tcpOptionJson);
    out.mptcp = t.options.flatMap((o) => (o.kind === 'MPTCP' ? [mptcpOptionJson(o.mptcp)] : []));
  }
  out.problems = p.problems.map((x) => snakeKeys(x));
  return out;
}
