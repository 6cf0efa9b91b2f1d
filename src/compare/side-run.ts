/**
 * One side of a comparison: its capture read through its own pipeline (decode + tracker), each
 * chunk's packets handed on as one batch (side-records.ts). At most MAX_IN_FLIGHT batches wait
 * for the matcher; the reader waits (once per chunk) for one to come back, so memory stays
 * bounded when the matcher, or the other side, is slower. Runs in a worker (side-worker.ts) or
 * in-thread (standard input; running from the TypeScript sources).
 */
import type { ReadCaptureSummary } from '../dissect/capture/source.js';
import { Pipeline, runPipeline } from '../analysis/pipeline.js';
import { connectionIds, SideEncoder, type Batch, type ConnectionIds } from './side-records.js';

export const MAX_IN_FLIGHT = 16;
/**
 * A batch is handed on at the end of the chunk that brought it to this many records (a message
 * costs more than a few records: fewer, larger batches); half the encoder's first buffer, so that
 * a chunk's packets seldom make it grow.
 */
export const BATCH_RECORDS = 4096;

export interface SideEnd {
  summary: ReadCaptureSummary;
  connections: Array<ConnectionIds | null>;
}

/** Batches handed on and not yet given back, and the buffers given back for reuse. */
export class Credits {
  private readonly free: ArrayBuffer[] = [];
  private outstanding = 0;
  private waker: (() => void) | null = null;
  stopped = false;

  take = (): ArrayBuffer | null => this.free.pop() ?? null;

  sent(): void {
    this.outstanding++;
  }

  /** A batch's buffer back from the matcher. */
  give(buffer: ArrayBuffer | null): void {
    if (buffer !== null && buffer.byteLength > 0 && this.free.length < MAX_IN_FLIGHT) this.free.push(buffer);
    this.outstanding--;
    this.wake();
  }

  stop(): void {
    this.stopped = true;
    this.wake();
  }

  async wait(): Promise<void> {
    while (this.outstanding >= MAX_IN_FLIGHT && !this.stopped) await new Promise<void>((r) => (this.waker = r));
  }

  private wake(): void {
    const w = this.waker;
    this.waker = null;
    w?.();
  }
}

export interface ReadSideOptions {
  chunkBytes?: number;
  /** Records per batch at least (default BATCH_RECORDS; small in tests, to make many batches). */
  batchRecords?: number;
}

export async function readSide(path: string, stdin: NodeJS.ReadableStream, emit: (b: Batch) => void, credits: Credits, ro: ReadSideOptions = {}): Promise<SideEnd> {
  const { chunkBytes } = ro;
  const batchRecords = ro.batchRecords ?? BATCH_RECORDS;
  const p = new Pipeline();
  // the matcher needs each segment's DSN, not the data stream the tracker would place it in
  p.tracker.placeBytes = false;
  const enc = new SideEncoder(credits.take);
  p.subscribe(enc);
  const hand = (): void => {
    const b = enc.flush();
    credits.sent();
    enc.next();
    emit(b);
  };
  const summary = await runPipeline(path, p, {
    stdin,
    ...(chunkBytes === undefined ? {} : { chunkBytes }),
    afterChunk: async () => {
      if (enc.size < batchRecords) return;
      hand();
      await credits.wait();
    },
    afterFrame: () => !credits.stopped,
  });
  if (enc.size > 0) hand();
  return { summary, connections: connectionIds(p.tracker) };
}
