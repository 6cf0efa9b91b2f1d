/**
 * The report of `mpcap analyze`: a plain, JSON-ready model built once from the tracker's state at
 * the end of the capture. Its shape is written down in schema/report.schema.json; every change
 * here changes the schema too.
 *
 * Conventions: times are seconds relative to the first packet (absolute start given once, in
 * `capture.start`); 64-bit values (keys, IDSNs, truncated HMACs) are decimal strings, because
 * JSON numbers lose precision past 2^53; tokens are numbers (32 bits).
 */
import type { InputSummary } from '../dissect/capture/merge.js';
import type { ReadCaptureSummary } from '../dissect/capture/source.js';
import { formatEpoch, isoOrNull } from '../dissect/capture/timestamp.js';
import { DataStream, HOL_BUCKETS } from '../reassembly/data-stream.js';
import type { AddressEntry, Connection, Subflow } from '../reassembly/model.js';
import type { MptcpTracker } from '../reassembly/tracker.js';
import { closing, type Closing } from './closing.js';
import type { Samples } from './series.js';
import type { StatsReducer, SubflowStats } from './subflow-stats.js';
import { round6 } from './round.js';
import { LazyList, PointList } from './lazy-list.js';
import { RawJson, type ConnectionSpool, type SpooledEntry } from './spool.js';
import { emptyBlame, type HolBlameJson, type HolBlameReducer } from './hol-blame.js';

export const REPORT_SCHEMA_VERSION = 1;

export interface EndpointJson {
  address: string;
  port: number;
}

export interface SideJson extends Partial<EndpointJson> {
  address?: string;
  port?: number;
  key: string | null;
  token: number | null;
  idsn: string | null;
  capableFlags: string | null;
}

export interface SubflowJson {
  tcpStream: number;
  kind: Subflow['kind'];
  client: EndpointJson;
  server: EndpointJson;
  /** true when this subflow's client is the connection's client. */
  clientIsConnectionClient: boolean | null;
  addrIdClient: number | null;
  addrIdServer: number | null;
  backup: boolean;
  backupChanges: Array<{ time: number; frame: number; backup: boolean; via: string; by: string }>;
  hmacValid: boolean | null;
  join: null | {
    token: number;
    tokenKnown: boolean;
    nonceClient: number | null;
    nonceServer: number | null;
    synAckHmac: string | null;
    synAckHmacValid: boolean | null;
    ackHmac: string | null;
    ackHmacValid: boolean | null;
    refused: boolean;
  };
  fallback: boolean;
  firstFrame: number;
  startTime: number;
  establishedTime: number | null;
  lastTime: number;
  end: Subflow['end'];
  packets: number;
  payloadBytes: number;
  packetsByDirection: { c2s: number; s2c: number };
  payloadBytesByDirection: { c2s: number; s2c: number };
  /** Share of the connection's packets and payload bytes carried by this subflow (0..1). */
  packetShare: number;
  byteShare: number;
  /** TCP-level retransmitted payload bytes (sequence space sent again), both directions. */
  retransmittedBytes: number;
  retransmittedBytesByDirection: { c2s: number; s2c: number };
  /** Payload bytes × 8 / (lastTime − startTime). */
  throughputBps: number | null;
  rtt: RttJson;
  /** Seconds from the connection's first packet to this subflow's established handshake. */
  joinLatencySec: number | null;
  /** Data-level bytes the connection had delivered when this subflow was established. */
  bytesBeforeEstablished: number | null;
  series: { cumulativeBytes: Array<[number, number]>; rttUs: Array<[number, number]> };
}

export interface RttStatsJson {
  samples: number;
  minUs: number | null;
  meanUs: number | null;
  medianUs: number | null;
  p95Us: number | null;
  maxUs: number | null;
  /** false when more samples were taken than kept (quantiles from a uniform reservoir). */
  exact: boolean;
}

export interface RttJson extends RttStatsJson {
  timestamps: RttStatsJson;
}

/** An announced address, as the tracker keeps it. */
export type AddressJson = AddressEntry;

