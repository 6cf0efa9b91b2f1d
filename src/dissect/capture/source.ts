/**
 * Where capture bytes come from: a file or standard input, gzip-compressed or not.
 *
 * Async only at this edge: each chunk (1 MiB by default) is awaited, then all the packets in it
 * are decoded synchronously by CaptureParser. Memory stays bounded by the chunk size, the gunzip
 * window and the parser's assembly buffer, whatever the file size.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { constants as zlibConstants } from 'node:zlib';
import { InputError } from '../errors.js';
import { gunzipMembers } from './gunzip.js';
import { CaptureParser, type CaptureSummary, type FrameHandler, type InterfaceHandler, type ProblemHandler } from './parser.js';

export const DEFAULT_CHUNK_BYTES = 1024 * 1024;
/**
 * gunzip output size. Smaller than the read size because when zlib fails (corrupt deflate data)
 * Node drops the output chunk it was filling: at most this much decoded data is lost.
 */
const GUNZIP_CHUNK_BYTES = 64 * 1024;
/** RFC 1952 §2.3.1: ID1 ID2. Detected from content, not from a `.gz` name. */
const GZIP_ID1 = 0x1f;
const GZIP_ID2 = 0x8b;
const GZIP_MAGIC_LEN = 2;
/** The path that means standard input. */
export const STDIN_PATH = '-';

export interface ReadCaptureOptions {
  /** Stream read for path '-' (default process.stdin). */
  stdin?: NodeJS.ReadableStream;
  onProblem?: ProblemHandler;
  /** Told of each interface (link type, snap length) before its first frame: `dissect -w`. */
  onInterface?: InterfaceHandler;
  /** Read size (and gunzip output size); default DEFAULT_CHUNK_BYTES. */
  chunkBytes?: number;
  /**
   * Awaited after each chunk's packets: where a slow consumer (stdout into a pager) applies
   * back-pressure, once per chunk rather than per packet.
   */
  afterChunk?: () => Promise<void> | void;
  /**
   * Each chunk of a file's own bytes (before any gunzip), in order, as it is read: `export` hashes
   * the capture in the same pass (src/export/capture-id.ts). Valid only during the call.
   */
  onFileBytes?: (bytes: Uint8Array) => void;
}

export type ReadCaptureSummary = CaptureSummary & { compressed: boolean };

/**
 * Reads a capture file ('-' = standard input), calling onFrame for each packet (return false
 * to stop: the stream is then destroyed). Throws InputError when the input cannot be opened or
 * read, CaptureFormatError when it is not a capture; anything else wrong is a problem in the
 * summary (a cut or corrupt gzip stream is a 'truncated-file' problem, after every frame before
 * it has been delivered; bytes after the gzip data are a 'trailing-data' problem, as `gzip -t`
 * reports them).
 */
export async function readCapture(path: string, onFrame: FrameHandler, opts: ReadCaptureOptions = {}): Promise<ReadCaptureSummary> {
  const chunkBytes = opts.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  const shownName = path === STDIN_PATH ? 'standard input' : `'${path}'`;
  let raw: NodeJS.ReadableStream | null = null;
  let file: FileChunks | null = null;
  if (path === STDIN_PATH) {
    raw = opts.stdin ?? process.stdin;
  } else {
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (e) {
      throw new InputError(`cannot open ${shownName}: ${describeIoError(e)}`, path, e);
    }
    file = new FileChunks(handle, chunkBytes, path, shownName, opts.onFileBytes ?? null);
  }

  const chunks = file !== null ? file.chunks() : readChunks(raw as NodeJS.ReadableStream, path, shownName);
  try {
    // Enough leading bytes to recognise gzip (stdin may deliver them one at a time).
    const head: Uint8Array[] = [];
    let headLen = 0;
    while (headLen < GZIP_MAGIC_LEN) {
      const r = await chunks.next();
      if (r.done === true) break;
      head.push(r.value);
      headLen += r.value.length;
    }
    const first = concatSmall(head, GZIP_MAGIC_LEN);
    const compressed = first[0] === GZIP_ID1 && first[1] === GZIP_ID2;
    // zlib may still hold an input chunk after it returns: its chunks must be its own
    if (compressed && file !== null) {
      file.reuse = false;
      for (let i = 0; i < head.length; i++) head[i] = Uint8Array.from(head[i] as Uint8Array);
    }

    const parser = new CaptureParser(onFrame, opts.onProblem, opts.onInterface);
    const all = prepend(head, chunks);
    let cause: string | undefined;
    let trailing: string | undefined;
    if (compressed) {
      const gunzip = gunzipMembers(all, Math.max(zlibConstants.Z_MIN_CHUNK, Math.min(chunkBytes, GUNZIP_CHUNK_BYTES)));
      try {
        for (;;) {
          const r = await gunzip.next();
          if (r.done === true) {
            if (r.value.error !== null) cause = `gzip data is cut short or corrupt (${r.value.error})`;
            if (r.value.trailing !== null) trailing = `gzip: ${r.value.trailing}`;
            break;
          }
          if (!parser.push(r.value)) break;
          if (opts.afterChunk) await opts.afterChunk();
        }
      } finally {
        await gunzip.return({ error: null, trailing: null });
      }
    } else {
      for await (const chunk of all) {
        if (!parser.push(chunk)) break;
        if (opts.afterChunk) await opts.afterChunk();
      }
    }
    return { ...parser.end(cause, trailing), compressed };
  } finally {
    // Stopped early or failed: destroy the stream (closing the file) rather than drain it.
    // The generator may be waiting inside a read, so it is not awaited.
    if (raw !== null) {
      const stream = raw as { readableEnded?: boolean; destroy?: () => void };
      if (stream.readableEnded !== true) stream.destroy?.();
    }
    chunks.return(undefined).catch(() => undefined);
    await file?.close();
  }
}

