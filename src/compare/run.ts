/**
 * Reads the two captures at once, each through its own pipeline (decode + tracker), keeping
 * them within half a window of each other in capture time: a side that runs ahead waits (once
 * per chunk) until the other catches up, so the packets waiting for their copy stay within
 * one window. One pass over each file.
 */
import type { ReadCaptureSummary } from '../dissect/capture/source.js';
import type { Frame } from '../dissect/frame.js';
import type { Segment } from '../dissect/segment.js';
import type { Packet } from '../dissect/packet.js';
import { Pipeline, runPipeline } from '../analysis/pipeline.js';
import type { PacketInfo } from '../reassembly/tracker.js';
import { Matcher, type MatcherOptions, type PacketSink } from './matcher.js';
import { buildResult } from './results.js';
import { alignClocks } from './align.js';
import type { CompareResult } from './model.js';

export const DEFAULT_WINDOW_SEC = 2;
export const DEFAULT_MAX_PENDING = 1_000_000;
export const DEFAULT_DUPLICATE_SEC = 0.01;

export interface CompareOptions extends Partial<MatcherOptions> {
  relative?: boolean;
  stdin?: NodeJS.ReadableStream;
  sink?: PacketSink;
  /** Called with the matcher before reading starts. */
  onMatcher?: (m: Matcher) => void;
}

export interface CompareRun {
  result: CompareResult;
  summaries: [ReadCaptureSummary, ReadCaptureSummary];
  matcher: Matcher;
}

export async function compareCaptures(fileA: string, fileB: string, opts: CompareOptions = {}): Promise<CompareRun> {
  // relative delays need no synchronised clocks, but the matching window does: align on a common SYN
  let alignedOn: number | null = null;
  let offsetNs = opts.offsetNs ?? 0;
  if (opts.relative === true && opts.offsetNs === undefined) {
    const al = await alignClocks(fileA, fileB);
    if (al.offsetNs !== null) {
      offsetNs = al.offsetNs;
      alignedOn = al.isn;
    }
  }
  const mopts: MatcherOptions = {
    windowSec: opts.windowSec ?? DEFAULT_WINDOW_SEC,
    maxPending: opts.maxPending ?? DEFAULT_MAX_PENDING,
    duplicateSec: opts.duplicateSec ?? DEFAULT_DUPLICATE_SEC,
    offsetNs,
  };
  const m = new Matcher(mopts);
  if (opts.sink) m.sink = opts.sink;
  opts.onMatcher?.(m);
  const waiters: Array<() => void> = [];
  const wake = (): void => {
    for (const w of waiters.splice(0)) w();
  };
  const pipelines: [Pipeline, Pipeline] = [new Pipeline(), new Pipeline()];
  // one side failed (unreadable file): the other stops too, rather than read on for nothing
  let aborted = false;
  const readSide = async (s: 0 | 1, path: string): Promise<ReadCaptureSummary> => {
    const p = pipelines[s];
    p.subscribe({
      packet(frame: Frame, seg: Segment, info: PacketInfo, _pkt: Packet | null) {
        m.packet(s, frame, seg, info);
      },
    });
    const afterChunk = async (): Promise<void> => {
      m.drain();
      wake();
      while (m.ahead(s)) await new Promise<void>((r) => waiters.push(r));
    };
    try {
      return await runPipeline(path, p, { stdin: opts.stdin ?? process.stdin, afterChunk, afterFrame: () => !aborted });
    } catch (e) {
      aborted = true;
      throw e;
    } finally {
      m.sides[s].done = true;
      wake();
    }
  };
  const summaries = (await Promise.all([readSide(0, fileA), readSide(1, fileB)])) as [ReadCaptureSummary, ReadCaptureSummary];
  m.drain(true);
  const result = buildResult(m, [pipelines[0].tracker, pipelines[1].tracker], { A: fileA, B: fileB }, mopts, opts.relative === true, alignedOn);
  return { result, summaries, matcher: m };
}
