/**
 * `dissect -z conv,tcp`, `-z conv,mptcp` and `-z endpoints,ip`: tshark 4.0's statistics tables,
 * printed as tshark prints them (ui/cli/tap-iousers.c, tap-endpoints.c) so that scripts that
 * parse them read mpcap's unchanged. They see every packet, printed or not.
 */
import type { PacketView } from './packet-view.js';

export type StatName = 'conv,tcp' | 'conv,mptcp' | 'endpoints,ip';
export const STAT_NAMES: readonly StatName[] = ['conv,tcp', 'conv,mptcp', 'endpoints,ip'];

const RULE = '='.repeat(80);

interface Conv {
  a: string;
  b: string;
  /** Frames and bytes from b to a (tshark's rx, "<-") and from a to b (tx, "->"). */
  rxFrames: number;
  rxBytes: number;
  txFrames: number;
  txBytes: number;
  startNs: number;
  stopNs: number;
  order: number;
}

interface Endpoint {
  addr: string;
  txFrames: number;
  txBytes: number;
  rxFrames: number;
  rxBytes: number;
  order: number;
}

/** wsutil's format_size(…, FORMAT_SIZE_UNIT_BYTES, 0): SI prefixes, at most 4 digits, truncated. */
export function formatSize(n: number): string {
  if (n < 10_000) return `${n} bytes`;
  const units = ['kB', 'MB', 'GB', 'TB', 'PB', 'EB'];
  let v = n;
  for (const u of units) {
    v = Math.floor(v / 1000);
    if (v < 10_000) return `${v} ${u}`;
  }
  return `${v} EB`;
}

/** tshark's sort: most frames first; equal counts keep the order the entries were made in. */
function byFrames<T extends { order: number }>(list: T[], frames: (x: T) => number): T[] {
  return [...list].sort((x, y) => frames(y) - frames(x) || x.order - y.order);
}

const secs = (ns: number, digits: number): string => (ns / 1e9).toFixed(digits);

export class TsharkStats {
  private readonly tcp = new Map<number, Conv>();
  private readonly mptcp = new Map<string, Conv>();
  private readonly ips = new Map<string, Endpoint>();

  constructor(private readonly wanted: readonly StatName[]) {}

  add(v: PacketView, timeNs: number): void {
    const len = v.frame.origLen;
    if (this.wanted.includes('endpoints,ip')) {
      for (const ip of v.pkt.ips) {
        if (ip.version !== 4) continue;
        const s = this.endpoint(ip.src);
        s.txFrames++;
        s.txBytes += len;
        const d = this.endpoint(ip.dst);
        d.rxFrames++;
        d.rxBytes += len;
      }
    }
    if (v.tcpStream === null || !v.seg.isTcp) return;
    const ip = v.pkt.ips[v.pkt.ips.length - 1];
    if (!ip) return;
    if (this.wanted.includes('conv,tcp')) {
      const src = `${ip.src}:${v.seg.srcPort}`;
      const dst = `${ip.dst}:${v.seg.dstPort}`;
      let c = this.tcp.get(v.tcpStream);
      if (!c) this.tcp.set(v.tcpStream, (c = newConv(src, dst, timeNs, this.tcp.size)));
      count(c, src === c.a, len, timeNs);
    }
    if (this.wanted.includes('conv,mptcp')) {
      // tshark counts a packet under its MPTCP direction once the sender's key is known, with the
      // addresses of the connection's first subflow (its meta flow), and only as sent ("->")
      const dir = v.mptcpDirection;
      if (dir === null) return;
      const key = `${dir.connection}|${dir.fromClient ? 'c' : 's'}`;
      let c = this.mptcp.get(key);
      if (!c) this.mptcp.set(key, (c = newConv(dir.src, dir.dst, timeNs, this.mptcp.size)));
      else if (c.a === '' && dir.src !== '') [c.a, c.b] = [dir.src, dir.dst];
      count(c, true, len, timeNs);
    }
  }

  private endpoint(addr: string): Endpoint {
    let e = this.ips.get(addr);
    if (!e) this.ips.set(addr, (e = { addr, txFrames: 0, txBytes: 0, rxFrames: 0, rxBytes: 0, order: this.ips.size }));
    return e;
  }

  /** The tables, in the order tshark prints them: the last -z first. */
  render(): string {
    let out = '';
    for (const name of [...this.wanted].reverse()) {
      if (name === 'endpoints,ip') out += this.renderEndpoints();
      else out += renderConv(name === 'conv,tcp' ? 'TCP' : 'MPTCP', [...(name === 'conv,tcp' ? this.tcp : this.mptcp).values()], name === 'conv,tcp');
    }
    return out;
  }

  private renderEndpoints(): string {
    let out = `${RULE}\nIPv4 Endpoints\nFilter:<No Filter>\n`;
    out += '                       |  Packets  | |  Bytes  | | Tx Packets | | Tx Bytes | | Rx Packets | | Rx Bytes |\n';
    for (const e of byFrames([...this.ips.values()], (x) => x.txFrames + x.rxFrames)) {
      out += `${e.addr.padEnd(20)}      ${String(e.txFrames + e.rxFrames).padStart(6)}     ${String(e.txBytes + e.rxBytes).padStart(9)}     ${String(e.txFrames).padStart(6)}       ${String(e.txBytes).padStart(9)}      ${String(e.rxFrames).padStart(6)}       ${String(e.rxBytes).padStart(9)}   \n`;
    }
    return out + `${RULE}\n`;
  }
}

function newConv(a: string, b: string, timeNs: number, order: number): Conv {
  return { a, b, rxFrames: 0, rxBytes: 0, txFrames: 0, txBytes: 0, startNs: timeNs, stopNs: timeNs, order };
}

function count(c: Conv, fromA: boolean, len: number, timeNs: number): void {
  if (fromA) {
    c.txFrames++;
    c.txBytes += len;
  } else {
    c.rxFrames++;
    c.rxBytes += len;
  }
  if (timeNs < c.startNs) c.startNs = timeNs;
  if (timeNs > c.stopNs) c.stopNs = timeNs;
}

function renderConv(type: string, list: Conv[], ports: boolean): string {
  const pad = ports ? '            ' : '';
  let out = `${RULE}\n${type} Conversations\nFilter:<No Filter>\n`;
  out += `${pad}                                               |       <-      | |       ->      | |     Total     |    Relative    |   Duration   |\n`;
  out += `${pad}                                               | Frames  Bytes | | Frames  Bytes | | Frames  Bytes |      Start     |              |\n`;
  const w = ports ? 26 : 20;
  for (const c of byFrames(list, (x) => x.rxFrames + x.txFrames)) {
    out += `${c.a.padEnd(w)} <-> ${c.b.padEnd(w)}  ${String(c.rxFrames).padStart(6)} ${formatSize(c.rxBytes).padEnd(9)}  ${String(c.txFrames).padStart(6)} ${formatSize(c.txBytes).padEnd(9)}  ${String(c.rxFrames + c.txFrames).padStart(6)} ${formatSize(c.rxBytes + c.txBytes).padEnd(9)}  `;
    // tshark subtracts the two times as doubles of seconds
    out += `${secs(c.startNs, 9).padStart(14)}   ${(c.stopNs / 1e9 - c.startNs / 1e9).toFixed(4).padStart(12)}\n`;
  }
  return out + `${RULE}\n`;
}
