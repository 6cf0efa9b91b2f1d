/**
 * Real captures from the shared corpus, checked against two independent readers:
 * pcap-parser (npm) for classic pcap, and tshark for pcapng timestamps.
 */
import { describe, it, expect } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pcapParser from 'pcap-parser';
import { parseCapture } from '../../src/dissect/capture/parser.ts';
import { readCapture } from '../../src/dissect/capture/source.ts';
import { tsString } from '../helpers/capture-collect.ts';

const corpus = resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/corpus');
const haveCorpus = existsSync(corpus);
const skipMessage = `shared corpus not found at ${corpus}`;

function corpusFiles(ext: string): string[] {
  if (!haveCorpus) return [`(${skipMessage})`];
  return readdirSync(corpus, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) => readdirSync(join(corpus, d.name)).filter((f) => f.endsWith(ext)).map((f) => `${d.name}/${f}`))
    .sort();
}

interface OracleRecord { sec: number; usec: number; capLen: number; origLen: number; data: Buffer }

/** Every record as pcap-parser (a separate, stream-based reader) sees it. */
function oracle(path: string): Promise<OracleRecord[]> {
  return new Promise((resolvePromise, reject) => {
    const out: OracleRecord[] = [];
    const p = pcapParser.parse(path);
    p.on('packet', (pkt: { header: { timestampSeconds: number; timestampMicroseconds: number; capturedLength: number; originalLength: number }; data: Buffer }) => {
      out.push({ sec: pkt.header.timestampSeconds, usec: pkt.header.timestampMicroseconds,
        capLen: pkt.header.capturedLength, origLen: pkt.header.originalLength, data: Buffer.from(pkt.data) });
    });
    p.on('error', reject);
    p.on('end', () => resolvePromise(out));
  });
}

describe.skipIf(!haveCorpus)('corpus: classic pcap agrees with pcap-parser', () => {
  // Some `.pcap` files are pcapng inside (client_2.pcap): pcap-parser only reads classic pcap.
  const classic = corpusFiles('.pcap').filter((f) => !haveCorpus || readFileSync(join(corpus, f)).readUInt32BE(0) !== 0x0a0d0d0a);
  it.each(classic)('%s', async (name) => {
    const path = join(corpus, name);
    const expected = await oracle(path);
    const got: OracleRecord[] = [];
    const summary = parseCapture(readFileSync(path), (f) => {
      expect(f.tsNsec % 1000).toBe(0); // µs files
      got.push({ sec: f.tsSec, usec: f.tsNsec / 1000, capLen: f.capLen, origLen: f.origLen, data: Buffer.from(f.data) });
    });
    expect(summary.format).toBe('pcap');
    expect(got.length).toBe(expected.length);
    // Field by field as text, bytes with Buffer.equals: a deep toEqual over megabytes is slow.
    const line = (r: OracleRecord) => `${r.sec}.${r.usec} ${r.capLen} ${r.origLen}`;
    expect(got.map(line)).toEqual(expected.map(line));
    expect(got.filter((r, i) => !r.data.equals(expected[i]!.data)).length).toBe(0);
  });
});

describe.skipIf(!haveCorpus)('corpus: pcapng timestamps agree with tshark', () => {
  // Expected strings from `tshark -r FILE -c 3 -T fields -e frame.time_epoch -e frame.len`
  // (TShark 4.0.17), run once by hand and copied here so the test needs no tshark.
  it.each([
    {
      name: 'pymptcpanalyzer/client_2.pcap', // pcapng despite its name; if_tsresol 9, Linux SLL
      ts: ['1529037834.335235214', '1529037839.537115721', '1529037839.794297834'], lens: [344, 88, 344], frames: 2884,
    },
    {
      name: 'dpi-mptcp/longer.pcapng', // default µs resolution, Ethernet
      ts: ['1425968503.299721000', '1425968503.301141000', '1425968503.302421000'], lens: [86, 86, 86], frames: 48,
    },
  ])('$name', async ({ name, ts, lens, frames }) => {
    const path = join(corpus, name);
    const first: Array<[string, number]> = [];
    const summary = await readCapture(path, (f) => { if (f.number <= 3) first.push([tsString(f), f.origLen]); });
    expect(first).toEqual(ts.map((t, i) => [t, lens[i]]));
    expect(summary).toMatchObject({ format: 'pcapng', frames, compressed: false, problems: [] });
  });
});

describe.skipIf(!haveCorpus)('corpus: reading in small chunks changes nothing', () => {
  it.each([...corpusFiles('.pcap'), ...corpusFiles('.pcapng')])('%s', async (name) => {
    const path = join(corpus, name);
    const whole: string[] = [];
    const expected = parseCapture(readFileSync(path), (f) => { whole.push(`${f.number} ${tsString(f)} ${f.capLen} ${f.data[f.capLen - 1]}`); });
    const chunked: string[] = [];
    const summary = await readCapture(path, (f) => { chunked.push(`${f.number} ${tsString(f)} ${f.capLen} ${f.data[f.capLen - 1]}`); }, { chunkBytes: 4093 });
    expect(chunked).toEqual(whole);
    expect(summary).toEqual({ ...expected, compressed: false });
  });
});
