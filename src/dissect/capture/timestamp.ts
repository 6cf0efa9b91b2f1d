/**
 * Exact conversion of capture timestamps to (seconds, nanoseconds).
 *
 * tshark prints frame.time_epoch with 9 digits, so a float division (ticks / 1e6) that is off by
 * one ulp would show up as a different last digit. Everything here is integer arithmetic that
 * stays below 2**53 (exact in a double), with BigInt only for resolutions too fine for that.
 * Sub-nanosecond ticks are truncated toward zero, as Wireshark does.
 */
import type { Frame } from '../frame.js';

const NS_PER_SEC = 1_000_000_000;
const NS_PER_SEC_BIG = 1_000_000_000n;
const TWO_POW_32 = 0x1_0000_0000;
const DIGIT = 0x1_0000; // long division works on 16-bit digits
/** Largest ticks/s for which `rem * DIGIT + digit` stays exact: 2**37 * 2**16 = 2**53. */
const LONG_DIVISION_MAX_UNITS = 2 ** 37;
/** Largest ticks/s for which `rem * 1e9` stays exact (2**23 * 1e9 < 2**53). */
const EXACT_REM_TIMES_NS_MAX_UNITS = 2 ** 23;

/** pcapng if_tsresol (option 9): high bit set = negative power of 2, else negative power of 10. */
const TSRESOL_BINARY_FLAG = 0x80;
const TSRESOL_EXPONENT_MASK = 0x7f;

/** A timestamp resolution, with the arithmetic path chosen once per interface. */
export interface TsScale {
  /** Ticks per second (exact when ≤ 2**53). */
  readonly unitsPerSec: number;
  readonly unitsBig: bigint;
  /** 1e9 / unitsPerSec when that is an integer (µs: 1000), else 0. */
  readonly nsPerUnit: number;
  /** unitsPerSec / 1e9 when that is an integer (10^-12: 1000), else 0. */
  readonly unitsPerNs: number;
  /** The 16-bit long division is exact. */
  readonly numberPath: boolean;
}

export function makeTsScale(unitsBig: bigint): TsScale {
  const unitsPerSec = Number(unitsBig);
  return {
    unitsPerSec,
    unitsBig,
    nsPerUnit: NS_PER_SEC_BIG % unitsBig === 0n ? Number(NS_PER_SEC_BIG / unitsBig) : 0,
    unitsPerNs: unitsBig % NS_PER_SEC_BIG === 0n && unitsBig / NS_PER_SEC_BIG <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(unitsBig / NS_PER_SEC_BIG) : 0,
    numberPath: unitsPerSec <= LONG_DIVISION_MAX_UNITS,
  };
}

export const TS_MICROSECONDS = makeTsScale(1_000_000n);
export const TS_NANOSECONDS = makeTsScale(NS_PER_SEC_BIG);

/** The scale an if_tsresol byte describes (RFC draft-ietf-opsawg-pcapng §4.2). */
export function tsScaleFromResol(resol: number): TsScale {
  const exponent = BigInt(resol & TSRESOL_EXPONENT_MASK);
  return makeTsScale((resol & TSRESOL_BINARY_FLAG) !== 0 ? 1n << exponent : 10n ** exponent);
}

/** Sets frame.tsSec/tsNsec from a 64-bit tick count (hi:lo, unsigned) plus whole seconds of offset. */
export function setTicks(frame: Frame, hi: number, lo: number, scale: TsScale, offsetSec: number): void {
  if (!scale.numberPath) {
    setTicksBig(frame, hi, lo, scale, offsetSec);
    return;
  }
  // 64-bit ÷ units as schoolbook division on four 16-bit digits: every intermediate value is
  // below units * 2**16 ≤ 2**53, so `%` and the division of an exact multiple are exact.
  const u = scale.unitsPerSec;
  let cur = hi >>> 16;
  let r = cur % u;
  let q = (cur - r) / u;
  cur = r * DIGIT + (hi & 0xffff);
  r = cur % u; q = q * DIGIT + (cur - r) / u;
  cur = r * DIGIT + (lo >>> 16);
  r = cur % u; q = q * DIGIT + (cur - r) / u;
  cur = r * DIGIT + (lo & 0xffff);
  r = cur % u; q = q * DIGIT + (cur - r) / u;
  frame.tsSec = q + offsetSec;
  frame.tsNsec = remToNs(r, scale);
}

