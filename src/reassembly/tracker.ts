/**
 * The stateful pass over decoded segments, one packet at a time: the flow table (tcp.stream),
 * then the packet's subflow (subflows.ts), its MPTCP options handed to the connection state
 * (connections.ts) and the data level (dss.ts, data-level.ts), and the events that follow
 * (events.ts). What a packet was found to be goes back to the caller in a reused PacketInfo.
 */
import { clear } from '../dissect/bytes.js';
import { U64 } from '../dissect/u64.js';
import type { MpCapable, MptcpOption } from '../dissect/mptcp.js';
import type { Segment } from '../dissect/segment.js';
import { TcpFlag } from '../dissect/tcp.js';
import { AddressTable } from './addresses.js';
import type { Clock } from './clock.js';
import { ConnectionState } from './connections.js';
import { placePayload } from './data-level.js';
import { onDss } from './dss.js';
import type { Mapping } from './mapping.js';
import type { Connection, Endpoint, Subflow } from './model.js';
import { endSubflow, isBareCapableSyn, newSubflow, onTcpFlags } from './subflows.js';
import { ChangeDetector, type TrackerListener } from './events.js';
import { FlowTable, type FlowHit } from './flow-table.js';

/** What the stateful layers add to one packet. Reused: valid until the next `process()`. */
export interface PacketInfo {
  tcpStream: number | null;
  mptcpStream: number | null;
  /** The subflow the packet belongs to, and whether its sender is the subflow's client. */
  subflow: Subflow | null;
  fromClient: boolean;
  expectedToken: number | null;
  expectedIdsn: bigint | null;
  /** Relative DSN of the segment's first payload byte (the IDSN's next byte is 1). */
  dsn: number | null;
  /**
   * The segment's data ACK widened to 64 bits, and what Wireshark's mptcp.ack counts from (the
   * receiver's IDSN, or 0): see mptcpAck(). Kept apart so that the hot path does no 64-bit
   * arithmetic only `dissect` needs.
   */
  readonly dataAckAbs: U64;
  dataAckBase: bigint | null;
  /** Seconds since the first frame. */
  time: number;
  /** AddressTable keys of the innermost IP header's addresses (-1 without IP). */
  srcKey: number;
  dstKey: number;
  /**
   * Set on the packet that made a stream a subflow after its bare MP_CAPABLE SYN was only counted
   * (see process()): that SYN, for the reducers that want it (RTT).
   */
  deferredSyn: { seq: number; time: number; tsVal: number | null } | null;
}

export class MptcpTracker {
  readonly addresses = new AddressTable();
  readonly flows = new FlowTable();
  /** By tcp.stream: only streams that carried an MPTCP option have one (plain TCP stays in `flows`). */
  readonly subflows: Subflow[] = [];
  /** Mappings seen in the current packet, applied to its payload after all options are read. */
  private readonly packetMappings: Mapping[] = [];
  /** Connections, keys, tokens, joins, addresses, problems. */
  readonly state = new ConnectionState(this.subflows, this.packetMappings);
  /** By mptcp.stream; a released connection leaves a hole. */
  get connections(): Array<Connection | undefined> {
    return this.state.connections;
  }
  private readonly listeners: TrackerListener[] = [];
  private detector: ChangeDetector | null = null;
  /** Connections released (freed) so far; join SYNs not tracked (a flood); packets of either seen after. */
  released = 0;
  joinsNotTracked = 0;
  packetsAfterRelease = 0;
  /**
   * Place payload bytes at their data sequence numbers (the data level). `dissect -T fields`
   * without mpcap.dsn turns it off: nothing it prints depends on it.
   */
  placeData = true;
  /**
   * With placeData: also place the bytes in the data stream (ordering, holes, reinjections, held
   * segments). `compare` needs only each segment's DSN (info.dsn) and turns it off.
   */
  placeBytes = true;
  private readonly info: PacketInfo = {
    tcpStream: null,
    mptcpStream: null,
    subflow: null,
    fromClient: true,
    expectedToken: null,
    expectedIdsn: null,
    dsn: null,
    dataAckAbs: new U64(),
    dataAckBase: null,
    time: 0,
    srcKey: -1,
    dstKey: -1,
    deferredSyn: null,
  };

