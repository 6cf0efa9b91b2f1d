/**
 * One pass of the pipeline over frames, whatever they come from (a file, a live interface, a
 * stream): decode → track (src/reassembly) → reduce (per-subflow figures) → report at the end.
 * `analyze` and `live` both drive it, so that their reports cannot drift apart.
 */
import type { ReadCaptureSummary } from '../dissect/capture/source.js';
import type { Frame } from '../dissect/frame.js';
import { decodePacket, type Packet } from '../dissect/packet.js';
import { MptcpTracker, type PacketInfo } from '../reassembly/tracker.js';
import { buildReport, type Report } from './report.js';
import { StatsReducer } from './subflow-stats.js';

export class Analysis {
  readonly tracker = new MptcpTracker();
  readonly stats = new StatsReducer();
  /** Timestamp of the first frame, and seconds from it to the latest one. */
  private start: { tsSec: number; tsNsec: number } | null = null;
  private lastTime = 0;

  /** Decode and account for one frame; the packet and what the tracker said of it (valid until the next call). */
  add(frame: Frame): { pkt: Packet; info: PacketInfo } {
    if (this.start === null) this.start = { tsSec: frame.tsSec, tsNsec: frame.tsNsec };
    const pkt = decodePacket(frame);
    const info = this.tracker.process(pkt);
    this.stats.add(pkt, info);
    if (info.time > this.lastTime) this.lastTime = info.time;
    return { pkt, info };
  }

  report(file: string, summary: ReadCaptureSummary, generator: string): Report {
    return buildReport(this.tracker, { file, summary, start: this.start, lastTime: this.lastTime, generator }, this.stats);
  }
}
