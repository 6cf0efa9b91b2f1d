/**
 * The stateful pass over decoded packets: TCP subflows, then MPTCP connections (keys, tokens,
 * joins, addresses, HMACs, how things ended).
 *
 * Connections are numbered as Wireshark numbers `mptcp.stream` (packet-tcp.c, single pass), so
 * that the two tools can be compared packet by packet: a v0 connection gets its number at its
 * MP_CAPABLE SYN (which carries a key), a v1 connection at its SYN/ACK (the v1 SYN has none), a
 * join with a token nobody announced gets a new number (and later joins with that token share
 * it), and any other MPTCP option on a subflow of no known connection opens an "orphan" one.
 */
import { TCPRST_REASONS, type AddAddr, type Dss, type MpCapable, type MpJoin, type MptcpOption } from '../dissect/mptcp.js';
import type { Segment } from '../dissect/segment.js';
import { TcpFlag, type TcpSegment } from '../dissect/tcp.js';
import { addAddrHmac, joinAckHmac, joinSynAckHmac, keyMaterial, type MptcpVersion } from './crypto.js';
import { ConnectionData, newSide, type AddressEntry, type Connection, type ConnectionProblem, type Side, type Subflow } from './model.js';
import { addMapping, placePayload } from './data-level.js';
import { BufferBudget, DataStream } from './data-stream.js';
import { MappingTable, type Mapping } from './mapping.js';
import { widen32 } from './seq.js';
import { AddressTable } from './addresses.js';
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
  dataAckAbs: bigint | null;
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

const MPC_FLAG_A = 0x80;
const MPC_FLAG_H = 0x01;
/** Problems of one kind kept per connection: a join flood must not grow memory without bound. */
const MAX_PROBLEMS_PER_KIND = 20;

export class MptcpTracker {
  readonly addresses = new AddressTable();
  readonly flows = new FlowTable();
  /** By tcp.stream: only streams that carried an MPTCP option have one (plain TCP stays in `flows`). */
  readonly subflows: Subflow[] = [];
  /** By mptcp.stream; a released connection leaves a hole. */
  readonly connections: Array<Connection | undefined> = [];
  /** token → connection; first registration wins (as Wireshark). */
  private readonly byToken = new Map<number, Connection>();
  /** MP_CAPABLE SYN seen on this tcp.stream (version, flags), for fallback detection. */
  private readonly capableSyn = new Map<number, { version: number; flags: number }>();
  /** Per connection: problems seen of each kind (kept up to MAX_PROBLEMS_PER_KIND). */
  private readonly problemCounts = new Map<number, Map<string, number>>();
  private readonly listeners: TrackerListener[] = [];
  private detector: ChangeDetector | null = null;
  /** Connections released (freed) so far, and packets of their subflows seen after it. */
  released = 0;
  packetsAfterRelease = 0;
  /** v1 ADD_ADDR HMACs waiting for both keys. */
  private readonly pendingHmac = new WeakMap<AddressEntry, { hmac: bigint; bytes: Uint8Array }>();
  /**
   * Place payload bytes at their data sequence numbers (the data level). `dissect -T fields`
   * without mptcp.dsn turns it off: nothing it prints depends on it.
   */
  placeData = true;
  /** Called when a connection is created (e.g. to attach an extraction sink to its data streams). */
  onConnection: ((conn: Connection) => void) | null = null;
  /** Mappings seen in the current packet, applied to its payload after all options are read. */
  private readonly packetMappings: Mapping[] = [];
  private readonly info: PacketInfo = {
    tcpStream: null,
    mptcpStream: null,
    subflow: null,
    fromClient: true,
    expectedToken: null,
    expectedIdsn: null,
    dsn: null,
    dataAckAbs: null,
    dataAckBase: null,
    time: 0,
    srcKey: -1,
    dstKey: -1,
    deferredSyn: null,
  };

