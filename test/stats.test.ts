/**
 * Issue 5: per-subflow figures checked against tshark on the same captures, and the CSV export
 * read back with a CSV parser.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { analyzeFile } from '../src/cli/analyze.js';
import { csvTables, writeCsv } from '../src/analysis/csv.js';
import type { Report } from '../src/analysis/report.js';

const root = resolve(import.meta.dirname, '..');
const corpus = resolve(root, '..', 'shared', 'corpus');
const haveTshark = spawnSync('tshark', ['--version']).status === 0;
const fixtures = readdirSync(join(root, 'fixtures/pcaps'))
  .filter((f) => f.endsWith('.pcap'))
  .map((f) => join(root, 'fixtures/pcaps', f));
const corpusFiles = existsSync(corpus)
  ? readdirSync(corpus, { recursive: true, encoding: 'utf8' })
      .filter((f) => /\.pcap(ng)?$/.test(f))
      .map((f) => join(corpus, f))
  : [];

const io = { stdin: process.stdin, stderr: process.stderr };

interface TsharkStream {
  packets: number;
  bytes: number;
  rttUs: number[];
}

/**
 * Per tcp.stream: packets, sum of tcp.len, and tshark's ack_rtt samples less those that break
 * Karn's rule. tshark takes a sample even when the acknowledged segment was sent twice (it times
 * the ACK against one of the copies, which one depends on the path through packet-tcp.c); an RTT
 * measured against a retransmitted segment is ambiguous (Karn & Partridge 1987), so mpcap takes no
 * sample there, and neither does this comparison.
 */
function tsharkStreams(file: string): Map<number, TsharkStream> {
  const out = spawnSync(
    'tshark',
    ['-r', file, '-T', 'fields', '-E', 'separator=;', '-e', 'frame.number', '-e', 'tcp.stream', '-e', 'tcp.len', '-e', 'tcp.analysis.ack_rtt', '-e', 'tcp.analysis.acks_frame', '-e', 'tcp.seq_raw', '-e', 'ip.src', '-e', 'ipv6.src', '-e', 'tcp.flags'],
    { encoding: 'utf8', maxBuffer: 1 << 30 },
  ).stdout;
  const rows = out.split('\n').filter(Boolean).map((l) => l.split(';'));
  // frames that sent each segment (stream, sender, seq), in capture order
  const sentAt = new Map<string, number[]>();
  const segKey = new Map<string, string>();
  for (const [num, stream, len, , , seq, src4, src6, flags] of rows) {
    if (!stream) continue;
    const f = parseInt(flags ?? '0', 16);
    if (Number(len) === 0 && !(f & 0x03)) continue; // only segments that occupy sequence space
    const k = `${stream}|${src4 || src6}|${seq}`;
    sentAt.set(k, [...(sentAt.get(k) ?? []), Number(num)]);
    segKey.set(num as string, k);
  }
  const streams = new Map<number, TsharkStream>();
  for (const [num, stream, len, rtt, acks] of rows) {
    if (!stream) continue;
    const s = streams.get(Number(stream)) ?? { packets: 0, bytes: 0, rttUs: [] };
    s.packets++;
    s.bytes += Number(len || 0);
    if (rtt) {
      // Karn: ambiguous when the segment had been sent more than once before this ACK
      const k = segKey.get(acks as string);
      const before = k ? (sentAt.get(k) ?? []).filter((n) => n < Number(num)).length : 1;
      if (before <= 1) s.rttUs.push(Number(rtt) * 1e6);
    }
    streams.set(Number(stream), s);
  }
  return streams;
}

function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = (s.length - 1) / 2;
  return ((s[Math.floor(m)] as number) + (s[Math.ceil(m)] as number)) / 2;
}