export interface DataDirectionJson {
  /** Relative DSNs are offsets from the IDSN (keys known) or from the first DSN seen. */
  relativeTo: 'idsn' | 'first-dsn' | null;
  deliveredBytes: number;
  /** Every byte that arrived: the in-order bytes and those held beyond the first hole. */
  receivedBytes: number;
  retransmittedBytes: number;
  reinjectedBytes: number;
  duplicateUnattributedBytes: number;
  reinjections: Array<{ fromSubflow: number; toSubflow: number; bytes: number; count: number; maxDelaySec: number }>;
  holes: Array<{ start: number; end: number; bytes: number }>;
  outOfOrderSegments: number;
  outOfOrderBytes: number;
  headOfLine: { meanDelaySec: number; maxDelaySec: number; histogram: Array<{ upToSec: number | null; bytes: number }> };
  dataAck: number | null;
  dataFin: number | null;
  mappings: number;
  mappingConflicts: Array<{ frame: number; message: string }>;
  checksumsVerified: number;
  checksumFailures: number;
  checksumFailureList: Array<{ frame: number; subflow: number; dsn: number; dataLen: number }>;
  checksumsUnverifiable: number;
  unmappedBytes: number;
  infiniteMapping: { frame: number; subflow: number } | null;
  mpFail: Array<{ frame: number; dsn: string }>;
  firstTime: number | null;
  lastTime: number | null;
  goodputBps: number | null;
  // Data-level reassembly (issue #9): capture gaps, cap skips, unknown start, DATA_FIN conflicts.
  startUnknown: boolean;
  bytesBeforeStart: number;
  notCapturedBytes: number;
  captureGapCount: number;
  captureGaps: Array<{ start: number; end: number; bytes: number; time: number; frame: number | null }>;
  skippedBytes: number;
  skippedGapCount: number;
  skippedGaps: Array<{ start: number; end: number; bytes: number; time: number }>;
  lateBytes: number;
  releasedByCaptureGapBytes: number;
  peakBufferedBytes: number;
  peakBufferedSegments: number;
  dataFinConflicts: Array<{ frame: number; dsn: number }>;
}

export interface ConnectionJson {
  index: number;
  version: number | null;
  client: SideJson;
  server: SideJson;
  checksums: boolean;
  fallback: boolean;
  startTime: number;
  lastTime: number;
  firstFrame: number;
  subflowCount: number;
  subflows: SubflowJson[];
  addresses: AddressJson[];
  end: { how: 'DATA_FIN' | 'MP_FASTCLOSE' | 'MP_TCPRST' | 'RST' | 'FIN' | 'open'; time: number | null; detail: string };
  dataFin: { client: { frame: number; time: number } | null; server: { frame: number; time: number } | null };
  problems: Array<{ frame: number; kind: string; message: string }>;
  problemsNotShown: Array<{ kind: string; count: number }>;
  data: { c2s: DataDirectionJson; s2c: DataDirectionJson };
  closing: Closing;
  series: { cumulativeBytes: { c2s: Array<[number, number]>; s2c: Array<[number, number]> } };
  /** Stalls of each direction's in-order point and the subflows they are blamed on (hol-blame.ts). */
  headOfLineBlame: { c2s: HolBlameJson; s2c: HolBlameJson };
}

export interface Report {
  schemaVersion: number;
  generator: string;
  capture: {
    /** The capture file (of several: the first; all are in `files`). */
    file: string;
    /** Every input file, in the order given; several are read as one capture, merged by time. */
    files: Array<{ file: string; format: string; compressed: boolean; packets: number; bytes: number }>;
    format: string;
    compressed: boolean;
    packets: number;
    bytes: number;
    start: { epoch: string; iso: string } | null;
    durationSec: number;
    problems: Array<{ kind: string; offset: number; frame: number | null; message: string; fatal: boolean }>;
  };
  summary: {
    /** Connections listed in `connections` (unanswered attempts are left out when there are many: see `attempts`). */
    connections: number;
    subflows: number;
    tcpStreams: number;
    unansweredCapable: number;
    attempts: AttemptsJson;
    /** false when there were more addresses than the endpoints table holds: the heaviest are listed. */
    endpointsExact: boolean;
    /** Connections freed before the end (live: closed or idle ones beyond what it keeps); not in `connections`. */
    releasedConnections: number;
    /**
     * Connections written out before the end because more subflows were held than `analyze
     * --max-held` allows (spool.ts); they are in `connections`. `spilledOpen` of them were still open.
     */
    spilledConnections: number;
    spilledOpen: number;
    /** Join SYNs not tracked: their connection had ConnectionState.maxSubflows already (analyze: --max-held; a join flood). */
    joinsNotTracked: number;
    /** Packets of released or untracked subflows, counted but not analysed. */
    packetsNotAnalysed: number;
  };
  /** What kept only some connections (-Y, --connection, --subflow), or null: every connection is listed. */
  selection: SelectionJson | null;
  connections: ConnectionJson[];
  /** Per IP address, as Wireshark's Statistics › Endpoints / IPv4 All Addresses. */
  endpoints: Array<{ address: string; packets: number; share: number; bytes: number; txPackets: number; rxPackets: number; txBytes: number; rxBytes: number }>;
  /** MP_CAPABLE SYNs that no MPTCP connection came of (v1 offer refused, unanswered, or fallback). */
  unansweredCapable: Array<{ tcpStream: number; version: number; fallback: boolean; client: EndpointJson; server: EndpointJson; startTime: number }>;
}

/** Connection attempts nobody answered: MPTCP connections with no packet from the server, and MP_CAPABLE SYNs no connection came of. */
export interface AttemptsJson {
  connections: number;
  unansweredCapable: number;
  /** Listed one by one in `connections` and `unansweredCapable` (few of them, or --attempts). */
  listed: boolean;
  firstTime: number | null;
  lastTime: number | null;
  /** Distinct source addresses, and the busiest. */
  sources: number;
  topSources: Array<{ address: string; attempts: number }>;
}