  /** One TCP segment (`decodeSegment` said true), `now.time` seconds after the first frame. */
  process(seg: Segment, now: Clock): PacketInfo {
    const info = this.info;
    const f = seg.frame as NonNullable<Segment['frame']>;
    const time = now.time;
    info.time = time;
    info.tcpStream = null;
    info.mptcpStream = null;
    info.subflow = null;
    info.fromClient = true;
    info.expectedToken = null;
    info.expectedIdsn = null;
    info.dsn = null;
    info.dataAckAbs.known = false;
    info.dataAckBase = null;
    info.srcKey = -1;
    info.dstKey = -1;
    info.deferredSyn = null;
    if (seg.ipVersion === 0) return info;
    info.srcKey = this.addresses.key(seg, true);
    info.dstKey = this.addresses.key(seg, false);
    if (!seg.isTcp) return info;
    const tcp = seg;
    const hit = this.flows.lookup(seg, info.srcKey, info.dstKey, now);
    info.tcpStream = hit.stream;
    let sub = this.subflows[hit.stream];
    if (!sub) {
      // Plain TCP stays a row of the flow table; the first MPTCP option makes it a subflow. So
      // does the second packet of a stream that began with a bare v1 MP_CAPABLE SYN: a flood of
      // those costs a few bytes each until one is answered.
      if ((this.released > 0 || this.joinsNotTracked > 0) && this.flows.isReleased(hit.stream)) {
        this.packetsAfterRelease++;
        return info;
      }
      const offer = this.flows.offer(hit.stream, true);
      if (offer === null) {
        if (!seg.hasMptcpOption) return info;
        if (hit.isNew && this.state.maxSubflows !== Infinity && this.isUntrackedJoin(seg, f.number, time)) {
          this.flows.markReleased(hit.stream);
          return info;
        }
        if (hit.isNew && isBareCapableSyn(seg)) {
          const m = seg.mptcp[0] as MpCapable;
          this.flows.setOffer(hit.stream, m.version, m.flags, seg.hasTimestamps ? seg.tsVal : null);
          return info;
        }
      }
      sub = this.promote(hit, seg);
      if (offer !== null) {
        // what the SYN would have done (onCapable and onTcpFlags of a v1 SYN)
        this.state.capableSyn.set(hit.stream, { version: offer.version, flags: offer.flags });
        sub.kind = 'initial';
        sub.synSeen = true;
        sub.isn.client = offer.isn;
        info.deferredSyn = { seq: offer.isn, time: sub.startTime, tsVal: offer.tsVal };
      }
    }
    const fromClient = hit.dir === sub.clientDir;
    info.subflow = sub;
    info.fromClient = fromClient;
    if (fromClient) {
      sub.packets.client++;
      sub.payloadBytes.client += tcp.payloadLen;
    } else {
      sub.packets.server++;
      sub.payloadBytes.server += tcp.payloadLen;
    }
    sub.lastTime = info.time;

    clear(this.packetMappings);
    let hasMptcp = false;
    let hasCapable = false;
    let malformedSeen = false;
    let tcpRst: { reason: number; transient: boolean } | null = null;
    let removeAddrSeen = false;
    const options = seg.mptcp;
    for (let i = 0; i < options.length; i++) {
      const m = options[i] as MptcpOption;
      hasMptcp = true;
      if (m.subtype === 'MALFORMED') {
        malformedSeen = true;
        // Wireshark numbers a connection for any option past MP_CAPABLE before checking its
        // length; doing the same keeps mptcp.stream numbers equal to tshark's after garbage.
        if (sub.connection === null && m.subtypeCode >= 1) {
          const conn = this.state.allocate(f.number, info.time);
          this.state.attach(sub, conn, true, 'orphan');
          this.state.problem(conn, 'malformed-option', f.number, `only a malformed MPTCP option opened this connection: ${m.reason}`);
        }
        continue;
      }
      if (sub.connection === null && m.byte2 >> 4 > 1) this.state.attach(sub, this.state.allocate(f.number, info.time), true, 'orphan');
      switch (m.subtype) {
        case 'MP_CAPABLE':
          hasCapable = true;
          this.state.onCapable(m, sub, fromClient, tcp.flags, f.number, info.time, info);
          break;
        case 'MP_JOIN':
          this.state.onJoin(m, sub, fromClient, f.number, info.time);
          break;
        case 'DSS':
          onDss(this.state, m, sub, fromClient, f.number, info, this.packetMappings);
          break;
        case 'ADD_ADDR':
          this.state.onAddAddr(m, sub, fromClient, f.number, info.time);
          break;
        case 'REMOVE_ADDR':
          removeAddrSeen = true;
          this.state.onRemoveAddr(m.addrIds, sub, fromClient, f.number, info.time);
          break;
        case 'MP_PRIO':
          sub.backup = m.backup;
          sub.backupHistory.push({ frame: f.number, time: info.time, backup: m.backup, via: 'MP_PRIO', by: fromClient ? 'client' : 'server' });
          break;
        case 'MP_FASTCLOSE': {
          const conn = this.state.conn(sub);
          if (conn && !conn.fastClose) conn.fastClose = { frame: f.number, time: info.time, by: this.state.role(sub, fromClient) };
          if (tcp.flags & TcpFlag.RST || sub.end.how === 'open') endSubflow(sub, 'MP_FASTCLOSE', f.number, info.time, fromClient);
          break;
        }
        case 'MP_TCPRST':
          tcpRst = { reason: m.reason, transient: m.transient };
          break;
        case 'MP_FAIL': {
          const conn = this.state.conn(sub);
          if (conn) this.state.stream(conn, sub, !fromClient).mpFail.push({ frame: f.number, dsn: m.dataSeq.toString() });
          break;
        }
        case 'MP_EXPERIMENTAL':
        case 'UNKNOWN':
          break;
      }
    }
    onTcpFlags(this.state, seg, sub, fromClient, hasCapable, tcpRst, f.number, info);
    const payloadConn = this.state.conn(sub);
    if (payloadConn && tcp.payloadLen > 0 && this.placeData) {
      const d = placePayload(seg, sub, fromClient, this.state.stream(payloadConn, sub, fromClient), this.state.side(payloadConn, sub, fromClient), this.packetMappings, info, this.placeBytes);
      if (d !== null) info.dsn = d;
    }
    const conn = this.state.conn(sub);
    if (conn) {
      conn.lastTime = info.time;
      if (this.detector !== null) {
        const first = this.subflows[conn.subflows[0] ?? sub.tcpStream] ?? sub;
        this.detector.after(conn, sub, first, f.number, time, removeAddrSeen);
      }
    }
    // As tshark: mptcp.stream is shown for packets whose MPTCP options all parsed.
    if (hasMptcp && !malformedSeen && sub.connection !== null) info.mptcpStream = sub.connection;
    return info;
  }

