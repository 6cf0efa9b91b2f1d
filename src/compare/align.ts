/**
 * `compare --relative` without `--offset`: the two clocks may be far apart (seconds, hours), more
 * than the matching window. Before the real pass, the first PRESCAN_FRAMES frames of each file are
 * scanned for SYNs; the first SYN (by its ISN) seen in both gives the offset that aligns the two
 * clocks (its one-way delay included, which the relative delays take out anyway: each path's
 * minimum is 0).
 */
import { readCapture, STDIN_PATH } from '../dissect/capture/source.js';
import type { Frame } from '../dissect/frame.js';
import { decodeSegment, Segment } from '../dissect/segment.js';
import { TcpFlag } from '../dissect/tcp.js';

/** Frames read from the start of each file to find a common SYN. */
export const PRESCAN_FRAMES = 100_000;

export interface Alignment {
  /** B's clock minus A's, ns (as --offset), or null when no SYN is in both starts. */
  offsetNs: number | null;
  /** The SYN's ISN used. */
  isn: number | null;
}

async function syns(path: string): Promise<Map<number, [number, number]>> {
  const out = new Map<number, [number, number]>();
  const seg = new Segment();
  let n = 0;
  const onFrame = (frame: Frame): boolean => {
    if (decodeSegment(frame, seg) && seg.isTcp && (seg.flags & (TcpFlag.SYN | TcpFlag.ACK)) === TcpFlag.SYN && !out.has(seg.seq)) {
      // seconds and ns apart: absolute ns would not fit a double exactly
      out.set(seg.seq, [frame.tsSec, frame.tsNsec]);
    }
    return ++n < PRESCAN_FRAMES;
  };
  await readCapture(path, onFrame);
  return out;
}

export async function alignClocks(fileA: string, fileB: string): Promise<Alignment> {
  if (fileA === STDIN_PATH || fileB === STDIN_PATH) return { offsetNs: null, isn: null };
  const [a, b] = await Promise.all([syns(fileA), syns(fileB)]);
  for (const [isn, ta] of a) {
    const tb = b.get(isn);
    if (tb !== undefined) return { offsetNs: (tb[0] - ta[0]) * 1e9 + (tb[1] - ta[1]), isn };
  }
  return { offsetNs: null, isn: null };
}
