/**
 * From the matcher's pairs to the CompareResult: subflow pairs grouped into connection pairs,
 * how each was matched (keys, tokens, ISNs, 4-tuples), which capture is nearer which end, and
 * the clock convention applied to every delay.
 */
import type { ConnectionIds, SubflowView } from './side-records.js';
import { round6 } from './data-delay.js';
import type { DirAcc, Matcher, MatcherOptions, SubPair } from './matcher.js';
import type { ClockInfo, CompareResult, ConnectionMatch, DataDirectionResult, DirectionResult, SideName, SubflowMatch } from './model.js';

const SIDE: readonly SideName[] = ['A', 'B'];

export function buildResult(m: Matcher, conns: [Array<ConnectionIds | null>, Array<ConnectionIds | null>], files: { A: string; B: string }, opts: MatcherOptions, relative: boolean, alignedOn: number | null = null): CompareResult {
  const origin = m.originSec();
  const offsetUs = Math.round(opts.offsetNs / 1000);
  const clock: ClockInfo = {
    mode: relative ? 'relative' : 'absolute',
    offsetUs,
    note: relative
      ? `delays relative to each path's minimum (clocks not assumed synchronised: each direction's smallest delay is 0)${alignedOn !== null ? `; the clocks aligned for matching on the SYN with ISN ${alignedOn >>> 0} (B ${offsetUs} µs from A)` : ''}`
      : offsetUs === 0
        ? 'absolute delays: the two capture clocks are taken as synchronised'
        : `absolute delays: B's clock taken as ${offsetUs} µs ahead of A's (--offset)`,
  };
  const groups = new Map<string, { a: number | null; b: number | null; pairs: SubPair[] }>();
  for (const p of m.pairs) {
    const a = p.sides[0]?.sub.connection ?? null;
    const b = p.sides[1]?.sub.connection ?? null;
    const key = `${a}:${b}`;
    let g = groups.get(key);
    if (g === undefined) groups.set(key, (g = { a, b, pairs: [] }));
    g.pairs.push(p);
  }
  const connections: ConnectionMatch[] = [];
  for (const g of groups.values()) {
    const ca = g.a === null ? undefined : (conns[0][g.a] ?? undefined);
    const cb = g.b === null ? undefined : (conns[1][g.b] ?? undefined);
    const matchedBy = connectionMatchedBy(g.a, g.b, ca, cb);
    const subflows = g.pairs.map((p) => subflowMatch(p, matchedBy, relative));
    const initial = g.pairs.find((p) => p.clientSide !== null && (p.sides[0] ?? p.sides[1])?.sub.clientIsConnectionClient !== null) ?? null;
    let clientSide: SideName | null = null;
    if (initial !== null && initial.clientSide !== null) {
      const st = (initial.sides[0] ?? initial.sides[1]) as NonNullable<SubPair['sides'][0]>;
      const same = st.sub.clientIsConnectionClient === true;
      clientSide = SIDE[same ? initial.clientSide : 1 - initial.clientSide] as SideName;
    }
    const data: DataDirectionResult[] = [];
    for (const dir of ['c2s', 's2c'] as const) {
      const d = m.data.get(`${g.a}:${g.b}:${dir}`);
      if (d === undefined) continue;
      const r = d.result(origin);
      if (relative && r.delay.minUs !== null) shiftData(r, r.delay.minUs);
      data.push(r);
    }
    const ref = ca ?? cb;
    connections.push({
      connectionA: g.a,
      connectionB: g.b,
      matchedBy,
      clientSide,
      clientKey: ref?.client.key != null ? ref.client.key.toString(16).padStart(16, '0') : null,
      serverKey: ref?.server.key != null ? ref.server.key.toString(16).padStart(16, '0') : null,
      subflows,
      data,
    });
  }
  connections.sort((x, y) => rank(x) - rank(y) || (x.connectionA ?? 1e9) - (y.connectionA ?? 1e9) || (x.connectionB ?? 1e9) - (y.connectionB ?? 1e9));
  for (const c of connections) {
    c.subflows.sort((x, y) => (x.tcpStreamA ?? 1e9) - (y.tcpStreamA ?? 1e9) || (x.tcpStreamB ?? 1e9) - (y.tcpStreamB ?? 1e9));
    for (const s of c.subflows) for (const d of s.directions) d.series.time = d.series.time.map((t) => round6(t - origin));
  }
  return {
    files,
    packets: { A: m.sides[0].packets, B: m.sides[1].packets },
    clock,
    bounds: { windowSec: opts.windowSec, maxPending: opts.maxPending, duplicateSec: opts.duplicateSec },
    connections,
    evicted: m.evicted,
    plainTcp: { A: m.sides[0].plainTcp, B: m.sides[1].plainTcp },
  };
}

