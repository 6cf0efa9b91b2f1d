/**
 * `mpcap compare` on the committed pair (fixtures/compare, made by scripts/make-compare-fixtures.sh:
 * both ends of one kernel connection, path 1 lossy, path 2 a 10 ms delay line with source NAT).
 * Exact expected matches, the sidecar's drop counter and NAT address, --offset, duplicates
 * (every packet of one side captured twice), and the CSV files.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import Ajv2020 from 'ajv/dist/2020.js';
import { afterAll, describe, expect, it } from 'vitest';
import { compareCaptures } from '../src/compare/run.ts';
import type { CompareResult } from '../src/compare/model.ts';
import { repoRoot, hasTshark } from './helpers/corpus.ts';
import { runMain } from './helpers/cli.ts';
import { collectDelays, independentMatch, independentReinjections } from './helpers/two-captures.ts';

const dir = path.join(repoRoot, 'fixtures', 'compare');
const client = path.join(dir, 'client.pcap.gz');
const server = path.join(dir, 'server.pcap.gz');
const side = JSON.parse(readFileSync(path.join(dir, 'server.json'), 'utf8')) as { path_list: Array<{ wire_dropped_packets: number; nat_client_address: string | null }> };
const tmp = mkdtempSync(path.join(tmpdir(), 'mpcap-cmpfix-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function summary(r: CompareResult): unknown {
  return r.connections.map((c) => ({
    conn: [c.connectionA, c.connectionB, c.matchedBy, c.clientSide],
    subflows: c.subflows.map((s) => ({
      streams: [s.tcpStreamA, s.tcpStreamB, s.matchedBy, s.nat, s.tupleA?.client, s.tupleB?.client],
      dirs: s.directions.map((d) => [d.direction, d.senderSide, d.sent, d.received, d.lost, d.reordered, d.delay.minUs, d.delay.medianUs, d.delay.maxUs]),
    })),
    data: c.data.map((d) => [d.direction, d.senderSide, d.bytesMeasured, d.delay.minUs, d.delay.medianUs, d.delay.maxUs, d.reinjections, d.useful, d.wasted]),
  }));
}

const EXPECTED = [
  {
    conn: [0, 0, 'keys', 'A'],
    subflows: [
      {
        streams: [0, 0, 'key+isn', false, '10.0.1.1:43750', '10.0.1.1:43750'],
        dirs: [
          ['c2s', 'A', 283, 275, 8, 0, 3, 33, 134],
          ['s2c', 'B', 259, 259, 0, 0, 2, 21, 114],
        ],
      },
      {
        streams: [1, 1, 'token+isn', true, '10.0.2.1:42725', '10.0.2.101:42725'],
        dirs: [
          ['c2s', 'A', 103, 103, 0, 0, 10038, 10178, 23364],
          ['s2c', 'B', 103, 103, 0, 0, 10106, 10139, 26059],
        ],
      },
    ],
    data: [
      ['c2s', 'A', 400000, 5, 4851, 304201, 77, 13, 64],
      ['s2c', 'B', 10, 3, 3, 3, 0, 0, 0],
    ],
  },
];

describe('compare: the committed pair', () => {
  it('matches exactly what is expected', async () => {
    const { result } = await compareCaptures(client, server);
    expect(summary(result)).toEqual(EXPECTED);
    // what the wire did (the scenario's sidecar)
    const sf = result.connections[0]!.subflows;
    expect(sf[0]!.directions[0]!.lost).toBe(side.path_list[0]!.wire_dropped_packets);
    expect(sf[1]!.tupleB!.client.startsWith(`${side.path_list[1]!.nat_client_address}:`)).toBe(true);
    // every reinjection's verdict follows from its copies' arrivals
    for (const r of result.connections[0]!.data[0]!.reinjectionList) {
      expect(r.originalSubflow).not.toBe(r.reinjectionSubflow);
      const first = r.originalArrival === null ? 'reinjection' : r.reinjectionArrival === null || r.originalArrival <= r.reinjectionArrival ? 'original' : 'reinjection';
      expect(r.firstArrived).toBe(first);
      expect(r.verdict).toBe(first === 'original' ? 'wasted' : 'useful');
    }
  });

  it.skipIf(!hasTshark)('every delay agrees with the independent matching', async () => {
    const a = path.join(tmp, 'client.pcap');
    const b = path.join(tmp, 'server.pcap');
    writeFileSync(a, gunzipSync(readFileSync(client)));
    writeFileSync(b, gunzipSync(readFileSync(server)));
    const col = collectDelays();
    const { result } = await compareCaptures(a, b, { sink: col.sink });
    const ind = independentMatch(a, b, 'A');
    expect(col.delays.size).toBe(ind.delays.size);
    for (const [k, v] of ind.delays) expect(col.delays.get(k), k).toBe(v);
    // each reinjection, which copy arrived first and the verdict, from tshark's DSNs
    const reinj = independentReinjections(a, ind);
    const ours = new Map(result.connections[0]!.data[0]!.reinjectionList.map((r) => [`${r.reinjectionSubflow}|${r.dsn}`, { verdict: r.verdict, first: r.firstArrived }]));
    expect(reinj.size).toBe(77);
    expect(ours.size).toBe(result.connections[0]!.data[0]!.reinjections);
    expect([...ours.entries()].sort()).toEqual([...reinj.entries()].sort());
  });

  it('--offset shifts each direction by the offset, and says so', async () => {
    const base = (await compareCaptures(client, server)).result;
    const shifted = (await compareCaptures(client, server, { offsetNs: 5_000_000 })).result;
    expect(shifted.clock.note).toContain('5000 µs ahead');
    const d0 = base.connections[0]!.subflows[1]!.directions;
    const d1 = shifted.connections[0]!.subflows[1]!.directions;
    expect(d1[0]!.delay.minUs).toBe(d0[0]!.delay.minUs! - 5000); // A -> B: B's clock read 5 ms early
    expect(d1[1]!.delay.minUs).toBe(d0[1]!.delay.minUs! + 5000);
    expect(d1.map((d) => d.matched)).toEqual(d0.map((d) => d.matched));
  });

  it('--relative aligns clocks an hour apart on a common SYN (absolute delays then show the hour)', async () => {
    const late = path.join(tmp, 'server-late.pcap');
    writeFileSync(late, shifted(gunzipSync(readFileSync(server)), 3600));
    const base = (await compareCaptures(client, server, { relative: true })).result;
    const far = (await compareCaptures(client, late, { relative: true })).result;
    expect(far.clock.note).toContain('aligned for matching on the SYN');
    expect(far.clock.offsetUs).toBeGreaterThan(3600e6);
    expect(summary(far)).toEqual(summary(base));
    // absolute, no --offset: this small pair fits in one read, so it still matches, an hour late
    const absolute = (await compareCaptures(client, late)).result;
    const c2s = absolute.connections[0]!.subflows[0]!.directions[0]!;
    expect(c2s.delay.minUs).toBe(base.connections[0]!.subflows[0]!.directions[0]!.delay.count > 0 ? 3600e6 + 3 : null);
  });

  it('packets captured twice on one side are recognised, not counted', async () => {
    const twice = path.join(tmp, 'client-twice.pcap');
    writeFileSync(twice, doubled(gunzipSync(readFileSync(client))));
    const base = (await compareCaptures(client, server)).result;
    const { result } = await compareCaptures(twice, server);
    expect(summary(result)).toEqual(summary(base));
    const dirs = result.connections[0]!.subflows.flatMap((s) => s.directions);
    // A is the sender of c2s and the receiver of s2c: every one of its packets has a second copy
    expect(dirs.reduce((n, d) => n + (d.senderSide === 'A' ? d.duplicatesSender + 0 : d.duplicatesReceiver), 0)).toBe(dirs.reduce((n, d) => n + (d.senderSide === 'A' ? d.sent : d.received), 0));
  });

  it('CLI: --csv writes the tables and packets.csv; --json follows the schema fields', async () => {
    const out = path.join(tmp, 'csv');
    const svg = path.join(tmp, 'delay.svg');
    const r = await runMain(['compare', '--csv', out, '--svg', svg, '--json', client, server]);
    // one line per path and direction, the clock said in the title
    const drawn = readFileSync(svg, 'utf8');
    expect(drawn.match(/<polyline/g)).toHaveLength(4);
    expect(drawn).toContain('absolute delays');
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as CompareResult;
    expect(j.clock.mode).toBe('absolute');
    const ajv = new Ajv2020.default({ strict: false, allErrors: true });
    const validate = ajv.compile(JSON.parse(readFileSync(path.join(repoRoot, 'schema', 'compare.schema.json'), 'utf8')) as object);
    expect(validate(j), JSON.stringify(validate.errors?.slice(0, 3))).toBe(true);
    const rel = await runMain(['compare', '--relative', '--json', client, server]);
    expect(validate(JSON.parse(rel.stdout)), JSON.stringify(validate.errors?.slice(0, 3))).toBe(true);
    const packets = readFileSync(path.join(out, 'packets.csv'), 'utf8').trimEnd().split('\n');
    const rows = packets.slice(1).map((l) => l.split(','));
    expect(rows.filter((x) => x[4] === 'delivered')).toHaveLength(275 + 259 + 103 + 103);
    expect(rows.filter((x) => x[4] === 'lost')).toHaveLength(8);
    // each delivered row's delay is its two timestamps' difference
    for (const x of rows.filter((y) => y[4] === 'delivered')) {
      const ns = (t: string): bigint => BigInt(t.replace('.', ''));
      const d = Number(ns(x[9]!) - ns(x[8]!));
      expect(Math.round(d / 1000)).toBe(Number(x[10]));
    }
    const missing = await runMain(['compare', path.join(tmp, 'nope.pcap'), server]);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/^mpcap: cannot open .*nope\.pcap/);
    const both = await runMain(['compare', '-', '-']);
    expect(both.code).toBe(2);
    const sub = readFileSync(path.join(out, 'subflows.csv'), 'utf8');
    expect(sub.split('\n')[0]).toContain('delay_median_us');
    expect(sub).toContain('token+isn,true,10.0.2.1:42725');
  });
});

/** A classic pcap with every timestamp `sec` seconds later (another clock). */
function shifted(pcap: Buffer, sec: number): Buffer {
  const le = pcap.readUInt32LE(0) === 0xa1b2c3d4 || pcap.readUInt32LE(0) === 0xa1b23c4d;
  const out = Buffer.from(pcap);
  let o = 24;
  while (o + 16 <= out.length) {
    const incl = le ? out.readUInt32LE(o + 8) : out.readUInt32BE(o + 8);
    if (le) out.writeUInt32LE(out.readUInt32LE(o) + sec, o);
    else out.writeUInt32BE(out.readUInt32BE(o) + sec, o);
    o += 16 + incl;
  }
  return out;
}

/** A classic pcap with every record written twice, the copy 1 µs later (as `-i any` may see it). */
function doubled(pcap: Buffer): Buffer {
  const le = pcap.readUInt32LE(0) === 0xa1b2c3d4 || pcap.readUInt32LE(0) === 0xa1b23c4d;
  const nano = pcap.readUInt32LE(0) === 0xa1b23c4d || pcap.readUInt32BE(0) === 0xa1b23c4d;
  const u32 = (o: number): number => (le ? pcap.readUInt32LE(o) : pcap.readUInt32BE(o));
  const parts: Buffer[] = [pcap.subarray(0, 24)];
  let o = 24;
  while (o + 16 <= pcap.length) {
    const incl = u32(o + 8);
    const rec = pcap.subarray(o, o + 16 + incl);
    parts.push(rec);
    const copy = Buffer.from(rec);
    const frac = Math.min(u32(o + 4) + (nano ? 1000 : 1), nano ? 999_999_999 : 999_999);
    if (le) copy.writeUInt32LE(frac, 4);
    else copy.writeUInt32BE(frac, 4);
    parts.push(copy);
    o += 16 + incl;
  }
  return Buffer.concat(parts);
}
