/**
 * An independent matching of two captures of the same traffic, for the compare tests: tshark
 * prints every TCP packet of each file; subflows are paired by their SYN's raw ISN, packets by
 * (pair, seq, length, IPv4 ID, TSval, flags), and delays computed from tshark's epoch times with
 * integer arithmetic (nanoseconds as BigInt). Nothing here uses mpcap's code.
 */
import { spawnSync } from 'node:child_process';
import type { PacketRec } from '../../src/compare/matcher.ts';

interface Pkt {
  stream: number;
  flags: number;
  seq: string;
  len: number;
  ipId: number;
  tsVal: string;
  ns: bigint;
  src: string;
}

export function tsharkPackets(file: string): Pkt[] {
  const fields = ['tcp.stream', 'tcp.flags', 'tcp.seq_raw', 'tcp.len', 'ip.id', 'tcp.options.timestamp.tsval', 'frame.time_epoch', 'ip.src', 'ipv6.src', 'tcp.srcport'];
  const r = spawnSync('tshark', ['-r', file, '-Y', 'tcp', '-T', 'fields', '-o', 'tcp.analyze_sequence_numbers:FALSE', ...fields.flatMap((f) => ['-e', f])], { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`tshark failed on ${file}: ${r.stderr}`);
  return r.stdout
    .trimEnd()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const [stream, flags, seq, len, ipId, tsVal, epoch, src4, src6, port] = l.split('\t') as string[];
      const [sec, frac = ''] = (epoch as string).split('.');
      return {
        stream: Number(stream),
        flags: Number(flags),
        seq: seq as string,
        len: Number(len),
        ipId: ipId ? Number(ipId) : 0,
        tsVal: tsVal ?? '',
        ns: BigInt(sec as string) * 1_000_000_000n + BigInt(frac.padEnd(9, '0').slice(0, 9)),
        src: `${src4 || src6}:${port}`,
      };
    });
}

export interface IndependentResult {
  /** tcp.stream of A → tcp.stream of B, paired by the SYN's ISN. */
  pairs: Map<number, number>;
  /** `${streamA}|${dir}|${seq}|${len}|${ipId}` → delay µs (receiver time − sender time, rounded). */
  delays: Map<string, number>;
  /** `${streamA}|${dir}` → [sent at the sender, seen at both] */
  counts: Map<string, { sent: number; matched: number }>;
  /** Receiver-side arrival (ns) by the full packet key, and the sender's packets in order. */
  arrivals: Map<string, bigint>;
  senderPackets: Array<{ key: string; stream: number; dir: string }>;
}

/** `clientSide`: which file is nearer the clients (the sender of c2s). */
export function independentMatch(fileA: string, fileB: string, clientSide: 'A' | 'B'): IndependentResult {
  const a = tsharkPackets(fileA);
  const b = tsharkPackets(fileB);
  const synOf = (pk: Pkt[]): Map<number, Pkt> => {
    const m = new Map<number, Pkt>();
    for (const p of pk) if ((p.flags & 0x12) === 0x02 && !m.has(p.stream)) m.set(p.stream, p);
    return m;
  };
  const synA = synOf(a);
  const synB = synOf(b);
  const byIsnB = new Map<string, number>();
  for (const [s, p] of synB) byIsnB.set(p.seq, s);
  const pairs = new Map<number, number>();
  for (const [s, p] of synA) {
    const sb = byIsnB.get(p.seq);
    if (sb !== undefined) pairs.set(s, sb);
  }
  const bToA = new Map<number, number>();
  for (const [sa, sb] of pairs) bToA.set(sb, sa);
  // first copy of each packet per side (a second copy within 10 ms is the same packet captured twice)
  const index = (pk: Pkt[], syn: Map<number, Pkt>, toA: (s: number) => number | undefined): Map<string, bigint> => {
    const m = new Map<string, bigint>();
    for (const p of pk) {
      const sa = toA(p.stream);
      const s = syn.get(p.stream);
      if (sa === undefined || s === undefined) continue;
      const dir = p.src === s.src ? 'c2s' : 's2c';
      const key = `${sa}|${dir}|${p.seq}|${p.len}|${p.ipId}|${p.tsVal}|${p.flags}`;
      const prev = m.get(key);
      if (prev === undefined || p.ns - prev > 10_000_000n) m.set(key, p.ns); // a retransmission with equal fields: the latest is kept
    }
    return m;
  };
  const ia = index(a, synA, (s) => (pairs.has(s) ? s : undefined));
  const ib = index(b, synB, (s) => bToA.get(s));
  const arrivals = new Map<string, bigint>();
  const senderPackets: Array<{ key: string; stream: number; dir: string }> = [];
  const delays = new Map<string, number>();
  const counts = new Map<string, { sent: number; matched: number }>();
  const sender = (dir: string): Map<string, bigint> => ((dir === 'c2s') === (clientSide === 'A') ? ia : ib);
  for (const dir of ['c2s', 's2c']) {
    const snd = sender(dir);
    const rcv = snd === ia ? ib : ia;
    for (const [key, t] of snd) {
      if (!key.includes(`|${dir}|`)) continue;
      const [sa] = key.split('|');
      const ck = `${sa}|${dir}`;
      const c = counts.get(ck) ?? { sent: 0, matched: 0 };
      counts.set(ck, c);
      c.sent++;
      const tr = rcv.get(key);
      if (tr === undefined) continue;
      arrivals.set(key, tr);
      c.matched++;
      const parts = key.split('|');
      delays.set(parts.slice(0, 5).join('|'), roundUs(tr - t));
    }
  }
  // the sender's packets in capture order (A's c2s packets when A is the client side)
  const snd = clientSide === 'A' ? a : b;
  const sndSyn = clientSide === 'A' ? synA : synB;
  for (const p of snd) {
    const sa = clientSide === 'A' ? (pairs.has(p.stream) ? p.stream : undefined) : bToA.get(p.stream);
    const s0 = sndSyn.get(p.stream);
    if (sa === undefined || s0 === undefined || p.src !== s0.src) continue;
    senderPackets.push({ key: `${sa}|c2s|${p.seq}|${p.len}|${p.ipId}|${p.tsVal}|${p.flags}`, stream: p.stream, dir: 'c2s' });
  }
  return { pairs, delays, counts, arrivals, senderPackets };
}

