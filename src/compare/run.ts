/**
 * Reads the two captures at once, each through its own pipeline (decode + tracker), in a
 * worker_thread (side-source.ts; on two cores one side is read by this thread itself), which
 * hands on a batch of compact records per chunk; this thread matches them, keeping the two sides
 * within MAX_LEAD_SEC of each other in capture time (matcher.ts): a side that runs ahead waits
 * (its batches queue, at most MAX_IN_FLIGHT of them, then its reader waits) until the other
 * catches up, so the packets waiting for their copy stay within one window. One pass over each
 * file.
 */
import { statSync } from 'node:fs';
import { STDIN_PATH, type ReadCaptureSummary } from '../dissect/capture/source.js';
import { Matcher, type MatcherOptions, type PacketSink } from './matcher.js';
import { buildResult } from './results.js';
import { alignClocks } from './align.js';
import type { CompareResult } from './model.js';
import { applyBatch, type Batch, type RecordConsumer, type SubflowView } from './side-records.js';
import type { ReadSideOptions, SideEnd } from './side-run.js';
import { inThreadSide, startSide, workerCount, type SideSource } from './side-source.js';

export const DEFAULT_WINDOW_SEC = 2;
export const DEFAULT_MAX_PENDING = 1_000_000;
export const DEFAULT_DUPLICATE_SEC = 0.01;

export interface CompareOptions extends Partial<MatcherOptions> {
  relative?: boolean;
  stdin?: NodeJS.ReadableStream;
  sink?: PacketSink;
  /** Worker threads for the sides' pipelines: true = 2, false = 0, or 1 (default: see workerCount; never for stdin). */
  workers?: boolean | 0 | 1 | 2;
  /** Read size of each capture (default the reader's, 1 MiB) and records per batch (tests make them small). */
  chunkBytes?: number;
  batchRecords?: number;
  /** Called with the matcher before reading starts. */
  onMatcher?: (m: Matcher) => void;
}

export interface CompareRun {
  result: CompareResult;
  summaries: [ReadCaptureSummary, ReadCaptureSummary];
  matcher: Matcher;
  /** How many of the two sides were read in a worker_thread. */
  workers: number;
}

/** Bytes of a capture file (0 for standard input or what cannot be read: the reader will say why). */
function fileSize(path: string): number {
  if (path === STDIN_PATH) return 0;
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
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
  const bytes = [fileSize(fileA), fileSize(fileB)] as const;
  const w = opts.workers ?? workerCount(bytes[0] + bytes[1]);
  const count = w === true ? 2 : w === false ? 0 : w;
  // with one worker, the matching thread reads one side (never standard input's other side: that one is in-thread anyway)
  const inThread = count === 1 ? (fileA === STDIN_PATH ? 0 : fileB === STDIN_PATH ? 1 : inThreadSide(bytes[0], bytes[1])) : -1;
  const useWorker = [count > 0 && inThread !== 0, count > 0 && inThread !== 1] as const;
  const stdin = opts.stdin ?? process.stdin;
  // per side: its subflows as the matcher sees them, its batches not yet matched
  const views: [Array<SubflowView | undefined>, Array<SubflowView | undefined>] = [[], []];
  const queues: [Batch[], Batch[]] = [[], []];
  const consumers: [RecordConsumer, RecordConsumer] = [
    { packetAt: (f64, i32, k, sub, deferredSyn) => m.packetAt(0, f64, i32, k, sub, deferredSyn) },
    { packetAt: (f64, i32, k, sub, deferredSyn) => m.packetAt(1, f64, i32, k, sub, deferredSyn) },
  ];
  let finishing = false;
  const ended = [false, false];
  let sources: [SideSource, SideSource] | null = null;
  let pending: Array<[0 | 1, Batch]> = [];
  // match every batch that may be: a side more than the lead ahead of the other waits
  const pump = (): void => {
    if (sources === null || finishing) return;
    for (let progressed = true; progressed; ) {
      progressed = false;
      for (const s of [0, 1] as const) {
        const q = queues[s];
        while (q.length > 0 && !m.ahead(s)) {
          const b = q.shift() as Batch;
          applyBatch(b, views[s], consumers[s]);
          m.drain();
          sources[s].release(b);
          progressed = true;
        }
        // a side is done once its last batch is matched (not when its reader ends: batches may wait)
        if (q.length === 0 && ended[s] && !m.sides[s].done) {
          m.sides[s].done = true;
          progressed = true;
        }
      }
    }
  };
  const onBatch = (s: 0 | 1) => (b: Batch) => {
    if (sources === null) pending.push([s, b]);
    else {
      queues[s].push(b);
      pump();
    }
  };
  const ro: ReadSideOptions = {
    ...(opts.chunkBytes === undefined ? {} : { chunkBytes: opts.chunkBytes }),
    ...(opts.batchRecords === undefined ? {} : { batchRecords: opts.batchRecords }),
  };
  sources = [startSide(fileA, stdin, useWorker[0], onBatch(0), ro), startSide(fileB, stdin, useWorker[1], onBatch(1), ro)];
  for (const [s, b] of pending) queues[s].push(b);
  pending = [];
  pump();
  const ends = [0, 1].map((s) =>
    (sources as [SideSource, SideSource])[s]!.end.then(
      (e) => {
        ended[s] = true;
        pump();
        return e;
      },
      (e: unknown) => {
        // one side failed (unreadable file): the other stops too, rather than read on for nothing
        finishing = true;
        (sources as [SideSource, SideSource])[1 - s]!.stop();
        throw e;
      },
    ),
  );
  const [endA, endB] = (await Promise.all(ends)) as [SideEnd, SideEnd];
  pump();
  m.drain(true);
  const summaries: [ReadCaptureSummary, ReadCaptureSummary] = [endA.summary, endB.summary];
  const result = buildResult(m, [endA.connections, endB.connections], { A: fileA, B: fileB }, mopts, opts.relative === true, alignedOn);
  return { result, summaries, matcher: m, workers: sources.filter((x) => x.inWorker).length };
}
