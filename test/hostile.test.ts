/**
 * Hostile captures (issue #10): one regression per defect the fuzz campaign and the review found.
 * Every input is built here from the byte builders (or by editing a public corpus capture at run
 * time, skipped when the corpus is absent), never copied into the repository.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCapture, MAX_KEPT_PROBLEMS } from '../src/dissect/capture/parser.ts';
import { runMain } from './helpers/cli.ts';
import { block, concat, epb, idb, payload, pcapFile, pcapHeader, pcapRecord, shb, spb } from './helpers/capture-builders.ts';
import { corpusFile } from './helpers/corpus.ts';
import { Capture, capableHandshake, CraftedSubflow, TCP_ACK, tcpFrame } from './helpers/craft.ts';

let tmp = '';
beforeAll(() => {
  tmp = mkdtempSync(path.join(tmpdir(), 'mpcap-hostile-'));
});
afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

function write(name: string, bytes: Uint8Array): string {
  const p = path.join(tmp, name);
  writeFileSync(p, bytes);
  return p;
}

const client = { addr: '10.0.0.1', port: 40000 };
const server = { addr: '10.0.0.2', port: 80 };

/**
 * An MPTCP handshake, then `warnings` records that each raise an odd-record warning (caplen >
 * origlen), then a record header promising 100 bytes of which 10 are present: the file is cut short.
 */
function manyWarningsThenCut(warnings: number): Uint8Array {
  const cap = new Capture();
  capableHandshake(new CraftedSubflow(cap, client, server), { clientKey: 0x1111n, serverKey: 0x2222n });
  const handshake = cap.pcap();
  const data = tcpFrame(client, server, 1000, 2000, { flags: TCP_ACK });
  const records = Array.from({ length: warnings }, (_, i) => pcapRecord({ sec: 1_700_000_001, frac: i, data, origLen: data.length - 1 }));
  const cut = pcapRecord({ sec: 1_700_000_002, frac: 0, data: new Uint8Array(100) }).subarray(0, 16 + 10);
  return concat(handshake, ...records, cut);
}

describe('1. a fatal problem is never dropped by the cap on kept problems', () => {
  const file = manyWarningsThenCut(MAX_KEPT_PROBLEMS + 1);

  it('the parser keeps the fatal problem past the cap, and says it in summary.fatal', () => {
    const s = parseCapture(file, () => {});
    expect(s.problemCount).toBe(MAX_KEPT_PROBLEMS + 2);
    expect(s.problems).toHaveLength(MAX_KEPT_PROBLEMS + 1);
    expect(s.problems.find((p) => p.fatal)).toBe(s.fatal);
    expect(s.fatal).toMatchObject({ kind: 'truncated-file', fatal: true, frame: MAX_KEPT_PROBLEMS + 5 });
  });

  it('a whole file has fatal null', () => {
    expect(parseCapture(pcapFile({}, []), () => {}).fatal).toBeNull();
  });

  it.each([
    ['analyze', ['analyze', '--json']],
    ['analyze tables', ['analyze']],
    ['extract', ['extract', '--connection', '0', '--direction', 'c2s', '-o', '-']],
    ['dissect', ['dissect']],
  ])('%s exits 4 (damaged)', async (_name, argv) => {
    const p = write('many-warnings-cut.pcap', file);
    const r = await runMain([...argv, p]);
    expect(r.stderr).toMatch(/damaged|ends in the middle of packet/);
    expect(r.code).toBe(4);
  });

  it('live -r - exits 4 (damaged)', async () => {
    const r = await runMain(['live', '-r', '-', '--json'], { stdin: file });
    expect(r.code).toBe(4);
    const summary = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { event: string };
    expect(summary.event).toBe('summary');
  });
});

/** The blocks of a little-endian pcapng: where each starts, its type and length. */
function pcapngBlocks(b: Buffer): Array<{ type: number; at: number; len: number }> {
  const out: Array<{ type: number; at: number; len: number }> = [];
  for (let at = 0; at + 12 <= b.length;) {
    const len = b.readUInt32LE(at + 4);
    out.push({ type: b.readUInt32LE(at), at, len });
    at += len;
  }
  return out;
}

const SHORT_PCAPNG = corpusFile('dpi-mptcp/short.pcapng');

