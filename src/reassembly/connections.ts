/**
 * Connection state (RFC 8684 §3): MPTCP connections, numbered as Wireshark numbers `mptcp.stream`
 * (packet-tcp.c, single pass), their keys, tokens and IDSNs, joins and their HMACs, the address
 * book, and the problems found. The tracker (tracker.ts) hands each MPTCP option of a subflow to
 * the handler of its subtype here.
 *
 * A v0 connection gets its number at its MP_CAPABLE SYN (which carries a key), a v1 connection at
 * its SYN/ACK (the v1 SYN has none), a join with a token nobody announced gets a new number (and
 * later joins with that token share it), and any other MPTCP option on a subflow of no known
 * connection opens an "orphan" one.
 */
import { hiOf, loOf } from '../dissect/u64.js';
import type { AddAddr, MpCapable, MpJoin } from '../dissect/mptcp.js';
import { TcpFlag } from '../dissect/tcp.js';
import { addAddrHmac, joinAckHmac, joinSynAckHmac, keyMaterial, type MptcpVersion } from './crypto.js';
import { addMapping } from './data-level.js';
import { BufferBudget, DataStream } from './data-stream.js';
import type { Mapping } from './mapping.js';
import { ConnectionData, newSide, type AddressEntry, type Connection, type ConnectionProblem, type Side, type Subflow } from './model.js';

/** Problems of one kind kept per connection: a join flood must not grow memory without bound. */
const MAX_PROBLEMS_PER_KIND = 20;
const MPC_FLAG_A = 0x80;
const MPC_FLAG_H = 0x01;

/** What onCapable tells of the packet (mptcp.expected_token and expected_idsn). */
export interface CapableInfo {
  expectedToken: number | null;
  expectedIdsn: bigint | null;
}

export class ConnectionState {
  /** By mptcp.stream; a released connection leaves a hole. */
  readonly connections: Array<Connection | undefined> = [];
  /** token → connection; first registration wins (as Wireshark). */
  readonly byToken = new Map<number, Connection>();
  /** MP_CAPABLE SYN seen on this tcp.stream (version, flags), for fallback detection. */
  readonly capableSyn = new Map<number, { version: number; flags: number }>();
  /** Per connection: problems seen of each kind (kept up to MAX_PROBLEMS_PER_KIND). */
  readonly problemCounts = new Map<number, Map<string, number>>();
  /** v1 ADD_ADDR HMACs waiting for both keys. */
  private readonly pendingHmac = new WeakMap<AddressEntry, { hmac: bigint; bytes: Uint8Array }>();
  /** Data held ahead of gaps, over all connections: past it, the oldest gaps are skipped (and reported). */
  readonly dataBudget = new BufferBudget();
  private readonly newDataStream = (): DataStream => new DataStream({ budget: this.dataBudget });
  /** Called when a connection is created (e.g. to attach an extraction sink to its data streams). */
  onConnection: ((conn: Connection) => void) | null = null;
  /** Subflows of the connections held (not released): what a flood grows. */
  heldSubflows = 0;
  /**
   * Subflows tracked per connection; past it, a connection is taken to be under a join flood and
   * later joins are only counted. Unbounded by default, as Wireshark (dissect's mptcp.stream equals
   * tshark's); `analyze` bounds it by what it holds at most (--max-held).
   */
  maxSubflows = Infinity;

  constructor(
    /** The tracker's subflows, by tcp.stream. */
    private readonly subflows: Subflow[],
    /** Mappings seen in the current packet (the tracker's), applied to its payload after all options. */
    private readonly packetMappings: Mapping[],
  ) {}

  conn(sub: Subflow): Connection | null {
    return sub.connection === null ? null : (this.connections[sub.connection] ?? null);
  }

  /** 'client'/'server' of the connection for the sender of a packet on this subflow. */
  role(sub: Subflow, fromClient: boolean): 'client' | 'server' {
    const same = sub.clientIsConnectionClient !== false;
    return fromClient === same ? 'client' : 'server';
  }

  side(conn: Connection, sub: Subflow, fromClient: boolean): Side {
    return this.role(sub, fromClient) === 'client' ? conn.client : conn.server;
  }

  /** The data stream a packet on this subflow belongs to. */
  stream(conn: Connection, sub: Subflow, fromClient: boolean): DataStream {
    return this.role(sub, fromClient) === 'client' ? conn.data.c2s : conn.data.s2c;
  }

