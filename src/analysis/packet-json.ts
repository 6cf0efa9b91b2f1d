/**
 * `dissect -T json / ndjson`: every decoded field of a packet. Top-level keys are the tshark
 * field names (so `jq '."tcp.stream"'` works as with `tshark -T ek`); the TCP and MPTCP options
 * are arrays of objects, in wire order. 64-bit values (keys, DSNs, HMACs) are decimal strings
 * because JSON numbers lose precision past 2^53.
 */
import type { MptcpOption } from '../dissect/mptcp.js';
import type { TcpOption } from '../dissect/tcp.js';
import { FIELDS, fieldValue } from './fields.js';
import type { PacketView } from './packet-view.js';

/** Fields copied as numbers rather than strings. */
const NUMERIC = new Set(['frame.number', 'frame.len', 'frame.cap_len', 'tcp.srcport', 'tcp.dstport', 'tcp.stream', 'tcp.len', 'tcp.seq_raw', 'tcp.ack_raw', 'mptcp.stream', 'mptcp.expected_token']);
/** Per-option fields go in the option objects instead. */
const PER_OPTION = (name: string): boolean => name.startsWith('tcp.options.mptcp.');

function plain(x: unknown): unknown {
  if (typeof x === 'bigint') return x.toString();
  if (x instanceof Uint8Array) return Buffer.from(x.buffer, x.byteOffset, x.length).toString('hex');
  if (Array.isArray(x)) return x.map(plain);
  return x;
}

export function mptcpOptionJson(m: MptcpOption): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const [k, val] of Object.entries(m)) {
    if (k === 'byte2' || k === 'byte3') continue;
    o[k] = plain(val);
  }
  return o;
}

function tcpOptionJson(t: TcpOption): Record<string, unknown> {
  if (t.kind === 'MPTCP') return { kind: 'MPTCP', offset: t.offset, mptcp: mptcpOptionJson(t.mptcp) };
  const o: Record<string, unknown> = {};
  for (const [k, val] of Object.entries(t)) o[k] = plain(val);
  return o;
}

export function packetJson(v: PacketView): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const scratch: string[] = [];
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
  out.ip = p.ips.map((ip) => ({ ...ip }));
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
  out.problems = p.problems;
  return out;
}