/** The three corrupted timestamps of the issue, made from short.pcapng at run time. */
function corruptTimestamps(): Array<[string, Buffer]> {
  const b = readFileSync(SHORT_PCAPNG);
  const blocks = pcapngBlocks(b);
  const idbAt = blocks.find((x) => x.type === 1)!;
  const epbAt = blocks.find((x) => x.type === 6)!;
  // 1. the high byte of the first EPB's timestamp set to 0x80 (year 294292)
  const high = Buffer.from(b);
  high[epbAt.at + 12 + 3] = 0x80;
  // 2. if_tsresol 0 (whole seconds) and the first EPB's ticks all ones
  const resol0 = Buffer.from(b);
  const resolOpt = resol0.subarray(idbAt.at, idbAt.at + idbAt.len).indexOf(Buffer.from('09000100', 'hex'));
  resol0[idbAt.at + resolOpt + 4] = 0;
  resol0.writeUInt32LE(0xffffffff, epbAt.at + 12);
  resol0.writeUInt32LE(0xffffffff, epbAt.at + 16);
  // 3. an if_tsoffset of 1e13 s inserted before the IDB's opt_endofopt
  const idbBytes = b.subarray(idbAt.at, idbAt.at + idbAt.len);
  const opt = Buffer.alloc(12);
  opt.writeUInt16LE(14, 0);
  opt.writeUInt16LE(8, 2);
  opt.writeBigInt64LE(10_000_000_000_000n, 4);
  const idbNew = Buffer.concat([idbBytes.subarray(0, idbAt.len - 8), opt, idbBytes.subarray(idbAt.len - 8)]);
  idbNew.writeUInt32LE(idbNew.length, 4);
  idbNew.writeUInt32LE(idbNew.length, idbNew.length - 4);
  const offset = Buffer.concat([b.subarray(0, idbAt.at), idbNew, b.subarray(idbAt.at + idbAt.len)]);
  return [['ts high byte 0x80', high], ['if_tsresol 0, maximal ticks', resol0], ['if_tsoffset 1e13', offset]];
}

/** The same three, built from scratch (no corpus needed). */
function builtTimestamps(): Array<[string, Uint8Array, string]> {
  const data = tcpFrame(client, server, 1000, 2000, { flags: TCP_ACK });
  const next = epb({ ticks: 1_425_966_827_000_000n, data });
  return [
    ['ticks 0x80.. (µs)', concat(shb(), idb(), epb({ ticks: 0x80n << 56n, data }), next), '9223372036854.775808000'],
    ['if_tsresol 0, ticks 2**64-1', concat(shb(), idb({ tsresol: 0 }), epb({ ticks: (1n << 64n) - 1n, data }), next), '18446744073709551616.000000000'],
    ['if_tsoffset 1e13', concat(shb(), idb({ tsoffset: 10_000_000_000_000n }), epb({ ticks: 0n, data })), '10000000000000.000000000'],
    ['if_tsoffset -1e13', concat(shb(), idb({ tsoffset: -10_000_000_000_000n }), epb({ ticks: 500_000n, data })), '-9999999999999.500000000'],
  ];
}

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function expectTimeShownNotCrashed(p: string, bytes: Uint8Array): Promise<Json> {
  const json = await runMain(['analyze', '--json', p]);
  expect(json.stderr).not.toMatch(/internal error|RangeError/);
  expect(json.code).toBe(0);
  const report = JSON.parse(json.stdout) as Json;
  const problem = (report.capture.problems as Json[]).find((x) => /beyond the range of dates/.test(x.message as string));
  expect(problem).toMatchObject({ kind: 'odd-record', fatal: false, frame: 1 });
  const tables = await runMain(['analyze', p]);
  expect(tables.code).toBe(0);
  expect(tables.stdout).toContain(report.capture.start.epoch as string);
  const csv = await runMain(['analyze', '--csv', path.join(tmp, 'csv'), p]);
  expect(csv.code).toBe(0);
  const live = await runMain(['live', '-r', '-', '--json'], { stdin: bytes });
  expect(live.stderr).not.toMatch(/internal error/);
  expect(live.code).toBe(0);
  for (const line of live.stdout.trim().split('\n')) JSON.parse(line);
  const dissect = await runMain(['dissect', '-T', 'json', p]);
  expect(dissect.code).toBe(0);
  JSON.parse(dissect.stdout);
  return report;
}