function rank(c: ConnectionMatch): number {
  return c.connectionA !== null && c.connectionB !== null ? 0 : 1;
}

function connectionMatchedBy(a: number | null, b: number | null, ca: ConnectionIds | undefined, cb: ConnectionIds | undefined): ConnectionMatch['matchedBy'] {
  if (a === null || b === null) return 'unmatched';
  if (ca !== undefined && cb !== undefined) {
    if (ca.client.key !== null && ca.client.key === cb.client.key && ca.server.key !== null && ca.server.key === cb.server.key) return 'keys';
    if ((ca.server.token !== null && ca.server.token === cb.server.token) || (ca.client.token !== null && ca.client.token === cb.client.token)) return 'tokens';
  }
  return 'subflows';
}

function tuple(sub: SubflowView | undefined): { client: string; server: string } | null {
  if (sub === undefined) return null;
  return { client: endpoint(sub.client), server: endpoint(sub.server) };
}

function endpoint(e: { addr: string; port: number }): string {
  return e.addr.includes(':') ? `[${e.addr}]:${e.port}` : `${e.addr}:${e.port}`;
}

function subflowMatch(p: SubPair, conn: ConnectionMatch['matchedBy'], relative: boolean): SubflowMatch {
  const a = p.sides[0]?.sub;
  const b = p.sides[1]?.sub;
  let matchedBy: SubflowMatch['matchedBy'] = 'unmatched';
  if (a !== undefined && b !== undefined) {
    if (p.matchedBy === '4-tuple') matchedBy = '4-tuple';
    else if (a.join !== null && b.join !== null && a.join.token === b.join.token) matchedBy = 'token+isn';
    else if (a.kind === 'initial' && b.kind === 'initial' && conn === 'keys') matchedBy = 'key+isn';
    else matchedBy = 'isn';
  }
  const ta = tuple(a);
  const tb = tuple(b);
  const directions: DirectionResult[] = [];
  if (a !== undefined && b !== undefined) {
    const clientSide = p.clientSide ?? 0;
    for (const dir of [0, 1] as const) directions.push(direction(p.dirs[dir] as DirAcc, dir, (dir === 0 ? clientSide : 1 - clientSide) as 0 | 1, relative));
  }
  return {
    tcpStreamA: a?.tcpStream ?? null,
    tcpStreamB: b?.tcpStream ?? null,
    connectionA: a?.connection ?? null,
    connectionB: b?.connection ?? null,
    matchedBy,
    nat: ta !== null && tb !== null && (ta.client !== tb.client || ta.server !== tb.server),
    tupleA: ta,
    tupleB: tb,
    clientSide: p.clientSide === null ? null : (SIDE[p.clientSide] as SideName),
    clientSideBy: p.clientSideBy,
    directions,
  };
}

function direction(d: DirAcc, dir: 0 | 1, sender: 0 | 1, relative: boolean): DirectionResult {
  const shift = relative && d.delay.count > 0 ? d.delay.minUs : 0;
  return {
    direction: dir === 0 ? 'c2s' : 's2c',
    senderSide: SIDE[sender] as SideName,
    sent: d.sent,
    received: d.received,
    matched: d.matched,
    lost: d.lost,
    receivedOnly: d.receivedOnly,
    duplicatesSender: d.dups[sender],
    duplicatesReceiver: d.dups[1 - sender] as number,
    reordered: d.reordered,
    delay: d.delay.summary(shift),
    series: { time: [...d.delay.seriesTime], delayUs: d.delay.seriesUs.map((v) => v - shift) },
  };
}

function shiftData(r: DataDirectionResult, shift: number): void {
  r.delay = {
    count: r.delay.count,
    minUs: r.delay.minUs === null ? null : r.delay.minUs - shift,
    medianUs: r.delay.medianUs === null ? null : r.delay.medianUs - shift,
    p95Us: r.delay.p95Us === null ? null : r.delay.p95Us - shift,
    maxUs: r.delay.maxUs === null ? null : r.delay.maxUs - shift,
    meanUs: r.delay.meanUs === null ? null : r.delay.meanUs - shift,
  };
  r.series.delayUs = r.series.delayUs.map((v) => v - shift);
}
