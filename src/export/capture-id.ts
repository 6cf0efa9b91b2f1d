/**
 * A capture set's ID: the first 16 hex digits of the SHA-256 of its files' contents (the
 * `capture=ID` partition). One file is hashed from the chunks the analysis reads (IdTee: no
 * second read) when nothing can be skipped before it is read; a big set of several files on a
 * thread of its own (hash-worker.ts) while the analysis reads it. SHA-256 of the 1 GB bench
 * capture is ~0.55 s of CPU (SHA-NI), a quarter of `analyze`'s time.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { keepV8Flags } from '../analysis/v8-flags.js';
import { Worker } from 'node:worker_threads';

/** Hex digits of the SHA-256 kept as the capture's ID (64 bits: no collision in any archive). */
const ID_HEX = 16;

const READ_BYTES = 1 << 20;

/** Sets of at least this many bytes are hashed on the hash thread; a small one costs less inline than the message. */
export const CONCURRENT_HASH_BYTES = 64 << 20;

/** SHA-256 of the files' contents, in order (each with its length, so that a split point counts). */
export async function captureId(files: readonly string[]): Promise<string> {
  const h = createHash('sha256');
  // one buffer read into again and again: a new one per read is a megabyte that waits for a GC
  const buf = Buffer.allocUnsafe(READ_BYTES);
  for (const f of files) {
    const fh = await open(f, 'r');
    try {
      h.update(`${(await fh.stat()).size}\n`);
      for (;;) {
        const { bytesRead } = await fh.read(buf, 0, buf.length, null);
        if (bytesRead === 0) break;
        h.update(bytesRead === buf.length ? buf : buf.subarray(0, bytesRead));
      }
    } finally {
      await fh.close();
    }
  }
  return h.digest('hex').slice(0, ID_HEX);
}

/**
 * The ID of one file made from the chunks the analysis reads (source.ts `onFileBytes`): the same
 * digest as captureId, without reading the file a second time.
 */
export class IdTee {
  private readonly h = createHash('sha256');
  private bytes = 0;

  private constructor(private readonly size: number) {
    this.h.update(`${size}\n`);
  }

  /** For `file`, or null when it cannot be looked at (captureId then says why). */
  static async of(file: string): Promise<IdTee | null> {
    const st = await stat(file).catch(() => null);
    return st?.isFile() === true ? new IdTee(st.size) : null;
  }

  readonly update = (chunk: Uint8Array): void => {
    this.h.update(chunk);
    this.bytes += chunk.length;
  };

  /** The ID; null when the bytes read were not the file's size (it changed, or the read stopped early). */
  digest(): string | null {
    const id = this.h.digest('hex').slice(0, ID_HEX);
    return this.bytes === this.size ? id : null;
  }
}

/** The ID of a set that could not be read, from its names, so that a re-run records it once. */
export const unreadableId = (files: readonly string[]): string => createHash('sha256').update(`unreadable\n${files.join('\n')}`).digest('hex').slice(0, ID_HEX);

export interface HashRequest {
  seq: number;
  files: string[];
}
export type HashReply = { seq: number; id: string } | { seq: number; error: string };

/** The compiled hash worker: beside this file in dist/, or dist/ when this file runs from src/ (tests). */
function hashWorkerUrl(): URL | null {
  const here = new URL('./hash-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(here))) return here;
  const dist = new URL('../../dist/export/hash-worker.js', import.meta.url);
  return existsSync(fileURLToPath(dist)) ? dist : null;
}

let thread: Worker | null = null;
let seq = 0;
const waiting = new Map<number, { resolve: (id: string) => void; reject: (e: Error) => void }>();

function hashThread(url: URL): Worker {
  if (thread !== null) return thread;
  // a small heap: it holds one read buffer (outside the heap) and a hash state
  const w = new Worker(url, { resourceLimits: { maxYoungGenerationSizeMb: 1, maxOldGenerationSizeMb: 16 } });
  keepV8Flags(w);
  w.on('message', (m: HashReply) => {
    const p = waiting.get(m.seq);
    waiting.delete(m.seq);
    // idle, it goes (its ~25 MB back before the rows are written); the next big set makes another
    if (waiting.size === 0) {
      thread = null;
      void w.terminate();
    }
    if (p === undefined) return;
    if ('id' in m) p.resolve(m.id);
    else p.reject(new Error(m.error));
  });
  w.on('error', (e) => {
    if (thread === w) thread = null;
    for (const p of waiting.values()) p.reject(e);
    waiting.clear();
  });
  thread = w;
  return w;
}

/** captureId, on the hash thread for a big set (when the compiled worker is there), inline otherwise. */
export async function hashSet(files: readonly string[], concurrentBytes = CONCURRENT_HASH_BYTES): Promise<string> {
  let bytes = 0;
  for (const f of files) bytes += (await stat(f).catch(() => null))?.size ?? 0;
  const url = bytes >= concurrentBytes ? hashWorkerUrl() : null;
  if (url === null) return captureId(files);
  const w = hashThread(url);
  const n = ++seq;
  return new Promise<string>((resolve, reject) => {
    waiting.set(n, { resolve, reject });
    w.postMessage({ seq: n, files: [...files] } satisfies HashRequest);
  });
}