describe('2. a timestamp beyond the range of dates is shown raw, never a crash', () => {
  it.each(builtTimestamps())('%s', async (name, bytes, epoch) => {
    const p = write(`ts-${name.replace(/\W+/g, '_')}.pcapng`, bytes);
    const report = await expectTimeShownNotCrashed(p, bytes);
    expect(report.capture.start).toEqual({ epoch, iso: epoch });
  });

  it.skipIf(!existsSync(SHORT_PCAPNG)).each(existsSync(SHORT_PCAPNG) ? corruptTimestamps() : [])('corpus short.pcapng, %s', async (name, bytes) => {
    await expectTimeShownNotCrashed(write(`short-${name.replace(/\W+/g, '_')}.pcapng`, bytes), bytes);
  });
});

describe('4. small ones', () => {
  it.each([1, 2, 3])('dissect -T json of a %d-byte file prints nothing and exits 3', async (n) => {
    const r = await runMain(['dissect', '-T', 'json', write(`tiny-${n}.pcap`, Uint8Array.of(0xd4, 0xc3, 0xb2).subarray(0, n))]);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
  });

  it('dissect -T json of a capture with no packets prints valid JSON', async () => {
    const r = await runMain(['dissect', '-T', 'json', write('empty.pcap', pcapFile({}, []))]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([]);
  });

  const pcapCut = pcapHeader().subarray(0, 10);
  const pcapngCut = concat(shb(), idb()).subarray(0, 20);
  it.each([
    ['pcap, inside the 24-byte file header', pcapCut, /^mpcap: not a readable pcap file: capture file ends in the pcap file header \(10 of 24 bytes present\); the input ends at byte 10\n$/],
    ['pcapng, inside the section header block', pcapngCut, /^mpcap: not a readable pcapng file: capture file ends in the middle of section header block at byte 0: the block is 28 bytes long, 20 present; the input ends at byte 20\n$/],
    ['pcapng, inside the first block header', concat(shb()).subarray(0, 8), /^mpcap: not a readable pcapng file: capture file ends in a block header at byte 0 \(8 of 12 bytes present\)/],
    ['gzip, inside the pcap file header', gzipSync(pcapCut), /^mpcap: not a readable pcap file: capture file ends in the pcap file header/],
  ])('a file cut in its file header is not a capture (exit 3): %s', async (_name, bytes, message) => {
    for (const argv of [['analyze', '--json'], ['dissect'], ['extract', '--connection', '0', '--direction', 'c2s', '-o', '-']]) {
      const r = await runMain([...argv, write('cut-header', bytes)]);
      expect(r.stderr).toMatch(message);
      expect(r.code).toBe(3);
    }
  });

  it('live -r - of a stream cut in its file header exits 3', async () => {
    const r = await runMain(['live', '-r', '-', '--json'], { stdin: pcapCut });
    expect(r.stderr).toMatch(/not a readable pcap file/);
    expect(r.code).toBe(3);
  });

  it('a cut record says where the record starts and where the file ends', async () => {
    const r = await runMain(['analyze', '--json', write('cut-record.pcap', manyWarningsThenCut(0))]);
    expect(r.code).toBe(4);
    const fatal = (JSON.parse(r.stdout) as Json).capture.problems.find((p: Json) => p.fatal === true) as Json;
    const end = manyWarningsThenCut(0).length;
    expect(fatal.message).toBe(`capture file ends in the middle of packet 4 (record header at byte ${end - 26} promises 100 bytes, 10 present); the input ends at byte ${end}`);
  });
});

describe('5. a pcapng packet block Wireshark rejects is damage (found by the fuzz campaign)', () => {
  const data = tcpFrame(client, server, 1000, 2000, { flags: TCP_ACK });
  const good = epb({ ticks: 1n, data });
  it.each([
    ['EPB caplen larger than its block', epb({ ticks: 1n, data, capLen: data.length + 4 })],
    ['EPB on an interface the section lacks', epb({ ifId: 3, ticks: 1n, data })],
    // caplen 16: the rest of the packet is read as options, the first claiming 0x0800 bytes
    ['EPB whose options run past the block', epb({ ticks: 1n, data, capLen: 12 })],
    // campaign seed 12, input 14680: the packet's bytes after caplen read as opt_endofopt with a length
    ['EPB whose opt_endofopt has a length past the block', epb({ ticks: 1n, data: concat(payload(16), Uint8Array.of(0, 0, 0x05, 0xa8), payload(8)), capLen: 16 })],
    ['ISB whose options run past the block', block(5, concat(payload(12), Uint8Array.of(1, 0, 0xff, 0)))],
    // campaign seed 10, input 3296: an EPB whose type became SPB (origlen = the EPB's interface id, 0)
    ['SPB longer than its packet', spb({ data: payload(104), origLen: 0 })],
    ['NRB whose record runs past the block', block(4, Uint8Array.of(1, 0, 0x40, 0, 1, 2, 3, 4))],
    ['DSB whose secrets run past the block', block(0x0a, concat(Uint8Array.of(0x54, 0x4c, 0x53, 0x4b, 0xff, 0, 0, 0), payload(8)))],
  ])('%s: exit 4, reading stops there as in tshark', async (_name, bad) => {
    const p = write('bad-epb.pcapng', concat(shb(), idb(), good, bad, good));
    const r = await runMain(['analyze', '--json', p]);
    expect(r.code).toBe(4);
    const report = JSON.parse(r.stdout) as Json;
    expect(report.capture.packets).toBe(1);
    expect(report.capture.problems).toMatchObject([{ kind: /^(EPB|SPB)/.test(_name) ? 'bad-record' : 'bad-block', fatal: true }]);
    expect((await runMain(['dissect', p])).code).toBe(4);
  });
});

describe('4. gzip: bytes after the gzip data are reported as gzip -t does', () => {
  const cap = new Capture();
  capableHandshake(new CraftedSubflow(cap, client, server), { clientKey: 0x1111n, serverKey: 0x2222n });
  for (let i = 0; i < 2000; i++) cap.push(tcpFrame(client, server, 1000 + i, 2000, { flags: TCP_ACK, payload: new Uint8Array(100).fill(i & 0xff) }));
  const pcap = cap.pcap();
  const gz = gzipSync(pcap);
  const text = (s: string): Uint8Array => new TextEncoder().encode(s);
  /** gzip header with FNAME and FCOMMENT set (RFC 1952 §2.3.1), then the same deflate body and trailer. */
  const named = concat(Uint8Array.of(0x1f, 0x8b, 8, 0x18, 0, 0, 0, 0, 0, 3), text('capture.pcap\0a comment\0'), gz.subarray(10));

  it.each([
    ['text after the stream', concat(gz, text('garbage here')), 12],
    ['a NUL then text (Node\'s gunzip drops it silently)', concat(gz, text('\0garbage')), 8],
  ])('%s: every packet read, then trailing-data, exit 4', async (_name, bytes, n) => {
    const r = await runMain(['analyze', '--json', write('trailing.pcap.gz', bytes)]);
    expect(r.code).toBe(4);
    const report = JSON.parse(r.stdout) as Json;
    expect(report.capture.packets).toBe(2003);
    expect(report.capture.problems).toEqual([{
      kind: 'trailing-data', offset: pcap.length, frame: null, fatal: true,
      message: `gzip: decompression OK, trailing garbage ignored (as gzip -t says): ${n} bytes after the end of the gzip data, at compressed byte ${gz.length}, are not gzip data and were not read`,
    }]);
    expect((await runMain(['dissect', write('trailing.pcap.gz', bytes)])).code).toBe(4);
  });

  it.each([
    ['zero padding', concat(gz, new Uint8Array(1000)), 2003],
    ['two members (the capture split in two)', concat(gzipSync(pcap.subarray(0, 50_001)), gzipSync(pcap.subarray(50_001))), 2003],
    ['FNAME and FCOMMENT in the header', named, 2003],
  ])('%s: read whole, exit 0', async (_name, bytes, packets) => {
    const r = await runMain(['analyze', '--json', write('ok.pcap.gz', bytes)]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as Json).capture.packets).toBe(packets);
  });

  it('a second member that is not gzip (1f 8b, bad method): corrupt, exit 4, the first member whole', async () => {
    const r = await runMain(['analyze', '--json', write('bad-member.pcap.gz', concat(gz, Uint8Array.of(0x1f, 0x8b, 0x78, 0x78)))]);
    expect(r.code).toBe(4);
    const report = JSON.parse(r.stdout) as Json;
    expect(report.capture.packets).toBe(2003);
    expect(report.capture.problems[0].message).toMatch(/^gzip data is cut short or corrupt \(unknown gzip compression method 120\)/);
  });
});
