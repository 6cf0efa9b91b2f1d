/**
 * HeldSegments (the skip list in typed arrays behind the data level): random holds in any order,
 * deliveries from the front and floor queries against a naive sorted array, with a seeded PRNG so
 * that a failure replays; the budget's counts; slots reused after a burst and shared by streams.
 */
import { describe, expect, it } from 'vitest';
import { BufferBudget, type DataStreamLimits } from '../../src/reassembly/data-records.ts';
import { HeldSegments, NONE } from '../../src/reassembly/held-segments.ts';
import { rng } from '../helpers/capture-builders.ts';

interface Seg {
  start: number;
  end: number;
  subflow: number;
  time: number;
  captured: number;
  copy: Uint8Array | null;
}

const limits = (budget = new BufferBudget()): DataStreamLimits => ({ maxBufferedBytes: 1e12, maxBufferedSegments: 1e9, budget });

function listed(h: HeldSegments): Seg[] {
  const out: Seg[] = [];
  for (let s = h.first(); s !== NONE; s = h.next(s)) out.push({ start: h.start(s), end: h.end(s), subflow: h.subflow(s), time: h.time(s), captured: h.captured(s), copy: h.copy(s) });
  return out;
}

/** What floor() must answer, from the model: the index of the greatest start ≤ key, or -1. */
function modelFloor(model: Seg[], key: number): number {
  let best = -1;
  for (let i = 0; i < model.length; i++) if ((model[i] as Seg).start <= key) best = i;
  return best;
}

describe('HeldSegments against a sorted array', () => {
  it.each([1, 2, 3, 42, 9001])('seed %i: random holds, deliveries from the front and floor queries agree', (seed) => {
    const rnd = rng(seed);
    const budget = new BufferBudget();
    const h = new HeldSegments(limits(budget));
    let model: Seg[] = [];
    // 3,000 disjoint slots of width 10 (past the first columns' capacity, and their doubling),
    // held in random order, some delivered from the front meanwhile
    const slots = Array.from({ length: 3000 }, (_, i) => i);
    for (let i = slots.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [slots[i], slots[j]] = [slots[j] as number, slots[i] as number];
    }
    let released = -1;
    for (const slot of slots) {
      if (slot * 10 <= released) continue; // below what was delivered: never held again
      const start = slot * 10;
      const seg: Seg = { start, end: start + 1 + Math.floor(rnd() * 9), subflow: slot % 7, time: rnd() * 100, captured: slot % 5, copy: rnd() < 0.3 ? new Uint8Array([slot & 255]) : null };
      h.hold(seg.start, seg.end, seg.subflow, seg.time, seg.copy, seg.captured);
      model.push(seg);
      model.sort((a, b) => a.start - b.start);
      if (rnd() < 0.1) {
        const n = Math.floor(rnd() * 20);
        for (let k = 0; k < n && model.length > 0; k++) {
          const first = h.first();
          expect(h.start(first)).toBe((model[0] as Seg).start);
          released = (model[0] as Seg).start;
          h.release();
          model = model.slice(1);
        }
      }
      const q = Math.floor(rnd() * 30_100) - 50;
      const f = modelFloor(model, q);
      const got = h.floor(q);
      expect(got === NONE ? -1 : h.start(got)).toBe(f < 0 ? -1 : (model[f] as Seg).start);
      const after = f < 0 ? model[0] : (model[f] as Seg).end > q ? model[f] : model[f + 1];
      const ending = h.firstEndingAfter(q);
      expect(ending === NONE ? null : h.start(ending)).toBe(after?.start ?? null);
      expect(h.segments).toBe(model.length);
      const last = h.last();
      expect(last === NONE ? null : h.end(last)).toBe(model.at(-1)?.end ?? null);
    }
    expect(listed(h)).toEqual(model);
    expect(h.bytes).toBe(model.reduce((n, s) => n + s.end - s.start, 0));
    expect(budget.segments).toBe(model.length);
    expect(budget.bytes).toBe(h.bytes);
    while (h.first() !== NONE) h.release();
    expect([h.segments, h.bytes, budget.segments, budget.bytes]).toEqual([0, 0, 0, 0]);
  });

  it('appends past the last segment, and inserts before it, keep the order and the links', () => {
    const h = new HeldSegments(limits());
    for (const s of [50, 60, 70, 10, 30, 80, 20, 40]) h.hold(s, s + 5, 1, s, null, 5);
    expect(listed(h).map((s) => s.start)).toEqual([10, 20, 30, 40, 50, 60, 70, 80]);
    expect(h.start(h.floor(44))).toBe(40);
    expect(h.floor(9)).toBe(NONE);
    expect(h.start(h.firstEndingAfter(44))).toBe(40); // [40, 45) holds 44
    expect(h.start(h.firstEndingAfter(46))).toBe(50);
    expect(h.firstEndingAfter(85)).toBe(NONE);
  });

  it('after a burst is delivered the slots are reused, or let go, and the next burst reads right', () => {
    const h = new HeldSegments(limits());
    for (const burst of [5000, 20, 9000, 3]) {
      for (let i = 0; i < burst; i++) h.hold(i * 2, i * 2 + 1, 0, i, i % 3 === 0 ? new Uint8Array(1) : null, 1);
      expect(h.segments).toBe(burst);
      for (let i = 0; i < burst; i++) {
        expect([h.start(h.first()), h.copy(h.first()) !== null]).toEqual([i * 2, i % 3 === 0]);
        h.release();
      }
      expect(h.first()).toBe(NONE);
    }
    h.hold(100_000, 100_010, 3, 1.5, null, 10);
    expect(listed(h)).toEqual([{ start: 100_000, end: 100_010, subflow: 3, time: 1.5, captured: 10, copy: null }]);
  });

  it('streams that share a budget share its slots and keep their own order', () => {
    const budget = new BufferBudget();
    const a = new HeldSegments(limits(budget));
    const b = new HeldSegments(limits(budget));
    const rnd = rng(7);
    const inA: number[] = [];
    const inB: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const [h, keys] = rnd() < 0.5 ? [a, inA] : [b, inB];
      let k: number;
      do k = Math.floor(rnd() * 100_000) * 2;
      while (keys.includes(k));
      h.hold(k, k + 1, h === a ? 1 : 2, i, null, 1);
      keys.push(k);
      if (rnd() < 0.2 && keys.length > 0) {
        keys.sort((x, y) => x - y);
        expect(h.start(h.first())).toBe(keys.shift());
        h.release();
      }
    }
    expect(listed(a).map((s) => s.start)).toEqual([...inA].sort((x, y) => x - y));
    expect(listed(b).map((s) => s.start)).toEqual([...inB].sort((x, y) => x - y));
    expect(listed(a).every((s) => s.subflow === 1) && listed(b).every((s) => s.subflow === 2)).toBe(true);
    expect(budget.segments).toBe(inA.length + inB.length);
  });

  it('dropCopies forgets every copy, and the segments stay', () => {
    const h = new HeldSegments(limits());
    h.hold(10, 20, 0, 0, new Uint8Array(10), 10);
    h.hold(30, 40, 0, 0, new Uint8Array(10), 10);
    h.dropCopies();
    expect(listed(h).map((s) => [s.start, s.copy])).toEqual([
      [10, null],
      [30, null],
    ]);
  });
});
