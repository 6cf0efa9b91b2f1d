/**
 * What `mpcap compare` finds, as a plain typed object (rendered as text, JSON and CSV by
 * src/cli/compare.ts; the HTML report draws it too). Side 'A' is the first file, 'B' the second.
 * Times are seconds since the comparison's origin (the earlier first frame of the two captures,
 * in A's clock); delays are microseconds.
 */
import type { DelaySummary } from './stats.js';

export type SideName = 'A' | 'B';

export interface ClockInfo {
  /** 'absolute': delays as the clocks say (B's timestamps minus `offsetUs`); 'relative': each path's minimum delay is 0. */
  mode: 'absolute' | 'relative';
  /** B's clock minus A's clock, µs (given with --offset, else 0). */
  offsetUs: number;
  /** One sentence saying the above, printed in every output. */
  note: string;
}

export interface CompareBounds {
  /** How long (seconds, in capture time) a packet waits for its copy on the other side. */
  windowSec: number;
  /** Most packets waiting per side; beyond it the oldest is decided early (counted in `evicted`). */
  maxPending: number;
  /** Two copies of one packet on one side closer than this are one packet captured twice. */
  duplicateSec: number;
}

export interface DirectionResult {
  /** 'client->server' of the subflow (its SYN sender's side first). */
  direction: 'c2s' | 's2c';
  /** The capture nearer the sender, and the one nearer the receiver. */
  senderSide: SideName;
  /** Packets seen at the sender's capture (sent), at the receiver's (received), in both (matched). */
  sent: number;
  received: number;
  matched: number;
  /** Sent, never seen at the other end (within the window). */
  lost: number;
  /** Seen at the receiver only: sent before the sender's capture began, or not captured there. */
  receivedOnly: number;
  /** Copies of a packet captured twice on one side (e.g. `-i any`), not counted above. */
  duplicatesSender: number;
  duplicatesReceiver: number;
  /** Matched packets that arrived after a packet sent later than them. */
  reordered: number;
  /** One-way delay (µs) per matched packet (clock: see ClockInfo). */
  delay: DelaySummary;
  /** Time series: send time (s) and one-way delay (µs), at most SERIES_POINTS points. */
  series: { time: number[]; delayUs: number[] };
}

export interface EndpointPair {
  client: string;
  server: string;
}

export interface SubflowMatch {
  /** tcp.stream on each side (null: not seen on that side). */
  tcpStreamA: number | null;
  tcpStreamB: number | null;
  /** mptcp.stream on each side. */
  connectionA: number | null;
  connectionB: number | null;
  /** How the two were recognised as one: 'token+isn' (join token and ISNs), 'key+isn', 'isn', '4-tuple'; 'unmatched'. */
  matchedBy: 'key+isn' | 'token+isn' | 'isn' | '4-tuple' | 'unmatched';
  /** The addresses or ports differ between the sides (NAT between the capture points). */
  nat: boolean;
  tupleA: EndpointPair | null;
  tupleB: EndpointPair | null;
  /** The capture nearer this subflow's client (the SYN sender). */
  clientSide: SideName | null;
  /** How clientSide was found: 'handshake' (SYN to SYN/ACK gap is larger near the client) or 'delay-sign'. */
  clientSideBy: 'handshake' | 'delay-sign' | null;
  directions: DirectionResult[];
}

export interface Reinjection {
  /** Relative DSN (first byte) and length of the reinjected copy. */
  dsn: number;
  lenBytes: number;
  /** Send time at the sender's capture (s). */
  time: number;
  /** tcp.stream (sender's side) of the original copy and of the reinjection. */
  originalSubflow: number;
  reinjectionSubflow: number;
  /** Arrival of each copy at the receiver's capture (s), null when it never arrived. */
  originalArrival: number | null;
  reinjectionArrival: number | null;
  firstArrived: 'original' | 'reinjection' | 'neither';
  /** useful: the original was lost or arrived later; wasted: the original arrived first. */
  verdict: 'useful' | 'wasted' | 'lost';
}

export interface DataDirectionResult {
  direction: 'c2s' | 's2c';
  senderSide: SideName;
  /** Bytes first sent at the sender and delivered in order at the receiver, within both captures. */
  bytesMeasured: number;
  /** Per segment of first transmission: first send → in-order delivery at the receiver (µs). */
  delay: DelaySummary;
  series: { time: number[]; delayUs: number[] };
  reinjections: number;
  useful: number;
  wasted: number;
  /** At most REINJECTIONS_LISTED listed. */
  reinjectionList: Reinjection[];
}

export interface ConnectionMatch {
  connectionA: number | null;
  connectionB: number | null;
  /** 'keys' (both keys seen equal on both sides), 'tokens', 'subflows' (only via its subflows' ISNs), 'unmatched'. */
  matchedBy: 'keys' | 'tokens' | 'subflows' | 'unmatched';
  /** The capture nearer the connection's client (the MP_CAPABLE SYN sender). */
  clientSide: SideName | null;
  clientKey: string | null;
  serverKey: string | null;
  subflows: SubflowMatch[];
  data: DataDirectionResult[];
}

export interface CompareResult {
  files: { A: string; B: string };
  packets: { A: number; B: number };
  clock: ClockInfo;
  bounds: CompareBounds;
  /** Matched first, then those seen on one side only. */
  connections: ConnectionMatch[];
  /** Packets decided before their window ran out because maxPending was reached. */
  evicted: number;
  /** Packets of plain TCP (no MPTCP subflow), not compared. */
  plainTcp: { A: number; B: number };
}
