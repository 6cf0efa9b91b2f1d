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
import { buildReport, reportParts, type CaptureMeta, type Report, type ReportOptions, type ReportParts } from './report.js';
import { StatsReducer } from './subflow-stats.js';
import { HolBlameReducer } from './hol-blame.js';

export class Analysis {
  readonly pipeline = new Pipeline();
  readonly tracker = this.pipeline.tracker;
  readonly stats = new StatsReducer();
  readonly blame = new HolBlameReducer(this.tracker);

  constructor() {
    this.pipeline.subscribe(this.stats);
    this.pipeline.subscribe(this.blame);
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
    return buildReport(this.tracker, this.meta(file, summary, generator), this.stats, opts, this.blame);
  }

  /** The report in parts, for writers that stream it. */
  parts(file: string, summary: ReadCaptureSummary, generator: string, opts: ReportOptions = {}): ReportParts {
    return reportParts(this.tracker, this.meta(file, summary, generator), this.stats, opts, this.blame);
  }

  private meta(file: string, summary: ReadCaptureSummary, generator: string): CaptureMeta {
    return { file, summary, start: this.pipeline.start, lastTime: this.pipeline.lastTime, generator };
  }
}