export interface CaptureMeta {
  file: string;
  /** With `inputs` when several files were read as one (src/dissect/capture/merge.ts). */
  summary: ReadCaptureSummary & { inputs?: InputSummary[] };
  start: { tsSec: number; tsNsec: number } | null;
  lastTime: number;
  generator: string;
}


function sideJson(conn: Connection, which: 'client' | 'server'): SideJson {
  const s = conn[which];
  const ep = which === 'client' ? conn.clientEndpoint : conn.serverEndpoint;
  const out: SideJson = {
    key: s.key === null ? null : s.key.toString(),
    token: s.token,
    idsn: s.idsn === null ? null : s.idsn.toString(),
    capableFlags: s.capableFlags === null ? null : `0x${s.capableFlags.toString(16).padStart(2, '0')}`,
  };
  if (ep) {
    out.address = ep.addr;
    out.port = ep.port;
  }
  return out;
}

const round1 = (x: number | null): number | null => (x === null ? null : Math.round(x * 10) / 10);

function rttStats(x: Samples | undefined): RttStatsJson {
  if (!x || x.count === 0) return { samples: 0, minUs: null, meanUs: null, medianUs: null, p95Us: null, maxUs: null, exact: true };
  const [median, p95] = x.quantiles([0.5, 0.95]);
  return {
    samples: x.count,
    minUs: round1(x.min),
    meanUs: round1(x.sum / x.count),
    medianUs: round1(median ?? null),
    p95Us: round1(p95 ?? null),
    maxUs: round1(x.max),
    exact: x.exact,
  };
}

function subflowJson(s: Subflow, st: SubflowStats | undefined, conn: Connection, totals: { packets: number; bytes: number }, lazy = false, withSeries = true): SubflowJson {
  const j = s.join;
  const packets = s.packets.client + s.packets.server;
  const bytes = s.payloadBytes.client + s.payloadBytes.server;
  const span = s.lastTime - s.startTime;
  const retx = { client: st?.dir[0].retransmittedBytes ?? 0, server: st?.dir[1].retransmittedBytes ?? 0 };
  return {
    tcpStream: s.tcpStream,
    kind: s.kind,
    client: { address: s.client.addr, port: s.client.port },
    server: { address: s.server.addr, port: s.server.port },
    clientIsConnectionClient: s.clientIsConnectionClient,
    addrIdClient: s.addrIdClient,
    addrIdServer: s.addrIdServer,
    backup: s.backup,
    backupChanges: s.backupHistory.map((b) => ({ time: round6(b.time), frame: b.frame, backup: b.backup, via: b.via, by: b.by })),
    hmacValid: s.hmacValid,
    join: j && {
      token: j.token,
      tokenKnown: j.tokenKnown,
      nonceClient: j.nonceClient,
      nonceServer: j.nonceServer,
      synAckHmac: j.synAckHmac === null ? null : j.synAckHmac.toString(),
      synAckHmacValid: j.synAckHmacValid,
      ackHmac: j.ackHmac,
      ackHmacValid: j.ackHmacValid,
      refused: j.refused,
    },
    fallback: s.fallback,
    firstFrame: s.firstFrame,
    startTime: round6(s.startTime),
    establishedTime: s.establishedTime === null ? null : round6(s.establishedTime),
    lastTime: round6(s.lastTime),
    end: { ...s.end, time: s.end.time === null ? null : round6(s.end.time) },
    packets: s.packets.client + s.packets.server,
    payloadBytes: s.payloadBytes.client + s.payloadBytes.server,
    packetsByDirection: directional(s, s.packets),
    payloadBytesByDirection: directional(s, s.payloadBytes),
    packetShare: totals.packets > 0 ? round6(packets / totals.packets) : 0,
    byteShare: totals.bytes > 0 ? round6(bytes / totals.bytes) : 0,
    retransmittedBytes: retx.client + retx.server,
    retransmittedBytesByDirection: directional(s, retx),
    throughputBps: span > 0 ? Math.round((bytes * 8) / span) : null,
    rtt: { ...rttStats(st?.rtt), timestamps: rttStats(st?.rttTs) },
    joinLatencySec: s.establishedTime === null ? null : round6(s.establishedTime - conn.startTime),
    bytesBeforeEstablished: s.bytesBeforeEstablished,
    series: {
      cumulativeBytes: withSeries ? seriesJson(st?.cumulative, asIs, lazy) : [],
      rttUs: withSeries ? seriesJson(st?.rttSeries, tenth, lazy) : [],
    },
  };
}

/** Per connection direction (c2s = from the connection's client), whatever side opened the subflow. */
function directional(s: Subflow, v: { client: number; server: number }): { c2s: number; s2c: number } {
  return s.clientIsConnectionClient === false ? { c2s: v.server, s2c: v.client } : { c2s: v.client, s2c: v.server };
}