function roundUs(ns: bigint): number {
  // Math.round semantics (half up) on integers
  const q = ns / 1000n;
  const r = ns % 1000n;
  if (r >= 500n) return Number(q + 1n);
  if (r < -500n) return Number(q - 1n);
  return Number(q);
}

/** Collects what the matcher decided, keyed like the independent matching. */
export function collectDelays(): { sink: (r: PacketRec, s: 0 | 1, k: string) => void; delays: Map<string, number>; lost: Map<string, number> } {
  const delays = new Map<string, number>();
  const lost = new Map<string, number>();
  return {
    delays,
    lost,
    sink: (r, _s, kind) => {
      const sa = r.pair?.sides[0]?.sub.tcpStream;
      const key = `${sa}|${r.dir === 0 ? 'c2s' : 's2c'}|${r.seq}|${r.len}|${r.ipId}`;
      if (kind === 'delivered') delays.set(key, Math.round((r.tNs - r.peerNs) / 1000));
      if (kind === 'lost') lost.set(key, 1);
    },
  };
}


/**
 * Reinjections of the client's data, from tshark's data sequence numbers (mptcp.dsn) at the sender
 * and the independent packet matching: a segment whose first byte was first sent on another
 * subflow is a reinjection; it was useful when the first copy never arrived or arrived later.
 */
export function independentReinjections(sender: string, ind: IndependentResult): Map<string, { verdict: string; first: string }> {
  const r = spawnSync('tshark', ['-r', sender, '-Y', 'tcp', '-o', 'mptcp.analyze_mappings:TRUE', '-o', 'mptcp.relative_sequence_numbers:TRUE', '-T', 'fields', '-e', 'mptcp.dsn', '-e', 'mptcp.stream'], { encoding: 'utf8', maxBuffer: 1 << 30 });
  const rows = r.stdout.trimEnd().split('\n');
  // rows are every TCP packet of the sender's file, in order (tshark needs its TCP sequence analysis for mptcp.dsn)
  const firstOf: Array<{ conn: number; start: number; end: number; stream: number; key: string; carried: Set<number> }> = [];
  const out = new Map<string, { verdict: string; first: string }>();
  const tsharkAll = rows.map((l) => l.split('\t'));
  // walk the sender's file again with the same filter order as tsharkPackets
  const pk = tsharkPackets(sender);
  let j = 0;
  for (let i = 0; i < pk.length; i++) {
    const p = pk[i]!;
    const sp = ind.senderPackets[j];
    if (sp === undefined) break;
    const [dsnText, connText] = tsharkAll[i] ?? [];
    const key = sp.key;
    // is this packet the next of the sender's client packets?
    if (!(p.stream === sp.stream && key.includes(`|${p.seq}|${p.len}|${p.ipId}|`))) continue;
    j++;
    if (!dsnText || p.len === 0) continue;
    const dsn = Number(dsnText);
    const end = dsn + p.len;
    const conn = Number(connText);
    const hit = firstOf.find((f) => f.conn === conn && f.start <= dsn && dsn < f.end);
    // the bytes nobody sent before are first sent here
    const cuts = firstOf.filter((f) => f.conn === conn && f.start < end && f.end > dsn).sort((x, y) => x.start - y.start);
    let cur = dsn;
    for (const f of cuts) {
      if (f.start > cur) firstOf.push({ conn, start: cur, end: f.start, stream: p.stream, key, carried: new Set([p.stream]) });
      cur = Math.max(cur, f.end);
    }
    if (cur < end) firstOf.push({ conn, start: cur, end, stream: p.stream, key, carried: new Set([p.stream]) });
    if (hit === undefined || hit.carried.has(p.stream)) continue;
    hit.carried.add(p.stream);
    const o = ind.arrivals.get(hit.key);
    const x = ind.arrivals.get(key);
    const first = o === undefined && x === undefined ? 'neither' : o !== undefined && (x === undefined || o <= x) ? 'original' : 'reinjection';
    out.set(`${p.stream}|${dsn}`, { first, verdict: first === 'neither' ? 'lost' : first === 'original' ? 'wasted' : 'useful' });
  }
  return out;
}
