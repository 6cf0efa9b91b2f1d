/**
 * `mpcap analyze` as tables for a person (cli-table3). Colour only when asked for by the caller.
 */
import Table from 'cli-table3';
import type { ConnectionJson, Report, ReportParts, SubflowJson } from './report.js';

export interface Style {
  color: boolean;
  /** Subflow and address rows shown per connection before "… and N more" (Infinity for all). */
  maxRows: number;
}

const SGR = { bold: '1', dim: '2', red: '31', green: '32', yellow: '33', cyan: '36' } as const;

function paint(st: Style, code: keyof typeof SGR, s: string): string {
  return st.color ? `\x1b[${SGR[code]}m${s}\x1b[0m` : s;
}

function table(st: Style, head: string[]): Table.Table {
  return new Table({
    head: head.map((h) => paint(st, 'bold', h)),
    style: { head: [], border: st.color ? ['grey'] : [], compact: true },
    chars: st.color ? {} : { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  });
}

function verdict(st: Style, v: boolean | null): string {
  if (v === true) return paint(st, 'green', 'valid');
  if (v === false) return paint(st, 'red', 'INVALID');
  return paint(st, 'dim', 'unknown');
}

const ep = (e: { address?: string; port?: number } | { address: string; port: number }): string =>
  e.address === undefined ? '?' : e.address.includes(':') ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`;

const secs = (t: number | null): string => (t === null ? '' : t.toFixed(6));

function subflowEnd(s: SubflowJson): string {
  const e = s.end;
  if (e.how === 'open') return s.establishedTime === null && s.join !== null ? 'never established' : 'open';
  const by = e.by ? ` by ${e.by}` : '';
  const reason = e.how === 'MP_TCPRST' && e.reasonText ? ` (${e.reasonText}${e.transient ? ', transient' : ''})` : '';
  return `${e.how}${by}${reason} @${secs(e.time)}`;
}

/** The join column: refused, never answered, or what the HMACs say. */
function joinVerdict(s: SubflowJson, st: Style): string {
  if (s.join?.refused) return paint(st, 'red', 'refused');
  if (s.join && s.join.nonceServer === null && s.join.synAckHmac === null && s.establishedTime === null) return paint(st, 'yellow', 'no answer');
  return verdict(st, s.hmacValid);
}

function tokenText(t: number | null): string {
  return t === null ? '?' : `0x${t.toString(16).padStart(8, '0')}`;
}

export function renderConnection(c: ConnectionJson, st: Style): string {
  const out: string[] = [];
  const title = `MPTCP connection ${c.index}: v${c.version ?? '?'} ${ep(c.client)} → ${ep(c.server)}`;
  out.push(paint(st, 'cyan', paint(st, 'bold', title)));
  const info = table(st, ['', 'client', 'server']);
  info.push(['key', c.client.key ?? '?', c.server.key ?? '?']);
  info.push(['token', tokenText(c.client.token), tokenText(c.server.token)]);
  info.push(['IDSN', c.client.idsn ?? '?', c.server.idsn ?? '?']);
  info.push(['MP_CAPABLE flags', c.client.capableFlags ?? '?', c.server.capableFlags ?? '?']);
  out.push(info.toString());
  out.push(`  checksums: ${c.checksums ? 'on' : 'off'}   subflows: ${c.subflowCount}   ended: ${c.end.how}${c.end.time !== null ? ` @${secs(c.end.time)}` : ''} (${c.end.detail})${c.fallback ? '   ' + paint(st, 'yellow', 'FELL BACK TO TCP') : ''}`);
  const subs = table(st, ['tcp.stream', 'kind', 'client', 'server', 'ids', 'backup', 'join HMAC', 'established', 'packets', 'bytes', 'share pkts/bytes', 'retx B', 'RTT med/p95 ms', 'end']);
  for (const s of c.subflows.slice(0, st.maxRows)) {
    subs.push([
      String(s.tcpStream),
      s.kind,
      ep(s.client),
      ep(s.server),
      `${s.addrIdClient ?? '-'}/${s.addrIdServer ?? '-'}`,
      s.backup ? 'yes' : 'no',
      s.kind === 'join' ? joinVerdict(s, st) : '',
      secs(s.establishedTime),
      String(s.packets),
      String(s.payloadBytes),
      `${(s.packetShare * 100).toFixed(1)}% / ${(s.byteShare * 100).toFixed(1)}%`,
      String(s.retransmittedBytes),
      s.rtt.medianUs === null ? '' : `${(s.rtt.medianUs / 1000).toFixed(3)}/${((s.rtt.p95Us ?? 0) / 1000).toFixed(3)}`,
      subflowEnd(s),
    ]);
  }
  out.push(subs.toString());
  if (c.subflows.length > st.maxRows) out.push(`  ... and ${c.subflows.length - st.maxRows} more subflows (--all shows every row; --json has them all)`);
  if (c.addresses.length > 0) {
    const addrs = table(st, ['id', 'address', 'port', 'announced by', 'at', 'HMAC', 'echoed', 'removed', 'used']);
    for (const a of c.addresses.slice(0, st.maxRows)) {
      addrs.push([String(a.addrId), a.address, a.port === null ? '' : String(a.port), a.announcedBy ?? '?', secs(a.time), verdict(st, a.hmacValid), a.echoed ? 'yes' : 'no', a.removedTime === null ? '' : secs(a.removedTime), a.used ? 'yes' : 'no']);
    }
    out.push('  announced addresses:');
    out.push(addrs.toString());
    if (c.addresses.length > st.maxRows) out.push(`  ... and ${c.addresses.length - st.maxRows} more addresses`);
  }
  const data = table(st, ['direction', 'delivered', 'retransmitted', 'reinjected', 'out of order', 'HoL mean/max ms', 'holes', 'not captured', 'DSS checksums', 'DATA_FIN']);
  for (const dir of ['c2s', 's2c'] as const) {
    const d = c.data[dir];
    const holes = d.holes.length === 0 ? 'none' : paint(st, 'red', `${d.holes.length} (${d.holes.reduce((n, h) => n + h.bytes, 0)} B)`);
    const csum = c.checksums || d.checksumsVerified + d.checksumFailures + d.checksumsUnverifiable > 0 ? `${d.checksumsVerified} ok${d.checksumFailures ? ', ' + paint(st, 'red', `${d.checksumFailures} BAD`) : ''}${d.checksumsUnverifiable ? `, ${d.checksumsUnverifiable} unverifiable` : ''}` : 'off';
    data.push([
      dir === 'c2s' ? 'client → server' : 'server → client',
      String(d.deliveredBytes),
      String(d.retransmittedBytes),
      String(d.reinjectedBytes),
      String(d.outOfOrderBytes),
      `${(d.headOfLine.meanDelaySec * 1000).toFixed(2)}/${(d.headOfLine.maxDelaySec * 1000).toFixed(2)}`,
      holes,
      // bytes the DATA_ACK proves the receiver had (capture gaps), and any skipped at a buffering cap
      notCaptured(st, d),
      csum,
      d.dataFin === null ? 'no' : 'yes',
    ]);
  }
  out.push('  data level:');
  out.push(data.toString());
  if (c.closing.anomalies.length > 0) {
    out.push(paint(st, 'yellow', '  closing (RFC 8684 §3.3.3):'));
    for (const a of c.closing.anomalies) out.push(`    ${a}`);
  }
  if (c.problems.length > 0) {
    out.push(paint(st, 'yellow', '  problems:'));
    for (const p of c.problems) out.push(`    frame ${p.frame}: ${p.message}`);
    for (const p of c.problemsNotShown) out.push(`    ... ${p.count} ${p.kind} problems in all`);
  }
  return out.join('\n');
}

/** Connections in the overview (and detailed below it) unless --all: the largest by bytes. */
export const MAX_CONNECTIONS_SHOWN = 50;
/** Rows per table: cli-table3 renders a table as one string, so a long list is cut into tables of this many rows. */
const ROWS_PER_TABLE = 1000;

/** A report already built (live's summary) as parts, for renderReportParts. */
export function partsOf(r: Report): ReportParts {
  const { connections, endpoints, unansweredCapable, ...head } = r;
  return {
    head,
    connections: (only) => (only === undefined ? connections : connections.filter((c) => only.has(c.index))),
    sizes: () => connections.map((c) => ({ index: c.index, bytes: c.subflows.reduce((n, s) => n + s.payloadBytes, 0) })),
    endpoints,
    unansweredCapable,
  };
}

export function renderReport(r: Report, st: Style): string {
  const out: string[] = [];
  for (const piece of renderPieces(partsOf(r), st)) if (piece !== CONNECTION_DONE) out.push(piece);
  return out.join('');
}

/** Connections rendered between two waits for a slow reader. */
const DRAIN_EVERY = 64;
/** Yielded after each connection's detail: a point where the writer may wait. */
const CONNECTION_DONE = '\u0000done';

/**
 * The tables, written piece by piece; `drain` is awaited every few connections, so that
 * `analyze --all` of 50,000 connections into a pager holds a few pages of text, not all of it.
 * With more than MAX_CONNECTIONS_SHOWN connections and no --all, the largest by bytes are shown
 * (in mptcp.stream order) and the rest counted: 200,000 connections are a screenful, not a crash.
 */
export async function renderReportParts(parts: ReportParts, st: Style, write: (s: string) => void, drain: () => Promise<void>): Promise<void> {
  let n = 0;
  for (const piece of renderPieces(parts, st)) {
    if (piece !== CONNECTION_DONE) write(piece);
    else if (++n % DRAIN_EVERY === 0) await drain();
  }
}

/** `-Y 'FILTER', --connection 0, --subflow 3` */
function selectionText(sel: NonNullable<ReportParts['head']['selection']>): string {
  return [...(sel.filter === null ? [] : [`-Y '${sel.filter}'`]), ...sel.connections.map((n) => `--connection ${n}`), ...sel.subflows.map((n) => `--subflow ${n}`)].join(', ');
}

function* renderPieces(parts: ReportParts, st: Style): Generator<string, void, undefined> {
  const h = parts.head;
  const c = h.capture;
  yield paint(st, 'bold', c.files.length > 1 ? `${c.file} and ${c.files.length - 1} more files, merged by time` : c.file) +
    `: ${c.format}${c.compressed ? ' (gzip)' : ''}, ${plural(c.packets, 'packet')}, ${c.durationSec.toFixed(3)} s${c.start ? ` from ${c.start.iso}` : ''}\n`;
  yield (`${plural(h.summary.connections, 'MPTCP connection')}, ${plural(h.summary.subflows, 'subflow')}, ${plural(h.summary.tcpStreams, 'TCP stream')} in all\n`);
  if (h.selection !== null) yield `only the connections kept by ${selectionText(h.selection)}\n`;
  const a = h.summary.attempts;
  if (!a.listed) {
    const top = a.topSources.slice(0, 3).map((s) => `${s.address} (${s.attempts})`).join(', ');
    yield (paint(st, 'yellow', `${plural(a.connections + a.unansweredCapable, 'connection attempt')} nobody answered (${a.connections} MPTCP connections, ${a.unansweredCapable} MP_CAPABLE SYNs) from ${plural(a.sources, 'source address', 'source addresses')}, ${secs(a.firstTime)}–${secs(a.lastTime)} s; busiest: ${top} (--attempts lists them)`) + '\n');
  }
  if (h.summary.releasedConnections > 0) yield (`${plural(h.summary.releasedConnections, 'closed connection')} released during the capture (not shown)\n`);
  let only: Set<number> | undefined;
  if (st.maxRows !== Infinity && h.summary.connections > MAX_CONNECTIONS_SHOWN) {
    only = new Set(parts.sizes().sort((x, y) => y.bytes - x.bytes || x.index - y.index).slice(0, MAX_CONNECTIONS_SHOWN).map((x) => x.index));
    yield (paint(st, 'yellow', `showing the ${MAX_CONNECTIONS_SHOWN} largest of ${h.summary.connections} connections by bytes (--all shows every one; --json has them all)`) + '\n');
  }
  const head = ['mptcp.stream', 'version', 'client → server', 'client token', 'server token', 'subflows', 'checksums', 'ended'];
  let t: Table.Table | null = null;
  let rows = 0;
  for (const k of parts.connections(only)) {
    if (t === null) t = table(st, head);
    t.push([String(k.index), `v${k.version ?? '?'}`, `${ep(k.client)} → ${ep(k.server)}`, tokenText(k.client.token), tokenText(k.server.token), String(k.subflowCount), k.checksums ? 'on' : 'off', k.end.how]);
    if (++rows % ROWS_PER_TABLE === 0) {
      yield (t.toString() + '\n');
      t = null;
    }
  }
  if (t !== null) yield (t.toString() + '\n');
  for (const k of parts.connections(only)) {
    yield '\n' + renderConnection(k, st) + '\n';
    yield CONNECTION_DONE;
  }
  const endpoints = parts.endpoints;
  if (endpoints.length > 0) {
    const e = table(st, ['address', 'packets', 'share', 'bytes', 'tx packets', 'rx packets']);
    for (const x of endpoints.slice(0, Math.min(st.maxRows, ROWS_PER_TABLE))) e.push([x.address, String(x.packets), `${(x.share * 100).toFixed(2)}%`, String(x.bytes), String(x.txPackets), String(x.rxPackets)]);
    yield ('\n' + paint(st, 'bold', 'Endpoints (IP addresses):') + '\n' + e.toString() + '\n');
    const shown = Math.min(st.maxRows, ROWS_PER_TABLE, endpoints.length);
    if (endpoints.length > shown) yield (`  ... and ${endpoints.length - shown} more addresses (--json has them all)\n`);
    if (!h.summary.endpointsExact) yield (`  (more addresses than the table holds: the busiest are listed, and their counts may be low)\n`);
  }
  if (parts.unansweredCapable.length > 0) {
    yield ('\n' + paint(st, 'yellow', 'MP_CAPABLE offers that no MPTCP connection came of:') + '\n');
    const list = parts.unansweredCapable;
    const shown = Math.min(list.length, st.maxRows);
    for (const u of list.slice(0, shown)) yield (`  tcp.stream ${u.tcpStream} ${ep(u.client)} → ${ep(u.server)} v${u.version}: ${u.fallback ? 'answered without MP_CAPABLE (fallback to TCP)' : 'not answered with MPTCP in this capture'}\n`);
    if (list.length > shown) yield (`  ... and ${list.length - shown} more\n`);
  }
  for (const p of c.problems) yield (paint(st, 'red', `capture ${p.fatal ? 'damaged' : 'warning'}: ${p.message}`) + '\n');
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}

/** The data table's "not captured" cell: capture gaps, then cap skips (never silent). */
function notCaptured(st: Style, d: { notCapturedBytes: number; captureGapCount: number; skippedBytes: number; skippedGapCount: number }): string {
  const parts: string[] = [];
  if (d.notCapturedBytes > 0) parts.push(`${d.notCapturedBytes} B (${d.captureGapCount} gap${d.captureGapCount === 1 ? '' : 's'})`);
  if (d.skippedBytes > 0) parts.push(paint(st, 'yellow', `${d.skippedBytes} B skipped at the buffer cap`));
  return parts.length === 0 ? 'none' : parts.join(', ');
}