/**
 * A file's bytes in chunks read into two buffers used in turn: the next read runs while the
 * packets of the current chunk are decoded, and no buffer is allocated per chunk (a fresh 1 MiB
 * buffer per chunk made the process's RSS grow with the file through allocator fragmentation,
 * though the JavaScript heap stayed flat). A chunk is valid until the next one is asked for, as
 * CaptureParser.push allows; with `reuse` false (gzip) every chunk is a buffer of its own.
 */
class FileChunks {
  reuse = true;
  private readonly buffers: [Uint8Array, Uint8Array];
  private closed = false;

  constructor(
    private readonly handle: FileHandle,
    private readonly size: number,
    private readonly path: string,
    private readonly shownName: string,
    private readonly onBytes: ((bytes: Uint8Array) => void) | null,
  ) {
    this.buffers = [new Uint8Array(size), new Uint8Array(size)];
  }

  async *chunks(): AsyncGenerator<Uint8Array, void, undefined> {
    let i = 0;
    try {
      let pending = this.read(i);
      for (;;) {
        const n = await pending;
        if (n === 0) return;
        const cur = (this.buffers[i] as Uint8Array).subarray(0, n);
        this.onBytes?.(cur);
        const out = this.reuse ? cur : Uint8Array.from(cur);
        i ^= 1;
        pending = this.read(i);
        pending.catch(() => undefined); // seen when awaited; the consumer may stop first
        yield out;
      }
    } catch (e) {
      throw new InputError(`cannot read ${this.shownName}: ${describeIoError(e)}`, this.path, e);
    }
  }

  private async read(i: number): Promise<number> {
    if (this.closed) return 0;
    const buf = this.buffers[i] as Uint8Array;
    const { bytesRead } = await this.handle.read(buf, 0, this.size, null);
    return bytesRead;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.handle.close().catch(() => undefined);
  }
}

/** The stream's chunks as bytes, read errors turned into InputError. */
async function* readChunks(raw: NodeJS.ReadableStream, path: string, shownName: string): AsyncGenerator<Uint8Array, void, undefined> {
  try {
    for await (const chunk of raw) {
      if (typeof chunk === 'string') throw new InputError(`cannot read ${shownName}: the stream was set to text mode`, path);
      yield chunk;
    }
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(`cannot read ${shownName}: ${describeIoError(e)}`, path, e);
  }
}

async function* prepend(head: Uint8Array[], rest: AsyncIterator<Uint8Array, void, undefined>): AsyncGenerator<Uint8Array, void, undefined> {
  yield* head;
  for (;;) {
    const r = await rest.next();
    if (r.done === true) return;
    yield r.value;
  }
}

/** The first `n` bytes of a few chunks (copied: only used to look at the magic). */
function concatSmall(chunks: Uint8Array[], n: number): Uint8Array {
  const out = new Uint8Array(n);
  let at = 0;
  for (const c of chunks) {
    const take = Math.min(c.length, n - at);
    out.set(c.subarray(0, take), at);
    at += take;
    if (at === n) break;
  }
  return out.subarray(0, at);
}

const IO_ERROR_TEXT: Readonly<Record<string, string>> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'is a directory',
  ENOTDIR: 'a parent is not a directory',
  ELOOP: 'too many symbolic links',
  EMFILE: 'too many open files',
  EIO: 'input/output error',
};

function describeIoError(e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return IO_ERROR_TEXT[code] ?? (e as Error).message;
  return e instanceof Error ? e.message : String(e);
}
