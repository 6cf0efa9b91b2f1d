import { describe, it, expect } from 'vitest';
import { parseCapture } from '../../src/dissect/capture/parser.ts';
import { PCAPNG_MAX_BLOCK_LEN } from '../../src/dissect/capture/pcapng.ts';
import { CaptureFormatError } from '../../src/dissect/errors.ts';
import { bytewise, collect } from '../helpers/capture-collect.ts';
import { block, concat, epb, fromHex, idb, opb, payload, shb, spb } from '../helpers/capture-builders.ts';
import { multiSection } from '../helpers/capture-fixtures.ts';

describe('pcapng: sections, interfaces, packet blocks', () => {
  it('reads every packet of a two-section, four-interface file', () => {
    const file = multiSection();
    expect(file.length).toBe(768);
    const { frames, summary } = collect(file);
    expect(frames.map(({ data: _data, ...f }) => f)).toEqual([
      { number: 1, ts: '1529037834.335235000', capLen: 60, origLen: 60, linkType: 1, interfaceId: 0, fileOffset: 152 },
      { number: 2, ts: '1529037834.335235214', capLen: 44, origLen: 100, linkType: 113, interfaceId: 1, fileOffset: 244 },
      { number: 3, ts: '1529038834.117737770', capLen: 20, origLen: 20, linkType: 101, interfaceId: 2, fileOffset: 320 },
      { number: 4, ts: '0.000000000', capLen: 61, origLen: 61, linkType: 1, interfaceId: 0, fileOffset: 396 },
      { number: 5, ts: '1529037834.999999999', capLen: 33, origLen: 33, linkType: 113, interfaceId: 1, fileOffset: 476 },
      { number: 6, ts: '1600001234.567000000', capLen: 40, origLen: 1500, linkType: 101, interfaceId: 3, fileOffset: 616 },
      { number: 7, ts: '0.000000000', capLen: 64, origLen: 1500, linkType: 101, interfaceId: 3, fileOffset: 688 },
    ]);
    expect(frames[2]!.data).toBe('07 08 09 0a 0b 0c 0d 0e 0f 10 11 12 13 14 15 16 17 18 19 1a');
    expect(summary).toMatchObject({ format: 'pcapng', frames: 7, bytes: 768, capturedBytes: 322, problems: [], stopped: false });
    expect(summary.interfaces).toEqual([
      { id: 0, section: 0, linkType: 1, snapLen: 65535, name: 'eth0', tsUnitsPerSec: 1e6, tsResolNs: 1000, tsOffsetSec: 0 },
      { id: 1, section: 0, linkType: 113, snapLen: 262144, name: 'any', tsUnitsPerSec: 1e9, tsResolNs: 1, tsOffsetSec: 0 },
      { id: 2, section: 0, linkType: 101, snapLen: 0, name: null, tsUnitsPerSec: 2 ** 20, tsResolNs: 953.67431640625, tsOffsetSec: 1000 },
      { id: 3, section: 1, linkType: 101, snapLen: 64, name: null, tsUnitsPerSec: 1000, tsResolNs: 1e6, tsOffsetSec: 1600000000 },
    ]);
  });

  it('reads a minimal big-endian file byte for byte', () => {
    // 0a 0d 0d 0a | 00 00 00 1c | 1a 2b 3c 4d | 00 01 00 00 | ff ff ff ff ff ff ff ff | 00 00 00 1c   SHB BE
    // 00 00 00 01 | 00 00 00 14 | 00 01 00 00 | 00 00 ff ff | 00 00 00 14                            IDB Ethernet, 65535
    // 00 00 00 06 | 00 00 00 24 | 00 00 00 00 | 00 05 8e 4a | 2f 8c 1c 40 | 00 00 00 03 | 00 00 00 3c   EPB if 0,
    // ca fe 01 00 | 00 00 00 24                                                                      ts 0x00058e4a2f8c1c40 µs
    const file = fromHex(`
      0a0d0d0a 0000001c 1a2b3c4d 00010000 ffffffffffffffff 0000001c
      00000001 00000014 00010000 0000ffff 00000014
      00000006 00000024 00000000 00058e4a 2f8c1c40 00000003 0000003c cafe0100 00000024`);
    const { frames, summary } = collect(file);
    // 0x00058e4a2f8c1c40 = 1563824159988800 µs
    expect(frames).toEqual([{
      number: 1, ts: '1563824159.988800000', capLen: 3, origLen: 60, linkType: 1, interfaceId: 0, fileOffset: 48, data: 'ca fe 01',
    }]);
    expect(summary.bytes).toBe(84);
  });

  it.each([
    // [if_tsresol byte, 64-bit ticks, frame.time_epoch]; float division would miss most of these.
    { resol: 6, ticks: 1425968503299721n, ts: '1425968503.299721000' },
    { resol: 9, ticks: 1529037834335235214n, ts: '1529037834.335235214' },
    { resol: 9, ticks: 0xffffffffffffffffn, ts: '18446744073.709551615' },
    { resol: 0, ticks: 1700000000n, ts: '1700000000.000000000' },
    { resol: 3, ticks: 1700000000999n, ts: '1700000000.999000000' },
    { resol: 1, ticks: 17000000009n, ts: '1700000000.900000000' },
    { resol: 12, ticks: 2899545342178041327n, ts: '2899545.342178041' },
    { resol: 12, ticks: 1700000000123456789n, ts: '1700000.000123456' },
    { resol: 19, ticks: 0xffffffffffffffffn, ts: '1.844674407' },
    { resol: 0x80 | 20, ticks: (1529037834n << 20n) + 123457n, ts: '1529037834.117737770' },
    { resol: 0x80 | 20, ticks: (1n << 20n) - 1n, ts: '0.999999046' },
    { resol: 0x80 | 30, ticks: (1700000000n << 30n) + (1n << 29n) + 1n, ts: '1700000000.500000000' },
    { resol: 0x80 | 40, ticks: (10000000n << 40n) + (1n << 40n) - 1n, ts: '10000000.999999999' },
    { resol: 0x80, ticks: 42n, ts: '42.000000000' },
  ])('if_tsresol $resol: ticks $ticks -> $ts', ({ resol, ticks, ts }) => {
    const file = concat(shb(), idb({ tsresol: resol }), epb({ ticks, data: payload(1) }));
    expect(collect(file).frames[0]!.ts).toBe(ts);
  });

  it.each([
    { offset: 0n, ts: '1000.000001000' },
    { offset: 86400n, ts: '87400.000001000' },
    { offset: -1000n, ts: '0.000001000' },
    { offset: -2000n, ts: '-1000.000001000' }, // (tsSec, tsNsec) with tsNsec ≥ 0, as Frame says
  ])('if_tsoffset $offset is added to the seconds', ({ offset, ts }) => {
    const file = concat(shb(), idb({ tsoffset: offset }), epb({ ticks: 1000000001n, data: payload(1) }));
    expect(collect(file).frames[0]!.ts).toBe(ts);
  });

  it('a new section forgets the interfaces of the previous one', () => {
    const file = concat(
      shb(), idb({ linkType: 1 }), idb({ linkType: 113 }), epb({ ifId: 1, ticks: 1n, data: payload(4) }),
      shb({ le: false }), idb({ le: false, linkType: 101 }),
      epb({ le: false, ifId: 1, ticks: 2n, data: payload(4) }), // section 2 has only interface 0
      epb({ le: false, ifId: 0, ticks: 3n, data: payload(4) }),
    );
    const { frames, summary } = collect(file);
    expect(frames.map((f) => [f.number, f.linkType, f.interfaceId])).toEqual([[1, 113, 1]]);
    expect(summary.problems).toEqual([{
      kind: 'bad-record', offset: 152, frame: 2, fatal: true,
      message: 'enhanced packet block at byte 152 refers to interface 1, but the section has 1 interface(s) (it would have been packet 2); the file is not read past this point, as tshark does not',
    }]);
  });

  it('SPB: caplen = min(origlen, snaplen, room in the block)', () => {
    const file = concat(
      shb(), idb({ snapLen: 16 }),
      spb({ data: payload(16), origLen: 1500 }), // cut at snaplen
      spb({ data: payload(10), origLen: 10 }), // 10 bytes + 2 padding: padding is not data
    );
    const { frames, summary } = collect(file);
    expect(frames.map((f) => [f.capLen, f.origLen])).toEqual([[16, 1500], [10, 10]]);
    expect(summary.problems).toEqual([]);
  });

  it.each([
    { name: 'shorter than origlen with snaplen 0 (unlimited)', bad: spb({ data: payload(12), origLen: 1500 }), message: /is 28 bytes long, too short for its 1500 bytes of packet data/ },
    { name: 'longer than its packet', bad: spb({ data: payload(12), origLen: 4 }), message: /is 28 bytes long, but its 4 bytes of packet data make a 20-byte block/ },
  ])('SPB $name: refused, as Wireshark does', ({ bad, message }) => {
    const { frames, summary } = collect(concat(shb(), idb({ snapLen: 0 }), bad));
    expect(frames).toEqual([]);
    expect(summary.problems).toMatchObject([{ kind: 'bad-record', fatal: true, frame: 1 }]);
    expect(summary.problems[0]!.message).toMatch(message);
  });

  it('OPB (obsolete packet block) reads like an EPB with a 16-bit interface id', () => {
    const file = concat(shb(), idb({ linkType: 1 }), idb({ linkType: 113, tsresol: 9 }),
      opb({ ifId: 1, drops: 7, ticks: 1529037834000000001n, data: payload(5), origLen: 9 }));
    expect(collect(file).frames).toEqual([{
      number: 1, ts: '1529037834.000000001', capLen: 5, origLen: 9, linkType: 113, interfaceId: 1, fileOffset: 80, data: '00 01 02 03 04',
    }]);
  });

  it('skips NRB, ISB, DSB, custom and unknown blocks by their length', () => {
    const file = concat(shb(), idb(),
      // NRB: one IPv4 record (1.2.3.4 "a"), nrb_record_end; ISB: interface 0, timestamp, opt_endofopt;
      // DSB: TLS key log type, 3 bytes of secrets
      block(4, fromHex('0100 0600 01020304 6100 0000 0000 0000')), block(5, concat(payload(12), new Uint8Array(4))),
      block(0x0a, concat(fromHex('544c534b 03000000'), payload(3))), block(0x00000bad, payload(9)),
      block(0x40000bad, payload(0)), block(0x7fffffff, payload(100)),
      epb({ ticks: 1n, data: payload(4) }));
    const { frames, summary } = collect(file);
    expect(frames).toHaveLength(1);
    expect(summary.problems).toEqual([]);
  });

  it('decodes if_name as UTF-8, without trailing NULs', () => {
    const file = concat(shb(), idb({ name: 'wlan0\u0000\u0000' }), idb({ name: 'réseau' }));
    expect(collect(file).summary.interfaces.map((i) => i.name)).toEqual(['wlan0', 'réseau']);
  });

  it('an option running past its IDB stops reading (as in Wireshark: the resolution may be lost)', () => {
    // IDB body: link type 1, snaplen 0, if_tsresol=9, then option 2 claiming 200 bytes
    const body = fromHex('0100 0000 00000000  0900 0100 09000000  0200 c800 41424344');
    const file = concat(shb(), block(1, body), epb({ ticks: 1000000001n, data: payload(1) }));
    const { frames, summary } = collect(file);
    expect(frames).toEqual([]);
    expect(summary.problems).toMatchObject([{ kind: 'bad-block', offset: 28, fatal: true }]);
    expect(summary.problems[0]!.message).toMatch(/option 2 .* runs past the block; the file cannot be read past this point/);
  });
});

