/**
 * Per-packet state that `dissect` keeps beside the tracker for what tshark shows of a packet in
 * context: the time since the previous frame, and TCP sequence analysis (tcp-analysis.ts). It
 * must see every packet in order, printed or not.
 */
import type { Frame } from '../dissect/frame.js';
import type { Packet } from '../dissect/packet.js';
import type { Segment } from '../dissect/segment.js';
import { TcpFlag } from '../dissect/tcp.js';
import type { Side } from '../reassembly/model.js';
import type { PacketInfo } from '../reassembly/tracker.js';
import { MptcpDsnAnalyzer, type DsnResult, type ReinjectionContext } from './mptcp-dsn.js';
import { TcpAnalyzer, type TcpAnalysisResult } from './tcp-analysis.js';

export class PacketState {
  private readonly analyzer = new TcpAnalyzer();
  private prevNs: number | null = null;
  /** Nanoseconds since the first frame, and since the previous one (frame.time_delta). */
  timeNs = 0;
  deltaNs = 0;
  /** Set for a TCP packet when the analysis is on. */
  tcp: TcpAnalysisResult | null = null;
  /** tshark's DSN of the packet from its mappings (with the TCP analysis). */
  dsn: DsnResult | null = null;
  private readonly mappings = new MptcpDsnAnalyzer();

  /** `reinjections`: keep every data packet's DSN range for mptcp.reinjection_of (memory grows with the capture). */
  constructor(private readonly analyzeTcp: boolean, private readonly reinjections = false) {}

  update(frame: Frame, seg: Segment, info: PacketInfo, t0: { tsSec: number; tsNsec: number }, pkt: () => Packet, sender: () => Side | null = () => null, reinjection: () => ReinjectionContext | null = () => null): void {
    this.timeNs = (frame.tsSec - t0.tsSec) * 1e9 + (frame.tsNsec - t0.tsNsec);
    this.deltaNs = this.prevNs === null ? 0 : this.timeNs - this.prevNs;
    this.prevNs = this.timeNs;
    this.tcp = null;
    this.dsn = null;
    if (!this.analyzeTcp || !seg.isTcp || info.tcpStream === null) return;
    let shift: number | null = null;
    let sack: number | null = null;
    const options = pkt().tcp?.options ?? [];
    for (const o of options) {
      if (o.kind === 'WSCALE' && seg.flags & TcpFlag.SYN) shift = o.shift;
      else if (o.kind === 'SACK') {
        // tshark keeps the first 3 blocks for bytes in flight
        sack = 0;
        for (let i = 0; i < o.blocks.length && i < 3; i++) {
          const [l, r] = o.blocks[i] as [number, number];
          sack = (sack + ((r - l) >>> 0)) >>> 0;
        }
      }
    }
    const fromA = seg.srcPort > seg.dstPort || (seg.srcPort === seg.dstPort && info.srcKey >= info.dstKey);
    this.tcp = this.analyzer.process(info.tcpStream, fromA, frame.number, this.timeNs, seg.seq, seg.ack, seg.flags, seg.window, seg.payloadLen, shift, sack);
    if (seg.hasMptcpOption || info.mptcpStream !== null) {
      const t = this.tcp;
      this.dsn = this.mappings.process(`${info.tcpStream}|${fromA ? 'a' : 'b'}`, frame.number, seg.mptcp, (seg.flags & TcpFlag.SYN) !== 0, t.seq, seg.payloadLen, t.synSeen, sender(), info.mptcpStream !== null, this.reinjections && seg.payloadLen > 0 ? reinjection() : null, info.tcpStream);
    }
  }
}
