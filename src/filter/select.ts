/**
 * Connection selection, the step between the analysis and the report: `-Y FILTER` keeps the
 * connections that have at least one matching packet, `--connection N` keeps connection N
 * (mptcp.stream), `--subflow S` keeps the connection of subflow S (tcp.stream) and lists only the
 * subflows asked for in it. Several of a kind add up; -Y and the others both have to hold.
 * Any command that builds a report (analyze, report) subscribes a FilterMatches to its pipeline
 * and turns it into a Selection at the end.
 */
import type { Frame } from '../dissect/frame.js';
import type { Segment } from '../dissect/segment.js';
import type { PacketSubscriber, Pipeline } from '../analysis/pipeline.js';
import type { PacketView } from '../analysis/packet-view.js';
import type { Selection } from '../analysis/report.js';
import type { MptcpTracker, PacketInfo } from '../reassembly/tracker.js';
import type { CompiledFilter } from './compile.js';

/** A packet view the subscriber can point at each packet in turn (dissect's LazyView). */
export interface ResettableView extends PacketView {
  reset(frame: Frame, seg: Segment, info: PacketInfo, t0: { tsSec: number; tsNsec: number }): void;
}

/** Which connections and TCP streams had a packet that passed the filter. */
export class FilterMatches implements PacketSubscriber {
  readonly connections = new Set<number>();
  readonly tcpStreams = new Set<number>();
  packets = 0;

  constructor(
    readonly filter: CompiledFilter,
    private readonly view: ResettableView,
    private readonly pipeline: Pipeline,
  ) {}

  packet(frame: Frame, seg: Segment, info: PacketInfo): void {
    this.view.reset(frame, seg, info, this.pipeline.start as { tsSec: number; tsNsec: number });
    if (!this.filter.test(this.view)) return;
    this.packets++;
    if (info.mptcpStream !== null) this.connections.add(info.mptcpStream);
    if (info.tcpStream !== null) this.tcpStreams.add(info.tcpStream);
  }
}

export interface SelectionRequest {
  matches: FilterMatches | null;
  /** --connection values (mptcp.stream). */
  connections: readonly number[];
  /** --subflow values (tcp.stream). */
  subflows: readonly number[];
}

/** Thrown for a --connection or --subflow that names nothing in the capture. */
export class SelectionError extends Error {
  override readonly name = 'SelectionError';
}

/** The selection asked for, or null when nothing was asked (every connection is kept). */
export function buildSelection(tracker: MptcpTracker, req: SelectionRequest, spooled: Iterable<{ index: number; subflows: ArrayLike<number> }> = []): Selection | null {
  if (req.matches === null && req.connections.length === 0 && req.subflows.length === 0) return null;
  const held = new Map<number, ArrayLike<number>>();
  for (const conn of tracker.heldConnections()) held.set(conn.index, conn.subflows.map((i) => tracker.subflows[i]?.tcpStream ?? -1));
  // connections written out early (analyze --max-held) are kept or left out like the others
  const subflowOf = new Map<number, number>();
  for (const e of spooled) {
    held.set(e.index, e.subflows);
    if (req.subflows.length > 0) for (let i = 0; i < e.subflows.length; i++) subflowOf.set(e.subflows[i] as number, e.index);
  }
  let last = -1;
  for (const k of held.keys()) if (k > last) last = k;
  let connections: Set<number> | null = null;
  let subflows: Set<number> | null = null;
  if (req.connections.length > 0 || req.subflows.length > 0) {
    connections = new Set();
    subflows = new Set();
    for (const n of req.connections) {
      const subs = held.get(n);
      if (subs === undefined) throw new SelectionError(`--connection ${n}: no such connection (mptcp.stream${held.size > 0 ? ` 0 to ${last}` : ': the capture has none'})`);
      connections.add(n);
      for (let i = 0; i < subs.length; i++) subflows.add(subs[i] as number);
    }
    for (const t of req.subflows) {
      const s = tracker.subflows[t];
      const conn = s !== undefined && s.tcpStream === t ? s.connection : (subflowOf.get(t) ?? null);
      if (conn === null || !held.has(conn)) throw new SelectionError(`--subflow ${t}: tcp.stream ${t} is no subflow of an MPTCP connection`);
      connections.add(conn);
      subflows.add(t);
    }
  }
  const m = req.matches;
  if (m !== null) connections = connections === null ? new Set(m.connections) : new Set([...connections].filter((c) => m.connections.has(c)));
  const offers = m !== null ? m.tcpStreams : new Set<number>(req.subflows);
  return {
    connections: connections as Set<number>,
    subflows,
    offers,
    json: { filter: m === null ? null : m.filter.text, connections: [...req.connections], subflows: [...req.subflows] },
  };
}
