/**
 * `mpcap live` for a person: one line per event, and on a terminal a table of the open
 * connections and their subflows, redrawn every interval.
 */
import Table from 'cli-table3';
import type { EndpointJson, LiveEvent } from './events.js';
import type { StatsEvent } from './stats.js';

const SGR = { bold: '1', dim: '2', red: '31', green: '32', yellow: '33', cyan: '36' } as const;

export function paint(color: boolean, code: keyof typeof SGR, s: string): string {
  return color ? `\x1b[${SGR[code]}m${s}\x1b[0m` : s;
}

const ep = (e: EndpointJson | null): string => (e === null ? '?' : e.address.includes(':') ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`);
const token = (t: number | null): string => (t === null ? '?' : `0x${t.toString(16).padStart(8, '0')}`);
const hmac = (v: boolean | null): string => (v === true ? 'HMAC valid' : v === false ? 'HMAC INVALID' : 'HMAC not verifiable');

export function formatBytes(n: number): string {
  if (n < 10_000) return `${n} B`;
  if (n < 10_000_000) return `${(n / 1000).toFixed(1)} kB`;
  return `${(n / 1e6).toFixed(1)} MB`;
}

function formatRate(bytesPerSec: number): string {
  const bits = bytesPerSec * 8;
  if (bits < 1e4) return `${Math.round(bits)} bit/s`;
  if (bits < 1e7) return `${(bits / 1e3).toFixed(1)} kbit/s`;
  return `${(bits / 1e6).toFixed(1)} Mbit/s`;
}

/** One line for an event, without a newline. */
export function eventLine(e: LiveEvent, color: boolean): string {
  const t = e.time.toFixed(6).padStart(12);
  const c = `connection ${e.connection}`;
  switch (e.event) {
    case 'connection-opened':
      return `${t} ${paint(color, 'cyan', `${c} opened`)}: MPTCP v${e.version ?? '?'} ${ep(e.client)} → ${ep(e.server)}, tokens ${token(e.clientToken)}/${token(e.serverToken)}, tcp.stream ${e.tcpStream}${e.kind === 'initial' ? '' : ` (seen from ${e.kind === 'join' ? 'a join' : 'the middle of the connection'})`}`;
    case 'subflow-joined':
      return `${t} ${c}: ${paint(color, 'green', `subflow ${e.tcpStream} joined`)}: ${ep(e.client)} → ${ep(e.server)}, address ids ${e.addrIdClient ?? '-'}/${e.addrIdServer ?? '-'}${e.backup ? ', backup' : ''}, ${hmac(e.hmacValid)}`;
    case 'address-added':
      return `${t} ${c}: the ${e.announcedBy ?? '?'} announces address ${e.addrId} = ${e.address}${e.port === null ? '' : ` port ${e.port}`} (${hmac(e.hmacValid)})`;
    case 'address-removed':
      return `${t} ${c}: the ${e.announcedBy ?? '?'} removes address ${e.addrId} (${e.address})`;
    case 'subflow-closed':
      return `${t} ${c}: ${paint(color, e.how === 'FIN' ? 'dim' : 'yellow', `subflow ${e.tcpStream} closed`)} by ${e.how}${e.by ? ` from the ${e.by}` : ''}${e.reasonText ? ` (${e.reasonText})` : ''}${e.joined ? '' : ', never joined'}: ${e.packets} packets, ${formatBytes(e.payloadBytes)}`;
    case 'connection-closed':
      return `${t} ${paint(color, 'cyan', `${c} closed`)} (${e.how}): ${e.subflows} subflow${e.subflows === 1 ? '' : 's'}, ${e.packets} packets, ${formatBytes(e.payloadBytes)}`;
  }
}

/** "0 dropped", or "1234 dropped by the kernel (+56 in the last interval), 3 by the interface". */
function dropsText(s: StatsEvent): string {
  const k = s.kernelDropped ?? 0;
  const i = s.interfaceDropped ?? 0;
  if (k === 0 && i === 0) return '0 dropped';
  const recent = (n: number | null): string => (n ? ` (+${n} in the last ${s.intervalSec.toFixed(1)} s)` : '');
  const parts = [];
  if (k > 0) parts.push(`${k} dropped by the kernel${recent(s.intervalKernelDropped)}`);
  if (i > 0) parts.push(`${i} by the interface${recent(s.intervalInterfaceDropped)}`);
  return parts.join(', ');
}

/** The periodic line when not on a terminal. */
export function statsLine(s: StatsEvent): string {
  const drops = s.kernelDropped === null ? '' : `, ${dropsText(s)}`;
  return `${s.elapsedSec.toFixed(1).padStart(12)} s: ${s.packets} packets (${Math.round(s.intervalPackets / s.intervalSec)}/s), ${s.connectionsOpen} MPTCP connection${s.connectionsOpen === 1 ? '' : 's'} open, ${s.connectionsSeen} seen${drops}`;
}

export interface ScreenOptions {
  color: boolean;
  source: string;
  rows: number;
  recent: string[];
}

/** The whole screen: a header, the connections table, the latest events. */
export function renderScreen(s: StatsEvent, o: ScreenOptions): string {
  const out: string[] = [];
  const lost = (s.kernelDropped ?? 0) + (s.interfaceDropped ?? 0) > 0;
  const drops = s.kernelDropped === null ? 'drops: not reported' : paint(o.color && lost, 'red', dropsText(s));
  out.push(paint(o.color, 'bold', `mpcap live: ${o.source}`) + `   ${s.elapsedSec.toFixed(0)} s   ${s.packets} packets (${Math.round(s.intervalPackets / s.intervalSec)}/s, ${formatRate(s.intervalBytes / s.intervalSec)})   ${s.connectionsOpen} open / ${s.connectionsSeen} MPTCP connections   ${drops}   (Ctrl-C ends)`);
  const t = new Table({
    head: ['conn', 'tcp.stream', 'kind', 'client → server', 'ids / addresses', 'state', 'packets', 'bytes', 'share', 'rate'].map((h) => paint(o.color, 'bold', h)),
    style: { head: [], border: [], compact: true },
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  });
  for (const c of s.connections) {
    t.push([
      paint(o.color, 'cyan', String(c.connection)),
      '',
      `v${c.version ?? '?'}`,
      `${ep(c.client)} → ${ep(c.server)}`,
      `${c.addressesAnnounced} announced${c.addressesRemoved ? `, ${c.addressesRemoved} removed` : ''}`,
      c.state === 'open' ? 'open' : paint(o.color, 'dim', 'closed'),
      String(c.packets),
      formatBytes(c.payloadBytes),
      '',
      formatRate(c.bytesPerSec),
    ]);
    for (const f of c.subflows) {
      const state = f.state === 'open' ? paint(o.color, 'green', 'open') : f.state === 'handshake' ? 'handshake' : paint(o.color, f.state === 'FIN' ? 'dim' : 'yellow', f.state);
      t.push(['', String(f.tcpStream), f.kind + (f.backup ? ' (backup)' : ''), `${ep(f.client)} → ${ep(f.server)}`, `${f.addrIdClient ?? '-'}/${f.addrIdServer ?? '-'}`, state, String(f.packets), formatBytes(f.payloadBytes), `${(f.share * 100).toFixed(1)}%`, formatRate(f.bytesPerSec)]);
    }
  }
  const none = s.connectionsSeen === 0 ? '  (no MPTCP connection seen yet)' : '  (no MPTCP connection open)';
  const tableLines = s.connections.length > 0 ? t.toString().split('\n') : [none];
  const room = Math.max(4, o.rows - 3 - Math.min(o.recent.length, 8));
  if (tableLines.length > room) {
    const hidden = tableLines.length - room + 1;
    out.push(...tableLines.slice(0, room - 1), `  ... ${hidden} more lines (a bigger terminal shows them; --json has everything)`);
  } else {
    out.push(...tableLines);
  }
  if (o.recent.length > 0) {
    out.push(paint(o.color, 'bold', 'latest events:'));
    out.push(...o.recent.slice(-8));
  }
  return out.join('\n');
}
