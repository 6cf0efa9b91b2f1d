/**
 * The main thread's handle on one side: its batches arrive through `onBatch` and go back with
 * `release` (the buffer returns to the reader for reuse). In a worker_thread when it can (two
 * sides decode on two cores while this thread matches), in-thread for standard input and when
 * running from the TypeScript sources (no compiled worker file).
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { keepV8Flags } from '../analysis/v8-flags.js';
import { STDIN_PATH } from '../dissect/capture/source.js';
import { CaptureFormatError, InputError } from '../dissect/errors.js';
import { Credits, readSide, type ReadSideOptions, type SideEnd } from './side-run.js';
import type { Batch } from './side-records.js';

export interface SideSource {
  release(b: Batch): void;
  /** The other side failed: read no further. */
  stop(): void;
  readonly end: Promise<SideEnd>;
  readonly inWorker: boolean;
}

const WORKER_URL = new URL('./side-worker.js', import.meta.url);

/**
 * Below this much capture (both files together) a worker costs more than it saves: starting one
 * (a V8 isolate, the modules compiled again) takes ~50-100 ms of CPU, a small pair reads in less.
 */
export const WORKERS_FROM_BYTES = 32 * 1024 * 1024;

/**
 * Worker threads for a pair of files of these sizes: MPCAP_COMPARE_WORKERS=0, 1 or 2 that many
 * (when the compiled worker exists); else none below WORKERS_FROM_BYTES together, and above it one
 * thread per core: both sides in workers with three cores or more, one on two cores (the matching
 * thread reads the other side itself: three busy threads on two cores cost more CPU than two — a
 * third isolate compiling and collecting the same code, the batches crossing to the main thread
 * — and a third isolate's ~10 MB).
 */
export function workerCount(bytes: number): 0 | 1 | 2 {
  const env = process.env['MPCAP_COMPARE_WORKERS'];
  if (env === '0' || !existsSync(fileURLToPath(WORKER_URL))) return 0;
  if (env === '1' || env === '2') return env === '1' ? 1 : 2;
  if (bytes < WORKERS_FROM_BYTES) return 0;
  return availableParallelism() >= 3 ? 2 : 1;
}

/**
 * With one worker: the side (0 = A) the matching thread reads itself. Two captures of the same
 * traffic differ by what was lost between them, and the one with fewer bytes has the gaps, which
 * cost its tracker more per packet (it holds the data after each gap): `analyze` of the 1 GB bench
 * pair's side B, 1 % smaller, takes ~1.6 × the CPU of side A. So the larger capture, unless it is
 * more than a quarter larger (then it is more traffic, not fewer gaps: the smaller one).
 */
export function inThreadSide(bytesA: number, bytesB: number): 0 | 1 {
  const [big, small] = bytesA >= bytesB ? ([0, 1] as const) : ([1, 0] as const);
  return Math.max(bytesA, bytesB) <= Math.min(bytesA, bytesB) * 1.25 ? big : small;
}

export function startSide(path: string, stdin: NodeJS.ReadableStream, useWorker: boolean, onBatch: (b: Batch) => void, ro: ReadSideOptions = {}): SideSource {
  if (!useWorker || path === STDIN_PATH) {
    const credits = new Credits();
    return {
      release: (b) => credits.give(b.buffer),
      stop: () => credits.stop(),
      end: readSide(path, stdin, onBatch, credits, ro),
      inWorker: false,
    };
  }
  const w = new Worker(WORKER_URL, { workerData: { path, options: ro } });
  keepV8Flags(w);
  let finished = false;
  const end = new Promise<SideEnd>((resolve, reject) => {
    w.on('message', (m: WorkerMessage) => {
      if (m.type === 'batch') onBatch(m.batch);
      else if (m.type === 'end') {
        finished = true;
        resolve(m.end);
        void w.terminate();
      } else {
        finished = true;
        reject(rebuild(m));
        void w.terminate();
      }
    });
    w.on('error', (e) => {
      finished = true;
      reject(e);
    });
    w.on('exit', (code) => {
      if (!finished) reject(new Error(`compare: the worker reading ${path} stopped (exit ${code})`));
    });
  });
  return {
    release: (b) => {
      if (!finished) w.postMessage({ type: 'credit', buffer: b.buffer }, [b.buffer]);
    },
    stop: () => {
      if (!finished) w.postMessage({ type: 'stop' });
    },
    end,
    inWorker: true,
  };
}

type WorkerMessage =
  | { type: 'batch'; batch: Batch }
  | { type: 'end'; end: SideEnd }
  | { type: 'error'; name: string; message: string; stack?: string; path: string | null; offset: number | null };

/** The worker's error as the type main() maps to an exit code. */
function rebuild(m: Extract<WorkerMessage, { type: 'error' }>): Error {
  let e: Error;
  if (m.name === 'InputError') e = new InputError(m.message, m.path ?? '');
  else if (m.name === 'CaptureFormatError') e = new CaptureFormatError(m.message, m.offset ?? 0);
  else e = new Error(m.message);
  if (m.stack !== undefined) e.stack = m.stack;
  return e;
}