  /** One TCP segment (`decodeSegment` said true), `time` seconds after the first frame. */
  process(seg: Segment, time: number): PacketInfo {
    const info = this.info;
    const f = seg.frame as NonNullable<Segment['frame']>;
    info.time = time;
    info.tcpStream = null;
    info.mptcpStream = null;
    info.subflow = null;
    info.fromClient = true;
    info.expectedToken = null;
    info.expectedIdsn = null;
    info.dsn = null;
    info.dataAckAbs = null;
    info.dataAckBase = null;
    info.srcKey = -1;
    info.dstKey = -1;
    info.deferredSyn = null;
    if (seg.ipVersion === 0) return info;
    info.srcKey = this.addresses.key(seg, true);
    info.dstKey = this.addresses.key(seg, false);
    if (!seg.isTcp) return info;
    const tcp = seg;
    const hit = this.flows.lookup(seg, info.srcKey, info.dstKey, time);
    info.tcpStream = hit.stream;
    let sub = this.subflows[hit.stream];
    if (!sub) {
      // Plain TCP stays a row of the flow table; the first MPTCP option makes it a subflow. So
      // does the second packet of a stream that began with a bare v1 MP_CAPABLE SYN: a flood of
      // those costs a few bytes each until one is answered.
      if (this.released > 0 && this.flows.isReleased(hit.stream)) {
        this.packetsAfterRelease++;
        return info;
      }
      const offer = this.flows.offer(hit.stream, true);
      if (offer === null) {
        if (!seg.hasMptcpOption) return info;
        if (hit.isNew && isBareCapableSyn(seg)) {
          const m = seg.mptcp[0] as MpCapable;
          this.flows.setOffer(hit.stream, m.version, m.flags, seg.hasTimestamps ? seg.tsVal : null);
          return info;
        }
      }
      sub = this.promote(hit, seg);
      if (offer !== null) {
        // what the SYN would have done (onCapable and onTcpFlags of a v1 SYN)
        this.capableSyn.set(hit.stream, { version: offer.version, flags: offer.flags });
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

    this.packetMappings.length = 0;
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
          const conn = this.allocate(f.number, info.time);
          this.attach(sub, conn, true, 'orphan');
          this.problem(conn, 'malformed-option', f.number, `only a malformed MPTCP option opened this connection: ${m.reason}`);
        }
        continue;
      }
      if (sub.connection === null && m.byte2 >> 4 > 1) this.attach(sub, this.allocate(f.number, info.time), true, 'orphan');
      switch (m.subtype) {
        case 'MP_CAPABLE':
          hasCapable = true;
          this.onCapable(m, sub, fromClient, tcp.flags, f.number, info);
          break;
        case 'MP_JOIN':
          this.onJoin(m, sub, fromClient, f.number, info.time);
          break;
        case 'DSS':
          this.onDss(m, sub, fromClient, f.number, info);
          break;
        case 'ADD_ADDR':
          this.onAddAddr(m, sub, fromClient, f.number, info.time);
          break;
        case 'REMOVE_ADDR': {
          removeAddrSeen = true;
          const conn = this.conn(sub);
          const by = conn ? this.role(sub, fromClient) : null;
          for (const id of m.addrIds) {
            const entry = conn?.addresses.findLast((a) => a.addrId === id && a.announcedBy === by && a.removedFrame === null);
            if (entry) {
              entry.removedFrame = f.number;
              entry.removedTime = info.time;
            }
          }
          break;
        }
        case 'MP_PRIO':
          sub.backup = m.backup;
          sub.backupHistory.push({ frame: f.number, time: info.time, backup: m.backup, via: 'MP_PRIO', by: fromClient ? 'client' : 'server' });
          break;
        case 'MP_FASTCLOSE': {
          const conn = this.conn(sub);
          if (conn && !conn.fastClose) conn.fastClose = { frame: f.number, time: info.time, by: this.role(sub, fromClient) };
          if (tcp.flags & TcpFlag.RST || sub.end.how === 'open') endSubflow(sub, 'MP_FASTCLOSE', f.number, info.time, fromClient);
          break;
        }
        case 'MP_TCPRST':
          tcpRst = { reason: m.reason, transient: m.transient };
          break;
        case 'MP_FAIL': {
          const conn = this.conn(sub);
          if (conn) conn.data[this.role(sub, fromClient) === 'client' ? 's2c' : 'c2s'].mpFail.push({ frame: f.number, dsn: m.dataSeq.toString() });
          break;
        }
        case 'MP_EXPERIMENTAL':
        case 'UNKNOWN':
          break;
      }
    }
    this.onTcpFlags(seg, sub, fromClient, hasCapable, tcpRst, f.number, info.time);
    const payloadConn = this.conn(sub);
    if (payloadConn && tcp.payloadLen > 0 && this.placeData) {
      const d = placePayload(tcp as unknown as TcpSegment, sub, fromClient, this.stream(payloadConn, sub, fromClient), this.side(payloadConn, sub, fromClient), this.packetMappings, info.time);
      if (d !== null) info.dsn = d;
    }
    const conn = this.conn(sub);
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

