import { describe, it, expect } from 'vitest';
import { parseCapture } from '../../src/dissect/capture/parser.ts';
import { PCAP_MAX_CAPLEN } from '../../src/dissect/capture/pcap.ts';
import { CaptureFormatError } from '../../src/dissect/errors.ts';
import { bytewise, collect } from '../helpers/capture-collect.ts';
import { concat, fromHex, payload, pcapFile, pcapHeader, pcapRecord, toHex } from '../helpers/capture-builders.ts';

describe('classic pcap: the four magics', () => {
  // Each fixture: 24-byte file header (magic, version 2.4, thiszone, sigfigs, snaplen 65535,
  // Ethernet), then one record (ts 0x511f0e5e = 1360989790 s, fraction, caplen 4, origlen 60, data).
  it.each([
    {
      name: 'little-endian, microseconds',
      // d4 c3 b2 a1 | 02 00 04 00 | 00 00 00 00 | 00 00 00 00 | ff ff 00 00 | 01 00 00 00
      // 5e 0e 1f 51 | 2d b2 0a 00 | 04 00 00 00 | 3c 00 00 00 | de ad be ef     frac 700973 µs
      hex: `d4c3b2a1 02000400 00000000 00000000 ffff0000 01000000
            5e0e1f51 2db20a00 04000000 3c000000 deadbeef`,
      ts: '1360989790.700973000', unitsPerSec: 1e6,
    },
    {
      name: 'big-endian, microseconds',
      // a1 b2 c3 d4 | 00 02 00 04 | 00 00 00 00 | 00 00 00 00 | 00 00 ff ff | 00 00 00 01
      // 51 1f 0e 5e | 00 0a b2 2d | 00 00 00 04 | 00 00 00 3c | de ad be ef     frac 700973 µs
      hex: `a1b2c3d4 00020004 00000000 00000000 0000ffff 00000001
            511f0e5e 000ab22d 00000004 0000003c deadbeef`,
      ts: '1360989790.700973000', unitsPerSec: 1e6,
    },
    {
      name: 'little-endian, nanoseconds',
      // 4d 3c b2 a1 | 02 00 04 00 | 00 00 00 00 | 00 00 00 00 | ff ff 00 00 | 01 00 00 00
      // 5e 0e 1f 51 | f5 c1 d6 29 | 04 00 00 00 | 3c 00 00 00 | de ad be ef     frac 701940213 ns
      hex: `4d3cb2a1 02000400 00000000 00000000 ffff0000 01000000
            5e0e1f51 f5c1d629 04000000 3c000000 deadbeef`,
      ts: '1360989790.701940213', unitsPerSec: 1e9,
    },
    {
      name: 'big-endian, nanoseconds',
      // a1 b2 3c 4d | 00 02 00 04 | 00 00 00 00 | 00 00 00 00 | 00 00 ff ff | 00 00 00 01
      // 51 1f 0e 5e | 29 d6 c1 f5 | 00 00 00 04 | 00 00 00 3c | de ad be ef     frac 701940213 ns
      hex: `a1b23c4d 00020004 00000000 00000000 0000ffff 00000001
            511f0e5e 29d6c1f5 00000004 0000003c deadbeef`,
      ts: '1360989790.701940213', unitsPerSec: 1e9,
    },
  ])('$name', ({ hex, ts, unitsPerSec }) => {
    const { frames, summary } = collect(fromHex(hex));
    expect(frames).toEqual([{
      number: 1, ts, capLen: 4, origLen: 60, linkType: 1, interfaceId: 0, fileOffset: 24, data: 'de ad be ef',
    }]);
    expect(summary).toMatchObject({
      format: 'pcap', frames: 1, bytes: 44, capturedBytes: 4, stopped: false, problems: [], problemCount: 0,
      interfaces: [{ id: 0, section: 0, linkType: 1, snapLen: 65535, name: null, tsUnitsPerSec: unitsPerSec, tsOffsetSec: 0 }],
    });
  });
});

