/**
 * `mpcap analyze`: the JSON report against its schema, the subflow → connection grouping and the
 * tokens against tshark, HMAC verdicts on real kernel captures and on copies with one bit flipped,
 * and what the report says about the corpus's crafted negative tests and the fixtures.
 */
import { beforeAll, afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import Ajv2020 from 'ajv/dist/2020.js';
import { analyzeCapture, analyzeFile } from '../src/cli/analyze.ts';
import type { ConnectionJson } from '../src/analysis/report.ts';
import { runMain, TextSink } from './helpers/cli.ts';
import {
  corpusDir, corpusFile, corpusFiles, craftedDir, craftedPcaps, findMptcpOptions, fixturePcaps, hasCorpus, hasTshark, pcapsDir,
  pool, repoRoot, shortName, TSHARK_FIELDS, tsharkTable, type FoundOption,
} from './helpers/corpus.ts';

// ------------------------------------------------------------------ report shape (what the tests read)

interface Side { key: string | null; token: number | null; idsn: string | null; address?: string }
interface Join { token: number; synAckHmacValid: boolean | null; ackHmacValid: boolean | null }
interface SubflowEnd { how: string; reason: number | null }
interface Subflow { tcpStream: number; kind: string; hmacValid: boolean | null; join: Join | null; end: SubflowEnd }
interface Address { addrId: number; address: string; announcedBy: string; hmacValid: boolean | null; echoed: boolean }
interface Problem { frame: number; kind: string; message: string }
interface Connection {
  index: number; version: 0 | 1 | null; client: Side; server: Side; fallback: boolean; subflowCount: number;
  subflows: Subflow[]; addresses: Address[]; end: { how: string; detail: string }; problems: Problem[];
}
interface Report { connections: Connection[]; summary: { connections: number; subflows: number } }

// ajv is CommonJS: under NodeNext its default import is module.exports, whose `default` is the class
// (at run time the import is the class itself too, and it also has `default`).
const ajv = new Ajv2020.default({ strict: false, allErrors: true });
const validate = ajv.compile(JSON.parse(readFileSync(path.join(repoRoot, 'schema', 'report.schema.json'), 'utf8')) as object);

const reports = new Map<string, { code: number; stderr: string; json: unknown }>();

/** `mpcap analyze --json FILE`, in-process, once per file. */
async function analyzeJson(file: string): Promise<{ code: number; stderr: string; json: unknown }> {
  const have = reports.get(file);
  if (have) return have;
  const r = await runMain(['analyze', '--json', file]);
  const got = { code: r.code, stderr: r.stderr, json: r.code === 0 ? (JSON.parse(r.stdout) as unknown) : null };
  reports.set(file, got);
  return got;
}

async function report(file: string): Promise<Report> {
  const r = await analyzeJson(file);
  expect(r.code, `${shortName(file)}: ${r.stderr}`).toBe(0);
  return r.json as Report;
}

const fixtures = fixturePcaps();
const crafted = craftedPcaps();
const corpus = corpusFiles();
const fx = (name: string): string => path.join(pcapsDir, name);
const THREE_PATHS = fx('three-paths-signal.pcap');

let tmp = '';
beforeAll(() => {
  tmp = mkdtempSync(path.join(tmpdir(), 'mpcap-analyze-'));
});
afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

// ------------------------------------------------------------------ schema

describe('analyze --json validates against schema/report.schema.json', () => {
  function check(json: unknown, name: string): void {
    const ok = validate(json);
    expect(ok, `${name}: ${ajv.errorsText(validate.errors, { separator: '\n' })}`).toBe(true);
  }

  it.each([...fixtures, ...crafted].map((f) => [shortName(f), f]))('%s', async (_n, file) => {
    const r = await analyzeJson(file);
    expect(r.code, r.stderr).toBe(0);
    check(r.json, shortName(file));
  });

  describe.skipIf(!hasCorpus)(`public corpus${hasCorpus ? '' : ` (skipped: not found at ${corpusDir})`}`, () => {
    it.each(corpus.map((f) => [shortName(f), f]))('%s', async (_n, file) => {
      const r = await analyzeJson(file);
      expect(r.code, r.stderr).toBe(0);
      check(r.json, shortName(file));
    });
  });
});

// ------------------------------------------------------------------ grouping and tokens vs tshark

const COL_TCP_STREAM = TSHARK_FIELDS.indexOf('tcp.stream');
const COL_MPTCP_STREAM = TSHARK_FIELDS.indexOf('mptcp.stream');
const COL_TOKEN = TSHARK_FIELDS.indexOf('mptcp.expected_token');
const COL_RECVTOK = TSHARK_FIELDS.indexOf('tcp.options.mptcp.recvtok');
const COL_SENDKEY = TSHARK_FIELDS.indexOf('tcp.options.mptcp.sendkey');
const COL_RECVKEY = TSHARK_FIELDS.indexOf('tcp.options.mptcp.recvkey');

interface TsharkGrouping {
  /** tcp.stream → the mptcp.stream values tshark printed on it */
  byTcp: Map<number, Set<number>>;
  /** mptcp.stream → every expected_token / recvtok value printed on its packets */
  tokens: Map<number, Set<number>>;
  recvtoks: Map<number, Set<number>>;
  /** mptcp.stream → keys seen as sendkey / only as recvkey (MP_CAPABLE) */
  sendkeys: Map<number, Set<string>>;
  recvkeys: Map<number, Set<string>>;
}

/** RFC 6824/8684: the token is the most significant 32 bits of SHA-1 (v0) / SHA-256 (v1) of the key. */
function tokenOf(key: string, version: 0 | 1): number {
  const k = Buffer.alloc(8);
  k.writeBigUInt64BE(BigInt(key));
  return createHash(version === 0 ? 'sha1' : 'sha256').update(k).digest().readUInt32BE(0);
}

async function tsharkGrouping(file: string): Promise<TsharkGrouping> {
  const rows = await tsharkTable(file);
  const g: TsharkGrouping = { byTcp: new Map(), tokens: new Map(), recvtoks: new Map(), sendkeys: new Map(), recvkeys: new Map() };
  const add = <T>(m: Map<number, Set<T>>, k: number, v: T): void => {
    let s = m.get(k);
    if (!s) m.set(k, (s = new Set()));
    s.add(v);
  };
  for (const row of rows) {
    const ms = row[COL_MPTCP_STREAM] ?? '';
    const ts = row[COL_TCP_STREAM] ?? '';
    if (ms === '' || ts === '') continue;
    add(g.byTcp, Number(ts), Number(ms));
    for (const t of (row[COL_TOKEN] ?? '').split(',').filter(Boolean)) add(g.tokens, Number(ms), Number(t));
    for (const t of (row[COL_RECVTOK] ?? '').split(',').filter(Boolean)) add(g.recvtoks, Number(ms), Number(t));
    for (const k of (row[COL_SENDKEY] ?? '').split(',').filter(Boolean)) add(g.sendkeys, Number(ms), k);
    for (const k of (row[COL_RECVKEY] ?? '').split(',').filter(Boolean)) add(g.recvkeys, Number(ms), k);
  }
  return g;
}

/**
 * options.pcap frame 37 holds a malformed DSS and then a valid one: tshark stops at the first, so
 * the subflow of that frame is left out of the comparison (see tshark-compat.test.ts (b)).
 */
const SKIP_FRAMES = new Map<string, readonly number[]>([[path.join(craftedDir, 'options.pcap'), [37]]]);
const COL_FRAME = TSHARK_FIELDS.indexOf('frame.number');

describe.skipIf(!hasTshark)(`subflows grouped into connections as tshark does${hasTshark ? '' : ' (skipped: tshark is not installed)'}`, () => {
  const files = [...fixtures, ...crafted, ...corpus];
  beforeAll(async () => {
    // Warm both caches in parallel: tshark tables (shared with tshark-compat) and the reports.
    await pool(files, 3, (f) => tsharkTable(f));
    await pool(files, 2, (f) => analyzeJson(f));
  }, 180_000);

  it.each(files.map((f) => [shortName(f), f]))('%s', async (_n, file) => {
    const g = await tsharkGrouping(file);
    const rep = await report(file);
    const skipFrames = SKIP_FRAMES.get(file) ?? [];
    const skipStreams = new Set((await tsharkTable(file)).filter((r) => skipFrames.includes(Number(r[COL_FRAME]))).map((r) => Number(r[COL_TCP_STREAM])));
    const ours = new Map<number, number>();
    for (const c of rep.connections) for (const s of c.subflows) {
      expect(ours.has(s.tcpStream), `tcp.stream ${s.tcpStream} is in two connections`).toBe(false);
      // a connection opened by nothing but a malformed option: tshark numbers it too but never
      // prints that number (the packet's dissection stops), so it cannot be seen in its output
      const onlyMalformed = c.problems.some((p) => p.kind === 'malformed-option') && !g.byTcp.has(s.tcpStream);
      if (!skipStreams.has(s.tcpStream) && !onlyMalformed) ours.set(s.tcpStream, c.index);
    }
    const theirs = new Map<number, number>();
    for (const [tcp, set] of g.byTcp) {
      if (skipStreams.has(tcp)) continue;
      expect(set.size, `tshark puts tcp.stream ${tcp} in several mptcp.streams: ${[...set]}`).toBe(1);
      theirs.set(tcp, [...set][0] as number);
    }
    const sorted = (m: Map<number, number>): Array<[number, number]> => [...m].sort((a, b) => a[0] - b[0]);
    expect(sorted(ours)).toEqual(sorted(theirs));

    // Tokens: a connection whose keys were captured has the tokens tshark derived from them
    // (mptcp.expected_token on its packets); a join-only connection the token its joins named.
    // tshark prints expected_token only for a key its owner sent: a key seen only as the
    // receiver's key of an MP_CAPABLE (options.pcap #14, a lone third ACK) is hashed here instead.
    for (const c of rep.connections) {
      const tsIdx = c.index;
      for (const side of ['client', 'server'] as const) {
        const s = c[side];
        if (s.token === null) continue;
        const what = `${shortName(file)} connection ${c.index} ${side} token`;
        if (s.key === null) {
          expect([...(g.recvtoks.get(tsIdx) ?? [])], what).toContain(s.token);
        } else if (!g.sendkeys.get(tsIdx)?.has(s.key) && g.recvkeys.get(tsIdx)?.has(s.key) && c.version !== null) {
          expect(s.token, what).toBe(tokenOf(s.key, c.version));
        } else {
          expect([...(g.tokens.get(tsIdx) ?? [])], what).toContain(s.token);
        }
      }
    }
  });
});

// ------------------------------------------------------------------ HMACs on the real kernel captures

describe('HMAC verdicts on the real kernel captures', () => {
  it.each(fixtures.map((f) => [shortName(f), f]))('%s: every join and every ADD_ADDR with an HMAC verifies', async (_n, file) => {
    const rep = await report(file);
    const buf = readFileSync(file);
    const joins = rep.connections.flatMap((c) => c.subflows.filter((s) => s.kind === 'join'));
    for (const s of joins) {
      expect(s.hmacValid, `tcp.stream ${s.tcpStream}`).toBe(true);
      expect(s.join?.synAckHmacValid, `tcp.stream ${s.tcpStream} SYN/ACK`).toBe(true);
      expect(s.join?.ackHmacValid, `tcp.stream ${s.tcpStream} third ACK`).toBe(true);
    }
    // Every join in the file (a SYN carrying a 12-byte MP_JOIN, per 4-tuple) is one of those subflows.
    const joinSyns = findMptcpOptions(buf, (o) => o[1] === 12 && (o[2] ?? 0) >> 4 === 1);
    expect(joins.length).toBeGreaterThan(0);
    expect(joins.length).toBe(new Set(joinSyns.map((h) => `${h.srcPort}/${h.dstPort}`)).size);

    // v1 ADD_ADDR with HMAC: E bit clear, length 16/18 (IPv4) or 28/30 (IPv6).
    const withHmac = findMptcpOptions(buf, (o) => (o[2] ?? 0) === 0x30 && [16, 18, 28, 30].includes(o[1] ?? 0));
    const addrs = rep.connections.flatMap((c) => c.addresses);
    for (const a of withHmac) {
      const id = a.bytes[3] as number;
      const found = addrs.find((x) => x.addrId === id);
      expect(found, `ADD_ADDR id ${id} (frame ${a.frame})`).toBeDefined();
      expect(found?.hmacValid, `ADD_ADDR id ${id} (frame ${a.frame})`).toBe(true);
    }
  });

  it('three-paths-signal and ipv6 do have ADD_ADDRs with an HMAC (so the loop above checks some)', () => {
    for (const f of [THREE_PATHS, fx('ipv6.pcap')]) {
      expect(findMptcpOptions(readFileSync(f), (o) => (o[2] ?? 0) === 0x30 && [16, 28].includes(o[1] ?? 0)).length, shortName(f)).toBeGreaterThan(0);
    }
  });
});

// ------------------------------------------------------------------ one bit flipped

describe('one flipped bit in an HMAC is detected (three-paths-signal.pcap)', () => {
  const original = readFileSync(THREE_PATHS);

  /** A copy of the capture with bit 0 of one byte of the option `hit` flipped. */
  function flipped(name: string, hit: FoundOption, byteInOption: number): string {
    const copy = Buffer.from(original);
    const at = hit.fileOffset + byteInOption;
    copy[at] = (copy[at] as number) ^ 0x01;
    const p = path.join(tmp, name);
    writeFileSync(p, copy);
    return p;
  }

  /** The subflow (in the flipped copy's report) whose ports are those of the frame that was hit. */
  async function subflowOf(rep: Report, hit: FoundOption): Promise<Subflow> {
    const p = { src: hit.srcPort, dst: hit.dstPort };
    const raw = (await analyzeJson(THREE_PATHS)).json as { connections: Array<{ subflows: Array<Subflow & { client: { port: number }; server: { port: number } }> }> };
    const all = raw.connections.flatMap((c) => c.subflows);
    const matches = all.filter((s) => (s.client.port === p.src && s.server.port === p.dst) || (s.client.port === p.dst && s.server.port === p.src));
    const match = matches[0];
    if (!match || matches.length !== 1) throw new Error(`${matches.length} subflows with ports ${p.src}/${p.dst}`);
    const mine = rep.connections.flatMap((c) => c.subflows).find((s) => s.tcpStream === match.tcpStream);
    if (!mine) throw new Error(`tcp.stream ${match.tcpStream} missing from the flipped report`);
    return mine;
  }

  it('baseline: all 4 joins verify', async () => {
    const rep = await report(THREE_PATHS);
    const joins = rep.connections[0]?.subflows.filter((s) => s.kind === 'join') ?? [];
    expect(joins).toHaveLength(4);
    expect(joins.every((s) => s.hmacValid === true)).toBe(true);
  });

  it('in a join SYN/ACK truncated HMAC (1e 10 1x): that subflow is hmacValid false, the others true', async () => {
    const hits = findMptcpOptions(original, (o) => o[1] === 0x10 && ((o[2] ?? 0) & 0xf0) === 0x10);
    expect(hits.length).toBe(4);
    const hit = hits[1] as FoundOption;
    const file = flipped('synack.pcap', hit, 4 + 3); // truncated HMAC: option bytes 4..11
    const rep = await report(file);
    const target = await subflowOf(rep, hit);
    expect(target.hmacValid).toBe(false);
    expect(target.join?.synAckHmacValid).toBe(false);
    const others = rep.connections.flatMap((c) => c.subflows).filter((s) => s.kind === 'join' && s.tcpStream !== target.tcpStream);
    expect(others).toHaveLength(3);
    for (const s of others) expect(s.hmacValid, `tcp.stream ${s.tcpStream}`).toBe(true);
    expect(rep.connections[0]?.problems.map((p) => p.kind)).toContain('join-hmac-invalid');
  });

  it('in a third-ACK HMAC (1e 18 10): that subflow is hmacValid false, the others true', async () => {
    const hits = findMptcpOptions(original, (o) => o[1] === 0x18 && (o[2] ?? 0) === 0x10);
    expect(hits.length).toBe(4);
    const hit = hits[2] as FoundOption;
    const file = flipped('third-ack.pcap', hit, 4 + 19); // HMAC: option bytes 4..23
    const rep = await report(file);
    const target = await subflowOf(rep, hit);
    expect(target.hmacValid).toBe(false);
    expect(target.join?.ackHmacValid).toBe(false);
    expect(target.join?.synAckHmacValid).toBe(true);
    const others = rep.connections.flatMap((c) => c.subflows).filter((s) => s.kind === 'join' && s.tcpStream !== target.tcpStream);
    expect(others).toHaveLength(3);
    for (const s of others) expect(s.hmacValid, `tcp.stream ${s.tcpStream}`).toBe(true);
  });

  it('in an ADD_ADDR HMAC (1e 10 30, IPv4): that address is hmacValid false, with an add-addr-hmac-invalid problem', async () => {
    const hits = findMptcpOptions(original, (o) => o[1] === 0x10 && (o[2] ?? 0) === 0x30);
    expect(hits.length).toBeGreaterThanOrEqual(2);
    const hit = hits[0] as FoundOption;
    const addrId = hit.bytes[3] as number;
    const address = Array.from(hit.bytes.subarray(4, 8)).join('.');
    const file = flipped('add-addr.pcap', hit, 8 + 7); // HMAC: option bytes 8..15
    const rep = await report(file);
    const conn = rep.connections[0] as Connection;
    const bad = conn.addresses.find((a) => a.addrId === addrId);
    expect(bad?.address).toBe(address);
    expect(bad?.hmacValid).toBe(false);
    const others = conn.addresses.filter((a) => a.addrId !== addrId);
    expect(others.length).toBeGreaterThan(0);
    for (const a of others) expect(a.hmacValid, a.address).toBe(true);
    const problem = conn.problems.find((p) => p.kind === 'add-addr-hmac-invalid');
    expect(problem, JSON.stringify(conn.problems)).toBeDefined();
    expect(problem?.frame).toBe(hit.frame);
    // The joins are untouched.
    for (const s of conn.subflows.filter((x) => x.kind === 'join')) expect(s.hmacValid).toBe(true);
  });
});

// ------------------------------------------------------------------ the corpus's crafted negative tests

describe.skipIf(!hasCorpus)(`corpus crafted captures${hasCorpus ? '' : ` (skipped: corpus not found at ${corpusDir})`}`, () => {
  const kinds = (rep: Report): string[] => rep.connections.flatMap((c) => c.problems.map((p) => p.kind));

  it('dpi-mptcp/mod_tok.pcap: a join to a token nobody announced is unknown-token', async () => {
    const rep = await report(corpusFile('dpi-mptcp/mod_tok.pcap'));
    const c = rep.connections.find((x) => x.problems.some((p) => p.kind === 'unknown-token'));
    expect(c, JSON.stringify(kinds(rep))).toBeDefined();
    expect(c?.problems.find((p) => p.kind === 'unknown-token')?.frame).toBe(4);
  });

  it('dpi-mptcp/mp_key_change.pcap: keys that change in the third ACK are echoed-key-mismatch', async () => {
    const rep = await report(corpusFile('dpi-mptcp/mp_key_change.pcap'));
    expect(kinds(rep)).toContain('echoed-key-mismatch');
  });

  it('dpi-mptcp/wrongAdd_Addr.pcap: two addresses with one ID are duplicate-address-id', async () => {
    const rep = await report(corpusFile('dpi-mptcp/wrongAdd_Addr.pcap'));
    expect(kinds(rep)).toContain('duplicate-address-id');
  });

  it('dpi-mptcp/mp_rejected.pcap: an MP_CAPABLE SYN answered by plain TCP is a fallback', async () => {
    const rep = await report(corpusFile('dpi-mptcp/mp_rejected.pcap'));
    expect(rep.connections).toHaveLength(1);
    expect(rep.connections[0]?.fallback).toBe(true);
  });

  it('dpi-mptcp/flood.pcap: 1 connection, 9,295 subflows, join-flood, analysed in well under a second of CPU', async () => {
    const file = corpusFile('dpi-mptcp/flood.pcap');
    const rep = await report(file);
    expect(rep.connections).toHaveLength(1);
    expect(rep.connections[0]?.subflowCount).toBe(9295);
    expect(rep.connections[0]?.subflows).toHaveLength(9295);
    expect(kinds(rep)).toContain('join-flood');

    // Warm once (module and JIT), then measure the analysis of the whole file in-process.
    const io = { stdin: Readable.from([]), stderr: new TextSink() };
    await analyzeFile(file, io);
    const before = process.cpuUsage();
    const run = await analyzeFile(file, io);
    const used = process.cpuUsage(before);
    const ms = (used.user + used.system) / 1000;
    expect(run.report.connections[0]?.subflows).toHaveLength(9295);
    expect(ms, `analysis of flood.pcap took ${ms.toFixed(0)} ms of CPU`).toBeLessThan(1000);
  });
});

// ------------------------------------------------------------------ fixtures

describe('the tables build no time series', () => {
  // The tables show none; on a long capture they were 20,000 [t, v] pairs a series, made twice
  // (one pass for the connection table, one for the details): +16 MB of peak RSS on a 5 GB capture.
  it('connections(only, false, false) is the report with every series left empty, on every fixture', async () => {
    let pointsLeftOut = 0;
    for (const file of fixturePcaps()) {
      const run = await analyzeCapture(file, { stdin: Readable.from([]), stderr: new TextSink() }, Infinity, null);
      const parts = run.analysis.parts(run.name, run.summary, 'test');
      const full = [...parts.connections()];
      const bare = [...parts.connections(undefined, false, false)];
      expect(bare.length, file).toBe(full.length);
      for (let i = 0; i < full.length; i++) {
        const f = full[i] as ConnectionJson;
        pointsLeftOut += f.series.cumulativeBytes.c2s.length + f.series.cumulativeBytes.s2c.length;
        f.series.cumulativeBytes = { c2s: [], s2c: [] };
        for (const s of f.subflows) {
          pointsLeftOut += s.series.cumulativeBytes.length + s.series.rttUs.length;
          s.series = { cumulativeBytes: [], rttUs: [] };
        }
        expect(bare[i], file).toEqual(f);
      }
      run.analysis.close();
    }
    expect(pointsLeftOut).toBeGreaterThan(100);
  });
});

describe('what the report says about the fixtures', () => {
  it('fastclose.pcap: the connection ends by MP_FASTCLOSE, and a subflow by MP_TCPRST', async () => {
    const rep = await report(fx('fastclose.pcap'));
    expect(rep.connections).toHaveLength(1);
    const c = rep.connections[0] as Connection;
    expect(c.end.how).toBe('MP_FASTCLOSE');
    const rst = c.subflows.filter((s) => s.end.how === 'MP_TCPRST');
    expect(rst.length).toBeGreaterThanOrEqual(1);
    expect(rst[0]?.end.reason).toBe(0);
  });

  it('three-paths-signal.pcap: 5 subflows, 2 addresses announced by the server and echoed', async () => {
    const rep = await report(THREE_PATHS);
    expect(rep.connections).toHaveLength(1);
    const c = rep.connections[0] as Connection;
    expect(c.version).toBe(1);
    expect(c.subflows).toHaveLength(5);
    expect(c.subflows.filter((s) => s.kind === 'initial')).toHaveLength(1);
    expect(c.subflows.filter((s) => s.kind === 'join')).toHaveLength(4);
    const byServer = c.addresses.filter((a) => a.announcedBy === 'server');
    expect(byServer.map((a) => a.address).sort()).toEqual(['10.0.2.2', '10.0.3.2']);
    for (const a of byServer) {
      expect(a.echoed, a.address).toBe(true);
      expect(a.hmacValid, a.address).toBe(true);
    }
  });

  it('the sidecar JSON and the report agree on the client', async () => {
    const side = JSON.parse(readFileSync(fx('three-paths-signal.json'), 'utf8')) as { client: { address: string; port: number }; server_port: number };
    const rep = (await analyzeJson(THREE_PATHS)).json as { connections: Array<{ client: { address: string; port: number }; server: { port: number } }> };
    expect(rep.connections[0]?.client.address).toBe(side.client.address);
    expect(rep.connections[0]?.client.port).toBe(side.client.port);
    expect(rep.connections[0]?.server.port).toBe(side.server_port);
  });
});
