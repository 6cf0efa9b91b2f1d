/**
 * The analysis every report comes from, whatever the frames come from (a file, a live interface,
 * a stream): the pipeline with the per-subflow statistics subscribed, and the report at the end.
 * `analyze` and `live` both use it, so that their reports cannot drift apart.
 */
import type { ReadCaptureSummary } from '../dissect/capture/source.js';
import type { Frame } from '../dissect/frame.js';
import type { TrackerListener } from '../reassembly/events.js';
import type { PacketInfo } from '../reassembly/tracker.js';
import { Pipeline } from './pipeline.js';
import { buildReport, connectionJson, reportParts, unanswered, type CaptureMeta, type Report, type ReportOptions, type ReportParts } from './report.js';
import { ConnectionSpool } from './spool.js';
import { StatsReducer } from './subflow-stats.js';
import { HolBlameReducer } from './hol-blame.js';

export class Analysis {
  readonly pipeline = new Pipeline();
  readonly tracker = this.pipeline.tracker;
  readonly stats: StatsReducer;
  readonly blame = new HolBlameReducer(this.tracker);

  /** Connections written out before the end (`analyze`: a bounded number of subflows held); null: all held. */
  private spool: ConnectionSpool | null = null;

  /** `plots`: keep what only the HTML report draws (each subflow's timestamp RTT series). */
  constructor(opts: { plots?: boolean } = {}) {
    this.stats = new StatsReducer(opts.plots === true);
    this.pipeline.subscribe(this.stats);
    this.pipeline.subscribe(this.blame);
  }

  /**
   * Hold at most `subflows` subflows: past that, connections are written out to a temporary file
   * as their report entries (spool.ts) and read back by the report. For reports written once at
   * the end (`analyze`), not for those that watch connections close (`live` releases them itself).
   * Subscribe it after every other subscriber: a connection is written out after they saw the packet.
   */
  holdAtMost(subflows: number): void {
    const tracker = this.tracker;
    // a connection alone never holds more than the whole budget: later joins of a flood are counted
    tracker.state.maxSubflows = subflows;
    const spool = (this.spool = new ConnectionSpool(tracker, {
      entry: (conn, time) => {
        const json = connectionJson(tracker, conn, this.stats, this.blame, time);
        if (!this.listening) {
          this.stats.release(conn.subflows);
          this.blame.release(conn.index);
        }
        return json;
      },
      unanswered: (conn) => unanswered(tracker, conn),
    }, subflows));
    this.pipeline.subscribe({ packet: (frame, _seg, info) => spool.check(frame.number, info.time) });
  }

  /** The connections written out early, by mptcp.stream, with their subflows (tcp.stream). */
  spooled(): Iterable<{ index: number; subflows: ArrayLike<number> }> {
    return this.spool?.entries() ?? [];
  }

  /** Let the spool's file go (after the report is written). */
  close(): void {
    this.spool?.close();
  }

  /** Hear of the tracker's events; released connections are forgotten by the statistics too. */
  subscribe(listener: TrackerListener): void {
    if (!this.listening) {
      this.listening = true;
      this.tracker.subscribe((e) => {
        if (e.type === 'connection-released') {
          this.stats.release(e.connection.subflows);
          this.blame.release(e.connection.index);
        }
      });
    }
    this.tracker.subscribe(listener);
  }

  private listening = false;

  /** Decode and account for one frame; what the tracker said of it (valid until the next call). */
  add(frame: Frame): PacketInfo {
    return this.pipeline.add(frame);
  }

  report(file: string, summary: ReadCaptureSummary, generator: string, opts: ReportOptions = {}): Report {
    return buildReport(this.tracker, this.meta(file, summary, generator), this.stats, opts, this.blame, this.spool);
  }

  /** The report in parts, for writers that stream it. */
  parts(file: string, summary: ReadCaptureSummary, generator: string, opts: ReportOptions = {}): ReportParts {
    return reportParts(this.tracker, this.meta(file, summary, generator), this.stats, opts, this.blame, this.spool);
  }

  private meta(file: string, summary: ReadCaptureSummary, generator: string): CaptureMeta {
    return { file, summary, start: this.pipeline.start, lastTime: this.pipeline.lastTime, generator };
  }
}