  allocate(frame: number, time: number): Connection {
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
      joinsNotTracked: null,
    };
    if (this.onConnection) this.onConnection(conn);
    this.connections.push(conn);
    return conn;
  }

  attach(sub: Subflow, conn: Connection, clientIsConnectionClient: boolean, kind: Subflow['kind']): void {
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
    // exactly sized for the first: a push into [] makes room for 17 (a flood has one subflow per connection)
    if (conn.subflows.length === 0) conn.subflows = [sub.tcpStream];
    else conn.subflows.push(sub.tcpStream);
    this.heldSubflows++;
  }

  /**
   * A join SYN to `token` that is not tracked, because its connection has maxSubflows already (a
   * join flood): counted on the connection, reported once. True when so.
   */
  joinNotTracked(token: number, frame: number, time: number): boolean {
    const conn = this.byToken.get(token);
    if (conn === undefined || conn.subflows.length < this.maxSubflows) return false;
    if (conn.joinsNotTracked === null) {
      conn.joinsNotTracked = { count: 0, firstFrame: frame, lastFrame: frame, lastTime: time };
      this.problem(conn, 'join-flood', frame, `${this.maxSubflows} subflows already: from this frame on, joins to token ${token} are counted (summary.joinsNotTracked), not tracked`);
    }
    const j = conn.joinsNotTracked;
    j.count++;
    j.lastFrame = frame;
    j.lastTime = time;
    return true;
  }

  problem(conn: Connection, kind: ConnectionProblem['kind'], frame: number, message: string): void {
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

  /**
   * Record a key for a side. The first key a side announces is its key (later MP_CAPABLEs echo
   * it); a different echo is reported, and the first stays (as Wireshark keeps it).
   */
  setKey(conn: Connection, side: Side, key: bigint, version: number, frame: number, who: string): void {
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

  onCapable(m: MpCapable, sub: Subflow, fromClient: boolean, tcpFlags: number, frame: number, time: number, info: CapableInfo): void {
    if ((tcpFlags & (TcpFlag.SYN | TcpFlag.ACK)) === TcpFlag.SYN) this.capableSyn.set(sub.tcpStream, { version: m.version, flags: m.flags });
    if (sub.kind === 'orphan' && sub.connection === null) sub.kind = 'initial';
    if (m.senderKey === null) return; // v1 SYN: no key, no connection yet (as Wireshark)
    let conn = this.conn(sub);
    if (!conn) {
      const known = this.byToken.get(keyMaterial(m.senderKey, m.version === 0 ? 0 : 1).token);
      conn = known ?? this.allocate(frame, time);
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
      addMapping(this.stream(conn, sub, fromClient), sub, fromClient, { dsnHi: hiOf(sender.idsn + 1n), dsnLo: loOf(sender.idsn + 1n), ssn: 1, dataLen: m.dataLen, dataFin: false, checksum: m.checksum, frame, dsnExact: true }, this.packetMappings);
    }
    for (const sf of conn.subflows) {
      const s = this.subflows[sf];
      if (s?.join) this.verifyJoin(conn, s, frame);
    }
    for (const a of conn.addresses) if (a.hmacValid === null) this.verifyAddAddrLater(conn, a);
  }

  onJoin(m: MpJoin, sub: Subflow, fromClient: boolean, frame: number, time: number): void {
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

  markUsed(conn: Connection, sub: Subflow): void {
    for (const a of conn.addresses) {
      if ((a.address === sub.client.addr || a.address === sub.server.addr) && (a.port === null || a.port === sub.server.port || a.port === sub.client.port)) a.used = true;
    }
  }

  /** RFC 8684 §3.2: A = the join's initiator (subflow client), B = its peer. */
  verifyJoin(conn: Connection, sub: Subflow, frame: number): void {
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

  onAddAddr(m: AddAddr, sub: Subflow, fromClient: boolean, frame: number, time: number): void {
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

  verifyAddAddrLater(conn: Connection, a: AddressEntry): void {
    const pending = this.pendingHmac.get(a);
    if (!pending || a.announcedBy === null) return;
    const sender = a.announcedBy === 'client' ? conn.client : conn.server;
    const receiver = a.announcedBy === 'client' ? conn.server : conn.client;
    if (sender.key === null || receiver.key === null) return;
    a.hmacValid = addAddrHmac(sender.key, receiver.key, a.addrId, pending.bytes, a.port) === pending.hmac;
    this.pendingHmac.delete(a);
    if (!a.hmacValid) this.problem(conn, 'add-addr-hmac-invalid', a.frame, `ADD_ADDR of address ID ${a.addrId} (${a.address}) carries an HMAC that does not match the keys`);
  }

  /** REMOVE_ADDR: the sender's announcements of these IDs stand no more. */
  onRemoveAddr(addrIds: readonly number[], sub: Subflow, fromClient: boolean, frame: number, time: number): void {
    const conn = this.conn(sub);
    const by = conn ? this.role(sub, fromClient) : null;
    for (const id of addrIds) {
      const entry = conn?.addresses.findLast((a) => a.addrId === id && a.announcedBy === by && a.removedFrame === null);
      if (entry) {
        entry.removedFrame = frame;
        entry.removedTime = time;
      }
    }
  }

  /** Forget a released connection's tokens and problem counts. */
  forget(conn: Connection): void {
    for (const side of [conn.client, conn.server]) if (side.token !== null && this.byToken.get(side.token) === conn) this.byToken.delete(side.token);
    this.problemCounts.delete(conn.index);
    this.heldSubflows -= conn.subflows.length;
    delete this.connections[conn.index];
  }
}