describe('classic pcap: header fields', () => {
  it('keeps the low 28 bits of the link type (the FCS-length bits are dropped)', () => {
    // link type field 0x1000_0001 (Ethernet with a 1-word FCS announced): 01 00 00 10 on disk
    const file = pcapFile({ linkType: 0x10000001 }, [{ sec: 1, frac: 0, data: payload(14) }]);
    expect(toHex(file.subarray(20, 24))).toBe('01 00 00 10');
    const { frames, summary } = collect(file);
    expect(frames[0]!.linkType).toBe(1);
    expect(summary.interfaces[0]!.linkType).toBe(1);
  });

  it.each([
    { name: 'µs', ns: false, frac: 2_500_000, ts: '12.500000000' },
    { name: 'ns', ns: true, frac: 3_000_000_001, ts: '13.000000001' },
  ])('carries a fraction of a second ≥ 1 s into the seconds ($name)', ({ ns, frac, ts }) => {
    const { frames } = collect(pcapFile({ ns }, [{ sec: 10, frac, data: payload(1) }]));
    expect(frames[0]!.ts).toBe(ts);
  });

  it('reads seconds as unsigned 32-bit', () => {
    const { frames } = collect(pcapFile({}, [{ sec: 0xffffffff, frac: 999_999, data: payload(1) }]));
    expect(frames[0]!.ts).toBe('4294967295.999999000');
  });

  it.each([
    { version: '1.0', major: 1, minor: 0, le: true },
    { version: '3.4', major: 3, minor: 4, le: false },
  ])('rejects version $version with CaptureFormatError', ({ major, minor, le }) => {
    const file = pcapFile({ major, minor, le }, [{ sec: 1, frac: 0, data: payload(4) }]);
    expect(() => parseCapture(file, () => {})).toThrow(CaptureFormatError);
    expect(() => parseCapture(file, () => {})).toThrow(`unsupported pcap version ${major}.${minor}`);
  });

  it('accepts minor versions other than 4 (2.2 and 2.3 files exist)', () => {
    const { frames } = collect(pcapFile({ minor: 2 }, [{ sec: 1, frac: 0, data: payload(4) }]));
    expect(frames).toHaveLength(1);
  });

  // Before 2.3 the record header says len, then caplen (libpcap's lengths_swapped); a 2.3 file may
  // use either order. Found by the fuzz campaign (seed 12, input 28129: a byte error made 2.4 a 2.0).
  it.each([
    { minor: 0, fields: [60, 4], want: [4, 60] },
    { minor: 2, fields: [60, 4], want: [4, 60] },
    { minor: 3, fields: [60, 4], want: [4, 60] },
    { minor: 3, fields: [4, 60], want: [4, 60] },
    { minor: 4, fields: [4, 60], want: [4, 60] },
  ])('version 2.$minor: record lengths $fields read as caplen $want.0, origlen $want.1', ({ minor, fields, want }) => {
    const [a, b] = fields as [number, number];
    const file = concat(pcapHeader({ minor }), pcapRecord({ sec: 1, frac: 0, data: payload(4), capLen: a, origLen: b }).subarray(0, 16), payload(4));
    const { frames, summary } = collect(file);
    expect(frames.map((f) => [f.capLen, f.origLen])).toEqual([want]);
    expect(summary.problems).toEqual([]);
  });
});

