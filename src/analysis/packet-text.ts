/**
 * Human-readable packet renderers: tshark's one-line summary and its -V tree.
 */
import { SUBTYPE_NAMES, TCPRST_REASONS, type MptcpOption } from '../dissect/mptcp.js';
import type { TcpOption } from '../dissect/tcp.js';
import { tcpFlagsText } from '../dissect/tcp.js';
import { frameTimeEpoch } from './fields.js';
import { dssRelativeDsn } from './fields-mptcp.js';
import type { PacketView } from './packet-view.js';

const hx = (n: number | bigint, width = 0): string => `0x${n.toString(16).padStart(width, '0')}`;

function mpcFlags(flags: number): string {
  const names: string[] = [];
  if (flags & 0x80) names.push('A');
  if (flags & 0x40) names.push('B');
  if (flags & 0x20) names.push('C');
  if (flags & 0x01) names.push('H');
  return names.join('');
}

/** Relative values for the Info column (null: print what is on the wire). */
export interface RelativeDss {
  dataAck: bigint | null;
  /** The DSS's DSN relative to the sender's base (mptcp.dss.dsn), when known. */
  dsn: string | null;
}

const RAW: RelativeDss = { dataAck: null, dsn: null };

/** Compact text of one MPTCP option, for the Info column; DSNs and data ACKs relative when `rel` knows their base. */
export function mptcpInfo(m: MptcpOption, rel: RelativeDss = RAW): string {
  switch (m.subtype) {
    case 'MP_CAPABLE': {
      const parts = [`MP_CAPABLE v${m.version}`];
      const f = mpcFlags(m.flags);
      if (f) parts.push(`[${f}]`);
      if (m.senderKey !== null) parts.push(`sndkey=${hx(m.senderKey, 16)}`);
      if (m.receiverKey !== null) parts.push(`rcvkey=${hx(m.receiverKey, 16)}`);
      if (m.dataLen !== null) parts.push(`dll=${m.dataLen}`);
      if (m.checksum !== null) parts.push(`csum=${hx(m.checksum, 4)}`);
      return parts.join(' ');
    }
    case 'MP_JOIN': {
      const parts = [`MP_JOIN ${m.phase}`];
      if (m.backup) parts.push('backup');
      if (m.addrId !== null) parts.push(`id=${m.addrId}`);
      if (m.receiverToken !== null) parts.push(`token=${hx(m.receiverToken, 8)}`);
      if (m.senderTruncHmac !== null) parts.push(`hmac=${hx(m.senderTruncHmac, 16)}`);
      if (m.senderNonce !== null) parts.push(`nonce=${hx(m.senderNonce, 8)}`);
      if (m.senderHmac !== null) parts.push(`hmac=${m.senderHmac}`);
      return parts.join(' ');
    }
    case 'DSS': {
      const parts = ['DSS'];
      if (m.dataAck !== null) parts.push(`ack=${rel.dataAck ?? m.dataAck}`);
      if (m.dataSeq !== null) parts.push(`seq=${rel.dsn ?? m.dataSeq} sseq=${m.subflowSeq} len=${m.dataLen}`);
      if (m.checksum !== null) parts.push(`csum=${hx(m.checksum, 4)}`);
      if (m.dataFin) parts.push('DATA_FIN');
      return parts.join(' ');
    }
    case 'ADD_ADDR': {
      const parts = [`ADD_ADDR${m.echo ? ' echo' : ''} id=${m.addrId} ${m.ipVersion === 6 ? `[${m.address}]` : m.address}${m.port !== null ? `:${m.port}` : ''}`];
      if (m.truncHmac !== null) parts.push(`hmac=${hx(m.truncHmac, 16)}`);
      return parts.join(' ');
    }
    case 'REMOVE_ADDR':
      return `REMOVE_ADDR id=${m.addrIds.join(',')}`;
    case 'MP_PRIO':
      return `MP_PRIO ${m.backup ? 'backup' : 'non-backup'}${m.addrId !== null ? ` id=${m.addrId}` : ''}`;
    case 'MP_FAIL':
      return `MP_FAIL seq=${m.dataSeq}`;
    case 'MP_FASTCLOSE':
      return `MP_FASTCLOSE key=${hx(m.receiverKey, 16)}`;
    case 'MP_TCPRST':
      return `MP_TCPRST reason=${m.reason}${m.transient ? ' transient' : ''}`;
    case 'MP_EXPERIMENTAL':
      return `MP_EXPERIMENTAL ${m.raw}`;
    case 'UNKNOWN':
      return `MPTCP subtype ${m.subtypeCode} ${m.raw}`;
    case 'MALFORMED':
      return `[malformed MPTCP option: ${m.reason}]`;
  }
}

