/**
 * When a live capture lost packets, in capture time, and the report's holes that fall there.
 *
 * libpcap's counters are read at every stats tick: drops that appeared between two ticks were
 * packets the kernel could not queue after the last packet read at the earlier tick and before
 * the last one read at the later tick. A hole whose next received byte came in such a window (or a
 * little after: the subflows' delays differ) is the capture's, as a capture gap the DATA_ACK proves
 * is: it is moved from `holes` to `captureGaps` (with `frame: null`: no DATA_ACK proved it) and
 * counted in `notCapturedBytes`. A file analysis of the -w file knows nothing of the drops and
 * still calls them holes.
 */
import type { ConnectionJson } from '../analysis/report.js';
import { round6 } from '../analysis/round.js';
import { MAX_LISTED_GAPS } from '../reassembly/data-stream.js';
import type { Connection, Direction } from '../reassembly/model.js';

/** Bytes after a hole may arrive this much later than the lost ones (subflow delays differ). */
export const DROP_SLACK_SEC = 0.5;
/** Windows kept; past this, the last one is stretched (a capture dropping all along is one window). */
const MAX_WINDOWS = 10_000;

export interface DropWindow {
  /** Capture time (seconds since the first packet) of the last packet read before the drops, and after. */
  from: number;
  to: number;
  dropped: number;
}

export class DropWindows {
  readonly windows: DropWindow[] = [];
  private lastTime = 0;
  private lastDropped = 0;

  /** At every stats tick: `time` of the last packet read, `dropped` = libpcap's total so far. */
  tick(time: number, dropped: number): void {
    const n = dropped - this.lastDropped;
    if (n > 0) {
      const last = this.windows.at(-1);
      if (last !== undefined && (last.to >= this.lastTime || this.windows.length >= MAX_WINDOWS)) {
        last.to = time;
        last.dropped += n;
      } else {
        this.windows.push({ from: this.lastTime, to: time, dropped: n });
      }
    }
    this.lastDropped = dropped;
    this.lastTime = time;
  }

  /** At the end: drops counted at the last reading may be of packets after the last one read. */
  finish(time: number, dropped: number): void {
    const before = this.lastDropped;
    this.tick(time, dropped);
    const last = this.windows.at(-1);
    if (dropped > before && last !== undefined) last.to = Infinity;
  }

  /** Whether a hole whose next byte was received at `seenAfter` (null: up to the DATA_FIN, after `lastTime`) falls in a window. */
  covers(seenAfter: number | null, lastTime: number): boolean {
    for (const w of this.windows) {
      if (seenAfter === null ? w.to + DROP_SLACK_SEC >= lastTime : seenAfter >= w.from && seenAfter <= w.to + DROP_SLACK_SEC) return true;
    }
    return false;
  }
}

const DIRECTIONS: Direction[] = ['c2s', 's2c'];

/** Moves the holes of `json` that fall where drops happened to its capture gaps; returns the bytes moved. */
export function relabelHoles(json: ConnectionJson, conn: Connection, drops: DropWindows): number {
  if (drops.windows.length === 0) return 0;
  let moved = 0;
  for (const dir of DIRECTIONS) {
    const d = json.data[dir];
    const stream = conn.data.peek(dir);
    if (d.holes.length === 0 || stream === null) continue;
    const seen = new Map<number, number | null>();
    for (const h of stream.holesSeenAfter()) seen.set(h.start, h.seenAfter);
    const lastTime = d.lastTime ?? 0;
    const kept: typeof d.holes = [];
    for (const h of d.holes) {
      const after = seen.get(h.start);
      if (after === undefined || !drops.covers(after, lastTime)) {
        kept.push(h);
        continue;
      }
      if (d.captureGaps.length < MAX_LISTED_GAPS) d.captureGaps.push({ start: h.start, end: h.end, bytes: h.bytes, time: round6(after ?? lastTime), frame: null });
      d.captureGapCount++;
      d.notCapturedBytes += h.bytes;
      moved += h.bytes;
    }
    d.holes = kept;
  }
  return moved;
}
