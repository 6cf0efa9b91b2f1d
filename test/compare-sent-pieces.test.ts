/**
 * SentPieces (src/compare/sent-pieces.ts) against a sorted array of the same pieces: appends,
 * insertions before the cursor (into full blocks: splits; into the first block after drops:
 * compaction), drops of the oldest, and seeks, in a seeded random order; then the data level's
 * reinjection outcome when first transmissions arrive out of DSN order across many blocks.
 */
import { describe, expect, it } from 'vitest';
import { PIECE_ARRIVAL, PIECE_CARRIED, PIECE_END, PIECE_START, PIECE_STREAM, SentPieces } from '../src/compare/sent-pieces.js';
import { DataDirection, IO_DSN, IO_PEER, IO_T } from '../src/compare/data-delay.js';

interface P {
  start: number;
  end: number;
  arrival: number;
  stream: number;
  carried: number;
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}

function put(ps: SentPieces, p: P, beforeCursor: boolean): void {
  ps.newF64[PIECE_START] = p.start;
  ps.newF64[PIECE_END] = p.end;
  ps.newF64[PIECE_ARRIVAL] = p.arrival;
  ps.newI32[PIECE_STREAM] = p.stream;
  ps.newI32[PIECE_CARRIED] = p.carried;
  ps.insert(beforeCursor);
}

/** Every piece from the first one ending past -Infinity, through the cursor. */
function walk(ps: SentPieces): P[] {
  const out: P[] = [];
  for (let on = ps.seek(-Infinity); on; on = ps.advance()) out.push({ start: ps.atStart(), end: ps.atEnd(), arrival: ps.atArrival(), stream: ps.atStream(), carried: ps.atCarried() });
  return out;
}

describe('SentPieces', () => {
  it.each([1, 2, 3])('keeps the pieces of a random mix of appends, inserts and drops in order (seed %i)', (seed) => {
    const r = rng(seed * 7919);
    const ps = new SentPieces();
    const model: P[] = [];
    // pieces are [10i, 10i + 5) for i in a random order of slots: gaps between any two
    let nextSlot = 0;
    const free: number[] = [];
    for (let op = 0; op < 20000; op++) {
      const x = r();
      if (x < 0.45 || model.length === 0) {
        // append past the last piece, sometimes leaving slots behind to fill later
        const skip = r() < 0.3 ? 1 + Math.floor(r() * 3) : 0;
        for (let s = 0; s < skip; s++) free.push(nextSlot++);
        const slot = nextSlot++;
        const p = { start: slot * 10, end: slot * 10 + 5, arrival: r() < 0.1 ? NaN : slot + 0.25, stream: slot % 7, carried: 1 << slot % 7 };
        put(ps, p, false);
        model.push(p);
      } else if (x < 0.85 && free.length > 0) {
        // fill a slot left behind: before the first piece after it (the cursor from a seek)
        const slot = free.splice(Math.floor(r() * free.length), 1)[0]!;
        const p = { start: slot * 10, end: slot * 10 + 5, arrival: slot + 0.5, stream: 3, carried: 8 };
        if (model.length > 0 && slot * 10 < model[0]!.start) {
          // below the oldest kept piece: forgotten already (the data level's floor)
          continue;
        }
        expect(ps.seek(slot * 10)).toBe(true);
        const i = model.findIndex((q) => q.end > slot * 10);
        expect(ps.atStart()).toBe(model[i]!.start);
        put(ps, p, true);
        // the cursor stays on the piece it was on
        expect(ps.atStart()).toBe(model[i]!.start);
        model.splice(i, 0, p);
      } else if (x < 0.87) {
        const n = 1 + Math.floor(r() * 20);
        for (let k = 0; k < n && model.length > 0; k++) expect(ps.shift()).toBe(model.shift()!.end);
      } else {
        const key = Math.floor(r() * (nextSlot * 10 + 20)) - 10;
        const i = model.findIndex((q) => q.end > key);
        expect(ps.seek(key)).toBe(i !== -1);
        if (i !== -1) {
          expect(ps.atStart()).toBe(model[i]!.start);
          ps.setCarried(ps.atCarried() | 64);
          model[i]!.carried |= 64;
        }
      }
      expect(ps.size).toBe(model.length);
      expect(ps.lastEnd()).toBe(model.length === 0 ? -Infinity : model[model.length - 1]!.end);
      if (op % 997 === 0) expect(walk(ps)).toEqual(model);
    }
    expect(walk(ps)).toEqual(model);
  });

  it('splits a full block, and reuses the slots of dropped pieces in the first one', () => {
    const ps = new SentPieces();
    const model: P[] = [];
    // two full blocks of pieces [10i, 10i + 5)
    for (let i = 0; i < 1024; i++) {
      const p = { start: i * 10, end: i * 10 + 5, arrival: i, stream: 0, carried: 1 };
      put(ps, p, false);
      model.push(p);
    }
    // into the second (full) block: split
    const a = { start: 7005, end: 7008, arrival: -1, stream: 1, carried: 2 };
    expect(ps.seek(7005)).toBe(true);
    put(ps, a, true);
    model.splice(701, 0, a);
    // drop 10, then into the first (full, 10 dropped) block: compaction
    for (let k = 0; k < 10; k++) expect(ps.shift()).toBe(model.shift()!.end);
    const b = { start: 205, end: 206, arrival: -2, stream: 2, carried: 4 };
    expect(ps.seek(205)).toBe(true);
    put(ps, b, true);
    expect(ps.atStart()).toBe(210);
    model.splice(11, 0, b);
    expect(walk(ps)).toEqual(model);
  });

  it('the data level finds every reinjection of first transmissions sent out of DSN order', () => {
    // 3,000 segments of 100 bytes first sent on subflow 0 in a shuffled order (pieces inserted
    // everywhere across blocks), each later reinjected on subflow 1: all 3,000 are reinjections,
    // the original arrived first for even segments (wasted), was lost for odd ones (useful)
    const io = new Float64Array(3);
    const d = new DataDirection('c2s', 2e9, (ns) => ns / 1e9, io);
    const r = rng(42);
    const order = Array.from({ length: 3000 }, (_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    let t = 1e6;
    for (const i of order) {
      io[IO_DSN] = 1 + i * 100;
      io[IO_T] = t;
      io[IO_PEER] = i % 2 === 0 ? t + 1000 : NaN;
      d.sent(100, 0);
      t += 1000;
    }
    for (let i = 0; i < 3000; i++) {
      io[IO_DSN] = 1 + i * 100;
      io[IO_T] = t;
      io[IO_PEER] = t + 2000;
      d.sent(100, 1);
      // a second copy on the same subflow is a retransmission of the reinjection, not a new one
      d.sent(100, 1);
      t += 1000;
    }
    expect(d.reinjections).toBe(3000);
    expect(d.wasted).toBe(1500);
    expect(d.useful).toBe(1500);
  });
});