function connectionEnd(conn: Connection, subs: Subflow[]): ConnectionJson['end'] {
  if (conn.fastClose) return { how: 'MP_FASTCLOSE', time: round6(conn.fastClose.time), detail: `MP_FASTCLOSE from the ${conn.fastClose.by ?? 'unknown side'} in frame ${conn.fastClose.frame}` };
  const { client, server } = conn.dataFin;
  if (client && server) {
    const t = Math.max(client.time, server.time);
    return { how: 'DATA_FIN', time: round6(t), detail: `DATA_FIN from both sides (frames ${client.frame} and ${server.frame})` };
  }
  const ended = subs.filter((s) => s.end.how !== 'open');
  if (subs.length > 0 && ended.length === subs.length) {
    const last = ended.reduce((a, b) => ((a.end.time ?? 0) >= (b.end.time ?? 0) ? a : b));
    const tcprst = ended.find((s) => s.end.how === 'MP_TCPRST');
    const how = tcprst ? 'MP_TCPRST' : ended.every((s) => s.end.how === 'FIN') ? 'FIN' : 'RST';
    const halfFin = client || server ? ` (DATA_FIN from the ${client ? 'client' : 'server'} only)` : ' (no DATA_FIN)';
    return { how, time: last.end.time === null ? null : round6(last.end.time), detail: `every subflow ended by ${how}${halfFin}` };
  }
  const open = subs.length - ended.length;
  return { how: 'open', time: null, detail: `${open} of ${subs.length} subflow${subs.length === 1 ? '' : 's'} still open at the end of the capture` };
}

export function dataJson(d: DataStream): DataDirectionJson {
  const holeBytes = d.holes();
  const ooo = d.holBytes.reduce((a, b) => a + b, 0) - (d.holBytes[0] ?? 0);
  const span = d.firstTime !== null && d.lastTime !== null ? d.lastTime - d.firstTime : 0;
  return {
    relativeTo: d.base === null ? null : d.baseFromKey ? 'idsn' : 'first-dsn',
    deliveredBytes: d.deliveredBytes,
    receivedBytes: d.deliveredBytes + d.bufferedBytes,
    retransmittedBytes: d.retransmittedBytes,
    reinjectedBytes: d.reinjectedBytes,
    duplicateUnattributedBytes: d.duplicateUnattributedBytes,
    reinjections: [...d.reinjections.values()].map((r) => ({ ...r, maxDelaySec: round6(r.maxDelaySec) })),
    holes: holeBytes.map((h) => ({ start: h.start, end: h.end, bytes: h.end - h.start })),
    outOfOrderSegments: d.outOfOrderSegments,
    outOfOrderBytes: d.outOfOrderBytes,
    headOfLine: {
      meanDelaySec: ooo > 0 ? round6(d.holDelaySumSec / (ooo + (d.holBytes[0] ?? 0))) : 0,
      maxDelaySec: round6(d.holDelayMaxSec),
      histogram: HOL_BUCKETS.map((b, i) => ({ upToSec: Number.isFinite(b) ? b : null, bytes: d.holBytes[i] ?? 0 })),
    },
    dataAck: d.dataAckRel,
    dataFin: d.dataFinRel,
    mappings: d.mappings,
    mappingConflicts: d.mappingConflicts.slice(),
    checksumsVerified: d.checksumsVerified,
    checksumFailures: d.checksumFailures,
    checksumFailureList: d.checksumFailureList.slice(),
    checksumsUnverifiable: d.checksumsUnverifiable,
    unmappedBytes: d.unmappedBytes,
    infiniteMapping: d.infiniteMapping,
    mpFail: d.mpFail.slice(),
    firstTime: d.firstTime === null ? null : round6(d.firstTime),
    lastTime: d.lastTime === null ? null : round6(d.lastTime),
    goodputBps: span > 0 ? Math.round((d.deliveredBytes * 8) / span) : null,
    // Data-level reassembly (issue #9).
    startUnknown: d.startUnknown,
    bytesBeforeStart: d.bytesBeforeStart,
    notCapturedBytes: d.notCapturedBytes,
    captureGapCount: d.captureGapCount,
    captureGaps: d.captureGaps.filter((g) => g.bytes > 0).map((g) => ({ start: g.start, end: g.end, bytes: g.bytes, time: round6(g.time), frame: g.frame })),
    skippedBytes: d.skippedBytes,
    skippedGapCount: d.skippedGapCount,
    skippedGaps: d.skippedGaps.filter((g) => g.bytes > 0).map((g) => ({ start: g.start, end: g.end, bytes: g.bytes, time: round6(g.time) })),
    lateBytes: d.lateBytes,
    releasedByCaptureGapBytes: d.releasedByCaptureGapBytes,
    peakBufferedBytes: d.peakBufferedBytes,
    peakBufferedSegments: d.peakBufferedSegments,
    dataFinConflicts: d.dataFinConflicts.slice(),
  };
}

/** Joins that were never answered, by the hundred: a SYN flood aimed at the token. */
const FLOOD_MIN_JOINS = 32;