  private conn(sub: Subflow): Connection | null {
    return sub.connection === null ? null : (this.connections[sub.connection] ?? null);
  }

  /** 'client'/'server' of the connection for the sender of a packet on this subflow. */
  private role(sub: Subflow, fromClient: boolean): 'client' | 'server' {
    const same = sub.clientIsConnectionClient !== false;
    return fromClient === same ? 'client' : 'server';
  }

  private side(conn: Connection, sub: Subflow, fromClient: boolean): Side {
    return this.role(sub, fromClient) === 'client' ? conn.client : conn.server;
  }

  /** The data stream a packet on this subflow belongs to. */
  private stream(conn: Connection, sub: Subflow, fromClient: boolean): DataStream {
    return this.role(sub, fromClient) === 'client' ? conn.data.c2s : conn.data.s2c;
  }

  private allocate(frame: number, time: number): Connection {
    const conn: Connection = {
      index: this.connections.length,
      version: null,
      clientEndpoint: null,
      serverEndpoint: null,
      client: newSide(),
      server: newSide(),
      checksums: false,
      subflows: [],
      addresses: [],
      problems: [],
      dataFin: { client: null, server: null },
      fastClose: null,
      firstFrame: frame,
      startTime: time,
      lastTime: time,
      fallback: false,
      data: new ConnectionData(this.newDataStream),
    };
    if (this.onConnection) this.onConnection(conn);
    this.connections.push(conn);
    return conn;
  }

  private attach(sub: Subflow, conn: Connection, clientIsConnectionClient: boolean, kind: Subflow['kind']): void {
    sub.connection = conn.index;
    sub.clientIsConnectionClient = clientIsConnectionClient;
    // no MP_CAPABLE seen: the first subflow's ends stand for the connection's (best guess)
    if (conn.clientEndpoint === null) {
      conn.clientEndpoint = { ...(clientIsConnectionClient ? sub.client : sub.server) };
      conn.serverEndpoint = { ...(clientIsConnectionClient ? sub.server : sub.client) };
    }
    // a v1 connection is numbered at its SYN/ACK, but it started with the SYN
    if (sub.startTime < conn.startTime) {
      conn.startTime = sub.startTime;
      conn.firstFrame = sub.firstFrame;
    }
    if (sub.kind === 'orphan') sub.kind = kind;
    conn.subflows.push(sub.tcpStream);
  }

  private problem(conn: Connection, kind: ConnectionProblem['kind'], frame: number, message: string): void {
    let counts = this.problemCounts.get(conn.index);
    if (counts === undefined) this.problemCounts.set(conn.index, (counts = new Map()));
    const n = (counts.get(kind) ?? 0) + 1;
    counts.set(kind, n);
    if (n <= MAX_PROBLEMS_PER_KIND) conn.problems.push({ frame, kind, message });
  }