export function infoColumn(v: PacketView): string {
  const p = v.pkt;
  const tcp = p.tcp;
  if (!tcp) {
    const probs = p.problems.map((x) => `[${x.kind === 'truncated' ? 'Packet size limited during capture' : 'Malformed'}: ${x.message}]`);
    const what = p.udp ? `${p.udp.srcPort} → ${p.udp.dstPort} Len=${p.udp.payloadLen}${p.tunnel ? ` ${p.tunnel}` : ''}` : p.ips.some((ip) => ip.fragment) ? 'Fragmented IP protocol (not reassembled)' : p.protocol;
    return [what, ...probs].join(' ');
  }
  // relative numbers and the scaled window, as tshark's default columns
  const a = v.tcp;
  const seq = a ? a.seq : tcp.seq;
  const ack = a ? a.ack : tcp.ack;
  const win = a ? a.windowSize : tcp.window;
  const parts = [`${tcp.srcPort} → ${tcp.dstPort} [${tcpFlagsText(tcp.flags)}] Seq=${seq}${tcp.flags & 0x10 ? ` Ack=${ack}` : ''} Win=${win} Len=${tcp.payloadLen}`];
  const base = v.senderDsnBase;
  for (const opt of tcp.options) {
    if (opt.kind !== 'MPTCP') continue;
    const m = opt.mptcp;
    const dsn = m.subtype === 'DSS' && m.dataSeq !== null && base !== null ? dssRelativeDsn(v, m.dataSeq, base) : null;
    parts.push(mptcpInfo(m, { dataAck: v.dataAck, dsn }));
  }
  for (const x of p.problems) {
    if (parts.some((part) => part.includes(x.message))) continue; // already shown with its option
    parts.push(`[${x.kind === 'truncated' ? 'Packet size limited during capture' : 'Malformed'}: ${x.message}]`);
  }
  return parts.join(' ');
}

function endpoints(v: PacketView): [string, string] {
  const ip = v.pkt.ips[v.pkt.ips.length - 1];
  return ip ? [ip.src, ip.dst] : ['', ''];
}

/** `time`: the time column as `-t` asks (default: seconds since the first frame, to the µs). */
export function summaryLine(v: PacketView, time?: string): string {
  const [src, dst] = endpoints(v);
  const t = time ?? v.relTime.slice(0, v.relTime.length - 3); // µs, as tshark's default column
  return `${String(v.pkt.frame.number).padStart(6)} ${t.padStart(11)} ${src.padStart(15)} → ${dst.padEnd(15)} ${v.pkt.protocol.padEnd(5)} ${String(v.pkt.frame.origLen).padStart(5)} ${infoColumn(v)}`;
}

