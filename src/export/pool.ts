/**
 * `export --jobs N`: capture sets exported N at a time, one set per task, the next set to whichever
 * thread is free: this (the main) thread and N-1 worker threads. One set that fails is recorded
 * (capture-set.ts) and never stops the others; a worker that dies is replaced and its set recorded
 * as failed.
 *
 * Why the main thread takes sets too: every thread is its own V8 isolate, which loads the modules
 * and optimises the hot path again (~0.6 s of TurboFan CPU on the 2-core VM, docs/dataset.md), and
 * the main thread has the modules loaded already. N workers beside an idle main thread paid that once
 * more than needed. Sets go largest first, so that a big one does not start last and run alone.
 */
import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { keepV8Flags } from '../analysis/v8-flags.js';
import { Worker } from 'node:worker_threads';
import { exportCaptureSet, type ExportOptions, type ExportResult } from './capture-set.js';
import type { ResultMessage, TaskMessage } from './worker.js';

/** The compiled worker: beside this file in dist/, or dist/ when this file runs from src/ (tests). */
function workerUrl(): URL {
  const here = new URL('./worker.js', import.meta.url);
  return existsSync(fileURLToPath(here)) ? here : new URL('../../dist/export/worker.js', import.meta.url);
}

/** The sets, largest (bytes of its files) first; a file that cannot be read counts 0 (it fails fast). */
export async function largestFirst(sets: string[][]): Promise<string[][]> {
  const sized = await Promise.all(
    sets.map(async (files, i) => {
      let bytes = 0;
      for (const f of files) bytes += (await stat(f).catch(() => null))?.size ?? 0;
      return { files, bytes, i };
    }),
  );
  // stable: equal sizes keep the order given
  sized.sort((a, b) => b.bytes - a.bytes || a.i - b.i);
  return sized.map((s) => s.files);
}

export async function runPool(sets: string[][], out: string, opts: ExportOptions, jobs: number, done: (r: ExportResult) => void): Promise<void> {
  const queue = await largestFirst(sets);
  let next = 0;
  const url = workerUrl();
  const worker = (): Promise<void> =>
    new Promise<void>((resolve) => {
      const w = new Worker(url);
      keepV8Flags(w);
      let current: string[] | null = null;
      const give = (): void => {
        if (next >= queue.length) {
          current = null;
          void w.terminate().then(() => resolve());
          return;
        }
        current = queue[next++] as string[];
        w.postMessage({ files: current, out, opts } satisfies TaskMessage);
      };
      w.on('message', (m: ResultMessage) => {
        const files = current as string[];
        done(m.ok ? m.result : { id: '', files, status: 'failed', exitCode: 1, error: `internal error: ${m.error}`, packets: 0 });
        give();
      });
      w.on('error', (e) => {
        if (current !== null) done({ id: '', files: current, status: 'failed', exitCode: 1, error: `internal error: worker died: ${e.message}`, packets: 0 });
        current = null;
        // the rest goes on in a new worker
        void worker().then(resolve);
      });
      w.once('online', give);
    });
  const here = async (): Promise<void> => {
    while (next < queue.length) {
      const files = queue[next++] as string[];
      // as a worker's: an error outside the capture's own (recorded by exportCaptureSet) fails this set only
      const r = await exportCaptureSet(files, out, opts).catch(
        (e: unknown): ExportResult => ({ id: '', files, status: 'failed', exitCode: 1, error: `internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`, packets: 0 }),
      );
      done(r);
    }
  };
  const workers = Math.max(0, Math.min(jobs, queue.length) - 1);
  await Promise.all([here(), ...Array.from({ length: workers }, worker)]);
}
