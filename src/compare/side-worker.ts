/**
 * Worker entry: one side of `mpcap compare` (side-run.ts) in its own thread. Messages out:
 * `batch` (its buffer transferred), then `end` or `error`. In: `credit` (a batch's buffer back),
 * `stop` (the other side failed).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { CaptureFormatError, InputError } from '../dissect/errors.js';
import { Credits, readSide, type ReadSideOptions } from './side-run.js';
import type { Batch } from './side-records.js';

const port = parentPort;
if (port === null) throw new Error('side-worker.js runs as a worker_thread');
const credits = new Credits();
port.on('message', (m: { type: 'credit'; buffer: ArrayBuffer } | { type: 'stop' }) => {
  if (m.type === 'credit') credits.give(m.buffer);
  else credits.stop();
});
const emit = (b: Batch): void => port.postMessage({ type: 'batch', batch: b }, [b.buffer]);
const data = workerData as { path: string; options: ReadSideOptions };
readSide(data.path, process.stdin, emit, credits, data.options).then(
  (end) => port.postMessage({ type: 'end', end }),
  (e: unknown) => {
    const err = e instanceof Error ? e : new Error(String(e));
    port.postMessage({
      type: 'error',
      name: err.name,
      message: err.message,
      stack: err.stack,
      path: e instanceof InputError ? e.path : null,
      offset: e instanceof CaptureFormatError ? e.offset : null,
    });
  },
);
