/**
 * Several capture files read as one capture, in time order, as `mergecap` merges them: rotated
 * files of one capture (`tcpdump -C/-G`, `editcap -c`) come out as the capture they were cut from,
 * and files captured side by side interleave by timestamp. Frame numbers run on across files.
 *
 * Each file is read by its own readCapture, all at once. A frame is handed on as soon as it is
 * known to be the earliest: when every other file has a frame waiting that is later (or has
 * ended). Otherwise it waits in its file's queue (copied: its bytes would not outlive the chunk),
 * and that file reads no further until its queue has been handed on, so each file holds at most
 * one chunk of frames. For rotated files that is the first chunk of each later file; the rest is
 * handed on without a copy. Equal timestamps go in the order the files were given, as mergecap.
 *
 * Interfaces are numbered across files, as mergecap numbers the interfaces of files it does not
 * merge into one (a µs pcap and a ns pcap: interfaces 0 and 1): every file's interfaces known when
 * the first frame is handed on (each file has been opened by then) take the numbers in the order
 * the files were given, and one a file declares later (a pcapng IDB after its first packets) the
 * next free number. So frame.interface_id, and whatever is looked up by it (the timestamp
 * resolution a time is printed at), names one interface of one file.
 */
import { FrameRecord, type Frame } from '../frame.js';
import type { FrameHandler } from './parser.js';
import type { CaptureInterface } from './types.js';
import { readCapture, type ReadCaptureOptions, type ReadCaptureSummary } from './source.js';

/** Read size per file when many files are open at once (memory: about two chunks per file). */
const MANY_FILES = 8;
const MANY_FILES_CHUNK_BYTES = 128 * 1024;

export interface InputSummary {
  path: string;
  summary: ReadCaptureSummary;
}

/** The whole input's summary (sums, problems named by file), and each file's own. */
export type MergedSummary = ReadCaptureSummary & { inputs: InputSummary[] };

/** A frame waiting in its file's queue: a copy, its number given when it is handed on. */
type Queued = Omit<Frame, 'number'>;

class Source {
  readonly queue: Queued[] = [];
  head = 0;
  done = false;
  /** Resolves the wait of this file's reader once its queue is handed on. */
  wake: (() => void) | null = null;
  /** The file's interfaces (its own numbering), and the number each has across files (-1: none yet). */
  readonly interfaces: CaptureInterface[] = [];
  readonly globalId: number[] = [];
  constructor(readonly index: number, readonly path: string) {}

  get pending(): number {
    return this.queue.length - this.head;
  }
}

/** Is `a` earlier than the time (sec, nsec)? */
const before = (a: Queued, sec: number, nsec: number): boolean => a.tsSec < sec || (a.tsSec === sec && a.tsNsec < nsec);

/**
 * Reads `paths` as one capture ('-' = standard input, at most once). One path is read directly
 * (no merge). Throws what readCapture throws, for the first file that fails to open or is not a
 * capture.
 */
