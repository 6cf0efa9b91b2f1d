/** frame.time_epoch keeps the sign of a time before 1970 (a negative if_tsoffset): -1.5 s, not -2.5. */
import { describe, expect, it } from 'vitest';
import { frameTimeEpoch } from '../../src/analysis/fields.ts';

describe('frame.time_epoch', () => {
  it.each([
    [1_700_000_000, 5, '1700000000.000000005'],
    [0, 0, '0.000000000'],
    [-2, 500_000_000, '-1.500000000'],
    [-1, 0, '-1.000000000'],
    [-1, 999_999_999, '-0.000000001'],
  ])('%d s + %d ns → %s', (sec, ns, text) => {
    expect(frameTimeEpoch(sec, ns)).toBe(text);
  });
});
