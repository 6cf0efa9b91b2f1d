/**
 * `mpcap analyze` as tables for a person (cli-table3). Colour only when asked for by the caller.
 */
import Table from 'cli-table3';
import { plural } from './plural.js';
import type { ConnectionJson, Report, ReportParts, SubflowJson } from './report.js';

export interface Style {
  color: boolean;
  /** Subflow and address rows shown per connection before "… and N more" (Infinity for all). */
  maxRows: number;
  /** Columns the tables must fit in (the terminal's); Infinity with --wide: every column. */
  width: number;
}

const SGR = { bold: '1', dim: '2', red: '31', green: '32', yellow: '33', cyan: '36' } as const;

function paint(st: Style, code: keyof typeof SGR, s: string): string {
  return st.color ? `\x1b[${SGR[code]}m${s}\x1b[0m` : s;
}

function table(st: Style, head: string[], colWidths?: number[]): Table.Table {
  return new Table({
    head: head.map((h) => paint(st, 'bold', h)),
    style: { head: [], border: st.color ? ['grey'] : [], compact: true },
    chars: st.color ? {} : { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
    ...(colWidths ? { colWidths, wordWrap: true, wrapOnWordBoundary: true } : {}),
  });
}

/** A column of a table that fits the width: `keep` 0 is never dropped; higher numbers go first. */
interface Col {
  head: string;
  keep: number;
}

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;
const visible = (s: string): number => s.replace(ANSI, '').length;
const widest = (text: string): number => Math.max(0, ...text.split('\n').map(visible));

/**
 * The table with as many columns as fit `st.width`: the least needed (highest `keep`) are left
 * out first, and a line under the table says which (--wide shows them). If the columns that are
 * always kept are still too wide, their cells wrap.
 */
function fitTable(st: Style, cols: Col[], rows: string[][], indent = ''): string {
  let shown = cols.map((_, i) => i);
  const render = (idx: number[], widths?: number[]): string => {
    const t = table(st, idx.map((i) => (cols[i] as Col).head), widths);
    // wrapped cells: a word wider than its column (an IPv6 endpoint) is cut into lines, not cut off
    for (const r of rows) t.push(idx.map((i, k) => (widths ? breakLongWords(r[i] ?? '', (widths[k] as number) - 2) : (r[i] ?? ''))));
    return t.toString().split('\n').map((l) => indent + l).join('\n');
  };
  let text = render(shown);
  if (!Number.isFinite(st.width)) return text;
  const order = cols.map((c, i) => ({ i, keep: c.keep })).filter((x) => x.keep > 0).sort((a, b) => b.keep - a.keep || b.i - a.i);
  for (const drop of order) {
    if (widest(text) <= st.width) break;
    shown = shown.filter((i) => i !== drop.i);
    text = render(shown);
  }
  if (widest(text) > st.width) {
    // still too wide: share the width out, each column at least 6 wide, and wrap the cells
    const natural = shown.map((i) => Math.max(visible((cols[i] as Col).head), ...rows.map((r) => visible(r[i] ?? ''))) + 2);
    const room = st.width - indent.length - (shown.length + 1);
    const total = natural.reduce((a, b) => a + b, 0);
    const widths = natural.map((w) => Math.max(6, Math.floor((w * room) / total)));
    text = render(shown, widths);
  }
  const hidden = cols.length - shown.length;
  if (hidden > 0) {
    const names = cols.filter((_, i) => !shown.includes(i)).map((c) => c.head).join(', ');
    const note = `${indent}(${hidden === 1 ? '1 column' : `${hidden} columns`} left out to fit ${st.width} columns: ${names}; --wide shows all)`;
    text += '\n' + wrapText(note, st.width, indent + ' ');
  }
  return text;
}

/** `s` with every word wider than `width` cut into lines of `width` (words with colour codes stay whole). */
function breakLongWords(s: string, width: number): string {
  if (width < 1 || s.length <= width || s.includes('\x1b')) return s;
  return s
    .split(' ')
    .map((w) => (w.length <= width ? w : (w.match(new RegExp(`.{1,${width}}`, 'g')) as string[]).join('\n')))
    .join(' ');
}

/** Words onto lines of at most `width` (a word longer than the width gets a line of its own). */
export function wrapText(s: string, width: number, cont = ''): string {
  if (!Number.isFinite(width) || s.length <= width) return s;
  const out: string[] = [];
  let line = '';
  for (const w of s.split(' ')) {
    if (line !== '' && visible(line) + 1 + visible(w) > width) {
      out.push(line);
      line = cont + w;
    } else line = line === '' ? w : `${line} ${w}`;
  }
  if (line !== '') out.push(line);
  return out.join('\n');
}

/** 1234567 → "1,234,567". */
const num = (n: number): string => n.toLocaleString('en-US');
/** bits per second → Mbit/s with 2 decimals. */
const mbits = (bps: number | null): string => (bps === null ? '' : (bps / 1e6).toFixed(2));

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

/** A line of text that wraps at the width, continuing under its indent. */
function say(st: Style, text: string, indent = ''): string {
  return wrapText(indent + text, st.width, indent + '  ');
}

/** The connection header's checksum words, consistent with the data table's DSS checksums column. */
function checksumsText(c: ConnectionJson): string {
  const seen = (['c2s', 's2c'] as const).reduce((n, d) => n + c.data[d].checksumsVerified + c.data[d].checksumFailures + c.data[d].checksumsUnverifiable, 0);
  if (c.checksums) return 'on';
  return seen > 0 ? `not negotiated, but ${seen} DSS option${seen === 1 ? '' : 's'} carried one` : 'off';
}

export function renderConnection(c: ConnectionJson, st: Style): string {
  const out: string[] = [];
  const title = `MPTCP connection ${c.index}: v${c.version ?? '?'} ${ep(c.client)} → ${ep(c.server)}`;
  out.push(paint(st, 'cyan', paint(st, 'bold', say(st, title))));
  out.push(fitTable(st, [{ head: '', keep: 0 }, { head: 'client', keep: 0 }, { head: 'server', keep: 0 }], [
    ['key', c.client.key ?? '?', c.server.key ?? '?'],
    ['token', tokenText(c.client.token), tokenText(c.server.token)],
    ['IDSN', c.client.idsn ?? '?', c.server.idsn ?? '?'],
    ['MP_CAPABLE flags', c.client.capableFlags ?? '?', c.server.capableFlags ?? '?'],
  ]));
  out.push(say(st, `checksums: ${checksumsText(c)}   ${plural(c.subflowCount, 'subflow')}   ended: ${c.end.how}${c.end.time !== null ? ` @${secs(c.end.time)}` : ''} (${c.end.detail})${c.fallback ? '   ' + paint(st, 'yellow', 'FELL BACK TO TCP') : ''}`, '  '));
  const subCols: Col[] = [
    { head: 'tcp.stream', keep: 0 }, { head: 'kind', keep: 4 }, { head: 'client', keep: 0 }, { head: 'server', keep: 0 }, { head: 'ids', keep: 6 },
    { head: 'backup', keep: 7 }, { head: 'join HMAC', keep: 3 }, { head: 'established (s)', keep: 8 }, { head: 'packets', keep: 1 }, { head: 'payload (B)', keep: 1 },
    { head: 'share pkts/bytes', keep: 2 }, { head: 'retx (B)', keep: 5 }, { head: 'throughput (Mbit/s)', keep: 2 }, { head: 'RTT med/p95 (ms)', keep: 3 }, { head: 'end', keep: 9 },
  ];
  const subRows = c.subflows.slice(0, st.maxRows).map((s) => [
    String(s.tcpStream),
    s.kind,
    ep(s.client),
    ep(s.server),
    `${s.addrIdClient ?? '-'}/${s.addrIdServer ?? '-'}`,
    s.backup ? 'yes' : 'no',
    s.kind === 'join' ? joinVerdict(s, st) : '',
    secs(s.establishedTime),
    num(s.packets),
    num(s.payloadBytes),
    `${(s.packetShare * 100).toFixed(1)}% / ${(s.byteShare * 100).toFixed(1)}%`,
    num(s.retransmittedBytes),
    mbits(s.throughputBps),
    s.rtt.medianUs === null ? '' : `${(s.rtt.medianUs / 1000).toFixed(3)}/${((s.rtt.p95Us ?? 0) / 1000).toFixed(3)}`,
    subflowEnd(s),
  ]);
  out.push(fitTable(st, subCols, subRows));
  if (c.subflows.length > st.maxRows) out.push(say(st, `... and ${plural(c.subflows.length - st.maxRows, 'more subflow')} (--all shows every row; --json has them all)`, '  '));
  if (c.addresses.length > 0) {
    const addrCols: Col[] = [
      { head: 'id', keep: 0 }, { head: 'address', keep: 0 }, { head: 'port', keep: 3 }, { head: 'announced by', keep: 2 }, { head: 'at (s)', keep: 4 },
      { head: 'HMAC', keep: 1 }, { head: 'echoed', keep: 5 }, { head: 'removed (s)', keep: 4 }, { head: 'used', keep: 3 },
    ];
    const addrRows = c.addresses.slice(0, st.maxRows).map((a) => [String(a.addrId), a.address, a.port === null ? '' : String(a.port), a.announcedBy ?? '?', secs(a.time), verdict(st, a.hmacValid), a.echoed ? 'yes' : 'no', a.removedTime === null ? '' : secs(a.removedTime), a.used ? 'yes' : 'no']);
    out.push('  announced addresses:');
    out.push(fitTable(st, addrCols, addrRows));
    if (c.addresses.length > st.maxRows) out.push(say(st, `... and ${plural(c.addresses.length - st.maxRows, 'more address', 'more addresses')}`, '  '));
  }
  const dataCols: Col[] = [
    { head: 'direction', keep: 0 }, { head: 'in order (B)', keep: 0 }, { head: 'received (B)', keep: 1 }, { head: 'first hole at', keep: 2 }, { head: 'retransmitted (B)', keep: 5 },
    { head: 'reinjected (B)', keep: 3 }, { head: 'out of order (B)', keep: 6 }, { head: 'HoL mean/max (ms)', keep: 6 }, { head: 'holes', keep: 2 }, { head: 'not captured', keep: 4 },
    { head: 'DSS checksums', keep: 4 }, { head: 'DATA_FIN', keep: 7 },
  ];
  const dataRows = (['c2s', 's2c'] as const).map((dir) => {
    const d = c.data[dir];
    const holes = d.holes.length === 0 ? 'none' : paint(st, 'red', `${d.holes.length} (${num(d.holes.reduce((n, h) => n + h.bytes, 0))} B)`);
    const seen = d.checksumsVerified + d.checksumFailures + d.checksumsUnverifiable;
    const csum = c.checksums || seen > 0 ? `${d.checksumsVerified} ok${d.checksumFailures ? ', ' + paint(st, 'red', `${d.checksumFailures} BAD`) : ''}${d.checksumsUnverifiable ? `, ${d.checksumsUnverifiable} unverifiable` : ''}${c.checksums ? '' : ' (not negotiated)'}` : 'off';
    const first = d.holes[0];
    return [
      dir === 'c2s' ? 'client → server' : 'server → client',
      num(d.deliveredBytes),
      num(d.receivedBytes),
      // where the in-order bytes stop (relative DSN of the first missing byte)
      first === undefined ? '' : `DSN ${num(first.start)}`,
      num(d.retransmittedBytes),
      num(d.reinjectedBytes),
      num(d.outOfOrderBytes),
      `${(d.headOfLine.meanDelaySec * 1000).toFixed(2)}/${(d.headOfLine.maxDelaySec * 1000).toFixed(2)}`,
      holes,
      // bytes the DATA_ACK proves the receiver had (capture gaps), and any skipped at a buffering cap
      notCaptured(st, d),
      csum,
      d.dataFin === null ? 'no' : 'yes',
    ];
  });
  const payload = c.subflows.reduce((n, s) => n + s.payloadBytes, 0);
  if (c.fallback && c.data.c2s.receivedBytes === 0 && c.data.s2c.receivedBytes === 0 && payload > 0) {
    // a table of zeros read as if the data were lost: it went as plain TCP
    out.push(say(st, `data level: none — the connection fell back to plain TCP before any data was mapped; its ${num(payload)} bytes of payload went as plain TCP (the subflow table above)`, '  '));
  } else {
    out.push('  data level (in order: bytes delivered in DSN order up to the first hole; received: all bytes that arrived):');
    out[out.length - 1] = say(st, out[out.length - 1]!.trimStart(), '  ');
    out.push(fitTable(st, dataCols, dataRows));
  }
  if (c.closing.anomalies.length > 0) {
    out.push(paint(st, 'yellow', '  closing (RFC 8684 §3.3.3):'));
    for (const a of c.closing.anomalies) out.push(say(st, a, '    '));
  }
  if (c.problems.length > 0) {
    out.push(paint(st, 'yellow', '  problems:'));
    for (const p of c.problems) out.push(say(st, `frame ${p.frame}: ${p.message}`, '    '));
    for (const p of c.problemsNotShown) out.push(say(st, `... ${p.count} ${p.kind} problems in all`, '    '));
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
  yield say(st, paint(st, 'bold', c.files.length > 1 ? `${c.file} and ${c.files.length - 1} more files, merged by time` : c.file) +
    `: ${c.format}${c.compressed ? ' (gzip)' : ''}, ${plural(c.packets, 'packet')}, ${c.durationSec.toFixed(3)} s${c.start ? ` from ${c.start.iso}` : ''}`) + '\n';
  yield say(st, `${plural(h.summary.connections, 'MPTCP connection')}, ${plural(h.summary.subflows, 'subflow')}, ${plural(h.summary.tcpStreams, 'TCP stream')} in all`) + '\n';
  if (h.selection !== null) yield say(st, `only the connections kept by ${selectionText(h.selection)}`) + '\n';
  const a = h.summary.attempts;
  if (!a.listed) {
    const top = a.topSources.slice(0, 3).map((s) => `${s.address} (${s.attempts})`).join(', ');
    yield paint(st, 'yellow', say(st, `${plural(a.connections + a.unansweredCapable, 'connection attempt')} nobody answered (${plural(a.connections, 'MPTCP connection')}, ${plural(a.unansweredCapable, 'MP_CAPABLE SYN')}) from ${plural(a.sources, 'source address', 'source addresses')}, ${secs(a.firstTime)}–${secs(a.lastTime)} s; busiest: ${top} (--attempts lists them)`)) + '\n';
  }
  if (h.summary.releasedConnections > 0) yield say(st, `${plural(h.summary.releasedConnections, 'closed connection')} released during the capture (not shown)`) + '\n';
  const sm = h.summary;
  if (sm.spilledOpen > 0) yield paint(st, 'yellow', say(st, `${plural(sm.spilledConnections, 'connection')} written out before the end to hold at most --max-held subflows, ${num(sm.spilledOpen)} of them still open: ${plural(sm.packetsNotAnalysed, 'later packet')} of theirs counted, not analysed`)) + '\n';
  if (sm.joinsNotTracked > 0) yield paint(st, 'yellow', say(st, `${plural(sm.joinsNotTracked, 'join')} counted but not tracked as subflows: their connection already had as many as --max-held allows (a join flood)`)) + '\n';
  let only: Set<number> | undefined;
  if (st.maxRows !== Infinity && h.summary.connections > MAX_CONNECTIONS_SHOWN) {
    only = new Set(parts.sizes().sort((x, y) => y.bytes - x.bytes || x.index - y.index).slice(0, MAX_CONNECTIONS_SHOWN).map((x) => x.index));
    yield paint(st, 'yellow', say(st, `showing the ${MAX_CONNECTIONS_SHOWN} largest of ${num(h.summary.connections)} connections by bytes (--all shows every one; --json has them all)`)) + '\n';
  }
  const head: Col[] = [
    { head: 'mptcp.stream', keep: 0 }, { head: 'version', keep: 3 }, { head: 'client → server', keep: 0 }, { head: 'client token', keep: 4 },
    { head: 'server token', keep: 4 }, { head: 'subflows', keep: 1 }, { head: 'checksums', keep: 5 }, { head: 'ended', keep: 2 },
  ];
  let rows: string[][] = [];
  for (const k of parts.connections(only, false, false /* no series: the tables show none */)) {
    rows.push([String(k.index), `v${k.version ?? '?'}`, `${ep(k.client)} → ${ep(k.server)}`, tokenText(k.client.token), tokenText(k.server.token), String(k.subflowCount), k.checksums ? 'on' : 'off', k.end.how]);
    if (rows.length === ROWS_PER_TABLE) {
      yield fitTable(st, head, rows) + '\n';
      rows = [];
    }
  }
  if (rows.length > 0) yield fitTable(st, head, rows) + '\n';
  for (const k of parts.connections(only, false, false /* no series: the tables show none */)) {
    yield '\n' + renderConnection(k, st) + '\n';
    yield CONNECTION_DONE;
  }
  const endpoints = parts.endpoints;
  if (endpoints.length > 0) {
    const cols: Col[] = [{ head: 'address', keep: 0 }, { head: 'packets', keep: 0 }, { head: 'share', keep: 1 }, { head: 'bytes (B)', keep: 1 }, { head: 'tx packets', keep: 2 }, { head: 'rx packets', keep: 2 }];
    const rowsE = endpoints.slice(0, Math.min(st.maxRows, ROWS_PER_TABLE)).map((x) => [x.address, num(x.packets), `${(x.share * 100).toFixed(2)}%`, num(x.bytes), num(x.txPackets), num(x.rxPackets)]);
    yield '\n' + paint(st, 'bold', 'Endpoints (IP addresses):') + '\n' + fitTable(st, cols, rowsE) + '\n';
    const shown = Math.min(st.maxRows, ROWS_PER_TABLE, endpoints.length);
    if (endpoints.length > shown) yield say(st, `... and ${plural(endpoints.length - shown, 'more address', 'more addresses')} (--json has them all)`, '  ') + '\n';
    if (!h.summary.endpointsExact) yield say(st, `(more addresses than the table holds: the busiest are listed, and their counts may be low)`, '  ') + '\n';
  }
  if (parts.unansweredCapable.length > 0) {
    yield ('\n' + paint(st, 'yellow', 'MP_CAPABLE offers that no MPTCP connection came of:') + '\n');
    const list = parts.unansweredCapable;
    const shown = Math.min(list.length, st.maxRows);
    for (const u of list.slice(0, shown)) yield say(st, `tcp.stream ${u.tcpStream} ${ep(u.client)} → ${ep(u.server)} v${u.version}: ${u.fallback ? 'answered without MP_CAPABLE (fallback to TCP)' : 'not answered with MPTCP in this capture'}`, '  ') + '\n';
    if (list.length > shown) yield say(st, `... and ${num(list.length - shown)} more`, '  ') + '\n';
  }
  for (const p of c.problems) yield paint(st, 'red', say(st, `capture ${p.fatal ? 'damaged' : 'warning'}: ${p.message}`)) + '\n';
}


/** The data table's "not captured" cell: capture gaps, then cap skips (never silent). */
function notCaptured(st: Style, d: { notCapturedBytes: number; captureGapCount: number; skippedBytes: number; skippedGapCount: number }): string {
  const parts: string[] = [];
  if (d.notCapturedBytes > 0) parts.push(`${num(d.notCapturedBytes)} B (${d.captureGapCount} gap${d.captureGapCount === 1 ? '' : 's'})`);
  if (d.skippedBytes > 0) parts.push(paint(st, 'yellow', `${num(d.skippedBytes)} B skipped at the buffer cap`));
  return parts.length === 0 ? 'none' : parts.join(', ');
}