/** DSS checksum failures are the connection's problems too (RFC 8684 §3.3.1: a middlebox changed the payload). */
function checksumProblems(conn: Connection): Array<{ frame: number; kind: string; message: string }> {
  const out: Array<{ frame: number; kind: string; message: string }> = [];
  for (const dir of ['c2s', 's2c'] as const) {
    const d = conn.data.peek(dir);
    if (d === null || d.checksumFailures === 0) continue;
    const first = d.checksumFailureList[0];
    const where = first ? ` (first: frame ${first.frame}, subflow ${first.subflow}, DSN ${first.dsn}, ${first.dataLen} bytes)` : '';
    out.push({
      frame: first?.frame ?? conn.firstFrame,
      kind: 'dss-checksum-failed',
      message: `${d.checksumFailures} DSS checksum${d.checksumFailures === 1 ? '' : 's'} of the ${dir === 'c2s' ? 'client' : 'server'}'s data failed${where}: the payload or the mapping was changed on the path`,
    });
  }
  return out;
}

function derivedProblems(subs: Subflow[]): Array<{ frame: number; kind: string; message: string }> {
  const joins = subs.filter((s) => s.kind === 'join');
  const unanswered = joins.filter((s) => s.join !== null && s.join.nonceServer === null && s.establishedTime === null);
  if (unanswered.length < FLOOD_MIN_JOINS || unanswered.length < 0.9 * joins.length) return [];
  const sources = new Set(unanswered.map((s) => s.client.addr)).size;
  const first = unanswered[0] as Subflow;
  return [
    {
      frame: first.firstFrame,
      kind: 'join-flood',
      message: `join flood: ${unanswered.length} subflows opened by MP_JOIN SYNs from ${sources} source address${sources === 1 ? '' : 'es'} to token ${first.join?.token}, none answered`,
    },
  ];
}

/** Subflows past this many are made one by one as they are written (lazy), not all at once. */
const LAZY_SUBFLOWS = 256;

/**
 * `lazy`: see ReportParts.connections. `withSeries` false (the tables, which show no time series):
 * every series is left empty instead of made (up to 10,000 [t, v] pairs each on a long capture).
 */
export function connectionJson(tracker: MptcpTracker, conn: Connection, stats: StatsReducer | null, blame: HolBlameReducer | null, endTime: number, shown: ReadonlySet<number> | null = null, lazy = false, withSeries = true): ConnectionJson {
  const subs = conn.subflows.map((i) => tracker.subflows[i]).filter((s): s is Subflow => s !== undefined);
  const totals = subs.reduce((a, s) => ({ packets: a.packets + s.packets.client + s.packets.server, bytes: a.bytes + s.payloadBytes.client + s.payloadBytes.server }), { packets: 0, bytes: 0 });
  return {
    index: conn.index,
    version: conn.version,
    client: sideJson(conn, 'client'),
    server: sideJson(conn, 'server'),
    checksums: conn.checksums,
    fallback: conn.fallback,
    startTime: round6(conn.startTime),
    lastTime: round6(conn.lastTime),
    firstFrame: conn.firstFrame,
    subflowCount: subs.length,
    subflows: subflowList(shown === null ? subs : subs.filter((s) => shown.has(s.tcpStream)), (s) => subflowJson(s, stats?.subflows[s.tcpStream], conn, totals, lazy, withSeries), lazy),
    addresses: conn.addresses.map((a) => ({
      addrId: a.addrId,
      address: a.address,
      port: a.port,
      announcedBy: a.announcedBy,
      frame: a.frame,
      time: round6(a.time),
      hmacValid: a.hmacValid,
      echoed: a.echoed,
      removedFrame: a.removedFrame,
      removedTime: a.removedTime === null ? null : round6(a.removedTime),
      used: a.used,
    })),
    end: connectionEnd(conn, subs),
    dataFin: {
      client: conn.dataFin.client && { frame: conn.dataFin.client.frame, time: round6(conn.dataFin.client.time) },
      server: conn.dataFin.server && { frame: conn.dataFin.server.frame, time: round6(conn.dataFin.server.time) },
    },
    problems: [...conn.problems.map((p) => ({ ...p })), ...derivedProblems(subs), ...checksumProblems(conn)],
    problemsNotShown: tracker.problemOverflow(conn),
    data: { c2s: dataJsonOf(conn.data.peek('c2s')), s2c: dataJsonOf(conn.data.peek('s2c')) },
    closing: closing(conn, subs),
    series: {
      cumulativeBytes: {
        c2s: withSeries ? deliverySeries(conn.data.peek('c2s'), lazy) : [],
        s2c: withSeries ? deliverySeries(conn.data.peek('s2c'), lazy) : [],
      },
    },
    headOfLineBlame: {
      c2s: blame === null ? emptyBlame() : blame.json(conn, 'c2s', endTime),
      s2c: blame === null ? emptyBlame() : blame.json(conn, 's2c', endTime),
    },
  };
}

