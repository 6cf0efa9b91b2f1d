/**
 * A worker thread of `export --jobs N`: takes one capture set at a time from the pool
 * (src/export/pool.ts), exports it, and answers with the result.
 */
import { parentPort } from 'node:worker_threads';
import { exportCaptureSet, type ExportOptions, type ExportResult } from './capture-set.js';

export interface TaskMessage {
  files: string[];
  out: string;
  opts: ExportOptions;
}

export type ResultMessage = { ok: true; result: ExportResult } | { ok: false; error: string };

const port = parentPort;
if (port === null) throw new Error('src/export/worker.ts runs as a worker thread');
port.on('message', (task: TaskMessage) => {
  exportCaptureSet(task.files, task.out, task.opts).then(
    (result) => port.postMessage({ ok: true, result } satisfies ResultMessage),
    (e: unknown) => port.postMessage({ ok: false, error: e instanceof Error ? (e.stack ?? e.message) : String(e) } satisfies ResultMessage),
  );
});