export async function readCaptures(paths: readonly string[], onFrame: FrameHandler, opts: ReadCaptureOptions = {}): Promise<MergedSummary> {
  if (paths.length === 1) {
    const path = paths[0] as string;
    const summary = await readCapture(path, onFrame, opts);
    return { ...summary, inputs: [{ path, summary }] };
  }
  const sources = paths.map((p, i) => new Source(i, p));
  const out = new FrameRecord();
  let stopped = false;
  let number = 0;
  /** Interfaces numbered across files (from the first frame handed on), and the next number. */
  let numbered = false;
  let nextId = 0;
  const all: CaptureInterface[] = [];

  const numberOne = (s: Source, local: number): void => {
    const i = s.interfaces[local] as CaptureInterface;
    const g: CaptureInterface = { ...i, id: nextId++ };
    s.globalId[local] = g.id;
    all.push(g);
    opts.onInterface?.(g);
  };
  const numberAll = (): void => {
    numbered = true;
    for (const s of sources) for (let j = 0; j < s.interfaces.length; j++) numberOne(s, j);
  };
  const onInterface = (s: Source, i: CaptureInterface): void => {
    s.interfaces[i.id] = i;
    s.globalId[i.id] = -1;
    if (numbered) numberOne(s, i.id);
  };

  const deliver = (f: Queued | Frame, s: Source): boolean => {
    if (!numbered) numberAll();
    out.number = ++number;
    out.tsSec = f.tsSec;
    out.tsNsec = f.tsNsec;
    // the reader's bytes handed on in place (no view per packet), as a single file's are
    if (f instanceof FrameRecord) out.setBytes(f.bytes, f.start, f.capLen);
    else out.data = f.data;
    out.capLen = f.capLen;
    out.origLen = f.origLen;
    out.linkType = f.linkType;
    out.interfaceId = s.globalId[f.interfaceId] ?? f.interfaceId;
    out.fileOffset = f.fileOffset;
    if (onFrame(out) === false) stop();
    return !stopped;
  };
  const stop = (): void => {
    stopped = true;
    for (const s of sources) wake(s);
  };
  const wake = (s: Source): void => {
    const w = s.wake;
    s.wake = null;
    w?.();
  };
  /** Whether a frame of `s` at this time is the earliest of all files now. */
  const first = (s: Source, tsSec: number, tsNsec: number): boolean => {
    for (const o of sources) {
      if (o === s) continue;
      if (o.pending === 0) {
        if (o.done) continue;
        return false; // its next frame is not known yet
      }
      const h = o.queue[o.head] as Queued;
      if (before(h, tsSec, tsNsec) || (o.index < s.index && h.tsSec === tsSec && h.tsNsec === tsNsec)) return false;
    }
    return true;
  };
  /** Hand on queued frames while the earliest of all is known. */
  const drain = (): void => {
    while (!stopped) {
      let best: Source | null = null;
      for (const s of sources) {
        if (s.pending === 0) {
          if (s.done) continue;
          return;
        }
        if (best === null) best = s;
        else {
          const b = best.queue[best.head] as Queued;
          if (before(s.queue[s.head] as Queued, b.tsSec, b.tsNsec)) best = s;
        }
      }
      if (best === null) return;
      const f = best.queue[best.head++] as Queued;
      if (best.pending === 0) {
        best.queue.length = 0;
        best.head = 0;
        wake(best);
      }
      if (!deliver(f, best)) return;
    }
  };

  const chunkBytes = opts.chunkBytes ?? (sources.length > MANY_FILES ? MANY_FILES_CHUNK_BYTES : undefined);
  const read = async (s: Source): Promise<ReadCaptureSummary> => {
    try {
      return await readCapture(
        s.path,
        (f) => {
          if (stopped) return false;
          if (s.pending === 0 && first(s, f.tsSec, f.tsNsec)) return deliver(f, s);
          // ownership changes: the frame outlives its chunk
          s.queue.push({ tsSec: f.tsSec, tsNsec: f.tsNsec, capLen: f.capLen, origLen: f.origLen, linkType: f.linkType, interfaceId: f.interfaceId, fileOffset: f.fileOffset, data: f.data.slice() });
          return true;
        },
        {
          ...opts,
          ...(chunkBytes === undefined ? {} : { chunkBytes }),
          onInterface: (i) => onInterface(s, i),
          afterChunk: async () => {
            drain();
            if (s.pending > 0 && !stopped) await new Promise<void>((resolve) => (s.wake = resolve));
            if (opts.afterChunk) await opts.afterChunk();
          },
        },
      );
    } catch (e) {
      stop(); // the whole input fails: the other files need not be read to the end
      throw e;
    } finally {
      s.done = true;
      drain();
    }
  };

  const results = await Promise.allSettled(sources.map(read));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  const inputs = results.map((r, i) => ({ path: paths[i] as string, summary: (r as PromiseFulfilledResult<ReadCaptureSummary>).value }));
  if (!numbered) numberAll(); // no frame at all: the interfaces are still told, in file order
  return combine(inputs, all);
}

/** One summary for several files: sums, and each file's problems with its name in front. */
function combine(inputs: InputSummary[], interfaces: CaptureInterface[]): MergedSummary {
  const formats = new Set(inputs.map((x) => x.summary.format));
  const named = (path: string, p: ReadCaptureSummary['problems'][number]): ReadCaptureSummary['problems'][number] => ({ ...p, message: `${path}: ${p.message}` });
  const problems = inputs.flatMap((x) => x.summary.problems.map((p) => named(x.path, p)));
  const fatalInput = inputs.find((x) => x.summary.fatal !== null);
  const fatal = fatalInput ? (problems.find((p) => p.fatal && p.message === `${fatalInput.path}: ${(fatalInput.summary.fatal as { message: string }).message}`) ?? null) : null;
  return {
    // 'mixed' exists only here, for files of both formats (the report schema lists it)
    format: formats.size === 1 ? (inputs[0] as InputSummary).summary.format : ('mixed' as ReadCaptureSummary['format']),
    frames: inputs.reduce((n, x) => n + x.summary.frames, 0),
    bytes: inputs.reduce((n, x) => n + x.summary.bytes, 0),
    capturedBytes: inputs.reduce((n, x) => n + x.summary.capturedBytes, 0),
    stopped: inputs.some((x) => x.summary.stopped),
    problems,
    problemCount: inputs.reduce((n, x) => n + x.summary.problemCount, 0),
    fatal,
    interfaces,
    compressed: inputs.some((x) => x.summary.compressed),
    inputs,
  };
}