/** The subflows' JSON: an array, or (lazy, and many of them) a list made as the writer walks it. */
function subflowList(subs: Subflow[], json: (s: Subflow) => SubflowJson, lazy: boolean): SubflowJson[] {
  if (!lazy || subs.length <= LAZY_SUBFLOWS) return subs.map(json);
  // typed as the array it stands for: only report-json.ts's writers ask for lazy lists
  return new LazyList(subs.length, function* () {
    for (const s of subs) yield json(s);
  }) as unknown as SubflowJson[];
}

/** Connections that nobody answered (a SYN flood, a scan) are listed one by one only up to this many, or when asked. */
export const ATTEMPTS_LISTED = 100;

export interface ReportOptions {
  /** List every unanswered connection attempt (`--attempts`), however many. */
  listAttempts?: boolean;
  /** Keep only some connections and subflows (src/filter/select.ts makes one). */
  selection?: Selection;
}

/** The connections a report keeps: those of a display filter, of --connection, of --subflow. */
export interface Selection {
  /** mptcp.stream of each connection kept. */
  connections: ReadonlySet<number>;
  /** tcp.stream of each subflow listed in the kept connections (null: all of theirs). */
  subflows: ReadonlySet<number> | null;
  /** tcp.stream of the unanswered MP_CAPABLE offers kept. */
  offers: ReadonlySet<number>;
  json: SelectionJson;
}

export interface SelectionJson {
  /** The -Y display filter, or null. */
  filter: string | null;
  /** --connection values, in order given. */
  connections: number[];
  /** --subflow values (tcp.stream), in order given. */
  subflows: number[];
}

/**
 * The report in parts, so that a writer can stream the connections one by one: none of them is
 * built before it is written, and a capture of a million connections never becomes one string.
 */
export interface ReportParts {
  head: Omit<Report, 'connections' | 'endpoints' | 'unansweredCapable'>;
  /**
   * The connections listed (or only those in `only`), built one at a time as the iterator is walked;
   * `lazy` (for the streaming JSON writers only): a connection's long subflow list is a LazyList,
   * and a connection written out early is its text (RawJson). `withSeries` false (the tables, which
   * show none): the time series of connections still held are left empty, not made.
   */
  connections(only?: ReadonlySet<number>, lazy?: boolean, withSeries?: boolean): Iterable<ConnectionJson>;
  /** Payload bytes of each listed connection (all its subflows, both ways), by index, without building them. */
  sizes(): Array<{ index: number; bytes: number }>;
  /** An array, or past a few hundred addresses a list made as it is written. */
  endpoints: Report['endpoints'] | EndpointList;
  unansweredCapable: Report['unansweredCapable'];
}

export function buildReport(tracker: MptcpTracker, meta: CaptureMeta, stats: StatsReducer | null = null, opts: ReportOptions = {}, blame: HolBlameReducer | null = null, spool: ConnectionSpool | null = null): Report {
  const parts = reportParts(tracker, meta, stats, opts, blame, spool);
  return { ...parts.head, connections: [...parts.connections()], endpoints: [...parts.endpoints], unansweredCapable: parts.unansweredCapable };
}

/** No packet from the server side on any subflow: an attempt that nobody answered. */
export function unanswered(tracker: MptcpTracker, conn: Connection): boolean {
  for (const i of conn.subflows) {
    const s = tracker.subflows[i];
    if (s && s.packets.server > 0) return false;
  }
  return true;
}

