/**
 * Which holes fall where a live capture dropped packets (src/live/drop-windows.ts): windows from
 * libpcap's counters at each stats tick, and a hole's "next byte seen" time against them.
 */
import { describe, expect, it } from 'vitest';
import { DROP_SLACK_SEC, DropWindows } from '../src/live/drop-windows.ts';

describe('drop windows', () => {
  // ticks at capture times 1, 2, 3, 4 s with drop totals 0, 5, 5, 9, then the end at 4.5 s with 9
  const w = new DropWindows();
  w.tick(1, 0);
  w.tick(2, 5);
  w.tick(3, 5);
  w.tick(4, 9);
  w.finish(4.5, 9);
  it('one window per run of ticks that counted drops', () => {
    expect(w.windows).toEqual([
      { from: 1, to: 2, dropped: 5 },
      { from: 3, to: 4, dropped: 4 },
    ]);
  });
  it.each([
    ['before any drop', 0.5, false],
    ['inside the first window', 1.5, true],
    ['just after it, within the slack (a slower subflow)', 2 + DROP_SLACK_SEC / 2, true],
    ['between the windows, past the slack', 2.8, false],
    ['inside the second window', 3.2, true],
    ['after everything, past the slack', 4 + DROP_SLACK_SEC + 0.01, false],
  ])('a hole whose next byte came %s (%s s): %s', (_what, t, expected) => {
    expect(w.covers(t, 10)).toBe(expected);
  });
  it('a hole up to the DATA_FIN: by when the direction last had data', () => {
    expect(w.covers(null, 4.2)).toBe(true);
    expect(w.covers(null, 9)).toBe(false);
  });
  it('drops counted only at the end leave the last window open', () => {
    const e = new DropWindows();
    e.tick(1, 0);
    e.finish(2, 3);
    expect(e.windows).toEqual([{ from: 1, to: Infinity, dropped: 3 }]);
    expect(e.covers(100, 100)).toBe(true);
    expect(e.covers(0.5, 100)).toBe(false);
  });
  it('no drops: no window, nothing covered', () => {
    const n = new DropWindows();
    n.tick(1, 0);
    n.finish(2, 0);
    expect(n.windows).toEqual([]);
    expect(n.covers(1.5, 2)).toBe(false);
  });
});
