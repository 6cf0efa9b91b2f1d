/**
 * Display filters: `mpcap dissect -Y X -T fields -e frame.number` selects the same frames as
 * `tshark -r F -Y X` (4.0.17, the reference) for every filter of the table, on every capture of
 * the public corpus and every fixture. tshark evaluates the whole table in one pass per file (Lua
 * tap listeners, see helpers/tshark-filters.ts), checked against real -Y runs on a few filters.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { Pipeline, runPipeline } from '../src/analysis/pipeline.ts';
import { LazyView } from '../src/cli/dissect.ts';
import { compileFilter } from '../src/filter/compile.ts';
import { corpusFiles, craftedPcaps, fixturePcaps, hasTshark, parseTable, pool, shortName, tsharkPath, tsharkTable } from './helpers/corpus.ts';
import { runMain } from './helpers/cli.ts';
import { tsharkFilterFrames } from './helpers/tshark-filters.ts';

/** Every operator and form at least once; each comment names what the row covers. */
export const FILTERS: readonly string[] = [
  'mptcp', // protocol presence
  'tcp && !ipv6', // && and ! over protocols
  'not ip', // not
  'tcp.options.mptcp.subtype', // field presence
  '!tcp.options.mptcp.subtype && tcp', // absence
  'mptcp.stream == 0', // == (any_eq)
  'mptcp.stream != 0', // != (all_ne: false when absent)
  'tcp.port != 5201', // != over a two-valued field: neither port
  'tcp.port === 5201', // === all_eq
  'tcp.port !== 5201', // !== any_ne
  'tcp.port ~= 80', // ~= any_ne (old spelling)
  'tcp.len > 1000', // >
  'tcp.len >= 1448 || tcp.len < 1', // >= < ||
  'tcp.len <= 100 and tcp.len ge 1', // <= and ge
  'frame.len lt 80 or frame.len gt 1500', // lt gt or
  'tcp.len eq 0 and tcp.srcport ne 80', // eq ne words
  'tcp.len == 0 or tcp.len > 1000 and tcp.len < 1200', // precedence: and before or
  '(tcp.len == 0 or tcp.len > 1000) and tcp.len < 1200', // parentheses
  'tcp.options.mptcp.subtype == 2 && !(tcp.len == 0)',
  'tcp.options.mptcp.subtype in {0, 1, 3..5}', // set with a range
  'tcp.port in {80, 443, 5201}', // set, either-direction field
  'tcp.port not in {80, 443}', // not in
  'ip.addr == 10.0.0.0/8', // IPv4 subnet, either direction
  'ip.src == 192.168.0.0/16 or ip.dst eq 172.16.0.0/12',
  'ip.addr != 10.0.1.1', // all_ne on ip.addr: neither end
  'ip.src == 10.0.1.1/24 && ip.dst != 10.0.1.0/24',
  'ipv6.addr == fd00::/8', // IPv6 subnet
  'ipv6.src == 2001:db8::/32 || ipv6.dst == fe80::/10 || ipv6.addr == ::1',
  'tcp.flags & 0x02', // bitwise and as a test
  'tcp.flags & 0x12 == 0x12', // masked comparison
  'tcp.flags == 0x018', // hex
  'frame.number == 010 or frame.number == 0x10 or frame.number == 0b11', // octal, hex, binary
  'tcp.flags.syn == 1 && tcp.flags.ack == True', // booleans
  'tcp.flags.reset == 1 or tcp.flags.fin == True',
  'tcp.options.mptcp.sendhmac contains 50:69', // byte string
  'tcp.options.mptcp.sendhmac contains "P"', // string literal on bytes
  'tcp.options.mptcp.sendhmac matches "^[p-z]"', // regular expression (case-insensitive)
  'len(tcp.options.mptcp.sendhmac) == 20', // len()
  'count(tcp.options.mptcp.subtype) >= 2', // count()
  'tcp.options.mptcp.sendkey > 0x8000000000000000', // 64-bit
  'tcp.options.mptcp.recvkey <= 9223372036854775807 and tcp.options.mptcp.recvkey',
  'tcp.options.mptcp.backup.flag == 1 or tcp.options.mptcp.echo == 1',
  'tcp.srcport > tcp.dstport', // field against field
  'tcp.stream == mptcp.stream',
  'frame.time_relative > 0.01 && frame.time_relative <= 2.5', // doubles
  'mptcp.ack > 1000 and tcp.options.mptcp.rawdataack', // 64-bit relative data ACK
  'tcp.options.mptcp.flags == 0x01 || tcp.options.mptcp.version == 1',
  'tcp.options.mptcp.addrid in {1..3} and not tcp.options.mptcp.ipv6',
  'tcp.options.mptcp.ipv4 == 10.0.0.0/8 or tcp.options.mptcp.ipv6',
  'tcp.options.mptcp.rst_reason == 0x00',
  'tcp.seq_raw > 3000000000 and tcp.ack_raw < 1000000000',
  'tcp.options.mptcp.subtype in {2} && tcp.len in {1..1448}', // one-element set, range
];

/** Filters that tshark's own -Y also runs, to check that the Lua listeners give what -Y gives. */
const CROSS_CHECK = ['tcp.port != 5201', 'tcp.len == 0 or tcp.len > 1000 and tcp.len < 1200', 'mptcp.stream != 0'];

const files = [...corpusFiles(), ...fixturePcaps(), ...craftedPcaps()];

