/**
 * TCP and frame fields that depend on the packets before (tshark's TCP sequence analysis and
 * frame timing): relative sequence numbers, the scaled window, ACK RTT, bytes in flight,
 * retransmissions, time since the previous frame. Computed by tcp-analysis.ts, only when asked.
 */
import type { FieldDef, FieldGetter } from './fields.js';
import { formatNs } from './tcp-analysis.js';
import type { TcpAnalysisResult } from './tcp-analysis.js';

const tcp = (pick: (t: TcpAnalysisResult) => string | null): FieldGetter => (v, out) => {
  if (v.tcp === null) return;
  const x = pick(v.tcp);
  if (x !== null) out.push(x);
};

export const TCP_FIELDS: FieldDef[] = [
  { name: 'frame.time_delta', description: 'Seconds since the previous frame', get: (v, o) => void o.push(formatNs(v.deltaNs)) },
  { name: 'tcp.seq', description: 'Sequence number, relative (the SYN is 0)', tcpAnalysis: true, get: tcp((t) => String(t.seq)) },
  { name: 'tcp.ack', description: 'Acknowledgment number, relative', tcpAnalysis: true, get: tcp((t) => String(t.ack)) },
  { name: 'tcp.nxtseq', description: 'Next sequence number, relative', tcpAnalysis: true, get: tcp((t) => String(t.nextSeq)) },
  { name: 'tcp.window_size', description: 'Window, scaled by the window scale of the handshake', tcpAnalysis: true, get: tcp((t) => String(t.windowSize)) },
  { name: 'tcp.window_size_value', description: 'Window as on the wire', get: (v, o) => void (v.seg.isTcp && o.push(String(v.seg.window))) },
  { name: 'tcp.analysis.acks_frame', description: 'Frame this ACK acknowledges', tcpAnalysis: true, get: tcp((t) => (t.acksFrame !== 0 ? String(t.acksFrame) : null)) },
  { name: 'tcp.analysis.ack_rtt', description: 'Seconds from the acknowledged segment to this ACK (tshark: no Karn rule)', tcpAnalysis: true, get: tcp((t) => (t.acksFrame !== 0 && t.ackRttNs !== 0 ? formatNs(t.ackRttNs) : null)) },
  { name: 'tcp.analysis.bytes_in_flight', description: 'Bytes sent and not yet acknowledged', tcpAnalysis: true, get: tcp((t) => (t.bytesInFlight !== 0 ? String(t.bytesInFlight) : null)) },
  { name: 'mptcp.rawdsn64', description: "The payload's 64-bit DSN from the subflow's mappings, as tshark -o mptcp.analyze_mappings:TRUE", tcpAnalysis: true, get: (v, o) => void (v.dsnAnalysis?.rawDsn64 != null && o.push(v.dsnAnalysis.rawDsn64.toString())) },
  { name: 'mptcp.dsn', description: "The payload's DSN relative to the sender's IDSN (rawdsn64 − IDSN), as tshark -o mptcp.analyze_mappings:TRUE", tcpAnalysis: true, get: (v, o) => void (v.dsnAnalysis?.relDsn != null && o.push(v.dsnAnalysis.relDsn.toString())) },
  { name: 'mptcp.related_mapping', description: 'Frames of the DSS mappings that cover the payload (as tshark -o mptcp.analyze_mappings:TRUE)', tcpAnalysis: true, get: (v, o) => void (v.dsnAnalysis && o.pushAll(v.dsnAnalysis.related.map(String))) },
  { name: 'mptcp.reinjection_of', description: 'Earlier frames on other subflows that carried some of the same DSNs (tshark -o mptcp.intersubflows_retransmission:TRUE)', tcpAnalysis: true, get: (v, o) => void (v.dsnAnalysis && o.pushAll(v.dsnAnalysis.reinjectionOf.map(String))) },
  { name: 'mptcp.reinjected_in', description: 'Later frames that carried the same DSNs again: empty in one pass, as in tshark without -2', tcpAnalysis: true, get: (v, o) => void (v.dsnAnalysis && o.pushAll(v.dsnAnalysis.reinjectedIn.map(String))) },
  { name: 'mptcp.dss.missing_mapping', description: 'Expert: no DSS mapping covers the payload (as tshark -o mptcp.analyze_mappings:TRUE)', tcpAnalysis: true, get: (v, o) => void (v.dsnAnalysis?.missingMapping === true && o.push('1')) },
  { name: 'tcp.analysis.retransmission', description: "1 on a segment tshark's heuristics call a retransmission", tcpAnalysis: true, get: tcp((t) => (t.retransmission ? '1' : null)) },
];
