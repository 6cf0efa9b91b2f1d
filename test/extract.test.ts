import { runMain } from './helpers/cli.ts';
/**
 * `mpcap extract` and the data-level part of `mpcap analyze` on a crafted capture whose every
 * byte is known: a v1 connection (MP_CAPABLE keys → IDSN), a join subflow, data on both
 * subflows, a reinjection, a TCP retransmission, 32-bit DSNs across the 2^32 wrap, a segment the
 * capture never saw (a hole), DATA_FIN, and the server's reply. Once without and once with DSS
 * checksums (and then with one payload byte changed in the file).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../src/analysis/report.ts';
import { Capture, CraftedSubflow, capableHandshake, dss, patternAtRel, pcapRecordOffsets } from './helpers/craft.ts';
import { CLIENT, KEYS, REPLY, abs, scenario } from './helpers/wrap-scenario.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** `mpcap ARGV...` in-process. */
const mpcap = (...argv: string[]): ReturnType<typeof runMain> => runMain(argv);

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'mpcap-extract-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** The 3000-byte stream with the hole (DSN 2251..2500) zeroed. */
function filled(): Uint8Array {
  const b = patternAtRel(1, 3000);
  b.fill(0, 2250, 2500);
  return b;
}

describe('crafted capture: analyze', () => {
  it('reports delivery, the hole, the reinjection, the retransmission, DATA_FIN and ACK', async () => {
    const s = scenario(false);
    const file = s.cap.write(path.join(dir, 'plain.pcap'));
    const r = await mpcap('analyze', '--json', file);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.connections).toHaveLength(1);
    const conn = report.connections[0]!;
    expect(conn.version).toBe(1);
    expect(conn.client.idsn).toBe(CLIENT.idsn.toString());
    expect(conn.subflows.map((x) => x.tcpStream)).toEqual([0, 1]);
    const c2s = conn.data.c2s;
    expect(c2s.relativeTo).toBe('idsn');
    expect(c2s.deliveredBytes).toBe(2250);
    expect(c2s.holes).toEqual([{ start: 2251, end: 2501, bytes: 250 }]);
    expect(c2s.reinjectedBytes).toBe(500);
    expect(c2s.reinjections).toHaveLength(1);
    expect(c2s.reinjections[0]).toMatchObject({ fromSubflow: 0, toSubflow: 1, bytes: 500, count: 1 });
    expect(c2s.reinjections[0]!.maxDelaySec).toBeCloseTo(s.times.reinject - s.times.second, 6);
    expect(c2s.retransmittedBytes).toBe(250);
    expect(c2s.outOfOrderSegments).toBe(2);
    expect(c2s.outOfOrderBytes).toBe(500);
    expect(c2s.dataFin).toBe(3001);
    expect(c2s.dataAck).toBe(2251);
    expect(c2s.mappings).toBe(5);
    expect(c2s.mappingConflicts).toEqual([]);
    expect(c2s.unmappedBytes).toBe(0);
    expect(conn.dataFin.client?.frame).toBe(s.f.dataFin);
    const s2c = conn.data.s2c;
    expect(s2c.deliveredBytes).toBe(REPLY.length);
    expect(s2c.holes).toEqual([]);
    expect(c2s.checksumsVerified + c2s.checksumFailures + c2s.checksumsUnverifiable).toBe(0);
  });

  it('dissect gives each data packet its relative DSN (mpcap.dsn, and mptcp.dsn from the mappings), across the 32-bit wrap', async () => {
    const s = scenario(false);
    const file = s.cap.write(path.join(dir, 'dsn.pcap'));
    const r = await mpcap('dissect', '-T', 'fields', '-e', 'frame.number', '-e', 'tcp.len', '-e', 'mpcap.dsn', '-e', 'mptcp.dsn', '-e', 'mptcp.rawdsn64', file);
    expect(r.code).toBe(0);
    const rows = r.stdout.trim().split('\n').map((l) => l.split('\t'));
    const withData = rows.filter((x) => Number(x[1]) > 0);
    const dsnOf = new Map(withData.map((x) => [Number(x[0]), x[2]]));
    expect(dsnOf.get(s.f.first)).toBe('1');
    expect(dsnOf.get(s.f.second)).toBe('501');
    expect(dsnOf.get(s.f.reinject)).toBe('501');
    expect(dsnOf.get(s.f.retrans)).toBe('2501');
    expect(dsnOf.get(s.f.reply)).toBe('1');
    const want = ['1', '501', '1001', '1401', '2001', '2501', '2751', '501', '2501', '1'];
    expect(withData.map((x) => x[2])).toEqual(want);
    // the mapping lookup (tshark's field) places every byte where the reassembly does, past the wrap
    // too; as tshark, nothing on a segment without an MPTCP option (no mptcp.stream: frames 8 and 14)
    const bare = [s.f.second, s.f.second + 6];
    expect(withData.map((x) => x[3])).toEqual(want.map((d, i) => (bare.includes(Number(withData[i]?.[0])) ? '' : d)));
    const c2s = withData.filter((x) => Number(x[0]) !== s.f.reply && x[4] !== '');
    expect(c2s.map((x) => BigInt(x[4] as string) - CLIENT.idsn)).toEqual(c2s.map((x) => BigInt(x[2] as string)));
    expect(c2s).toHaveLength(7);
    // -V shows both under "Multipath TCP analysis": tshark's field, then mpcap's
    expect(dsnOf.get(12)).toBe('2001'); // the first segment past the wrap
    const tree = (await mpcap('dissect', '-V', '-Y', 'frame.number == 12', file)).stdout;
    expect(tree).toContain('        [Data Sequence Number (relative): 2001]\n        [Payload DSN in mpcap\'s reassembly (mpcap.dsn): 2001]\n');
    // -Y compares both as 64-bit integers
    const sel = async (f: string): Promise<string> => (await mpcap('dissect', '-Y', f, '-T', 'fields', '-e', 'frame.number', file)).stdout.trim().split('\n').join(' ');
    const late = withData.filter((x) => Number(x[2]) >= 2001 && Number(x[0]) !== s.f.reply).map((x) => x[0]);
    expect(late).toHaveLength(4);
    expect(await sel('mpcap.dsn >= 2001 && tcp.len > 0 && tcp.srcport == 40000')).toBe(late.join(' '));
    expect(await sel('mptcp.dsn >= 2001 && mptcp.dsn < 3001 && tcp.len > 0')).toBe(late.filter((f) => !bare.includes(Number(f))).join(' '));
  });
});

