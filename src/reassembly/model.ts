/**
 * The records src/reassembly builds: MPTCP connections, their subflows and their addresses.
 * Kept for the whole capture (they are the analysis), so they hold no packet bytes.
 */
import type { MptcpVersion } from './crypto.js';
import type { DataStream } from './data-stream.js';
import type { MappingTable } from './mapping.js';

export interface Endpoint {
  addr: string;
  port: number;
}

/** One side of an MPTCP connection: what it sent in MP_CAPABLE and what follows from it. */
export interface Side {
  key: bigint | null;
  token: number | null;
  idsn: bigint | null;
  /** MP_CAPABLE flags byte this side sent, null until seen. */
  capableFlags: number | null;
  /** It sent a 64-bit DSN (tshark's BASE_DSN_MSB): its data ACKs can be shown even without a key. */
  dsn64Seen: boolean;
}

export type EndReason = 'FIN' | 'RST' | 'MP_TCPRST' | 'MP_FASTCLOSE' | 'open';

export interface SubflowEnd {
  how: EndReason;
  /** Frame and time (seconds since the first frame) of the segment that ended it. */
  frame: number | null;
  time: number | null;
  /** MP_TCPRST reason code and text. */
  reason: number | null;
  reasonText: string | null;
  transient: boolean | null;
  /** Which side ended it ('client' = the subflow's SYN sender). */
  by: 'client' | 'server' | null;
}

export type HmacVerdict = true | false | null;

export interface JoinInfo {
  /** Receiver's token from the join SYN. */
  token: number;
  /** The token named no connection this capture knows (keys and tokens not seen). */
  tokenKnown: boolean;
  nonceClient: number | null;
  nonceServer: number | null;
  /** SYN/ACK truncated HMAC (from the join's responder) and third-ACK HMAC (from its initiator). */
  synAckHmac: bigint | null;
  ackHmac: string | null;
  synAckHmacValid: HmacVerdict;
  ackHmacValid: HmacVerdict;
  /** The server reset the join before any payload (refused: at the SYN or at the third ACK). */
  refused: boolean;
}

export interface BackupChange {
  frame: number;
  time: number;
  backup: boolean;
  /** 'join' = the B bit of the join SYN/SYN-ACK; 'MP_PRIO' = a later change. */
  via: 'join' | 'MP_PRIO';
  by: 'client' | 'server';
}

export interface Subflow {
  /** tcp.stream of this subflow. */
  tcpStream: number;
  /** Which direction of the flow table's stream the client sends in (0 = its first packet's sender). */
  clientDir: 0 | 1;
  /** The connection it belongs to (its mptcp.stream), null while unknown. */
  connection: number | null;
  /** 'initial' = MP_CAPABLE handshake; 'join' = MP_JOIN; 'orphan' = MPTCP options but no handshake seen. */
  kind: 'initial' | 'join' | 'orphan';
  /** The SYN sender (or, with no SYN seen, the sender of the first packet) and its peer. */
  client: Endpoint;
  server: Endpoint;
  /** true when the subflow's client is the connection's client (the side that sent MP_CAPABLE SYN). */
  clientIsConnectionClient: boolean | null;
  synSeen: boolean;
  isn: { client: number | null; server: number | null };
  /** Address IDs: the client's from the join SYN, the server's from the join SYN/ACK. */
  addrIdClient: number | null;
  addrIdServer: number | null;
  backup: boolean;
  backupHistory: BackupChange[];
  join: JoinInfo | null;
  /** Both join HMACs valid: true; one invalid: false; not verifiable (keys not captured): null. */
  hmacValid: HmacVerdict;
  firstFrame: number;
  startTime: number;
  /** When the three-way handshake completed (third ACK), seconds since the first frame. */
  establishedTime: number | null;
  /** Data-level bytes the connection had delivered (both directions) when this subflow was established. */
  bytesBeforeEstablished: number | null;
  end: SubflowEnd;
  finClient: boolean;
  finServer: boolean;
  /** An MP_CAPABLE SYN answered without MP_CAPABLE: fell back to plain TCP. */
  fallback: boolean;
  /** Packets and TCP payload bytes (tcp.len) sent by each side. */
  packets: { client: number; server: number };
  payloadBytes: { client: number; server: number };
  lastTime: number;
  /** DSS mappings of what the client and the server send on this subflow. */
  mappings: { client: MappingTable; server: MappingTable };
}

export interface AddressEntry {
  addrId: number;
  address: string;
  port: number | null;
  /** 'client' or 'server' of the connection. */
  announcedBy: 'client' | 'server' | null;
  frame: number;
  time: number;
  /** v1 ADD_ADDR HMAC: verified against the keys, null when not verifiable (v0, echo, keys unknown). */
  hmacValid: HmacVerdict;
  echoed: boolean;
  removedFrame: number | null;
  removedTime: number | null;
  /** A subflow used this address (as a join's source or destination). */
  used: boolean;
}

export interface ConnectionProblem {
  frame: number;
  kind:
    | 'echoed-key-mismatch'
    | 'missing-crypto'
    | 'unsupported-version'
    | 'fallback'
    | 'unknown-token'
    | 'join-refused'
    | 'join-hmac-invalid'
    | 'add-addr-hmac-invalid'
    | 'duplicate-address-id'
    | 'token-collision'
    | 'malformed-option'
    | 'join-flood'
    | 'written-out-open';
  message: string;
}

export interface DataFin {
  frame: number;
  time: number;
  /** Data sequence number of the DATA_FIN (raw as on the wire). */
  dataSeq: bigint | null;
}

export interface Connection {
  /** mptcp.stream. */
  index: number;
  version: MptcpVersion | null;
  /** The side that opened the connection (sent the MP_CAPABLE SYN), when seen. */
  clientEndpoint: Endpoint | null;
  serverEndpoint: Endpoint | null;
  client: Side;
  server: Side;
  /** DSS checksums in use (either side set A in MP_CAPABLE). */
  checksums: boolean;
  /** Subflows, by tcp.stream, in order of appearance. */
  subflows: number[];
  addresses: AddressEntry[];
  problems: ConnectionProblem[];
  dataFin: { client: DataFin | null; server: DataFin | null };
  fastClose: { frame: number; time: number; by: 'client' | 'server' | null } | null;
  firstFrame: number;
  startTime: number;
  lastTime: number;
  fallback: boolean;
  /** The data stream of each direction: c2s is what the connection's client sends. */
  data: ConnectionData;
  /** Join SYNs beyond ConnectionState.maxSubflows, counted only; null when there were none. */
  joinsNotTracked: { count: number; firstFrame: number; lastFrame: number; lastTime: number } | null;
}

/** c2s: what the connection's client sends; s2c: what its server sends. */
export type Direction = 'c2s' | 's2c';

/**
 * The two data streams of a connection, made when first used: a flood of connection attempts
 * that never carry data costs no reassembly state.
 */
export class ConnectionData {
  private c2sStream: DataStream | null = null;
  private s2cStream: DataStream | null = null;

  constructor(private readonly make: () => DataStream) {}

  get c2s(): DataStream {
    return (this.c2sStream ??= this.make());
  }

  get s2c(): DataStream {
    return (this.s2cStream ??= this.make());
  }

  /** The stream if it exists, without making it. */
  peek(dir: Direction): DataStream | null {
    return dir === 'c2s' ? this.c2sStream : this.s2cStream;
  }
}

export function newSide(): Side {
  return { key: null, token: null, idsn: null, capableFlags: null, dsn64Seen: false };
}
