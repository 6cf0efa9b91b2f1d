/**
 * Where text and bytes go out: buffered, with back-pressure applied once per chunk of input or
 * per batch of output, never per packet.
 */
import type { Writable } from 'node:stream';

/**
 * Buffered output with back-pressure: lines are gathered into large writes, and `drain()`
 * (awaited once per input chunk, never per packet) waits when the consumer is slow, so that a
 * 10 GB capture piped into `less` does not pile up in memory. A closed pipe (EPIPE, as with
 * `| head`) ends the output quietly and tells the producer to stop.
 */
export class OutputSink {
  private buf = '';
  private waiting: Promise<void> | null = null;
  closed = false;

  constructor(
    private readonly stream: Writable,
    private readonly highWater = 1 << 16,
  ) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED') this.closed = true;
      else throw err;
    });
  }

  write(s: string): void {
    if (this.closed) return;
    this.buf += s;
    if (this.buf.length >= this.highWater) this.flush();
  }

  flush(): void {
    if (this.buf.length === 0 || this.closed) return;
    const ok = this.stream.write(this.buf);
    this.buf = '';
    if (!ok && !this.waiting) {
      this.waiting = new Promise<void>((resolve) => {
        const done = (): void => {
          this.stream.off('drain', done);
          this.stream.off('close', done);
          this.waiting = null;
          resolve();
        };
        this.stream.once('drain', done);
        this.stream.once('close', done);
      });
    }
  }

  async drain(): Promise<void> {
    this.flush();
    if (this.waiting) await this.waiting;
  }

  /** While the stream asks writers to wait: when it will not any more (else null). */
  get backedUp(): Promise<void> | null {
    return this.waiting;
  }

  async end(): Promise<void> {
    await this.drain();
  }
}

/**
 * Binary output (extract): bytes are copied when written (the caller's buffer is reused) and
 * handed to the stream in large pieces; `drain()` applies back-pressure once per input chunk.
 */
export class BinarySink {
  private parts: Buffer[] = [];
  private size = 0;
  private waiting: Promise<void> | null = null;
  written = 0;

  constructor(
    private readonly stream: Writable,
    private readonly highWater = 1 << 20,
  ) {}

  write(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.parts.push(Buffer.from(bytes)); // copy: ownership changes
    this.size += bytes.length;
    this.written += bytes.length;
    if (this.size >= this.highWater) this.flush();
  }

  private flush(): void {
    if (this.size === 0) return;
    const ok = this.stream.write(Buffer.concat(this.parts, this.size));
    this.parts = [];
    this.size = 0;
    if (!ok && !this.waiting) this.waiting = new Promise<void>((resolve) => this.stream.once('drain', () => {
      this.waiting = null;
      resolve();
    }));
  }

  async drain(): Promise<void> {
    this.flush();
    if (this.waiting) await this.waiting;
  }

  async end(): Promise<void> {
    await this.drain();
  }
}