  /** A join SYN to a connection that has all the subflows it may have (see ConnectionState.maxSubflows): counted, not tracked. */
  private isUntrackedJoin(seg: Segment, frame: number, time: number): boolean {
    const m = seg.mptcp[0];
    if (m === undefined || m.subtype !== 'MP_JOIN' || m.phase !== 'SYN' || !this.state.joinNotTracked(m.receiverToken as number, frame, time)) return false;
    this.joinsNotTracked++;
    return true;
  }

  /**
   * A stream's first MPTCP option: it becomes a subflow. What the flow table counted before
   * (packets, bytes, first frame) carries over.
   */
  private promote(hit: FlowHit, seg: Segment): Subflow {
    const flows = this.flows;
    const s = hit.stream;
    // The client is the SYN sender; a SYN/ACK names it as its destination; otherwise the
    // first packet's sender stands in for it.
    const clientDir = flows.firstWasSynAck(s) ? 1 : 0;
    const fromA = hit.dir === 0;
    const aKey = fromA ? hit.srcKey : hit.dstKey;
    const bKey = fromA ? hit.dstKey : hit.srcKey;
    const aPort = fromA ? seg.srcPort : seg.dstPort;
    const bPort = fromA ? seg.dstPort : seg.srcPort;
    const a = { addr: this.addresses.text(aKey), port: aPort };
    const b = { addr: this.addresses.text(bKey), port: bPort };
    const sub = newSubflow(s, clientDir === 0 ? a : b, clientDir === 0 ? b : a, flows.firstFrame(s), flows.firstTime(s));
    sub.clientDir = clientDir;
    // counted by the flow table already, and counted again by process() for this segment
    const cur = hit.dir === clientDir ? 'client' : 'server';
    sub.packets.client = flows.packets(s, clientDir);
    sub.packets.server = flows.packets(s, clientDir === 0 ? 1 : 0);
    sub.payloadBytes.client = flows.bytes(s, clientDir);
    sub.payloadBytes.server = flows.bytes(s, clientDir === 0 ? 1 : 0);
    sub.packets[cur]--;
    sub.payloadBytes[cur] -= seg.payloadLen;
    this.subflows[s] = sub;
    return sub;
  }

