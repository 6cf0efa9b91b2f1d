import { describe, it, expect } from 'vitest';
import type { Frame } from '../../src/dissect/frame.ts';
import { formatEpoch, isoOrNull, setSecFrac, setTicks, tsScaleFromResol } from '../../src/dissect/capture/timestamp.ts';
import { rng } from '../helpers/capture-builders.ts';

function blankFrame(): Frame {
  return { number: 0, tsSec: 0, tsNsec: 0, capLen: 0, origLen: 0, linkType: 0, interfaceId: 0, fileOffset: 0, data: new Uint8Array(0) };
}

/** The definition, in BigInt: seconds = floor(ticks / units), ns = floor(rem * 1e9 / units). */
function reference(ticks: bigint, units: bigint): [number, number] {
  return [Number(ticks / units), Number(((ticks % units) * 1_000_000_000n) / units)];
}

describe('setTicks is exact for every resolution', () => {
  // 10^-0 .. 10^-19, 2^-0 .. 2^-64: every arithmetic path (integer ns per tick, integer ticks
  // per ns, exact rem*1e9, BigInt fallback; 16-bit long division or BigInt division).
  const resolutions = [
    ...Array.from({ length: 20 }, (_, v) => v),
    ...Array.from({ length: 65 }, (_, k) => 0x80 | k),
  ];
  it.each(resolutions)('if_tsresol %i', (resol) => {
    const units = (resol & 0x80) !== 0 ? 1n << BigInt(resol & 0x7f) : 10n ** BigInt(resol);
    const next = rng(resol + 1);
    const f = blankFrame();
    const cases: bigint[] = [0n, 1n, units - 1n, units, units + 1n, 0xffffffffn, 0x100000000n, 0xffffffffffffffffn, (1n << 53n) + 1n];
    for (let i = 0; i < 500; i++) {
      const hi = BigInt(Math.floor(next() * 2 ** 32));
      const lo = BigInt(Math.floor(next() * 2 ** 32));
      cases.push(((hi >> BigInt(Math.floor(next() * 33))) << 32n) | lo);
    }
    for (const ticks of cases.filter((t) => t >= 0n && t <= 0xffffffffffffffffn)) {
      const [sec, ns] = reference(ticks, units);
      if (!Number.isSafeInteger(sec)) continue; // 10^0 and 2^0 with huge tick counts: seconds beyond 2^53
      setTicks(f, Number(ticks >> 32n), Number(ticks & 0xffffffffn), tsScaleFromResol(resol), 0);
      expect([f.tsSec, f.tsNsec], `ticks ${ticks}`).toEqual([sec, ns]);
    }
  });

  it('adds the offset to the seconds only', () => {
    const f = blankFrame();
    setTicks(f, 0, 1_500_000, tsScaleFromResol(6), -3);
    expect([f.tsSec, f.tsNsec]).toEqual([-2, 500_000_000]);
  });
});

describe('setSecFrac (classic pcap)', () => {
  it.each([
    { sec: 1, frac: 0, nsPerFrac: 1000, want: [1, 0] },
    { sec: 1, frac: 999_999, nsPerFrac: 1000, want: [1, 999_999_000] },
    { sec: 1, frac: 1_000_000, nsPerFrac: 1000, want: [2, 0] },
    { sec: 0xffffffff, frac: 0xffffffff, nsPerFrac: 1000, want: [0xffffffff + 4294, 967_295_000] },
    { sec: 7, frac: 999_999_999, nsPerFrac: 1, want: [7, 999_999_999] },
    { sec: 7, frac: 0xffffffff, nsPerFrac: 1, want: [11, 294_967_295] },
  ])('$sec s + $frac × $nsPerFrac ns', ({ sec, frac, nsPerFrac, want }) => {
    const f = blankFrame();
    setSecFrac(f, sec, frac, nsPerFrac);
    expect([f.tsSec, f.tsNsec]).toEqual(want);
  });
});

describe('times a Date cannot hold', () => {
  it.each([
    [0, 0, '1970-01-01T00:00:00.000Z'],
    [8.64e12, 0, '+275760-09-13T00:00:00.000Z'],
    [8.64e12, 1_000_000, null],
    [8.64e12 + 1, 0, null],
    [-8.64e12, 0, '-271821-04-20T00:00:00.000Z'],
    [-8.64e12 - 1, 999_999_999, null],
    [2 ** 64, 0, null],
    [NaN, 0, null],
    [Infinity, 0, null],
  ])('isoOrNull(%d, %d) = %s', (sec, ns, iso) => {
    expect(isoOrNull(sec, ns)).toBe(iso);
  });

  it.each([
    [1, 5, '1.000000005'],
    [-1, 500_000_000, '-0.500000000'],
    [-2, 0, '-2.000000000'],
    [-2, 1, '-1.999999999'],
    [2 ** 64, 0, '18446744073709551616.000000000'],
    [1e21, 0, '1000000000000000000000.000000000'],
  ])('formatEpoch(%d, %d) = %s', (sec, ns, text) => {
    expect(formatEpoch(sec, ns)).toBe(text);
  });
});

describe('no NaN or Infinity from any timestamp a pcapng file can hold', () => {
  const extremes = [0, 1, 0x7fffffff, 0x80000000, 0xffffffff];
  const offsets = [0, 1e13, -1e13, 2 ** 63, -(2 ** 63)];
  it.each([0, 1, 6, 9, 19, 0x7f, 0x80, 0x94, 0xbf, 0xff])('if_tsresol 0x%s', (resol) => {
    const scale = tsScaleFromResol(resol);
    const f = blankFrame();
    for (const hi of extremes) for (const lo of extremes) for (const off of offsets) {
      setTicks(f, hi, lo, scale, off);
      expect(Number.isFinite(f.tsSec), `${hi}:${lo}+${off}`).toBe(true);
      expect(Number.isInteger(f.tsNsec) && f.tsNsec >= 0 && f.tsNsec < 1e9, `${hi}:${lo}+${off} ns ${f.tsNsec}`).toBe(true);
      expect(formatEpoch(f.tsSec, f.tsNsec)).toMatch(/^-?\d+\.\d{9}$/);
    }
  });
});
