import { describe, it, expect } from 'vitest';
import { CaptureParser, MAX_KEPT_PROBLEMS, parseCapture } from '../../src/dissect/capture/parser.ts';
import { CaptureFormatError } from '../../src/dissect/errors.ts';
import type { Frame } from '../../src/dissect/frame.ts';
import { bytewise, collect, type Collected } from '../helpers/capture-collect.ts';
import { block, concat, epb, fromHex, idb, payload, pcapFile, pcapHeader, pcapRecord, rng, shb, splitAt } from '../helpers/capture-builders.ts';
import { manyRecords, multiSection } from '../helpers/capture-fixtures.ts';

/** What must not depend on chunking (push results naturally do). */
function outcome(input: Uint8Array | Uint8Array[], limit?: number): Omit<Collected, 'pushResults'> {
  const { pushResults: _ignored, ...rest } = collect(input, limit);
  return rest;
}

const fixtures = [
  { name: 'pcap LE µs', bytes: manyRecords(40) },
  { name: 'pcap BE ns', bytes: manyRecords(40, { le: false, ns: true }) },
  { name: 'pcapng, two sections', bytes: multiSection() },
];

describe('chunk boundaries do not change the result', () => {
  it.each(fixtures)('$name: one byte at a time', ({ bytes }) => {
    const whole = outcome(bytes);
    expect(whole.summary.problems).toEqual([]);
    expect(outcome(bytewise(bytes))).toEqual(whole);
  });

  it.each(fixtures)('$name: random splits', ({ bytes }) => {
    const whole = outcome(bytes);
    for (let seed = 1; seed <= 50; seed++) {
      const next = rng(seed);
      const cuts = Array.from({ length: 1 + Math.floor(next() * 20) }, () => Math.floor(next() * bytes.length));
      expect(outcome(splitAt(bytes, cuts)), `seed ${seed}`).toEqual(whole);
    }
  });

  it.each([
    { name: 'pcap LE µs', bytes: manyRecords(6) },
    { name: 'pcap BE ns', bytes: manyRecords(6, { le: false, ns: true }) },
    fixtures[2]!,
  ])('$name: every single split point', ({ bytes }) => {
    const whole = outcome(bytes);
    for (let cut = 1; cut < bytes.length; cut++) {
      expect(outcome(splitAt(bytes, [cut])), `cut at ${cut}`).toEqual(whole);
    }
  });

  it('empty chunks are harmless', () => {
    const bytes = manyRecords(3);
    const chunks = splitAt(bytes, [1, 30, 60]).flatMap((c) => [new Uint8Array(0), c, new Uint8Array(0)]);
    expect(outcome(chunks)).toEqual(outcome(bytes));
  });
});

describe('zero copy, one reused Frame', () => {
  it('frames inside a chunk are views of that chunk, at the right place', () => {
    const bytes = manyRecords(10);
    const seen: Array<[Frame, ArrayBufferLike, number, number]> = [];
    parseCapture(bytes, (f) => { seen.push([f, f.data.buffer, f.data.byteOffset, f.fileOffset]); });
    expect(seen).toHaveLength(10);
    for (const [f, buffer, byteOffset, fileOffset] of seen) {
      expect(f).toBe(seen[0]![0]); // the same object every time
      expect(buffer).toBe(bytes.buffer);
      expect(byteOffset).toBe(bytes.byteOffset + fileOffset + 16);
    }
  });

  it('only frames that straddle a boundary are copied', () => {
    const bytes = manyRecords(10);
    const chunks = splitAt(bytes, [100, 101, 1000]);
    const owners = new Set(chunks.map((c) => c.buffer));
    const [views, copies] = [[0], [0]];
    const parser = new CaptureParser((f) => {
      if (owners.has(f.data.buffer)) views[0]!++;
      else copies[0]!++;
    });
    for (const c of chunks) parser.push(c);
    parser.end();
    // Records: 24..41, 41..95, 95..186, ..., 920..1196, ...: cuts 100 and 101 fall in the third, 1000 in the eighth.
    expect(copies[0]).toBe(2);
    expect(views[0]).toBe(8);
  });
});

describe('stopping', () => {
  it.each(fixtures)('$name: stop after 2 frames, in one chunk or byte by byte', ({ bytes }) => {
    const whole = collect(bytes);
    for (const input of [bytes, bytewise(bytes)]) {
      const r = collect(input, 2);
      expect(r.frames).toEqual(whole.frames.slice(0, 2));
      expect(r.summary.stopped).toBe(true);
      expect(r.summary.frames).toBe(2);
      expect(r.summary.problems).toEqual([]);
      // bytes consumed ends with the second frame's record
      expect(r.summary.bytes).toBe(whole.frames[2]!.fileOffset);
      expect(r.pushResults.at(-1)).toBe(false);
      // byte by byte: the push that completes frame 2 is the first to return false
      if (Array.isArray(input)) expect(r.pushResults.indexOf(false)).toBe(whole.frames[2]!.fileOffset - 1);
    }
  });

  it('push keeps returning false after a stop and ignores the bytes', () => {
    let n = 0;
    const parser = new CaptureParser(() => ++n < 1);
    expect(parser.push(manyRecords(5))).toBe(false);
    expect(parser.push(manyRecords(5).subarray(24))).toBe(false);
    expect(n).toBe(1);
    expect(parser.end()).toMatchObject({ frames: 1, stopped: true });
  });

  it('a truncated tail after a stop is not a problem', () => {
    const r = collect(manyRecords(5).subarray(0, 200), 1);
    expect(r.summary.problems).toEqual([]);
  });

  it('end() is idempotent', () => {
    const parser = new CaptureParser(() => {});
    parser.push(manyRecords(2));
    expect(parser.end()).toBe(parser.end());
  });
});

