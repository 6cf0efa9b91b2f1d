/** The hash thread of capture-id.ts: SHA-256 of a capture set's files, beside the analysis reading them. */
import { parentPort } from 'node:worker_threads';
import { captureId, type HashReply, type HashRequest } from './capture-id.js';

const port = parentPort;
if (port === null) throw new Error('src/export/hash-worker.ts runs as a worker thread');
port.on('message', (m: HashRequest) => {
  captureId(m.files).then(
    (id) => port.postMessage({ seq: m.seq, id } satisfies HashReply),
    (e: unknown) => port.postMessage({ seq: m.seq, error: e instanceof Error ? e.message : String(e) } satisfies HashReply),
  );
});