  /** Problems of a kind beyond those kept, per connection. */
  problemOverflow(conn: Connection): Array<{ kind: string; count: number }> {
    const out: Array<{ kind: string; count: number }> = [];
    for (const [kind, n] of this.problemCounts.get(conn.index) ?? []) if (n > MAX_PROBLEMS_PER_KIND) out.push({ kind, count: n });
    return out;
  }

  /** Data held ahead of gaps, over all connections: past it, the oldest gaps are skipped (and reported). */
  readonly dataBudget = new BufferBudget();
  private readonly newDataStream = (): DataStream => new DataStream({ budget: this.dataBudget });

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
      this.capableSyn.delete(s);
    }
    for (const side of [conn.client, conn.server]) if (side.token !== null && this.byToken.get(side.token) === conn) this.byToken.delete(side.token);
    this.problemCounts.delete(conn.index);
    delete this.connections[conn.index];
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

  /**
   * Record a key for a side. The first key a side announces is its key (later MP_CAPABLEs echo
   * it); a different echo is reported, and the first stays (as Wireshark keeps it).
   */
  private setKey(conn: Connection, side: Side, key: bigint, version: number, frame: number, who: string): void {
    if (side.key !== null) {
      if (side.key !== key) {
        this.problem(conn, 'echoed-key-mismatch', frame, `the ${who}'s key is echoed as ${key} but was ${side.key} when first sent`);
      }
      return;
    }
    side.key = key;
    if (version !== 0 && version !== 1) {
      this.problem(conn, 'unsupported-version', frame, `MPTCP version ${version} is unknown: no token or IDSN can be derived from the ${who}'s key`);
      return;
    }
    const km = keyMaterial(key, version as MptcpVersion);
    side.token = km.token;
    side.idsn = km.idsn;
    const other = this.byToken.get(km.token);
    if (other && other !== conn) {
      this.problem(conn, 'token-collision', frame, `token ${km.token} of the ${who}'s key is already used by connection ${other.index}`);
    } else {
      this.byToken.set(km.token, conn);
    }
  }

  private onCapable(m: MpCapable, sub: Subflow, fromClient: boolean, tcpFlags: number, frame: number, info: PacketInfo): void {
    if ((tcpFlags & (TcpFlag.SYN | TcpFlag.ACK)) === TcpFlag.SYN) this.capableSyn.set(sub.tcpStream, { version: m.version, flags: m.flags });
    if (sub.kind === 'orphan' && sub.connection === null) sub.kind = 'initial';
    if (m.senderKey === null) return; // v1 SYN: no key, no connection yet (as Wireshark)
    let conn = this.conn(sub);
    if (!conn) {
      const known = this.byToken.get(keyMaterial(m.senderKey, m.version === 0 ? 0 : 1).token);
      conn = known ?? this.allocate(frame, info.time);
      this.attach(sub, conn, true, 'initial');
      sub.kind = 'initial';
      if (!known) {
        conn.clientEndpoint = { ...sub.client };
        conn.serverEndpoint = { ...sub.server };
      }
    }
    if ((m.version === 0 || m.version === 1) && (conn.version === null || !fromClient)) conn.version = m.version; // the SYN/ACK's version is the one agreed
    const role = this.role(sub, fromClient);
    const sender = role === 'client' ? conn.client : conn.server;
    const receiver = role === 'client' ? conn.server : conn.client;
    if (sender.capableFlags === null) {
      sender.capableFlags = m.flags;
      if ((m.flags & MPC_FLAG_H) === 0) this.problem(conn, 'missing-crypto', frame, `the ${role} offers no HMAC algorithm it supports (flag H not set: flags 0x${m.flags.toString(16).padStart(2, '0')})`);
    }
    if (m.flags & MPC_FLAG_A) conn.checksums = true;
    this.setKey(conn, sender, m.senderKey, m.version, frame, role);
    info.expectedToken = sender.token;
    info.expectedIdsn = sender.idsn;
    if (m.receiverKey !== null) this.setKey(conn, receiver, m.receiverKey, m.version, frame, role === 'client' ? 'server' : 'client');
    // RFC 8684 §3.1: a v1 third ACK with data carries an implicit mapping at IDSN+1, SSN 1.
    if (m.dataLen !== null && sender.idsn !== null) {
      addMapping(this.stream(conn, sub, fromClient), sub, fromClient, { dsn: sender.idsn + 1n, ssn: 1, dataLen: m.dataLen, dataFin: false, checksum: m.checksum, frame, dsnExact: true }, this.packetMappings);
    }
    for (const sf of conn.subflows) {
      const s = this.subflows[sf];
      if (s?.join) this.verifyJoin(conn, s, frame);
    }
    for (const a of conn.addresses) if (a.hmacValid === null) this.verifyAddAddrLater(conn, a);
  }

  private onJoin(m: MpJoin, sub: Subflow, fromClient: boolean, frame: number, time: number): void {
    sub.kind = 'join';
    if (m.phase === 'SYN') {
      if (!sub.join) {
        sub.join = {
          token: m.receiverToken as number,
          tokenKnown: false,
          nonceClient: null,
          nonceServer: null,
          synAckHmac: null,
          ackHmac: null,
          synAckHmacValid: null,
          ackHmacValid: null,
          refused: false,
        };
      }
      if (fromClient) {
        sub.join.nonceClient = m.senderNonce;
        sub.addrIdClient = m.addrId;
        if (sub.backupHistory.length === 0 || sub.backup !== m.backup) sub.backupHistory.push({ frame, time, backup: m.backup, via: 'join', by: 'client' });
        sub.backup = m.backup;
      }
      if (sub.connection === null) {
        const token = m.receiverToken as number;
        let conn = this.byToken.get(token);
        sub.join.tokenKnown = conn !== undefined && (conn.client.key !== null || conn.server.key !== null);
        if (!conn) {
          conn = this.allocate(frame, time);
          conn.server.token = token;
          conn.clientEndpoint = { ...sub.client };
          conn.serverEndpoint = { ...sub.server };
          this.byToken.set(token, conn);
          this.problem(conn, 'unknown-token', frame, `join SYN to token ${token}, which no MP_CAPABLE in this capture produced (capture started after the handshake, or a wrong token)`);
        }
        // The token names the SYN's receiver: the join's client is the other side.
        const receiverIsServer = conn.server.token === token;
        this.attach(sub, conn, receiverIsServer, 'join');
        if (!sub.join.tokenKnown && conn.subflows.length > 1 && conn.client.key === null && conn.server.key === null) sub.join.tokenKnown = false;
      }
    } else {
      if (!sub.join) {
        sub.join = { token: 0, tokenKnown: false, nonceClient: null, nonceServer: null, synAckHmac: null, ackHmac: null, synAckHmacValid: null, ackHmacValid: null, refused: false };
      }
      if (sub.connection === null) this.attach(sub, this.allocate(frame, time), true, 'join');
      if (m.phase === 'SYN/ACK') {
        sub.join.nonceServer = m.senderNonce;
        sub.join.synAckHmac = m.senderTruncHmac;
        sub.addrIdServer = m.addrId;
        if (m.backup) sub.backupHistory.push({ frame, time, backup: true, via: 'join', by: 'server' });
      } else {
        sub.join.ackHmac = m.senderHmac;
      }
    }
    const conn = this.conn(sub);
    if (conn) {
      this.markUsed(conn, sub);
      this.verifyJoin(conn, sub, frame);
    }
  }

  private markUsed(conn: Connection, sub: Subflow): void {
    for (const a of conn.addresses) {
      if ((a.address === sub.client.addr || a.address === sub.server.addr) && (a.port === null || a.port === sub.server.port || a.port === sub.client.port)) a.used = true;
    }
  }

  /** RFC 8684 §3.2: A = the join's initiator (subflow client), B = its peer. */
  private verifyJoin(conn: Connection, sub: Subflow, frame: number): void {
    const j = sub.join;
    if (!j || conn.version === null) return;
    const a = this.side(conn, sub, true);
    const b = this.side(conn, sub, false);
    if (a.key === null || b.key === null || j.nonceClient === null || j.nonceServer === null) return;
    if (j.synAckHmac !== null && j.synAckHmacValid === null) {
      j.synAckHmacValid = joinSynAckHmac(conn.version, a.key, b.key, j.nonceClient, j.nonceServer) === j.synAckHmac;
      if (!j.synAckHmacValid) this.problem(conn, 'join-hmac-invalid', frame, `subflow ${sub.tcpStream}: the join SYN/ACK's HMAC does not match the keys and nonces`);
    }
    if (j.ackHmac !== null && j.ackHmacValid === null) {
      j.ackHmacValid = joinAckHmac(conn.version, a.key, b.key, j.nonceClient, j.nonceServer) === j.ackHmac;
      if (!j.ackHmacValid) this.problem(conn, 'join-hmac-invalid', frame, `subflow ${sub.tcpStream}: the join third ACK's HMAC does not match the keys and nonces`);
    }
    const verdicts = [j.synAckHmacValid, j.ackHmacValid];
    sub.hmacValid = verdicts.includes(false) ? false : verdicts.includes(true) ? true : null;
  }

  private onDss(m: Dss, sub: Subflow, fromClient: boolean, frame: number, info: PacketInfo): void {
    const conn = this.conn(sub);
    if (!conn) return;
    const sender = this.side(conn, sub, fromClient);
    const receiver = this.side(conn, sub, !fromClient);
    if (m.dataSeq64) sender.dsn64Seen = true;
    const role = this.role(sub, fromClient);
    // A data ACK acknowledges the other direction's data.
    const acked = conn.data[role === 'client' ? 's2c' : 'c2s'];
    const own = conn.data[role === 'client' ? 'c2s' : 's2c'];
    if (acked.base === null && receiver.idsn !== null) {
      acked.base = receiver.idsn;
      acked.baseFromKey = true;
    }
    if (own.base === null && sender.idsn !== null) {
      own.base = sender.idsn;
      own.baseFromKey = true;
    }
    if (m.dataAck !== null) {
      const ref = acked.lastAckAbs ?? acked.lastDsnAbs ?? receiver.idsn ?? m.dataAck;
      const full = m.dataAck64 ? m.dataAck : widen32(m.dataAck, ref);
      acked.lastAckAbs = full;
      if (acked.base !== null) acked.ack(Number(BigInt.asIntN(64, full - acked.base)), info.time, frame);
      if (receiver.idsn !== null || receiver.dsn64Seen) {
        // mptcp.ack as Wireshark: relative to the receiver's IDSN (0 when only a 64-bit DSN was seen)
        if (info.dataAckAbs === null) {
          info.dataAckAbs = full;
          info.dataAckBase = receiver.idsn ?? 0n;
        }
      }
    }
    if (m.dataSeq !== null && m.subflowSeq !== null && m.dataLen !== null) {
      const full = m.dataSeq64 ? m.dataSeq : widen32(m.dataSeq, own.lastDsnAbs ?? own.base ?? m.dataSeq);
      // The checksum covers the 64-bit DSN: a 32-bit one can only be widened right when the
      // IDSN (the key) or an earlier 64-bit DSN gives the high half.
      if (m.dataSeq64) own.dsnHighKnown = true;
      addMapping(own, sub, fromClient, { dsn: full, ssn: m.subflowSeq, dataLen: m.dataLen, dataFin: m.dataFin, checksum: m.checksum, frame, dsnExact: own.dsnHighKnown || own.baseFromKey }, this.packetMappings);
    }
    if (m.dataFin) {
      if (!conn.dataFin[role]) conn.dataFin[role] = { frame, time: info.time, dataSeq: m.dataSeq };
    }
  }

  private onAddAddr(m: AddAddr, sub: Subflow, fromClient: boolean, frame: number, time: number): void {
    const conn = this.conn(sub);
    if (!conn) return;
    const by = this.role(sub, fromClient);
    if (m.echo) {
      const original = conn.addresses.findLast((a) => a.addrId === m.addrId && a.address === m.address && a.announcedBy !== by);
      if (original) original.echoed = true;
      return;
    }
    const same = conn.addresses.findLast((a) => a.addrId === m.addrId && a.announcedBy === by && a.removedFrame === null);
    if (same && same.address === m.address && same.port === m.port) return; // retransmitted announcement
    if (same) {
      this.problem(conn, 'duplicate-address-id', frame, `the ${by} announces address ID ${m.addrId} as ${m.address} while it still stands for ${same.address} (frame ${same.frame})`);
    }
    const entry: AddressEntry = {
      addrId: m.addrId,
      address: m.address,
      port: m.port,
      announcedBy: by,
      frame,
      time,
      hmacValid: null,
      echoed: false,
      removedFrame: null,
      removedTime: null,
      used: false,
    };
    // kept only until the HMAC can be checked (the keys may come later)
    if (m.truncHmac !== null) this.pendingHmac.set(entry, { hmac: m.truncHmac, bytes: m.addressBytes });
    conn.addresses.push(entry);
    this.verifyAddAddrLater(conn, entry);
    for (const sf of conn.subflows) {
      const s = this.subflows[sf];
      if (s) this.markUsed(conn, s);
    }
  }

  private verifyAddAddrLater(conn: Connection, a: AddressEntry): void {
    const pending = this.pendingHmac.get(a);
    if (!pending || a.announcedBy === null) return;
    const sender = a.announcedBy === 'client' ? conn.client : conn.server;
    const receiver = a.announcedBy === 'client' ? conn.server : conn.client;
    if (sender.key === null || receiver.key === null) return;
    a.hmacValid = addAddrHmac(sender.key, receiver.key, a.addrId, pending.bytes, a.port) === pending.hmac;
    this.pendingHmac.delete(a);
    if (!a.hmacValid) this.problem(conn, 'add-addr-hmac-invalid', a.frame, `ADD_ADDR of address ID ${a.addrId} (${a.address}) carries an HMAC that does not match the keys`);
  }

  private onTcpFlags(tcp: Segment, sub: Subflow, fromClient: boolean, hasCapable: boolean, tcpRst: { reason: number; transient: boolean } | null, frame: number, time: number): void {
    const flags = tcp.flags;
    const syn = (flags & TcpFlag.SYN) !== 0;
    const ack = (flags & TcpFlag.ACK) !== 0;
    if (syn && !ack && fromClient) {
      sub.synSeen = true;
      if (sub.isn.client === null) sub.isn.client = tcp.seq;
    } else if (syn && ack && !fromClient) {
      if (sub.isn.server === null) sub.isn.server = tcp.seq;
      const offer = this.capableSyn.get(sub.tcpStream);
      if (offer && !hasCapable && !sub.fallback) {
        sub.fallback = true;
        const conn = this.conn(sub);
        if (conn) {
          conn.fallback = true;
          this.problem(conn, 'fallback', frame, `the server answered the MP_CAPABLE SYN without MP_CAPABLE: the connection fell back to plain TCP`);
        }
      }
    } else if (ack && !syn && fromClient && sub.establishedTime === null && sub.isn.server !== null) {
      sub.establishedTime = time;
      const conn = this.conn(sub);
      sub.bytesBeforeEstablished = conn ? (conn.data.peek('c2s')?.deliveredBytes ?? 0) + (conn.data.peek('s2c')?.deliveredBytes ?? 0) : null;
    }
    if (flags & TcpFlag.FIN) {
      if (fromClient) sub.finClient = true;
      else sub.finServer = true;
      if (sub.finClient && sub.finServer && sub.end.how === 'open') endSubflow(sub, 'FIN', frame, time, fromClient);
    }
    if (flags & TcpFlag.RST) {
      if (tcpRst) {
        endSubflow(sub, 'MP_TCPRST', frame, time, fromClient);
        sub.end.reason = tcpRst.reason;
        sub.end.reasonText = TCPRST_REASONS[tcpRst.reason] ?? 'unknown reason';
        sub.end.transient = tcpRst.transient;
      } else if (sub.end.how === 'open' || sub.end.how === 'FIN') {
        endSubflow(sub, 'RST', frame, time, fromClient);
      }
      if (sub.join && sub.establishedTime === null && !fromClient) {
        sub.join.refused = true;
        const conn = this.conn(sub);
        if (conn) this.problem(conn, 'join-refused', frame, `subflow ${sub.tcpStream} (${sub.client.addr}:${sub.client.port} → ${sub.server.addr}:${sub.server.port}): the join was refused with a RST`);
      }
    }
  }

  /** Subflows that offered MP_CAPABLE and got no MPTCP connection (v1 SYN never answered with MPTCP). */
  unansweredOffers(): UnansweredOffer[] {
    return [...this.eachUnansweredOffer()].sort((a, b) => a.tcpStream - b.tcpStream);
  }

  /** The same, one at a time and in no particular order (a flood's worth is never held at once). */
  *eachUnansweredOffer(): Iterable<UnansweredOffer> {
    for (const [stream, offer] of this.capableSyn) {
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
    for (const [stream] of this.capableSyn) if (this.subflows[stream]?.connection === null) n++;
    return n + this.flows.offerCount;
  }
}