describe('not a capture file', () => {
  it.each([
    { name: 'empty input', chunks: [], message: 'empty input' },
    { name: 'empty chunks only', chunks: [new Uint8Array(0), new Uint8Array(0)], message: 'empty input' },
    { name: 'JSON', chunks: [new TextEncoder().encode('{"ab": 1}')], message: 'not a pcap or pcapng file (starts with 7b 22 61 62)' },
    { name: 'JSON, byte by byte', chunks: bytewise(new TextEncoder().encode('{"ab": 1}')), message: 'not a pcap or pcapng file (starts with 7b 22 61 62)' },
    { name: '3 bytes', chunks: [fromHex('d4 c3 b2')], message: 'not a pcap or pcapng file (only 3 bytes: d4 c3 b2)' },
    { name: 'gzip', chunks: [fromHex('1f 8b 08 00 00 00 00 00')], message: 'gzip-compressed input: decompress it first (readCapture does this)' },
    { name: 'Kuznetsov pcap', chunks: [fromHex('34 cd b2 a1 02 00 04 00')], message: /modified pcap format \(Kuznetsov/ },
    { name: 'pcap, version 1.0', chunks: [pcapFile({ major: 1, minor: 0 }, [])], message: 'unsupported pcap version 1.0 (only 2.x exists)' },
  ])('$name → CaptureFormatError', ({ chunks, message }) => {
    const parser = new CaptureParser(() => {});
    let error: unknown;
    try {
      for (const c of chunks) parser.push(c);
      parser.end();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CaptureFormatError);
    if (typeof message === 'string') expect((error as Error).message).toBe(message);
    else expect((error as Error).message).toMatch(message);
  });
});

describe('problems', () => {
  it('a fatal problem makes push return false and ignore the rest', () => {
    const file = concat(shb(), idb(), block(6, payload(28), { totalLen: 41 }));
    const parser = new CaptureParser(() => {});
    expect(parser.push(file)).toBe(false);
    expect(parser.push(epb({ ticks: 1n, data: payload(4) }))).toBe(false);
    const s = parser.end();
    expect(s.problemCount).toBe(1);
    expect(s.bytes).toBe(48);
  });

  it(`keeps the first ${MAX_KEPT_PROBLEMS} problems, counts all, passes all to onProblem`, () => {
    // caplen 4 > origlen 3: an odd-record warning per record, each record still delivered
    const odd = pcapRecord({ sec: 1, frac: 0, data: payload(4), origLen: 3 });
    const file = concat(pcapHeader(), ...Array.from({ length: 250 }, () => odd));
    const r = collect(file);
    expect(r.frames).toHaveLength(250);
    expect(r.problems).toHaveLength(250);
    expect(r.summary.problemCount).toBe(250);
    expect(r.summary.problems).toEqual(r.problems.slice(0, MAX_KEPT_PROBLEMS));
  });
});

describe('corrupt input never throws (after a valid header) and always terminates', () => {
  it.each(fixtures)('$name: random byte flips, random truncation, random chunking', ({ bytes }) => {
    const headerLen = bytes[0] === 0x0a ? 28 : 24;
    for (let seed = 1; seed <= 300; seed++) {
      const next = rng(seed);
      const bad = bytes.slice(0, headerLen + Math.floor(next() * (bytes.length - headerLen + 1)));
      const flips = Math.floor(next() * 6);
      for (let i = 0; i < flips; i++) bad[headerLen + Math.floor(next() * (bad.length - headerLen))] = Math.floor(next() * 256);
      const cuts = Array.from({ length: Math.floor(next() * 8) }, () => Math.floor(next() * bad.length));
      const r = outcome(splitAt(bad, cuts));
      expect(r.summary.bytes).toBeLessThanOrEqual(bad.length);
      expect(outcome(bad), `seed ${seed}`).toEqual(r);
      for (const f of r.frames) expect(f.capLen).toBe(f.data === '' ? 0 : f.data.split(' ').length);
    }
  });

  it('random garbage after a pcap header', () => {
    for (let seed = 1; seed <= 100; seed++) {
      const next = rng(seed);
      const garbage = Uint8Array.from({ length: 2000 }, () => Math.floor(next() * 256));
      const r = collect(concat(pcapFile({}, []), garbage));
      expect(r.summary.problems.at(-1)!.fatal).toBe(true);
    }
  });
});
