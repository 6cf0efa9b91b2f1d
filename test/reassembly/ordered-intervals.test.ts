/**
 * OrderedIntervals (the skip list behind the data level): random insert, remove and shift orders
 * against a naive sorted array, with a seeded PRNG so that a failure replays.
 */
import { describe, expect, it } from 'vitest';
import { OrderedIntervals, type IntervalNode } from '../../src/reassembly/ordered-intervals.ts';
import { rng } from '../helpers/capture-builders.ts';

interface N extends IntervalNode {
  tag: number;
}


const node = (start: number, end: number, tag = 0): N => ({ start, end, next: [], level: 0, tag });

function keys(l: OrderedIntervals<N>): number[] {
  return [...l].map((n) => n.start);
}

/** What floor() must answer, from the model. */
function modelFloor(model: N[], key: number): N | null {
  let best: N | null = null;
  for (const n of model) if (n.start <= key) best = n;
  return best;
}

describe('OrderedIntervals against a sorted array', () => {
  it.each([1, 2, 3, 42, 9001])('seed %i: random inserts, removes, shifts and floor queries agree', (seed) => {
    const rnd = rng(seed);
    const l = new OrderedIntervals<N>();
    let model: N[] = [];
    // 400 disjoint slots of width 10, inserted in random order, some removed again
    const slots = Array.from({ length: 400 }, (_, i) => i);
    for (let i = slots.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [slots[i], slots[j]] = [slots[j] as number, slots[i] as number];
    }
    for (const s of slots) {
      const n = node(s * 10, s * 10 + 1 + Math.floor(rnd() * 9), s);
      l.insert(n);
      model.push(n);
      model.sort((a, b) => a.start - b.start);
      const r = rnd();
      if (r < 0.15 && model.length > 0) {
        const victim = model[Math.floor(rnd() * model.length)] as N;
        l.remove(victim);
        model = model.filter((x) => x !== victim);
      } else if (r < 0.2) {
        const got = l.shift();
        expect(got).toBe(model.shift() ?? null);
      }
      const q = Math.floor(rnd() * 4100) - 50;
      expect(l.floor(q)).toBe(modelFloor(model, q));
      const f = modelFloor(model, q);
      const after = f === null ? (model[0] ?? null) : f.end > q ? f : (model[model.indexOf(f) + 1] ?? null);
      expect(l.firstEndingAfter(q)).toBe(after);
      expect(l.size).toBe(model.length);
      expect(l.last()).toBe(model.at(-1) ?? null);
    }
    expect(keys(l)).toEqual(model.map((n) => n.start));
    // drain it from the front
    while (model.length > 0) expect(l.shift()).toBe(model.shift());
    expect(l.shift()).toBeNull();
    expect(l.first()).toBeNull();
    expect(l.size).toBe(0);
  });

  it('a node removed and inserted again (recycled, with its old link array) keeps the order', () => {
    const l = new OrderedIntervals<N>();
    const nodes = Array.from({ length: 50 }, (_, i) => node(i * 2, i * 2 + 1));
    for (const n of nodes) l.insert(n);
    for (let i = 0; i < 50; i += 3) l.remove(nodes[i] as N);
    for (let i = 0; i < 50; i += 3) {
      const n = nodes[i] as N;
      n.next.fill(null);
      l.insert(n);
    }
    expect(keys(l)).toEqual(nodes.map((n) => n.start));
  });

  it('200 000 inserts in reverse order, then drained from the front, stay fast', () => {
    const l = new OrderedIntervals<N>();
    const t0 = performance.now();
    for (let i = 200_000; i > 0; i--) l.insert(node(i * 10, i * 10 + 5));
    let prev = -1;
    let count = 0;
    let ordered = true;
    for (let n = l.shift(); n !== null; n = l.shift()) {
      if (n.start <= prev) ordered = false;
      prev = n.start;
      count++;
    }
    expect(ordered).toBe(true);
    expect(count).toBe(200_000);
    expect(performance.now() - t0).toBeLessThan(2000);
  });
});