/** Sub-second ticks → ns, truncated: floor(rem * 1e9 / units). */
function remToNs(rem: number, scale: TsScale): number {
  if (scale.nsPerUnit !== 0) return rem * scale.nsPerUnit;
  if (scale.unitsPerNs !== 0) return (rem - (rem % scale.unitsPerNs)) / scale.unitsPerNs;
  const u = scale.unitsPerSec;
  if (u <= EXACT_REM_TIMES_NS_MAX_UNITS) {
    const x = rem * NS_PER_SEC;
    return (x - (x % u)) / u;
  }
  return Number((BigInt(rem) * NS_PER_SEC_BIG) / scale.unitsBig);
}

function setTicksBig(frame: Frame, hi: number, lo: number, scale: TsScale, offsetSec: number): void {
  const ticks = BigInt(hi) * BigInt(TWO_POW_32) + BigInt(lo);
  frame.tsSec = Number(ticks / scale.unitsBig) + offsetSec;
  frame.tsNsec = Number(((ticks % scale.unitsBig) * NS_PER_SEC_BIG) / scale.unitsBig);
}

/** Classic pcap: 32-bit seconds plus a fraction in µs or ns; a fraction ≥ 1 s is carried into seconds. */
export function setSecFrac(frame: Frame, sec: number, frac: number, nsPerFrac: number): void {
  const ns = frac * nsPerFrac; // < 2**32 * 1000: exact
  if (ns < NS_PER_SEC) {
    frame.tsSec = sec;
    frame.tsNsec = ns;
  } else {
    const rem = ns % NS_PER_SEC;
    frame.tsSec = sec + (ns - rem) / NS_PER_SEC;
    frame.tsNsec = rem;
  }
}

/**
 * ECMAScript dates reach ±8.64e15 ms (ECMA-262 §21.4.1.22), i.e. ±8.64e12 s around 1970. A
 * pcapng timestamp is 64 bits of ticks plus a 64-bit signed offset, so a file can hold times far
 * beyond that (tshark shows year 294292); those are shown as raw seconds, never as a date.
 */
export const MAX_DATE_SEC = 8.64e12;

/** The time can be shown as a date (and is then an exact integer number of seconds). */
export function isDateRange(tsSec: number): boolean {
  return Number.isFinite(tsSec) && Math.abs(tsSec) <= MAX_DATE_SEC;
}

/** ISO 8601 (ms precision) for a time a Date can hold, null otherwise: never a RangeError. */
export function isoOrNull(tsSec: number, tsNsec: number): string | null {
  if (!isDateRange(tsSec)) return null;
  const ms = tsSec * 1000 + Math.floor(tsNsec / 1e6);
  return Math.abs(ms) <= MAX_DATE_SEC * 1000 ? new Date(ms).toISOString() : null;
}

/**
 * Seconds since the epoch with 9 decimals, as tshark's frame.time_epoch. tsSec is the floor and
 * tsNsec the (non-negative) fraction, so -2 s + 0.5 s is written -1.500000000. Seconds beyond
 * 2**53 are not exact in a double: they are written in full digits (BigInt), never as 1e+21.
 */
export function formatEpoch(tsSec: number, tsNsec: number): string {
  if (!Number.isFinite(tsSec)) return String(tsSec);
  const frac = (ns: number): string => String(ns).padStart(9, '0');
  if (tsSec < 0 && tsNsec > 0) return `-${wholeDigits(-(tsSec + 1))}.${frac(NS_PER_SEC - tsNsec)}`;
  return `${wholeDigits(tsSec)}.${frac(tsNsec)}`;
}

function wholeDigits(sec: number): string {
  return Number.isSafeInteger(sec) ? String(sec) : BigInt(Math.trunc(sec)).toString();
}

/** The tick count a pcapng block holds, exactly, for messages about it. */
export function rawTicks(hi: number, lo: number): string {
  return (BigInt(hi) * BigInt(TWO_POW_32) + BigInt(lo)).toString();
}