export function reportParts(tracker: MptcpTracker, meta: CaptureMeta, stats: StatsReducer | null = null, opts: ReportOptions = {}, blame: HolBlameReducer | null = null, spool: ConnectionSpool | null = null): ReportParts {
  const offerCount = tracker.unansweredOfferCount();
  const sel = opts.selection ?? null;
  // a connection the selection leaves out is not counted anywhere in the report
  const kept = (index: number): boolean => sel === null || sel.connections.has(index);
  let attemptCount = 0;
  let held = 0;
  for (const conn of tracker.heldConnections()) {
    if (!kept(conn.index)) continue;
    held++;
    if (unanswered(tracker, conn)) attemptCount++;
  }
  if (spool !== null) {
    for (const e of spool.entries()) {
      if (!kept(e.index)) continue;
      held++;
      if (e.unanswered) attemptCount++;
    }
  }
  const list = opts.listAttempts === true || attemptCount + offerCount <= ATTEMPTS_LISTED;
  const attempts = attemptSummary(tracker, offerCount, attemptCount, list, spool);
  const listed = list ? held : held - attemptCount;
  const shown = sel?.subflows ?? null;
  // connections written out early (spool.ts) are read back, in mptcp.stream order with the held ones
  const spooled = function* (only: ReadonlySet<number> | undefined): Iterable<{ index: number; json: (raw: boolean) => ConnectionJson; entry: SpooledEntry }> {
    if (spool === null) return;
    for (const e of spool.entries()) {
      if (only !== undefined && !only.has(e.index)) continue;
      if (!kept(e.index) || (!list && e.unanswered)) continue;
      yield {
        index: e.index,
        entry: e,
        json: (raw) => {
          const text = spool.read(e.entry);
          // the JSON writers take the text as it is (typed as the entry it stands for, as LazyList)
          if (raw && shown === null) return new RawJson(text) as unknown as ConnectionJson;
          const j = JSON.parse(text) as ConnectionJson;
          if (shown !== null) j.subflows = j.subflows.filter((s) => shown.has(s.tcpStream));
          return j;
        },
      };
    }
  };
  const connections = function* (only?: ReadonlySet<number>, lazy = false, withSeries = true): Iterable<ConnectionJson> {
    const early = spooled(only)[Symbol.iterator]();
    let next = early.next();
    for (const conn of tracker.heldConnections()) {
      for (; !next.done && next.value.index < conn.index; next = early.next()) yield next.value.json(lazy);
      if (only !== undefined && !only.has(conn.index)) continue;
      if (!kept(conn.index) || (!list && unanswered(tracker, conn))) continue;
      yield connectionJson(tracker, conn, stats, blame, meta.lastTime, shown, lazy, withSeries);
    }
    for (; !next.done; next = early.next()) yield next.value.json(lazy);
  };
  const sizes = (): Array<{ index: number; bytes: number }> => {
    const out: Array<{ index: number; bytes: number }> = [];
    for (const conn of tracker.heldConnections()) {
      if (!kept(conn.index) || (!list && unanswered(tracker, conn))) continue;
      let bytes = 0;
      for (const i of conn.subflows) {
        const s = tracker.subflows[i];
        if (s) bytes += s.payloadBytes.client + s.payloadBytes.server;
      }
      out.push({ index: conn.index, bytes });
    }
    for (const e of spooled(undefined)) out.push({ index: e.index, bytes: e.entry.bytes });
    return out;
  };
  const unansweredCapable = (list ? tracker.unansweredOffers() : []).filter((o) => sel === null || sel.offers.has(o.tcpStream)).map((o) => ({
    tcpStream: o.tcpStream,
    version: o.version,
    fallback: o.fallback,
    client: { address: o.client.addr, port: o.client.port },
    server: { address: o.server.addr, port: o.server.port },
    startTime: round6(o.startTime),
  }));
  const st = meta.start;
  let subflows = 0;
  for (const conn of tracker.heldConnections()) {
    if (!kept(conn.index) || (!list && unanswered(tracker, conn))) continue;
    subflows += shown === null ? conn.subflows.length : conn.subflows.filter((i) => shown.has(tracker.subflows[i]?.tcpStream ?? -1)).length;
  }
  for (const e of spooled(undefined)) {
    const subs = e.entry.subflows;
    if (shown === null) subflows += subs.length;
    else for (let i = 0; i < subs.length; i++) if (shown.has(subs[i] as number)) subflows++;
  }
  return {
    head: {
      schemaVersion: REPORT_SCHEMA_VERSION,
      generator: meta.generator,
      capture: {
        file: meta.file,
        files: (meta.summary.inputs ?? [{ path: meta.file, summary: meta.summary }]).map((x) => ({
          file: x.path === '-' ? '(standard input)' : x.path,
          format: x.summary.format,
          compressed: x.summary.compressed,
          packets: x.summary.frames,
          bytes: x.summary.bytes,
        })),
        format: meta.summary.format,
        compressed: meta.summary.compressed,
        packets: meta.summary.frames,
        bytes: meta.summary.bytes,
        // A pcapng time can lie beyond what a Date holds: then `iso` is the raw epoch (a capture problem says so).
        start: st && { epoch: formatEpoch(st.tsSec, st.tsNsec), iso: isoOrNull(st.tsSec, st.tsNsec) ?? formatEpoch(st.tsSec, st.tsNsec) },
        durationSec: round6(meta.lastTime),
        problems: meta.summary.problems.map((p) => ({ kind: p.kind, offset: p.offset, frame: p.frame, message: p.message, fatal: p.fatal })),
      },
      summary: {
        connections: listed,
        subflows,
        tcpStreams: tracker.flows.size,
        unansweredCapable: offerCount,
        attempts,
        endpointsExact: stats ? stats.endpoints.exact : true,
        releasedConnections: tracker.released - (spool?.count ?? 0),
        spilledConnections: spool?.count ?? 0,
        spilledOpen: spool?.spilledOpen ?? 0,
        joinsNotTracked: tracker.joinsNotTracked,
        packetsNotAnalysed: tracker.packetsAfterRelease,
      },
      selection: sel === null ? null : sel.json,
    },
    connections,
    sizes,
    endpoints: stats ? endpointList(tracker, stats) : [],
    unansweredCapable,
  };
}

/** Past this many endpoints, the list is made as it is written (see EndpointList). */
const ENDPOINTS_MADE_AT_ONCE = 256;