describe.skipIf(!haveTshark)('per-subflow figures equal tshark on the same tcp.stream', () => {
  const files = [...fixtures, ...corpusFiles];
  it('covers the fixtures and, when present, the corpus', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(9);
    if (!existsSync(corpus)) console.warn(`corpus not found at ${corpus}: comparing on the project's fixtures only`);
  });
  it.each(files)('%s', async (path) => {
    const { report } = await analyzeFile(path, io);
    const ts = tsharkStreams(path);
    let compared = 0;
    for (const c of report.connections) {
      for (const s of c.subflows) {
        const t = ts.get(s.tcpStream);
        expect(t, `tcp.stream ${s.tcpStream} unknown to tshark`).toBeDefined();
        if (!t) continue;
        expect({ stream: s.tcpStream, packets: s.packets, bytes: s.payloadBytes }).toEqual({ stream: s.tcpStream, packets: t.packets, bytes: t.bytes });
        const tm = median(t.rttUs);
        if (tm === null) {
          expect(s.rtt.medianUs, `stream ${s.tcpStream}: tshark has no RTT sample`).toBeNull();
        } else {
          expect(s.rtt.medianUs, `stream ${s.tcpStream}: tshark median ${tm} µs`).not.toBeNull();
          expect(Math.abs((s.rtt.medianUs as number) - tm), `stream ${s.tcpStream}: mpcap ${s.rtt.medianUs} µs vs tshark ${tm} µs`).toBeLessThanOrEqual(0.1 * tm + 1);
        }
        compared++;
      }
    }
    if (report.connections.length > 0 && !path.includes('dss-oobr')) expect(compared).toBeGreaterThan(0);
  });
});

describe('shares, join latency and closing', () => {
  it('shares of each connection add up to 1 and the endpoint table counts every packet', async () => {
    const { report } = await analyzeFile(join(root, 'fixtures/pcaps/three-paths-signal.pcap'), io);
    const c = report.connections[0] as Report['connections'][number];
    const sum = (k: 'packetShare' | 'byteShare'): number => c.subflows.reduce((a, s) => a + s[k], 0);
    expect(sum('packetShare')).toBeCloseTo(1, 4);
    expect(sum('byteShare')).toBeCloseTo(1, 4);
    // every IP packet counts once for its source and once for its destination
    expect(report.endpoints.reduce((a, e) => a + e.packets, 0)).toBe(2 * report.capture.packets);
    expect(report.endpoints.reduce((a, e) => a + e.txPackets, 0)).toBe(report.capture.packets);
  });

  it('join latency: joins come after the initial subflow, with the bytes carried before them', async () => {
    const { report } = await analyzeFile(join(root, 'fixtures/pcaps/three-paths-signal.pcap'), io);
    const c = report.connections[0] as Report['connections'][number];
    const [first, ...joins] = c.subflows;
    expect(first?.kind).toBe('initial');
    for (const j of joins) {
      expect(j.kind).toBe('join');
      expect(j.joinLatencySec).toBeGreaterThan(first?.joinLatencySec as number);
      expect(j.bytesBeforeEstablished).toBeGreaterThanOrEqual(0);
    }
  });

  it('closing: a clean close has DATA_FINs before the subflow FINs and no anomaly', async () => {
    const { report } = await analyzeFile(join(root, 'fixtures/pcaps/two-paths.pcap'), io);
    const c = report.connections[0] as Report['connections'][number];
    expect(c.closing.anomalies).toEqual([]);
    const kinds = c.closing.events.map((e) => e.event);
    expect(kinds.slice(0, 2)).toEqual(['DATA_FIN', 'DATA_FIN']);
    expect(kinds.filter((k) => k === 'FIN').length).toBe(2);
  });

  it('closing: fast close is an MP_FASTCLOSE event followed by resets', async () => {
    const { report } = await analyzeFile(join(root, 'fixtures/pcaps/fastclose.pcap'), io);
    const c = report.connections[0] as Report['connections'][number];
    expect(c.closing.events[0]?.event).toBe('MP_FASTCLOSE');
    expect(c.end.how).toBe('MP_FASTCLOSE');
  });

  it.skipIf(!existsSync(corpus))('closing: subflows closed with FIN and no DATA_FIN are flagged (RFC 8684 §3.3.3)', async () => {
    const { report } = await analyzeFile(join(corpus, 'inversekey-multipath/speedtest.pcap'), io);
    const flagged = report.connections.filter((c) => !c.fallback && c.closing.anomalies.some((a) => a.includes('neither side sent a DATA_FIN')));
    const clean = report.connections.filter((c) => c.end.how === 'DATA_FIN' && c.closing.anomalies.length === 0);
    expect(clean.length).toBeGreaterThan(0);
    // every flagged connection really has no DATA_FIN and all its subflows ended
    for (const c of flagged) {
      expect(c.dataFin.client).toBeNull();
      expect(c.dataFin.server).toBeNull();
    }
  });

  it('RTT from timestamps is measured where both sides use them', async () => {
    const { report } = await analyzeFile(join(root, 'fixtures/pcaps/loss.pcap'), io);
    for (const s of report.connections[0]?.subflows ?? []) {
      expect(s.rtt.timestamps.samples).toBeGreaterThan(0);
      expect(s.rtt.timestamps.medianUs).toBeGreaterThanOrEqual(0);
    }
  });
});