describe('pcapng: lying lengths', () => {
  const head = concat(shb(), idb()); // 28 + 20 = 48 bytes
  const good = epb({ ticks: 1n, data: payload(8) }); // 40 bytes
  it.each([
    {
      name: 'total length not a multiple of 4', bad: block(6, payload(28), { totalLen: 41 }),
      problem: { kind: 'bad-block', fatal: true }, message: 'enhanced packet block at byte 88 has total length 41, not a multiple of 4; the file cannot be read past this point',
    },
    {
      name: 'trailing length differs', bad: block(6, payload(28), { trailingLen: 44 }),
      problem: { kind: 'bad-block', fatal: true }, message: 'enhanced packet block at byte 88 has total length 40 but its trailing copy says 44; the file cannot be read past this point',
    },
    {
      name: 'total length below 12', bad: block(6, payload(28), { totalLen: 8 }),
      problem: { kind: 'bad-block', fatal: true }, message: /has total length 8, less than the 12-byte minimum/,
    },
    {
      name: 'total length above the maximum', bad: block(0x12345678, payload(28), { totalLen: PCAPNG_MAX_BLOCK_LEN + 4 }),
      problem: { kind: 'bad-block', fatal: true }, message: /block of type 0x12345678 at byte 88 has total length 16777220, more than the 16777216-byte maximum/,
    },
    {
      name: 'EPB caplen larger than the block', bad: epb({ ticks: 1n, data: payload(8), capLen: 9 }),
      problem: { kind: 'bad-record', fatal: true }, message: 'enhanced packet block at byte 88 claims 9 captured bytes, but the block has room for 8 (it would have been packet 2); the file is not read past this point, as tshark does not',
    },
    {
      name: 'EPB too short for its fields', bad: block(6, payload(12)),
      problem: { kind: 'bad-record', fatal: true }, message: /enhanced packet block at byte 88 is 24 bytes long, less than the 32-byte minimum/,
    },
    {
      name: 'SPB too short', bad: block(3, payload(0)),
      problem: { kind: 'bad-record', fatal: true }, message: /simple packet block at byte 88 is 12 bytes long/,
    },
    {
      name: 'IDB too short (would renumber interfaces)', bad: block(1, payload(4)),
      problem: { kind: 'bad-block', fatal: true }, message: /interface description block at byte 88 is 16 bytes long, less than the 20-byte minimum/,
    },
    {
      name: 'second SHB with version 2.0', bad: shb({ major: 2 }),
      problem: { kind: 'bad-block', fatal: true }, message: /section header block at byte 88 has unsupported version 2.0/,
    },
    {
      name: 'second SHB with a bad byte-order magic', bad: fromHex('0a0d0d0a 1c000000 deadbeef 01000000 ffffffffffffffff 1c000000'),
      problem: { kind: 'bad-block', fatal: true }, message: /section header block at byte 88 has an unknown byte-order magic/,
    },
  ])('$name', ({ bad, problem, message }) => {
    const file = concat(head, good, bad, good);
    for (const input of [file, bytewise(file)]) {
      const r = collect(input);
      expect(r.frames).toHaveLength(problem.fatal ? 1 : 2);
      expect(r.summary.problems).toHaveLength(1);
      expect(r.summary.problems[0]).toMatchObject({ ...problem, offset: 88, frame: problem.kind === 'bad-record' ? 2 : null });
      if (typeof message === 'string') expect(r.summary.problems[0]!.message).toBe(message);
      else expect(r.summary.problems[0]!.message).toMatch(message);
      expect(r.summary.bytes).toBe(problem.fatal ? 88 : file.length);
      expect(r.pushResults.at(-1)).toBe(!problem.fatal);
    }
  });

  it.each([
    { name: 'version 2.0', file: concat(shb({ major: 2 }), idb()), message: /section header block at byte 0 has unsupported version 2.0/ },
    { name: 'bad byte-order magic', file: fromHex('0a0d0d0a 1c000000 01020304 01000000 ffffffffffffffff 1c000000'), message: /unknown byte-order magic/ },
    { name: 'odd length', file: concat(shb({ totalLen: 30 }), idb()), message: /total length 30, not a multiple of 4/ },
  ])('a broken first section header is CaptureFormatError ($name)', ({ file, message }) => {
    expect(() => parseCapture(file, () => {})).toThrow(CaptureFormatError);
    expect(() => parseCapture(file, () => {})).toThrow(message);
  });

  it.each([
    { name: 'in a block header', cut: 88 + 6, frame: null, message: 'capture file ends in a block header at byte 88 (6 of 12 bytes present); the input ends at byte 94' },
    { name: 'in an EPB', cut: 88 + 30, frame: 2, message: 'capture file ends in the middle of packet 2 (enhanced packet block at byte 88): the block is 40 bytes long, 30 present; the input ends at byte 118' },
  ])('truncated $name', ({ cut, frame, message }) => {
    const file = concat(head, good, good).subarray(0, cut);
    for (const input of [file, bytewise(file)]) {
      const r = collect(input);
      expect(r.frames).toHaveLength(1);
      expect(r.summary.problems).toEqual([{ kind: 'truncated-file', offset: 88, frame, message, fatal: true }]);
    }
  });

  it('truncated in a non-packet block names the block and no frame', () => {
    const file = concat(head, good, idb({ name: 'eth1' })).subarray(0, 100);
    expect(collect(file).summary.problems).toEqual([{
      kind: 'truncated-file', offset: 88, frame: null, fatal: true,
      message: 'capture file ends in the middle of interface description block at byte 88: the block is 32 bytes long, 12 present; the input ends at byte 100',
    }]);
  });
});
