import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { readCapture, type ReadCaptureOptions } from '../../src/dissect/capture/source.ts';
import { CaptureFormatError, InputError } from '../../src/dissect/errors.ts';
import type { CaptureProblem } from '../../src/dissect/capture/parser.ts';
import { collect, copyFrame, type FrameCopy } from '../helpers/capture-collect.ts';
import { manyRecords, multiSection } from '../helpers/capture-fixtures.ts';

let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'mpcap-source-')); });
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

function file(name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

async function read(path: string, opts: ReadCaptureOptions = {}, limit = Infinity) {
  const frames: FrameCopy[] = [];
  const problems: CaptureProblem[] = [];
  const summary = await readCapture(path, (f) => { frames.push(copyFrame(f)); return frames.length < limit; },
    { ...opts, onProblem: (p) => { problems.push(p); } });
  return { frames, summary, problems };
}

/** A stream that hands out `bytes` in `size`-byte Buffers and counts how many it was asked for. */
function stdinOf(bytes: Uint8Array, size: number): { stream: Readable; pulled: () => number } {
  let pulled = 0;
  function* chunks() {
    for (let i = 0; i < bytes.length; i += size) {
      pulled++;
      yield Buffer.from(bytes.subarray(i, i + size));
    }
  }
  return { stream: Readable.from(chunks()), pulled: () => pulled };
}

const pcap = manyRecords(500); // ~90 KB
const pcapng = multiSection();

describe('readCapture: files, gzip, stdin', () => {
  it.each([
    { name: 'pcap', bytes: pcap, gz: false },
    { name: 'pcapng', bytes: pcapng, gz: false },
    { name: 'pcap.gz', bytes: pcap, gz: true },
    { name: 'pcapng.gz', bytes: pcapng, gz: true },
  ])('$name gives the same frames as the in-memory parser', async ({ name, bytes, gz }) => {
    const expected = collect(bytes);
    // gzip is recognised by its magic, not its name: the file is always called `.cap`
    const path = file(`${name}.cap`, gz ? gzipSync(bytes) : bytes);
    for (const chunkBytes of [undefined, 7, 4096]) {
      const r = await read(path, chunkBytes === undefined ? {} : { chunkBytes });
      expect(r.frames).toEqual(expected.frames);
      expect(r.summary).toEqual({ ...expected.summary, compressed: gz });
    }
  });

  it.each([
    { name: 'plain, 1-byte chunks', bytes: pcap, size: 1, gz: false },
    { name: 'plain, 1000-byte chunks', bytes: pcapng, size: 1000, gz: false },
    { name: 'gzip, 1-byte chunks', bytes: pcapng, size: 1, gz: true },
    { name: 'gzip, 333-byte chunks', bytes: pcap, size: 333, gz: true },
  ])("'-' reads opts.stdin ($name)", async ({ bytes, size, gz }) => {
    const expected = collect(bytes);
    const { stream } = stdinOf(gz ? gzipSync(bytes) : bytes, size);
    const r = await read('-', { stdin: stream });
    expect(r.frames).toEqual(expected.frames);
    expect(r.summary.compressed).toBe(gz);
    expect(r.summary.problems).toEqual([]);
  });

  it('stops reading when onFrame asks to, and destroys the stream', async () => {
    const big = manyRecords(20000); // ~3.3 MB
    for (const gz of [false, true]) {
      const { stream, pulled } = stdinOf(gz ? gzipSync(big) : big, 16 * 1024);
      const r = await read('-', { stdin: stream }, 5);
      expect(r.frames.map((f) => f.number)).toEqual([1, 2, 3, 4, 5]);
      expect(r.summary).toMatchObject({ stopped: true, frames: 5, problems: [] });
      expect(stream.destroyed).toBe(true);
      expect(pulled()).toBeLessThan(20); // of ~200 chunks
    }
  });

  it('stops reading a file early too', async () => {
    const path = file('big.pcap', manyRecords(20000));
    const r = await read(path, { chunkBytes: 64 * 1024 }, 3);
    expect(r.summary).toMatchObject({ stopped: true, frames: 3, compressed: false });
  });
});

describe('readCapture: damaged gzip is a problem, not a crash', () => {
  const gz = gzipSync(pcap);

  it('a gzip stream cut in the middle: frames before the cut, then truncated-file', async () => {
    const path = file('cut.pcap.gz', gz.subarray(0, Math.floor(gz.length / 2)));
    const r = await read(path, { chunkBytes: 1024 });
    expect(r.frames.length).toBeGreaterThan(10);
    expect(r.frames.length).toBeLessThan(500);
    expect(r.frames).toEqual(collect(pcap).frames.slice(0, r.frames.length));
    expect(r.summary.problems).toHaveLength(1);
    const p = r.summary.problems[0]!;
    expect(p).toMatchObject({ kind: 'truncated-file', fatal: true, frame: r.frames.length + 1 });
    expect(p.message).toMatch(/^gzip data is cut short or corrupt \(unexpected end of file\); capture file ends in (the middle of|the record header of) packet \d+/);
    expect(r.problems).toEqual(r.summary.problems);
  });

  it('a wrong CRC at the very end: every frame, then truncated-file (the data cannot be trusted)', async () => {
    const bad = Uint8Array.from(gz);
    bad[bad.length - 8]! ^= 0xff; // CRC32 trailer (RFC 1952 §2.3.1)
    const r = await read(file('crc.pcap.gz', bad));
    // The trailer is checked after the member's data has been handed out: nothing is lost.
    expect(r.frames).toEqual(collect(pcap).frames);
    expect(r.summary.problems).toMatchObject([{ kind: 'truncated-file', fatal: true }]);
    expect(r.summary.problems[0]!.message).toMatch(/^gzip data is cut short or corrupt \(CRC-32 mismatch in gzip member 1 \(the data is corrupt\)\); the capture data read so far ends after a whole record/);
  });

  it('garbage inside the deflate data does not throw', async () => {
    for (let at = 20; at < gz.length - 8; at += Math.floor(gz.length / 25)) {
      const bad = Uint8Array.from(gz);
      bad[at]! ^= 0x5a;
      try {
        const r = await read(file('garbled.pcap.gz', bad));
        expect(r.frames.length).toBeLessThanOrEqual(500);
      } catch (e) {
        // only when the damage hits the pcap file header itself
        expect(e).toBeInstanceOf(CaptureFormatError);
      }
    }
  });

  it('a gzip stream with nothing decodable is a CaptureFormatError', async () => {
    await expect(read(file('hdr.gz', gz.subarray(0, 10)))).rejects.toThrow(
      new CaptureFormatError('gzip data is cut short or corrupt (unexpected end of file); no capture data could be read', 0));
  });
});

describe('readCapture: inputs that stop everything', () => {
  it('a missing file is InputError', async () => {
    const path = join(dir, 'nope.pcap');
    const e = await read(path).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(InputError);
    expect((e as InputError).message).toBe(`cannot open '${path}': no such file`);
    expect((e as InputError).path).toBe(path);
  });

  it('a directory is InputError', async () => {
    const e = await read(dir).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(InputError);
    expect((e as Error).message).toBe(`cannot read '${dir}': is a directory`);
  });

  it.each([
    { name: 'empty file', bytes: new Uint8Array(0), message: 'empty input' },
    { name: 'empty gzip', bytes: gzipSync(new Uint8Array(0)), message: 'empty input' },
    { name: 'text file', bytes: new TextEncoder().encode('{"ab": 1}\n'), message: 'not a pcap or pcapng file (starts with 7b 22 61 62)' },
    { name: 'gzipped text', bytes: gzipSync(new TextEncoder().encode('hello')), message: 'not a pcap or pcapng file (starts with 68 65 6c 6c)' },
  ])('$name is CaptureFormatError', async ({ name, bytes, message }) => {
    await expect(read(file(name, bytes))).rejects.toThrow(new CaptureFormatError(message, 0));
  });

  it('empty standard input is CaptureFormatError', async () => {
    await expect(read('-', { stdin: Readable.from([]) })).rejects.toThrow('empty input');
  });
});