describe('crafted capture: extract', () => {
  let file: string;
  beforeAll(() => {
    file = scenario(false).cap.write(path.join(dir, 'extract.pcap'));
  });

  it('with a hole: writes the bytes before it, names it on stderr, exits 5', async () => {
    const out = path.join(dir, 'hole.bin');
    const r = await mpcap('extract', file, '--connection', '0', '--direction', 'c2s', '-o', out);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('hole at DSN 2251..2500 (250 bytes)');
    expect(r.stderr).toContain('--fill-holes');
    expect(new Uint8Array(readFileSync(out))).toEqual(patternAtRel(1, 2250));
  });

  it('--fill-holes: zeros in the hole, the rest in place, exit 0', async () => {
    const out = path.join(dir, 'filled.bin');
    const r = await mpcap('extract', file, '--connection', '0', '--direction', 'c2s', '--fill-holes', '-o', out);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('filled with zeros: 250 bytes');
    expect(r.stderr).toContain('hole at DSN 2251..2500 (250 bytes)');
    expect(new Uint8Array(readFileSync(out))).toEqual(filled());
  });

  it('the other direction: the server reply, to standard output', async () => {
    const r = await mpcap('extract', file, '--connection', '0', '--direction', 's2c');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('ok 3000\n');
    expect(r.stderr).toBe('');
  });

  it('a connection that is not there: a usage error (exit 2), saying how many there are', async () => {
    const r = await mpcap('extract', file, '--connection', '1', '--direction', 'c2s', '-o', path.join(dir, 'none.bin'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('there is no MPTCP connection 1');
    expect(r.stderr).toContain('it has 1: 0 to 0');
  });

  it.each([
    { argv: ['--connection', 'x', '--direction', 'c2s'], msg: '--connection x' },
    { argv: ['--connection', '0', '--direction', 'up'], msg: '--direction up' },
  ])('usage errors exit 2: $msg', async ({ argv, msg }) => {
    const r = await mpcap('extract', file, ...argv, '-o', path.join(dir, 'usage.bin'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(msg);
  });

  it.skipIf(!existsSync(path.join(repoRoot, 'dist', 'cli', 'main.js')))('the built CLI (node bin/mpcap.js) gives the same exit codes and bytes', () => {
    const bin = path.join(repoRoot, 'bin', 'mpcap.js');
    const out = path.join(dir, 'bin-hole.bin');
    const a = spawnSync(process.execPath, [bin, 'extract', file, '--connection', '0', '--direction', 'c2s', '-o', out]);
    expect(a.status).toBe(5);
    expect(a.stderr.toString()).toContain('hole at DSN 2251..2500 (250 bytes)');
    expect(new Uint8Array(readFileSync(out))).toEqual(patternAtRel(1, 2250));
    const b = spawnSync(process.execPath, [bin, 'extract', file, '--connection', '0', '--direction', 'c2s', '--fill-holes', '-o', '-']);
    expect(b.status).toBe(0);
    expect(new Uint8Array(b.stdout)).toEqual(filled());
  });
});

describe('crafted capture cut by a snap length', () => {
  // BUG (src/reassembly/data-stream.ts DataStream.flush, reached by `extract --fill-holes`): a
  // segment held behind a hole whose payload the snap length cut is flushed without zeros for
  // the cut part, so every later byte lands too early and the output is short. Capture: one
  // mapping DSN 1..400 (SSN 1, 32-bit DSN) on subflow 0: SSN 1..100 captured whole, SSN
  // 101..200 not captured, SSN 201..400 (200 bytes, no DSS) cut by snaplen 170 to 116 bytes;
  // then a bare DATA_FIN at DSN 401. `extract --fill-holes` writes 316 bytes (100 data, 100
  // zeros, 116 data) and says 100 bytes were filled; it should write 400 (… 116 data, 84 zeros)
  // and count 184.
  it('--fill-holes keeps every byte at its DSN when a held segment was cut', async () => {
    const cap = new Capture();
    const sf0 = new CraftedSubflow(cap, { addr: '10.0.1.1', port: 40000 }, { addr: '10.0.1.2', port: 5201 });
    capableHandshake(sf0, KEYS);
    // 14 + 20 + 20 + 16 (DSS, padded) + 100 = 170: the first data segment fits the snap length
    sf0.c2s(1, { options: [dss({ dsn: abs(1), ssn: 1, dataLen: 400 })], payload: patternAtRel(1, 100) });
    sf0.c2s(201, { payload: patternAtRel(201, 200) }); // 54 + 200 = 254 bytes, cut to 170
    sf0.c2s(401, { options: [dss({ dsn: abs(401), ssn: 0, dataLen: 1, fin: true })] });
    const file = path.join(dir, 'snap.pcap');
    writeFileSync(file, cap.pcap(170));
    const out = path.join(dir, 'snap.bin');
    const r = await mpcap('extract', file, '--connection', '0', '--direction', 'c2s', '--fill-holes', '-o', out);
    expect(r.code).toBe(0);
    const want = patternAtRel(1, 400);
    want.fill(0, 100, 200);
    want.fill(0, 316, 400);
    expect(new Uint8Array(readFileSync(out))).toEqual(want);
    expect(r.stderr).toContain('filled with zeros: 184 bytes');
  });
});

describe('crafted capture with DSS checksums', () => {
  it('every complete mapping verifies; the one with the hole is unverifiable', async () => {
    const s = scenario(true);
    const file = s.cap.write(path.join(dir, 'csum.pcap'));
    const r = await mpcap('analyze', '--json', file);
    expect(r.code).toBe(0);
    const conn = (JSON.parse(r.stdout) as Report).connections[0]!;
    expect(conn.checksums).toBe(true);
    // DSN 1..1000, 1001..2000 (across the wrap), the reinjection 501..1000, the bare DATA_FIN
    expect(conn.data.c2s.checksumsVerified).toBe(4);
    expect(conn.data.c2s.checksumFailures).toBe(0);
    expect(conn.data.c2s.checksumsUnverifiable).toBe(1);
    expect(conn.data.s2c.checksumsVerified).toBe(1);
    const x = await mpcap('extract', file, '--connection', '0', '--direction', 'c2s', '--fill-holes', '-o', path.join(dir, 'csum.bin'));
    expect(x.code).toBe(0);
    expect(new Uint8Array(readFileSync(path.join(dir, 'csum.bin')))).toEqual(filled());
  });

  it('one payload byte changed in the file: a checksum failure naming the mapping\'s frame', async () => {
    const s = scenario(true);
    const bytes = s.cap.pcap();
    // the last payload byte of the second segment (no DSS of its own: it belongs to the
    // mapping announced by the first)
    const rec = pcapRecordOffsets(bytes)[s.f.second - 1]!;
    const at = rec.dataOffset + rec.capLen - 1;
    expect(bytes[at]).toBe(patternAtRel(1000, 1)[0]); // DSN 1000: the pattern byte 999 mod 256
    bytes[at] = (bytes[at] as number) ^ 0x55;
    const file = path.join(dir, 'csum-bad.pcap');
    writeFileSync(file, bytes);
    const r = await mpcap('analyze', '--json', file);
    const conn = (JSON.parse(r.stdout) as Report).connections[0]!;
    const c2s = conn.data.c2s;
    expect(c2s.checksumFailures).toBe(1);
    expect(c2s.checksumsVerified).toBe(3);
    expect(c2s.checksumFailureList).toEqual([{ frame: s.f.first, subflow: 0, dsn: 1, dataLen: 1000 }]);
    // and it is one of the connection's problems, not only a figure of the data table (issue #9)
    expect(conn.problems.filter((p) => p.kind === 'dss-checksum-failed')).toEqual([
      { frame: s.f.first, kind: 'dss-checksum-failed', message: expect.stringContaining("1 DSS checksum of the client's data failed") },
    ]);
    writeFileSync(path.join(dir, 'csum-ok.pcap'), s.cap.pcap());
    const clean = JSON.parse((await mpcap('analyze', '--json', path.join(dir, 'csum-ok.pcap'))).stdout) as Report;
    expect(clean.connections[0]!.problems.filter((p) => p.kind === 'dss-checksum-failed')).toEqual([]);
  });
});

/**
 * Defect (issue #9): without --fill-holes, extract wrote zeros where the snap length had cut a
 * payload, then said it had written "the bytes before the first hole" and exited 5. A byte the
 * snap length cut is a missing byte: the output must stop right before it.
 */
describe('extract without --fill-holes stops at the first byte the snap length cut', () => {
  it('crafted: an in-order segment cut by the snap length ends the output there', async () => {
    const cap = new Capture();
    const sf0 = new CraftedSubflow(cap, { addr: '10.0.1.1', port: 40000 }, { addr: '10.0.1.2', port: 5201 });
    capableHandshake(sf0, KEYS);
    sf0.c2s(1, { options: [dss({ dsn: abs(1), ssn: 1, dataLen: 400 })], payload: patternAtRel(1, 100) });
    sf0.c2s(101, { payload: patternAtRel(101, 200) }); // 54 + 200 bytes, cut to 170: 116 of 200 kept
    sf0.c2s(301, { payload: patternAtRel(301, 100) }); // fits
    sf0.c2s(401, { options: [dss({ dsn: abs(401), ssn: 0, dataLen: 1, fin: true })] });
    const file = path.join(dir, 'snap-inorder.pcap');
    writeFileSync(file, cap.pcap(170));
    const out = path.join(dir, 'snap-inorder.bin');
    const r = await mpcap('extract', file, '--connection', '0', '--direction', 'c2s', '-o', out);
    expect(r.code).toBe(5);
    expect(new Uint8Array(readFileSync(out))).toEqual(patternAtRel(1, 216));
    expect(r.stderr).toContain('wrote the 216 bytes before the first missing byte (DSN 217)');
    expect(r.stderr).toContain('84 bytes cut from captured packets by the snap length');
    const filledOut = path.join(dir, 'snap-inorder-filled.bin');
    const f = await mpcap('extract', file, '--connection', '0', '--direction', 'c2s', '--fill-holes', '-o', filledOut);
    expect(f.code).toBe(0);
    const want = patternAtRel(1, 400);
    want.fill(0, 216, 300);
    expect(new Uint8Array(readFileSync(filledOut))).toEqual(want);
  });

  const v0 = path.join(repoRoot, '..', 'shared', 'corpus', 'pymptcpanalyzer', 'iperf-mptcp-0-0.pcap');
  it.skipIf(!existsSync(v0))('public v0 capture cut to 128 bytes (editcap -s 128): a prefix of the full stream, no zeros standing in', async () => {
    const cut = path.join(dir, 'iperf-128.pcap');
    const e = spawnSync('editcap', ['-F', 'pcap', '-s', '128', v0, cut], { encoding: 'utf8' });
    expect(e.status, e.stderr).toBe(0);
    const fullOut = path.join(dir, 'iperf-full.bin');
    expect((await mpcap('extract', v0, '--connection', '0', '--direction', 'c2s', '-o', fullOut)).code).toBe(0);
    const full = new Uint8Array(readFileSync(fullOut));
    expect(full.length).toBeGreaterThan(1_000_000);
    const out = path.join(dir, 'iperf-128.bin');
    const r = await mpcap('extract', cut, '--connection', '0', '--direction', 'c2s', '-o', out);
    expect(r.code).toBe(5);
    const got = new Uint8Array(readFileSync(out));
    expect(got.length).toBeLessThan(128);
    expect(got).toEqual(full.subarray(0, got.length));
    expect(r.stderr).toContain(`wrote the ${got.length} bytes before the first missing byte (DSN ${got.length + 1})`);
    // --fill-holes: every byte at its place, zeros for what the snap length cut
    const filledOut = path.join(dir, 'iperf-128-filled.bin');
    const f = await mpcap('extract', cut, '--connection', '0', '--direction', 'c2s', '--fill-holes', '-o', filledOut);
    expect(f.code).toBe(0);
    const filledBytes = new Uint8Array(readFileSync(filledOut));
    expect(filledBytes.length).toBe(full.length);
    let kept = 0;
    for (let i = 0; i < full.length; i++) if (filledBytes[i] !== 0 && filledBytes[i] !== full[i]) throw new Error(`byte ${i} moved`);
    for (let i = 0; i < full.length; i++) if (filledBytes[i] === full[i]) kept++;
    expect(kept).toBeGreaterThan(got.length);
  });
});

/**
 * Defect (issue #9): a client that sends DATA_FINs at different DSNs got an invented hole between
 * them, and extract exited 5 although every data byte was there. Conflicting DATA_FINs are a
 * problem to report, not missing data.
 */
describe('DATA_FINs at different DSNs', () => {
  function finTwice(): { file: string; fins: number[] } {
    const cap = new Capture();
    const sf0 = new CraftedSubflow(cap, { addr: '10.0.1.1', port: 40000 }, { addr: '10.0.1.2', port: 5201 });
    capableHandshake(sf0, KEYS);
    sf0.c2s(1, { options: [dss({ dsn: abs(1), ssn: 1, dataLen: 100 })], payload: patternAtRel(1, 100) });
    const a = sf0.c2s(101, { options: [dss({ dsn: abs(101), ssn: 0, dataLen: 1, fin: true })] });
    const b = sf0.c2s(101, { options: [dss({ dsn: abs(109), ssn: 0, dataLen: 1, fin: true })] });
    const file = path.join(dir, 'fin-twice.pcap');
    writeFileSync(file, cap.pcap());
    return { file, fins: [a, b] };
  }

  it('extract writes every byte and exits 0, warning about the conflict', async () => {
    const { file } = finTwice();
    const out = path.join(dir, 'fin-twice.bin');
    const r = await mpcap('extract', file, '--connection', '0', '--direction', 'c2s', '-o', out);
    expect(r.code, r.stderr).toBe(0);
    expect(new Uint8Array(readFileSync(out))).toEqual(patternAtRel(1, 100));
    expect(r.stderr).toContain('DATA_FINs at different DSNs');
  });

  it('analyze lists them in dataFinConflicts, with no hole', async () => {
    const { file, fins } = finTwice();
    const r = await mpcap('analyze', '--json', file);
    expect(r.code).toBe(0);
    const c2s = (JSON.parse(r.stdout) as Report).connections[0]!.data.c2s;
    expect(c2s.holes).toEqual([]);
    expect(c2s.dataFin).toBe(101);
    expect(c2s.dataFinConflicts).toEqual([
      { frame: fins[0], dsn: 101 },
      { frame: fins[1], dsn: 109 },
    ]);
  });
});
