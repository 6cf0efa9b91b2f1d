/**
 * What one side's pipeline (decode + tracker) hands to the matcher, in a form that crosses a
 * worker_thread boundary cheaply: per chunk of capture, one batch of fixed-size packet records
 * in a transferable ArrayBuffer (48 bytes each, no object per packet), plus a short list of the
 * subflows that first appeared in it (their descriptor) or changed (connection, kind, ...). At
 * the end, the connections' keys and tokens. The same encoder runs in a worker or in-thread.
 */
import type { Frame } from '../dissect/frame.js';
import { FrameRecord } from '../dissect/frame.js';
import type { Segment } from '../dissect/segment.js';
import type { Packet } from '../dissect/packet.js';
import type { PacketSubscriber } from '../analysis/pipeline.js';
import type { Endpoint, Subflow } from '../reassembly/model.js';
import type { MptcpTracker, PacketInfo } from '../reassembly/tracker.js';

/** Record layout: 6 doubles = 12 int32s. */
export const REC_F64 = 6;
export const REC_I32 = 12;
export const REC_BYTES = 48;
/** Doubles. */
export const R_TS_SEC = 0;
export const R_DSN = 1;
/** Int32s (4..11, after the two doubles). */
export const R_TS_NSEC = 4;
export const R_SEQ = 5;
export const R_LEN = 6;
/** ipId << 16 | TCP flags */
export const R_IPFL = 7;
export const R_TSVAL = 8;
/** tcp.stream of the packet's subflow, -1 when it is no subflow's. */
const R_STREAM = 9;
export const R_BITS = 10;
export const B_TCP = 1;
export const B_FROM_CLIENT = 2;
const B_TS = 4;
/** the IPv4 Identification field is 8 bytes before the source address (RFC 791) */
const IPV4_ID_FROM_SRC = 8;
const INITIAL_RECORDS = 8192;

/** The subflow fields the matcher reads (a plain copy of the tracker's Subflow, kept up to date). */
export interface SubflowView {
  tcpStream: number;
  connection: number | null;
  kind: Subflow['kind'];
  client: Endpoint;
  server: Endpoint;
  clientIsConnectionClient: boolean | null;
  synSeen: boolean;
  isn: { client: number | null };
  join: { token: number } | null;
}

export interface SubflowDesc extends SubflowView {
  /** Index of the record (in its batch) of the packet that made it. */
  at: number;
  deferredSyn: { seq: number; time: number } | null;
}

/** A subflow's changed fields, applied after the batch's records. */
export interface SubflowUpdate {
  tcpStream: number;
  connection: number | null;
  kind: Subflow['kind'];
  clientIsConnectionClient: boolean | null;
  join: { token: number } | null;
}

export interface Batch {
  buffer: ArrayBuffer;
  count: number;
  subflows: SubflowDesc[];
  updates: SubflowUpdate[];
}

/** Keys and tokens of one side's connections, by mptcp.stream (results.ts names the match). */
export interface ConnectionIds {
  client: { key: bigint | null; token: number | null };
  server: { key: bigint | null; token: number | null };
}

export function connectionIds(tracker: MptcpTracker): Array<ConnectionIds | null> {
  return tracker.connections.map((c) => (c === undefined ? null : { client: { key: c.client.key, token: c.client.token }, server: { key: c.server.key, token: c.server.token } }));
}

/** A pipeline subscriber writing one record per frame into the current batch. */
export class SideEncoder implements PacketSubscriber {
  private buffer: ArrayBuffer;
  private f64: Float64Array;
  private i32: Int32Array;
  private count = 0;
  private subflows: SubflowDesc[] = [];
  /** Per tcp.stream: last update sent (signature), and the batch it was last touched in. */
  private readonly sig: string[] = [];
  private readonly touchedIn: number[] = [];
  private touched: Subflow[] = [];
  private batchNo = 1;

  constructor(private readonly take: () => ArrayBuffer | null = () => null) {
    this.buffer = take() ?? new ArrayBuffer(INITIAL_RECORDS * REC_BYTES);
    this.f64 = new Float64Array(this.buffer);
    this.i32 = new Int32Array(this.buffer);
  }

  /** Records in the current batch. */
  get size(): number {
    return this.count;
  }