/** mptcp.ack as Wireshark prints it: the data ACK relative to the receiver's IDSN, modulo 2^64. */
export function mptcpAck(info: PacketInfo): bigint | null {
  if (info.dataAckAbs === null || info.dataAckBase === null) return null;
  return BigInt.asUintN(64, info.dataAckAbs - info.dataAckBase);
}

export interface UnansweredOffer {
  tcpStream: number;
  version: number;
  fallback: boolean;
  client: { addr: string; port: number };
  server: { addr: string; port: number };
  startTime: number;
}

/** A SYN whose only MPTCP option is a key-less (v1) MP_CAPABLE, and no data. */
function isBareCapableSyn(seg: Segment): boolean {
  if ((seg.flags & (TcpFlag.SYN | TcpFlag.ACK)) !== TcpFlag.SYN || seg.payloadLen !== 0 || seg.mptcp.length !== 1) return false;
  const m = seg.mptcp[0] as MptcpOption;
  return m.subtype === 'MP_CAPABLE' && m.senderKey === null && m.version !== 0;
}

function newSubflow(tcpStream: number, client: { addr: string; port: number }, server: { addr: string; port: number }, frame: number, time: number): Subflow {
  return {
    tcpStream,
    clientDir: 0,
    connection: null,
    kind: 'orphan',
    client,
    server,
    clientIsConnectionClient: null,
    synSeen: false,
    isn: { client: null, server: null },
    addrIdClient: null,
    addrIdServer: null,
    backup: false,
    backupHistory: [],
    join: null,
    hmacValid: null,
    firstFrame: frame,
    startTime: time,
    establishedTime: null,
    bytesBeforeEstablished: null,
    end: { how: 'open', frame: null, time: null, reason: null, reasonText: null, transient: null, by: null },
    finClient: false,
    finServer: false,
    fallback: false,
    packets: { client: 0, server: 0 },
    payloadBytes: { client: 0, server: 0 },
    lastTime: time,
    mappings: { client: new MappingTable(), server: new MappingTable() },
  };
}

function endSubflow(sub: Subflow, how: Subflow['end']['how'], frame: number, time: number, fromClient: boolean): void {
  sub.end.how = how;
  sub.end.frame = frame;
  sub.end.time = time;
  sub.end.by = fromClient ? 'client' : 'server';
}

export type { MptcpOption };
