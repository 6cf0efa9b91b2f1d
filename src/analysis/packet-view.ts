/**
 * A decoded packet plus what the stateful layers know about it: the record every packet
 * renderer (summary line, -V tree, JSON, fields) reads. Valid only while its frame is.
 */
import type { Frame } from '../dissect/frame.js';
import type { Packet } from '../dissect/packet.js';
import type { Segment } from '../dissect/segment.js';
import type { Connection } from '../reassembly/model.js';
import type { TcpAnalysisResult } from './tcp-analysis.js';
import type { DsnResult } from './mptcp-dsn.js';

export interface PacketView {
  frame: Frame;
  /** What the hot path read of the packet (TCP fields, MPTCP options): cheap, always there. */
  seg: Segment;
  /** The full decoded record (may be decoded only when first read). */
  readonly pkt: Packet;
  /** Seconds since the first frame, 9 decimals (frame.time_relative). */
  relTime: string;
  tcpStream: number | null;
  mptcpStream: number | null;
  expectedToken: number | null;
  expectedIdsn: bigint | null;
  /** Relative 64-bit DSN of the payload (mptcp.dsn), when known. */
  dsn: bigint | null;
  /** Relative 64-bit data ACK (mptcp.ack), when known. */
  dataAck: bigint | null;
  /** Nanoseconds since the previous frame (frame.time_delta). */
  deltaNs: number;
  /** TCP sequence analysis as tshark's (null when off or not TCP). */
  tcp: TcpAnalysisResult | null;
  /** tshark's mapping analysis of the packet: its 64-bit DSN and the mappings that cover it. */
  dsnAnalysis: DsnResult | null;
  /** The MPTCP connection of the packet (the one mptcp.stream names), as it stands now. */
  connection: Connection | null;
  /** tcp.stream of the connection's MP_CAPABLE subflow, when seen. */
  masterStream: number | null;
  /** What tshark counts the sender's DSNs from: its IDSN when its key was seen, else 0 once it sent a 64-bit DSN. */
  senderDsnBase: bigint | null;
  /** The packet's MPTCP direction once its sender's key is known, with the MP_CAPABLE subflow's addresses (tshark's meta flow). */
  mptcpDirection: { connection: number; fromClient: boolean; src: string; dst: string } | null;
  /** The key the packet's receiver announced first (an MP_CAPABLE ACK echoes it), when seen. */
  receiverKey: bigint | null;
  /** The subflow is one tshark lists in mptcp.analysis.subflows (its handshake was seen). */
  listedSubflow(tcpStream: number): boolean;
}

/** Seconds between two timestamps, printed with 9 decimals, as tshark's frame.time_relative. */
export function relativeTime(tsSec: number, tsNsec: number, t0Sec: number, t0Nsec: number): string {
  let s = tsSec - t0Sec;
  let ns = tsNsec - t0Nsec;
  if (ns < 0) {
    ns += 1e9;
    s -= 1;
  }
  if (s < 0) {
    // earlier than the first frame: tshark prints a negative relative time
    const total = -(s * 1e9 + ns);
    return `-${Math.floor(total / 1e9)}.${String(total % 1e9).padStart(9, '0')}`;
  }
  return `${s}.${String(ns).padStart(9, '0')}`;
}
