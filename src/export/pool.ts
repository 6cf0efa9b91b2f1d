/**
 * `export --jobs N`: capture sets handed to N worker threads, one set per task, the next set to
 * whichever worker is free. One set that fails is recorded (capture-set.ts) and never stops the
 * others; a worker that dies is replaced and its set recorded as failed.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ExportOptions, ExportResult } from './capture-set.js';
import type { ResultMessage, TaskMessage } from './worker.js';

/** The compiled worker: beside this file in dist/, or dist/ when this file runs from src/ (tests). */
function workerUrl(): URL {
  const here = new URL('./worker.js', import.meta.url);
  return existsSync(fileURLToPath(here)) ? here : new URL('../../dist/export/worker.js', import.meta.url);
}

export async function runPool(sets: string[][], out: string, opts: ExportOptions, jobs: number, done: (r: ExportResult) => void): Promise<void> {
  let next = 0;
  const url = workerUrl();
  const one = (): Promise<void> =>
    new Promise<void>((resolve) => {
      const w = new Worker(url);
      let current: string[] | null = null;
      const give = (): void => {
        if (next >= sets.length) {
          current = null;
          void w.terminate().then(() => resolve());
          return;
        }
        current = sets[next++] as string[];
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
        void one().then(resolve);
      });
      w.once('online', give);
    });
  await Promise.all(Array.from({ length: Math.max(1, Math.min(jobs, sets.length)) }, one));
}