describe('classic pcap: lying lengths', () => {
  const good = { sec: 100, frac: 1, data: payload(8) };
  // Offsets: file header 0..24, record 1 at 24 (16 + 8 bytes), record 2 at 48, record 3 at 72.
  it.each([
    {
      name: 'caplen > snaplen: delivered (as libpcap and tshark do), reported',
      snapLen: 64, rec: { sec: 100, frac: 2, data: payload(100) },
      frames: 3, problem: { kind: 'odd-record', offset: 48, frame: 2, fatal: false }, message: /100 captured bytes, more than the file's snaplen of 64/,
    },
    {
      name: 'caplen > origlen: delivered, reported',
      snapLen: 65535, rec: { sec: 100, frac: 2, data: payload(100), origLen: 60 },
      frames: 3, problem: { kind: 'odd-record', offset: 48, frame: 2, fatal: false }, message: /more captured bytes \(100\) than bytes on the wire \(60\)/,
    },
    {
      name: 'caplen 0xffffffff: fatal, frames before it delivered',
      snapLen: 65535, rec: { sec: 100, frac: 2, data: payload(8), capLen: 0xffffffff },
      frames: 1, problem: { kind: 'bad-record', offset: 48, frame: 2, fatal: true }, message: /claims 4294967295 captured bytes, more than the 262144-byte maximum/,
    },
    {
      name: 'caplen just over the maximum: fatal even with snaplen 0',
      snapLen: 0, rec: { sec: 100, frac: 2, data: payload(8), capLen: PCAP_MAX_CAPLEN + 1 },
      frames: 1, problem: { kind: 'bad-record', offset: 48, frame: 2, fatal: true }, message: /claims 262145 captured bytes/,
    },
  ])('$name', ({ snapLen, rec, frames, problem, message }) => {
    const file = pcapFile({ snapLen }, [good, rec, good]);
    for (const input of [file, bytewise(file)]) {
      const r = collect(input);
      expect(r.frames).toHaveLength(frames);
      expect(r.summary.problems).toHaveLength(1);
      expect(r.summary.problems[0]).toMatchObject(problem);
      expect(r.summary.problems[0]!.message).toMatch(message);
      expect(r.problems).toEqual(r.summary.problems);
      if (problem.fatal) expect(r.summary.bytes).toBe(problem.offset);
    }
  });

  it('accepts a record of exactly PCAP_MAX_CAPLEN bytes', () => {
    const { frames, summary } = collect(pcapFile({ snapLen: PCAP_MAX_CAPLEN }, [{ sec: 1, frac: 0, data: payload(PCAP_MAX_CAPLEN) }, good]));
    expect(frames.map((f) => f.capLen)).toEqual([PCAP_MAX_CAPLEN, 8]);
    expect(summary.problems).toEqual([]);
  });

  it('treats snaplen 0 as "no limit below the maximum" (no caplen > snaplen report)', () => {
    const { frames, summary } = collect(pcapFile({ snapLen: 0 }, [{ sec: 1, frac: 0, data: payload(1500) }]));
    expect(frames).toHaveLength(1);
    expect(summary.problems).toEqual([]);
  });
});

describe('classic pcap: truncated files', () => {
  // Two whole records of 16 + 60 bytes at 24 and 100, then the third (at 176) cut short.
  const records = [0, 1, 2].map((i) => pcapRecord({ sec: 1000 + i, frac: i, data: payload(60, i) }));
  const whole = concat(pcapHeader(), ...records);
  it.each([
    {
      name: 'in a record header', cut: 176 + 5, frames: 2, offset: 176, frame: 3,
      message: 'capture file ends in the record header of packet 3 (at byte 176: 5 of 16 bytes present); the input ends at byte 181',
    },
    {
      name: 'in the packet data', cut: 176 + 16 + 12, frames: 2, offset: 176, frame: 3,
      message: 'capture file ends in the middle of packet 3 (record header at byte 176 promises 60 bytes, 12 present); the input ends at byte 204',
    },
    {
      name: 'right after a record header', cut: 176 + 16, frames: 2, offset: 176, frame: 3,
      message: 'capture file ends in the middle of packet 3 (record header at byte 176 promises 60 bytes, 0 present); the input ends at byte 192',
    },
  ])('$name', ({ cut, frames, offset, frame, message }) => {
    const file = whole.subarray(0, cut);
    for (const input of [file, bytewise(file)]) {
      const r = collect(input);
      expect(r.frames.map((f) => f.number)).toEqual(Array.from({ length: frames }, (_, i) => i + 1));
      expect(r.summary.problems).toEqual([{ kind: 'truncated-file', offset, frame, message, fatal: true }]);
      expect(r.summary.bytes).toBe(offset);
    }
  });

  it('a file that ends exactly after a record has no problem', () => {
    const r = collect(whole.subarray(0, 176));
    expect(r.frames).toHaveLength(2);
    expect(r.summary.problems).toEqual([]);
    expect(r.summary.bytes).toBe(176);
  });

  it('a file with a header and no records is fine', () => {
    const r = collect(pcapHeader({ linkType: 113 }));
    expect(r.summary).toMatchObject({ frames: 0, bytes: 24, problems: [], interfaces: [{ linkType: 113 }] });
  });
});
