/**
 * Runs CaptureParser over fixtures and keeps copies of what it hands out (the Frame object is
 * reused and its data is a view, so tests must copy before the next frame arrives).
 */
import { CaptureParser, type CaptureProblem, type CaptureSummary } from '../../src/dissect/capture/parser.ts';
import type { Frame } from '../../src/dissect/frame.ts';
import { toHex } from './capture-builders.ts';

export interface FrameCopy {
  number: number;
  /** `${tsSec}.${tsNsec padded to 9}`: tshark's frame.time_epoch. */
  ts: string;
  capLen: number;
  origLen: number;
  linkType: number;
  interfaceId: number;
  fileOffset: number;
  data: string;
}

export function tsString(f: Pick<Frame, 'tsSec' | 'tsNsec'>): string {
  return `${f.tsSec}.${String(f.tsNsec).padStart(9, '0')}`;
}

export function copyFrame(f: Frame): FrameCopy {
  return {
    number: f.number, ts: tsString(f), capLen: f.capLen, origLen: f.origLen, linkType: f.linkType,
    interfaceId: f.interfaceId, fileOffset: f.fileOffset, data: toHex(f.data),
  };
}

export interface Collected {
  frames: FrameCopy[];
  summary: CaptureSummary;
  /** As seen by onProblem, in order. */
  problems: CaptureProblem[];
  /** push() return values. */
  pushResults: boolean[];
}

/** Feeds `input` (one buffer or a list of chunks); stops after `limit` frames when given. */
export function collect(input: Uint8Array | Uint8Array[], limit = Infinity): Collected {
  const frames: FrameCopy[] = [];
  const problems: CaptureProblem[] = [];
  const parser = new CaptureParser(
    (f) => { frames.push(copyFrame(f)); return frames.length < limit; },
    (p) => { problems.push(p); },
  );
  const pushResults = (Array.isArray(input) ? input : [input]).map((c) => parser.push(c));
  return { frames, summary: parser.end(), problems, pushResults };
}

/** Every byte its own chunk. */
export function bytewise(b: Uint8Array): Uint8Array[] {
  return Array.from({ length: b.length }, (_, i) => b.subarray(i, i + 1));
}