/**
 * Where a field's value differs between mpcap and tshark (tshark's known bugs on malformed
 * options and 32-bit wraps, README "Where mpcap and tshark differ", each tested cell by cell in
 * tshark-compat.test.ts), a filter on that field may differ too: such frames are left out of the
 * comparison for the filters that read a differing field, and only in the captures made to hold
 * such packets.
 */
const MAY_DIFFER = /fixtures\/crafted\/|tcpdump\/mptcp-dss-oobr/;

/** frame number → the fields whose cells differ between mpcap and tshark. */
async function fieldDifferences(file: string, fields: readonly string[]): Promise<{ frames: number; differing: Map<number, Set<string>> }> {
  const t = await tsharkTable(file, fields);
  const r = await runMain(['dissect', file, '-T', 'fields', ...fields.flatMap((f) => ['-e', f]), '--no-problems']);
  const m = parseTable(r.stdout);
  const out = new Map<number, Set<string>>();
  t.forEach((row, i) => {
    fields.forEach((f, j) => {
      if ((row[j] ?? '') === (m[i]?.[j] ?? '')) return;
      const s = out.get(i + 1) ?? new Set<string>();
      s.add(f);
      out.set(i + 1, s);
    });
  });
  return { frames: t.length, differing: out };
}

const filterFields = FILTERS.map((y) => compileFilter(y).fields);
const usedFields = [...new Set(filterFields.flat())].sort();

async function mpcapFrames(file: string, filter: string): Promise<number[]> {
  const r = await runMain(['dissect', file, '-Y', filter, '-T', 'fields', '-e', 'frame.number', '--no-problems']);
  if (r.code !== 0 && r.code !== 4) throw new Error(`mpcap dissect -Y '${filter}' ${shortName(file)}: exit ${r.code}: ${r.stderr}`);
  return r.stdout.split('\n').filter((l) => l !== '').map(Number);
}

/**
 * The whole table in one pass, with dissect's own view and compiled filters: for the big capture
 * (flood.pcap, 10,000 packets) where 52 runs of `dissect -Y` would take most of the test's time.
 */
async function allFramesOnePass(file: string): Promise<number[][]> {
  const pipeline = new Pipeline(false);
  const view = new LazyView();
  const compiled = FILTERS.map((y) => compileFilter(y));
  const out: number[][] = FILTERS.map(() => []);
  pipeline.subscribe({
    packet(frame, seg, info) {
      view.reset(frame, seg, info, pipeline.start as { tsSec: number; tsNsec: number });
      for (let i = 0; i < compiled.length; i++) if ((compiled[i] as { test: (v: LazyView) => boolean }).test(view)) (out[i] as number[]).push(frame.number);
    },
  });
  await runPipeline(file, pipeline, { stdin: process.stdin });
  return out;
}

/** Above this many packets a capture is checked in one pass (see allFramesOnePass), below it through the CLI. */
const ONE_PASS_PACKETS = 5000;

describe.skipIf(!hasTshark)('display filters select the frames tshark selects', () => {
  it('the table has at least 30 filters, each accepted by tshark', async () => {
    expect(FILTERS.length).toBeGreaterThanOrEqual(30);
    const t = await tsharkFilterFrames(files[0] as string, FILTERS);
    expect(FILTERS.filter((_, i) => t[i] === null)).toEqual([]);
  });

  it('the Lua listeners give what tshark -Y gives', async () => {
    const sample = files.filter((f) => /two-paths|speedtest|client_2/.test(f));
    for (const file of sample) {
      const all = await tsharkFilterFrames(file, FILTERS);
      for (const y of CROSS_CHECK) {
        const out = execFileSync(tsharkPath ?? 'tshark', ['-r', file, '-Y', y, '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
        expect(all[FILTERS.indexOf(y)], `${shortName(file)} ${y}`).toEqual(out.split('\n').filter((l) => l !== '').map(Number));
      }
    }
  }, 60_000);

  it.each(files.map((f) => [shortName(f), f]))('%s', async (_name, file) => {
    const expected = await tsharkFilterFrames(file, FILTERS);
    const { frames, differing } = await fieldDifferences(file, usedFields);
    const got = frames > ONE_PASS_PACKETS ? await allFramesOnePass(file) : await pool(FILTERS, 1, (y) => mpcapFrames(file, y));
    if (!MAY_DIFFER.test(file)) expect([...differing.keys()], 'field values differ from tshark\'s').toEqual([]);
    const diffs: string[] = [];
    FILTERS.forEach((y, i) => {
      const reads = filterFields[i] as string[];
      const comparable = (n: number): boolean => !reads.some((f) => differing.get(n)?.has(f));
      const e = (expected[i] ?? []).filter(comparable);
      const g = (got[i] as number[]).filter(comparable);
      if (e.join() !== g.join()) {
        const missing = e.filter((n) => !g.includes(n)).slice(0, 5);
        const extra = g.filter((n) => !e.includes(n)).slice(0, 5);
        diffs.push(`${y}: tshark ${e.length} frames, mpcap ${g.length}; only tshark: ${missing.join(',')}; only mpcap: ${extra.join(',')}`);
      }
    });
    expect(diffs).toEqual([]);
    // the table must test something: across the whole table, frames are both kept and dropped
    if (expected.some((e) => e !== null && e.length > 0)) expect(got.some((g) => g.length > 0)).toBe(true);
  }, 60_000);
});