  packet(frame: Frame, seg: Segment, info: PacketInfo, _pkt: Packet | null): void {
    if ((this.count + 1) * REC_BYTES > this.buffer.byteLength) this.grow();
    const k = this.count++;
    const f = k * REC_F64;
    const b = k * REC_I32;
    const f64 = this.f64;
    const i32 = this.i32;
    f64[f + R_TS_SEC] = frame.tsSec;
    i32[b + R_TS_NSEC] = frame.tsNsec;
    if (!seg.isTcp) {
      i32[b + R_BITS] = 0;
      i32[b + R_STREAM] = -1;
      return;
    }
    i32[b + R_SEQ] = seg.seq;
    i32[b + R_LEN] = seg.payloadLen;
    i32[b + R_IPFL] = (readIpId(frame, seg) << 16) | seg.flags;
    i32[b + R_TSVAL] = seg.hasTimestamps ? seg.tsVal : 0;
    i32[b + R_BITS] = B_TCP | (info.fromClient ? B_FROM_CLIENT : 0) | (seg.hasTimestamps ? B_TS : 0);
    f64[f + R_DSN] = info.dsn ?? -1;
    const sub = info.subflow;
    if (sub === null) {
      i32[b + R_STREAM] = -1;
      return;
    }
    const s = sub.tcpStream;
    i32[b + R_STREAM] = s;
    if (this.sig[s] === undefined) {
      const d = info.deferredSyn;
      this.subflows.push({
        at: k,
        tcpStream: s,
        connection: sub.connection,
        kind: sub.kind,
        client: { addr: sub.client.addr, port: sub.client.port },
        server: { addr: sub.server.addr, port: sub.server.port },
        clientIsConnectionClient: sub.clientIsConnectionClient,
        synSeen: sub.synSeen,
        isn: { client: sub.isn.client },
        join: sub.join === null ? null : { token: sub.join.token },
        deferredSyn: d === null ? null : { seq: d.seq, time: d.time },
      });
      this.sig[s] = signature(sub);
    }
    if (this.touchedIn[s] !== this.batchNo) {
      this.touchedIn[s] = this.batchNo;
      this.touched.push(sub);
    }
  }

  /** The batch so far (the encoder starts a new one in `next`, or in a buffer `take` gives back). */
  flush(): Batch {
    const updates: SubflowUpdate[] = [];
    for (const sub of this.touched) {
      const g = signature(sub);
      if (g === this.sig[sub.tcpStream]) continue;
      this.sig[sub.tcpStream] = g;
      updates.push({ tcpStream: sub.tcpStream, connection: sub.connection, kind: sub.kind, clientIsConnectionClient: sub.clientIsConnectionClient, join: sub.join === null ? null : { token: sub.join.token } });
    }
    const batch: Batch = { buffer: this.buffer, count: this.count, subflows: this.subflows, updates };
    this.touched = [];
    this.subflows = [];
    this.batchNo++;
    this.count = 0;
    return batch;
  }

  /** Continue in a fresh buffer (the previous one now belongs to the batch). */
  next(): void {
    this.buffer = this.take() ?? new ArrayBuffer(INITIAL_RECORDS * REC_BYTES);
    this.f64 = new Float64Array(this.buffer);
    this.i32 = new Int32Array(this.buffer);
  }

  private grow(): void {
    const bigger = new ArrayBuffer(this.buffer.byteLength * 2);
    new Uint8Array(bigger).set(new Uint8Array(this.buffer, 0, this.count * REC_BYTES));
    this.buffer = bigger;
    this.f64 = new Float64Array(bigger);
    this.i32 = new Int32Array(bigger);
  }
}

function signature(sub: Subflow): string {
  return `${sub.connection}|${sub.kind}|${sub.clientIsConnectionClient}|${sub.join?.token ?? ''}`;
}

function readIpId(frame: Frame, seg: Segment): number {
  if (seg.ipVersion !== 4) return 0;
  const off = seg.srcOffset - IPV4_ID_FROM_SRC;
  if (frame instanceof FrameRecord) {
    const at = frame.start + off;
    return ((frame.bytes[at] as number) << 8) | (frame.bytes[at + 1] as number);
  }
  const d = frame.data;
  return ((d[off] as number) << 8) | (d[off + 1] as number);
}

/**
 * What the matcher is given per record (see Matcher.packetAt): the batch's arrays and the record's
 * index, so that no double or 32-bit field is passed as an argument (each would be a heap number).
 */
export interface RecordConsumer {
  packetAt(f64: Float64Array, i32: Int32Array, k: number, sub: SubflowView | null, deferredSyn: SubflowDesc['deferredSyn']): void;
}

/** Feed a batch's records to the matcher of side `views` (its subflow copies, by tcp.stream). */
export function applyBatch(batch: Batch, views: Array<SubflowView | undefined>, c: RecordConsumer): void {
  const f64 = new Float64Array(batch.buffer);
  const i32 = new Int32Array(batch.buffer);
  let nextSub = 0;
  const subs = batch.subflows;
  for (let k = 0; k < batch.count; k++) {
    const stream = i32[k * REC_I32 + R_STREAM]!;
    let view: SubflowView | null = null;
    let deferred: SubflowDesc['deferredSyn'] = null;
    if (stream >= 0) {
      const d = subs[nextSub];
      if (d !== undefined && d.at === k) {
        nextSub++;
        views[stream] = d;
        deferred = d.deferredSyn;
      }
      view = views[stream] ?? null;
    }
    c.packetAt(f64, i32, k, view, deferred);
  }
  for (const u of batch.updates) {
    const v = views[u.tcpStream];
    if (v === undefined) continue;
    v.connection = u.connection;
    v.kind = u.kind;
    v.clientIsConnectionClient = u.clientIsConnectionClient;
    v.join = u.join;
  }
}
