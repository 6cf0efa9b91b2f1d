/**
 * Starting a worker_thread resets V8's flags to the command line's, and with them the flags
 * bin/mpcap.js sets (a small young generation, slower old-space growth): the starting thread's
 * semi-spaces then grow to 16 MB (~30 MB more resident memory). Apply them again once a worker
 * runs (the worker itself starts with them). Every place that starts a worker calls this.
 */
import { setFlagsFromString } from 'node:v8';
import type { Worker } from 'node:worker_threads';

export function keepV8Flags(w: Worker): void {
  w.once('online', reapplyV8Flags);
}

function reapplyV8Flags(): void {
  const flags = (globalThis as Record<symbol, unknown>)[Symbol.for('mpcap.v8Flags')];
  if (Array.isArray(flags)) for (const f of flags) setFlagsFromString(String(f));
}
