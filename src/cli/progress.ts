/**
 * A progress line on stderr for long reads: only on a terminal, only after half a second, redrawn
 * at most ten times a second, once per input chunk (never per packet).
 */
import type { Writable } from 'node:stream';

const SHOW_AFTER_MS = 500;
const REDRAW_MS = 100;

export class Progress {
  private readonly started = Date.now();
  private lastDraw = 0;
  private offset = 0;
  private packets = 0;
  private shown = false;

  private constructor(
    private readonly out: Writable,
    private readonly totalBytes: number,
    private readonly label: string,
  ) {}

  static maybe(out: Writable, env: Record<string, string | undefined>, totalBytes: number, label: string): Progress | null {
    if ((out as { isTTY?: boolean }).isTTY !== true || env.CI !== undefined) return null;
    return new Progress(out, totalBytes, label);
  }

  at(offset: number, packets: number): void {
    this.offset = offset;
    this.packets = packets;
  }

  draw(): void {
    const now = Date.now();
    if (now - this.started < SHOW_AFTER_MS || now - this.lastDraw < REDRAW_MS) return;
    this.lastDraw = now;
    this.shown = true;
    const pct = this.totalBytes > 0 ? ` ${Math.min(100, (100 * this.offset) / this.totalBytes).toFixed(0)}%` : '';
    const rate = this.packets / ((now - this.started) / 1000);
    this.out.write(`\r\x1b[K${this.label}:${pct} ${this.packets.toLocaleString('en')} packets (${Math.round(rate).toLocaleString('en')}/s)`);
  }

  done(): void {
    if (this.shown) this.out.write('\r\x1b[K');
  }
}
