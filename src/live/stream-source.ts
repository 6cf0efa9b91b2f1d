/**
 * `live -r -`: a capture that is still being written, read from standard input (or a file), e.g.
 * `tcpdump -U -w - -i eth0 | mpcap live -r -`. The pcap/pcapng bytes go through the same
 * push-based CaptureParser as file analysis, chunk by chunk as they arrive; its timestamps are
 * the capturing libpcap's (the kernel's).
 *
 * Unlike readCapture(), this reads with 'data' events so that stop() (Ctrl-C, --duration) ends at
 * once even while the writer is silent, and a record left half-read by that stop is not damage.
 */
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { CaptureParser } from '../dissect/capture/parser.js';
import type { CaptureProblem } from '../dissect/capture/types.js';
import { InputError } from '../dissect/errors.js';
import type { LiveFrameHandler, PacketSource, SourceEnd, SourceStats } from './source.js';

const GZIP_ID1 = 0x1f;
const GZIP_ID2 = 0x8b;

export class StreamSource implements PacketSource {
  readonly name: string;
  readonly timestamps = 'kernel' as const;
  private stopped = false;
  private finish: ((cause?: unknown) => void) | null = null;
  private readable: Readable | null = null;

  constructor(
    private readonly path: string,
    private readonly stdin: NodeJS.ReadableStream,
  ) {
    this.name = path === '-' ? '(standard input)' : path;
  }

  run(onFrame: LiveFrameHandler): Promise<SourceEnd> {
    const problems: CaptureProblem[] = [];
    let problemCount = 0;
    let ignoreProblems = false;
    const parser = new CaptureParser(onFrame, (p) => {
      if (ignoreProblems) return;
      problemCount++;
      // The fatal problem is kept past the cap: it is what makes the exit code say "damaged".
      if (problems.length < 100 || p.fatal) problems.push(p);
    });
    const stream = (this.path === '-' ? this.stdin : createReadStream(this.path)) as Readable;
    this.readable = stream;
    return new Promise<SourceEnd>((resolve, reject) => {
      let settled = false;
      const done = (cause?: unknown): void => {
        if (settled) return;
        settled = true;
        stream.off('data', onData);
        stream.off('end', onEnd);
        stream.off('error', onError);
        if (!stream.readableEnded) {
          stream.pause();
          if (this.path !== '-') stream.destroy();
        }
        if (cause !== undefined) return reject(cause);
        try {
          // Stopped by us: a record cut by the stop is not damage.
          ignoreProblems = this.stopped;
          const s = parser.end();
          resolve({ problems, problemCount, format: s.format });
        } catch (e) {
          if (this.stopped && parser.format === null) return resolve({ problems, problemCount, format: 'pcap' });
          reject(e);
        }
      };
      this.finish = done;
      let first = true;
      const onData = (chunk: Buffer | string): void => {
        if (typeof chunk === 'string') return done(new InputError(`cannot read ${this.name}: the stream was set to text mode`, this.path));
        if (first && chunk.length >= 2 && chunk[0] === GZIP_ID1 && chunk[1] === GZIP_ID2) {
          return done(new InputError(`${this.name} is gzip-compressed: live reading takes an uncompressed stream (zcat FILE | mpcap live -r -, or mpcap analyze FILE)`, this.path));
        }
        first = false;
        try {
          if (!parser.push(chunk)) done();
        } catch (e) {
          done(e);
        }
      };
      const onEnd = (): void => done();
      const onError = (e: NodeJS.ErrnoException): void => {
        const what = e.code === 'ENOENT' ? 'no such file' : e.code === 'EACCES' ? 'permission denied' : e.code === 'EISDIR' ? 'is a directory' : e.message;
        done(new InputError(`cannot read ${this.path === '-' ? 'standard input' : `'${this.path}'`}: ${what}`, this.path, e));
      };
      stream.on('data', onData);
      stream.on('end', onEnd);
      stream.on('error', onError);
      stream.resume();
    });
  }

  pause(): void {
    this.readable?.pause();
  }

  resume(): void {
    if (!this.stopped) this.readable?.resume();
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    // Called from inside onFrame too: the parser is mid-push, so end it on a later turn.
    setImmediate(() => this.finish?.());
  }

  stats(): SourceStats {
    return {
      received: null,
      kernelDropped: null,
      ifDropped: null,
      dropsNote: 'reading a stream: the capturing program (e.g. tcpdump) reports its own kernel drops when it ends',
      truncated: 0,
    };
  }
}