/**
 * The endpoints, busiest first (then by address text). A scan's 50,000 listed addresses as objects
 * were ~24 MB of heap at once, a sixth of its peak RSS: past ENDPOINTS_MADE_AT_ONCE only their
 * order and text are made here, and each object when the writer reaches it.
 */
function endpointList(tracker: MptcpTracker, stats: StatsReducer): Report['endpoints'] | EndpointList {
  const table = stats.endpoints;
  const n = table.size;
  const text: string[] = [];
  for (let i = 0; i < n; i++) text.push(tracker.addresses.text(table.keyAt(i)));
  const order = Uint32Array.from({ length: n }, (_, i) => i).sort((a, b) => table.packetsAt(b) - table.packetsAt(a) || (text[a] as string < (text[b] as string) ? -1 : 1));
  const total = stats.totalPackets;
  const json = (i: number): Report['endpoints'][number] => {
    const e = table.rowAt(i);
    return { address: text[i] as string, packets: e.packets, share: total > 0 ? round6(e.packets / total) : 0, bytes: e.bytes, txPackets: e.txPackets, rxPackets: e.rxPackets, txBytes: e.txBytes, rxBytes: e.rxBytes };
  };
  if (n <= ENDPOINTS_MADE_AT_ONCE) return Array.from(order, json);
  return new EndpointList(n, order, json);
}

/** The endpoints in order, each made when reached; `slice` for the tables' first rows. */
export class EndpointList extends LazyList<Report['endpoints'][number]> {
  constructor(
    length: number,
    private readonly order: Uint32Array,
    private readonly json: (i: number) => Report['endpoints'][number],
  ) {
    super(length, function* () {
      for (const i of order) yield json(i);
    });
  }

  slice(start: number, end: number): Array<Report['endpoints'][number]> {
    return Array.from(this.order.subarray(start, end), this.json);
  }
}

/** Top sources of unanswered attempts shown in the summary. */
const TOP_ATTEMPT_SOURCES = 10;

/** Distinct sources counted one by one; past this, new ones are counted only in `sources`' lower bound. */
const MAX_SOURCES_COUNTED = 65_536;

function attemptSummary(tracker: MptcpTracker, offers: number, connections: number, listed: boolean, spool: ConnectionSpool | null): AttemptsJson {
  const bySource = new Map<string, number>();
  let first = Infinity;
  let last = -Infinity;
  const count = (s: { client: { addr: string }; startTime: number } | undefined): void => {
    if (!s) return;
    const n = bySource.get(s.client.addr);
    if (n !== undefined) bySource.set(s.client.addr, n + 1);
    else if (bySource.size < MAX_SOURCES_COUNTED) bySource.set(s.client.addr, 1);
    if (s.startTime < first) first = s.startTime;
    if (s.startTime > last) last = s.startTime;
  };
  for (const conn of tracker.heldConnections()) if (unanswered(tracker, conn)) count(tracker.subflows[conn.subflows[0] ?? -1]);
  for (const a of spool?.attemptSources ?? []) count({ client: { addr: a.addr }, startTime: a.startTime });
  if (connections + offers > 0) for (const o of tracker.eachUnansweredOffer()) count(o);
  const topSources = [...bySource]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, TOP_ATTEMPT_SOURCES)
    .map(([address, attempts]) => ({ address, attempts }));
  return {
    connections,
    unansweredCapable: offers,
    listed,
    firstTime: Number.isFinite(first) ? round6(first) : null,
    lastTime: Number.isFinite(last) ? round6(last) : null,
    sources: bySource.size,
    topSources,
  };
}

const EMPTY_DATA: DataDirectionJson = dataJson(new DataStream());

function dataJsonOf(d: DataStream | null): DataDirectionJson {
  // shared: reports are serialised, never changed in place
  return d === null ? EMPTY_DATA : dataJson(d);
}

function deliverySeries(d: DataStream | null, lazy: boolean): Array<[number, number]> {
  return d === null ? [] : seriesJson(d.deliverySeries, asIs, lazy);
}

const asIs = (v: number): number => v;
const tenth = (v: number): number => Math.round(v * 10) / 10;

/**
 * A series as [t, v] pairs for the report, t rounded to the microsecond and v by `value`; `lazy`
 * (the streaming JSON writers): a long one is a PointList made as it is written — the 10,000
 * points of each of a long connection's series, built all at once, were the peak of `analyze` on a
 * 5 GB capture.
 */
function seriesJson(s: { readonly length: number; t(i: number): number; v(i: number): number } | undefined, value: (v: number) => number, lazy: boolean): Array<[number, number]> {
  if (s === undefined) return [];
  const n = s.length;
  if (lazy && n > LAZY_SERIES) {
    return new PointList(n, (i) => round6(s.t(i)), (i) => value(s.v(i))) as unknown as Array<[number, number]>;
  }
  const out = new Array<[number, number]>(n);
  for (let i = 0; i < n; i++) out[i] = [round6(s.t(i)), value(s.v(i))];
  return out;
}

/** Series longer than this are written point by point (report-json.ts writes arrays over 256 so). */
const LAZY_SERIES = 256;