  /** Problems of a kind beyond those kept, per connection. */
  problemOverflow(conn: Connection): Array<{ kind: string; count: number }> {
    return this.state.problemOverflow(conn);
  }

  /** Called when a connection is created (e.g. to attach an extraction sink to its data streams). */
  set onConnection(hook: ((conn: Connection) => void) | null) {
    this.state.onConnection = hook;
  }

  get onConnection(): ((conn: Connection) => void) | null {
    return this.state.onConnection;
  }

  /** Hear of what happens (typed events); see events.ts. */
  subscribe(listener: TrackerListener): void {
    this.listeners.push(listener);
    this.detector ??= new ChangeDetector((e) => {
      for (const l of this.listeners) l(e);
    });
  }

  /** Connections still held (not released), in mptcp.stream order. */
  *heldConnections(): Iterable<Connection> {
    for (const c of this.connections) if (c !== undefined) yield c;
  }

  /**
   * Forget a connection: its subflows, tokens and problems go, its subscribers are told, and
   * later packets of its subflows are only counted (they open nothing new).
   */
  release(conn: Connection, frame: number, time: number): void {
    if (this.connections[conn.index] !== conn) return;
    for (const l of this.listeners) l({ type: 'connection-released', time, frame, connection: conn });
    this.detector?.forget(conn);
    for (const s of conn.subflows) {
      this.subflows[s] = undefined as unknown as Subflow;
      delete this.subflows[s];
      this.flows.markReleased(s);
      this.state.capableSyn.delete(s);
    }
    this.state.forget(conn);
    this.released++;
  }

  /** Close (as idle) every held connection with no packet for `timeoutSec` before `now`. */
  closeIdle(now: number, timeoutSec: number, frame: number): void {
    if (this.detector === null) return;
    for (const c of this.connections) {
      if (c !== undefined && now - c.lastTime > timeoutSec && !this.detector.closed(c)) this.detector.closeIdle(c, frame, now);
    }
  }

  /** The connection-closed event of this connection was sent. */
  isClosed(conn: Connection): boolean {
    return this.detector?.closed(conn) === true;
  }

  /** Subflows that offered MP_CAPABLE and got no MPTCP connection (v1 SYN never answered with MPTCP). */
  unansweredOffers(): UnansweredOffer[] {
    return [...this.eachUnansweredOffer()].sort((a, b) => a.tcpStream - b.tcpStream);
  }

  /** The same, one at a time and in no particular order (a flood's worth is never held at once). */
  *eachUnansweredOffer(): Iterable<UnansweredOffer> {
    for (const [stream, offer] of this.state.capableSyn) {
      const sub = this.subflows[stream];
      if (sub && sub.connection === null) yield { tcpStream: stream, version: offer.version, fallback: sub.fallback, client: sub.client, server: sub.server, startTime: sub.startTime };
    }
    for (const o of this.flows.offers()) {
      yield {
        tcpStream: o.stream,
        version: o.version,
        fallback: false,
        client: { addr: this.addresses.text(o.keyA), port: o.portA },
        server: { addr: this.addresses.text(o.keyB), port: o.portB },
        startTime: o.time,
      };
    }
  }

  unansweredOfferCount(): number {
    let n = 0;
    for (const [stream] of this.state.capableSyn) if (this.subflows[stream]?.connection === null) n++;
    return n + this.flows.offerCount;
  }
}

/** mptcp.ack as Wireshark prints it: the data ACK relative to the receiver's IDSN, modulo 2^64. */
export function mptcpAck(info: PacketInfo): bigint | null {
  if (!info.dataAckAbs.known || info.dataAckBase === null) return null;
  return BigInt.asUintN(64, info.dataAckAbs.big() - info.dataAckBase);
}

export interface UnansweredOffer {
  tcpStream: number;
  version: number;
  fallback: boolean;
  client: Endpoint;
  server: Endpoint;
  startTime: number;
}

export type { MptcpOption };