describe('CSV export', () => {
  it('writes one file per table and per series, each loads with a CSV parser and matches the JSON', async () => {
    const { report } = await analyzeFile(join(root, 'fixtures/pcaps/loss.pcap'), io);
    const dir = mkdtempSync(join(tmpdir(), 'mpcap-csv-'));
    const names = await writeCsv(report, dir);
    expect(names.sort()).toEqual(
      ['addresses.csv', 'closing.csv', 'connections.csv', 'endpoints.csv', 'series_connection_cumulative_bytes.csv', 'series_subflow_cumulative_bytes.csv', 'series_subflow_rtt.csv', 'subflows.csv'].sort(),
    );
    for (const n of names) {
      const rows = parse(readFileSync(join(dir, n), 'utf8'), { columns: true, skip_empty_lines: true }) as Array<Record<string, string>>;
      expect(Array.isArray(rows)).toBe(true);
    }
    const subs = parse(readFileSync(join(dir, 'subflows.csv'), 'utf8'), { columns: true }) as Array<Record<string, string>>;
    const c = report.connections[0] as Report['connections'][number];
    expect(subs.length).toBe(c.subflows.length);
    for (const [i, s] of c.subflows.entries()) {
      expect(Number(subs[i]?.tcp_stream)).toBe(s.tcpStream);
      expect(Number(subs[i]?.packets)).toBe(s.packets);
      expect(Number(subs[i]?.payload_bytes)).toBe(s.payloadBytes);
      expect(subs[i]?.rtt_median_us === '' ? null : Number(subs[i]?.rtt_median_us)).toBe(s.rtt.medianUs);
    }
    const series = parse(readFileSync(join(dir, 'series_connection_cumulative_bytes.csv'), 'utf8'), { columns: true }) as Array<Record<string, string>>;
    const c2s = series.filter((r) => r.direction === 'c2s').map((r) => Number(r.bytes));
    expect(c2s.at(-1)).toBe(c.data.c2s.deliveredBytes);
    for (let i = 1; i < c2s.length; i++) expect(c2s[i]).toBeGreaterThanOrEqual(c2s[i - 1] as number);
  });

  it('quotes fields that contain commas or quotes (RFC 4180)', async () => {
    const { report } = await analyzeFile(join(root, 'fixtures/pcaps/fastclose.pcap'), io);
    const sub = report.connections[0]?.subflows[0];
    if (sub) sub.end.reasonText = 'a "quoted", text';
    const text = csvTables(report)['subflows.csv'] as string;
    const rows = parse(text, { columns: true }) as Array<Record<string, string>>;
    expect(rows[0]?.end_reason).toBe('a "quoted", text');
  });
});