function tcpOptionText(o: TcpOption): string {
  switch (o.kind) {
    case 'EOL':
      return 'End of Option List (EOL)';
    case 'NOP':
      return 'No-Operation (NOP)';
    case 'MSS':
      return `Maximum segment size: ${o.mss} bytes`;
    case 'WSCALE':
      return `Window scale: ${o.shift} (multiply by ${2 ** o.shift})`;
    case 'SACK_PERM':
      return 'SACK permitted';
    case 'SACK':
      return `SACK: ${o.blocks.map(([l, r]) => `${l}-${r}`).join(' ')}`;
    case 'TIMESTAMPS':
      return `Timestamps: TSval ${o.tsVal}, TSecr ${o.tsEcr}`;
    case 'TFO':
      return `TCP Fast Open${o.cookie ? `: cookie ${o.cookie}` : ' cookie request'}`;
    case 'MPTCP':
      return `Multipath TCP: ${o.mptcp.subtype}`;
    case 'UNKNOWN':
      return `Unknown option kind ${o.code}: ${o.raw}`;
    case 'MALFORMED':
      return `Malformed option kind ${o.code}: ${o.reason} [${o.raw}]`;
  }
}

/** Every field of an MPTCP option, one per line, for -V. */
export function mptcpTree(m: MptcpOption, views: { expectedToken?: number | null; expectedIdsn?: bigint | null } = {}): string[] {
  // the subtype's name and its number, once (a malformed option says which subtype it claimed to be)
  const code = m.subtype === 'UNKNOWN' || m.subtype === 'MALFORMED' ? m.subtypeCode : m.byte2 >> 4;
  const name = m.subtype === 'MALFORMED' ? `MALFORMED ${SUBTYPE_NAMES[code] ?? 'unknown subtype'}` : m.subtype;
  const L: string[] = [`Multipath TCP subtype: ${name} (${code})`, `Length: ${m.length}`];
  switch (m.subtype) {
    case 'MP_CAPABLE':
      L.push(`Version: ${m.version}`);
      L.push(`Flags: ${hx(m.flags, 2)}`);
      L.push(`  ${m.checksumRequired ? 1 : 0}... .... = Checksum required (A)`);
      L.push(`  .${m.extensibility ? 1 : 0}.. .... = Extensibility (B)`);
      if (m.version >= 1) L.push(`  ..${m.noNewSubflowsToSource ? 1 : 0}. .... = Do not attempt to establish new subflows to this address (C)`);
      L.push(`  .... ...${m.hmacSha ? 1 : 0} = Use HMAC-${m.version === 0 ? 'SHA1' : 'SHA256'} (H)`);
      if (m.senderKey !== null) L.push(`Sender's Key: ${m.senderKey}`);
      if (m.receiverKey !== null) L.push(`Receiver's Key: ${m.receiverKey}`);
      if (m.dataLen !== null) L.push(`Data-level Length: ${m.dataLen}`);
      if (m.checksum !== null) L.push(`Checksum: ${hx(m.checksum, 4)}`);
      break;
    case 'MP_JOIN':
      L.push(`Phase: ${m.phase}`);
      if (m.phase !== 'ACK') L.push(`Backup flag: ${m.backup ? 1 : 0}`);
      if (m.addrId !== null) L.push(`Address ID: ${m.addrId}`);
      if (m.receiverToken !== null) L.push(`Receiver's Token: ${m.receiverToken} (${hx(m.receiverToken, 8)})`);
      if (m.senderTruncHmac !== null) L.push(`Sender's Truncated HMAC: ${m.senderTruncHmac} (${hx(m.senderTruncHmac, 16)})`);
      if (m.senderNonce !== null) L.push(`Sender's Random Number: ${m.senderNonce} (${hx(m.senderNonce, 8)})`);
      if (m.senderHmac !== null) L.push(`Sender's HMAC: ${m.senderHmac}`);
      break;
    case 'DSS':
      L.push(`Flags: ${hx(m.flags, 2)}`);
      L.push(`  ...${m.dataFin ? 1 : 0} .... = DATA_FIN (F)`);
      L.push(`  .... ${m.dataSeq64 ? 1 : 0}... = Data Sequence Number is 8 octets (m)`);
      L.push(`  .... .${m.dataSeq !== null ? 1 : 0}.. = Data Sequence Number, Subflow Sequence Number, Data-level Length, Checksum present (M)`);
      L.push(`  .... ..${m.dataAck64 ? 1 : 0}. = Data ACK is 8 octets (a)`);
      L.push(`  .... ...${m.dataAck !== null ? 1 : 0} = Data ACK is present (A)`);
      if (m.dataAck !== null) L.push(`Original MPTCP Data ACK: ${m.dataAck}`);
      if (m.dataSeq !== null) L.push(`Data Sequence Number: ${m.dataSeq}`);
      if (m.subflowSeq !== null) L.push(`Subflow Sequence Number: ${m.subflowSeq}`);
      if (m.dataLen !== null) L.push(`Data-level Length: ${m.dataLen}${m.dataLen === 0 ? ' (infinite mapping)' : ''}`);
      if (m.checksum !== null) L.push(`Checksum: ${hx(m.checksum, 4)}`);
      break;
    case 'ADD_ADDR':
      L.push(`Layout: ${m.format === 0 ? 'RFC 6824 (v0)' : 'RFC 8684 (v1)'}`);
      if (m.format === 1) L.push(`Echo: ${m.echo ? 1 : 0}`);
      L.push(`IP version: ${m.ipVersion}`);
      L.push(`Address ID: ${m.addrId}`);
      L.push(`Advertised ${m.ipVersion === 4 ? 'IPv4' : 'IPv6'} Address: ${m.address}`);
      if (m.port !== null) L.push(`Advertised port: ${m.port}`);
      if (m.truncHmac !== null) L.push(`Truncated HMAC: ${m.truncHmac} (${hx(m.truncHmac, 16)})`);
      break;
    case 'REMOVE_ADDR':
      L.push(`Address IDs: ${m.addrIds.join(', ')}`);
      break;
    case 'MP_PRIO':
      L.push(`Backup flag: ${m.backup ? 1 : 0}`);
      if (m.addrId !== null) L.push(`Address ID: ${m.addrId}`);
      break;
    case 'MP_FAIL':
      L.push(`Data Sequence Number: ${m.dataSeq}`);
      break;
    case 'MP_FASTCLOSE':
      L.push(`Receiver's Key: ${m.receiverKey}`);
      break;
    case 'MP_TCPRST':
      L.push(`Flags: ${hx(m.flags, 1)}${m.transient ? ' (T: transient)' : ''}`);
      L.push(`Reason: ${m.reason} (${TCPRST_REASONS[m.reason] ?? 'unknown'})`);
      break;
    case 'MP_EXPERIMENTAL':
    case 'UNKNOWN':
      L.push(`Raw: ${m.raw}`);
      break;
    case 'MALFORMED':
      L.push(`Malformed: ${m.reason}`, `Raw: ${m.raw}`);
      break;
  }
  if (m.problem !== null && m.subtype !== 'MALFORMED') L.push(`[Expert Info (Warning): ${m.problem}]`);
  if (views.expectedToken != null) L.push(`[Expected token: ${views.expectedToken}]`);
  if (views.expectedIdsn != null) L.push(`[Expected IDSN: ${views.expectedIdsn}]`);
  return L;
}

export function packetTree(v: PacketView): string {
  const p = v.pkt;
  const f = p.frame;
  const out: string[] = [];
  out.push(`Frame ${f.number}: ${f.origLen} bytes on wire, ${f.capLen} bytes captured, interface ${f.interfaceId}`);
  out.push(`    Epoch Time: ${frameTimeEpoch(f.tsSec, f.tsNsec)} seconds`);
  out.push(`    Time since first frame: ${v.relTime} seconds`);
  out.push(`    Link type: ${f.linkType}`);
  out.push(`${p.link}${p.vlanIds.length ? `, VLAN ${p.vlanIds.join(', ')}` : ''}`);
  for (const [i, ip] of p.ips.entries()) {
    if (ip.version === 4) {
      out.push(`Internet Protocol Version 4, Src: ${ip.src}, Dst: ${ip.dst}`);
      out.push(`    Header Length: ${ip.headerLen} bytes`, `    Payload Length: ${ip.payloadLen}`, `    Identification: ${hx(ip.id, 4)} (${ip.id})`, `    Time to Live: ${ip.ttl}`, `    Protocol: ${ip.protocol}`);
    } else {
      out.push(`Internet Protocol Version 6, Src: ${ip.src}, Dst: ${ip.dst}`);
      out.push(`    Payload Length: ${ip.payloadLen}`, `    Next Header: ${ip.protocol}`, `    Hop Limit: ${ip.ttl}`);
    }
    if (ip.fragment) out.push(`    Fragment: offset ${ip.fragmentOffset}${ip.moreFragments ? ', more fragments' : ''} (not reassembled)`);
    // the UDP/GTP-U tunnel sits between the outer and the inner IP header
    if (i === 0 && p.udp) out.push(`User Datagram Protocol, Src Port: ${p.udp.srcPort}, Dst Port: ${p.udp.dstPort}`);
    if (i === 0 && p.tunnel) out.push('GPRS Tunneling Protocol (GTP-U)');
  }
  const t = p.tcp;
  if (t) {
    out.push(`Transmission Control Protocol, Src Port: ${t.srcPort}, Dst Port: ${t.dstPort}, Seq: ${t.seq}, Ack: ${t.ack}, Len: ${t.payloadLen}`);
    if (v.tcpStream !== null) out.push(`    [Stream index: ${v.tcpStream}]`);
    out.push(`    Sequence Number (raw): ${t.seq}`, `    Acknowledgment number (raw): ${t.ack}`, `    Header Length: ${t.headerLen} bytes`);
    out.push(`    Flags: ${hx(t.flags, 3)} (${tcpFlagsText(t.flags)})`, `    Window: ${t.window}`, `    Checksum: ${hx(t.checksum, 4)} [unverified]`, `    Urgent Pointer: ${t.urgent}`);
    if (t.options.length) out.push(`    Options: (${t.headerLen - 20} bytes)`);
    for (const o of t.options) {
      out.push(`        TCP Option - ${tcpOptionText(o)}`);
      if (o.kind === 'MPTCP') {
        const extra = o.mptcp.subtype === 'MP_CAPABLE' && o.mptcp.senderKey !== null ? { expectedToken: v.expectedToken, expectedIdsn: v.expectedIdsn } : {};
        for (const line of mptcpTree(o.mptcp, extra)) out.push(`            ${line}`);
      }
    }
    const relDsn = v.dsnAnalysis?.relDsn ?? null;
    if (v.mptcpStream !== null || v.dsn !== null || v.dataAck !== null || relDsn !== null) {
      out.push('    Multipath TCP analysis');
      if (v.mptcpStream !== null) out.push(`        [Stream index: ${v.mptcpStream}]`);
      // tshark's (from the subflow's mappings), then mpcap's own (its reassembly's)
      if (relDsn !== null) out.push(`        [Data Sequence Number (relative): ${relDsn}]`);
      if (v.dsn !== null) out.push(`        [Payload DSN in mpcap's reassembly (mpcap.dsn): ${v.dsn}]`);
      if (v.dataAck !== null) out.push(`        [Data ACK (relative): ${v.dataAck}]`);
    }
    if (t.payloadLen > 0) out.push(`    TCP payload (${t.payloadLen} bytes${t.payload.length < t.payloadLen ? `, ${t.payload.length} captured` : ''})`);
  }
  for (const x of p.problems) out.push(`[${x.kind === 'truncated' ? 'Truncated' : 'Malformed'} ${x.layer} at byte ${x.offset}: ${x.message}]`);
  return out.join('\n') + '\n';
}
