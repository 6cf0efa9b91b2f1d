import { runMain } from '../helpers/cli.ts';
/**
 * Data-level reassembly on the real-kernel fixtures (fixtures/pcaps, made by the Linux MPTCP
 * stack): what `mpcap extract` writes must be exactly what the client's application wrote, as
 * the sidecar JSON says.
 *
 * Sidecar fields used (NAME.json next to NAME.pcap):
 *   - client.sent_bytes       bytes the client handed to its socket (the pattern i mod 256)
 *   - server.received_bytes   bytes the server read (and checked: server.pattern_ok)
 *   - server.reply            the server's reply line, the whole s2c stream ("ok N\n")
 *   - knobs.FASTCLOSE         1: the client aborted; only a prefix of the data was sent
 *   - server_port             to tell client→server packets apart
 * For every fixture but fastclose N = client.sent_bytes (= server.received_bytes): the output is
 * exactly the pattern's first N bytes. For fastclose the output must be a prefix of the pattern,
 * at least server.received_bytes long (the server capture may hold bytes the server's
 * application never read) and at most client.sent_bytes.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionJson, Report } from '../../src/analysis/report.ts';
import { indexOfBytes, pattern, pcapRecordOffsets } from '../helpers/craft.ts';

const pcapsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'pcaps');

interface Sidecar {
  knobs: { FASTCLOSE: number; CSUM: number };
  server_port: number;
  client: { sent_bytes: number };
  server: { received_bytes: number; pattern_ok: boolean; reply: string | null };
}

/** `mpcap ARGV...` in-process. */
const mpcap = (...argv: string[]): ReturnType<typeof runMain> => runMain(argv);

async function analyze(file: string): Promise<ConnectionJson[]> {
  const r = await mpcap('analyze', '--json', file);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as Report).connections;
}

async function extract(file: string, dir: 'c2s' | 's2c', out: string): Promise<{ code: number; stderr: string; bytes: Uint8Array }> {
  const r = await mpcap('extract', file, '--connection', '0', '--direction', dir, '-o', out);
  return { code: r.code, stderr: r.stderr, bytes: new Uint8Array(readFileSync(out)) };
}

/** `dissect -T fields` rows as objects keyed by field name. */
async function fields(file: string, names: string[]): Promise<Array<Record<string, string>>> {
  const r = await mpcap('dissect', '-T', 'fields', ...names.flatMap((n) => ['-e', n]), file);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const cols = l.split('\t');
      return Object.fromEntries(names.map((n, i) => [n, cols[i] ?? '']));
    });
}

const fixtures = readdirSync(pcapsDir)
  .filter((f) => f.endsWith('.pcap'))
  .sort()
  .map((f) => ({ name: f.replace(/\.pcap$/, ''), file: path.join(pcapsDir, f), side: JSON.parse(readFileSync(path.join(pcapsDir, f.replace(/\.pcap$/, '.json')), 'utf8')) as Sidecar }));

/**
 * Index of the first byte where `got` differs from `want` (the shorter length if one is a prefix
 * of the other), or -1. toEqual on 300 KB arrays costs seconds and prints a useless diff.
 */
function firstDiff(got: Uint8Array, want: Uint8Array): number {
  const n = Math.min(got.length, want.length);
  const a = Buffer.from(got.buffer, got.byteOffset, got.byteLength);
  const b = Buffer.from(want.buffer, want.byteOffset, want.byteLength);
  if (a.subarray(0, n).equals(b.subarray(0, n))) return got.length === want.length ? -1 : n;
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return n;
}

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(path.join(tmpdir(), 'mpcap-reasm-'));
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

it('there are fixtures, fastclose among them', () => {
  expect(fixtures.length).toBeGreaterThanOrEqual(9);
  expect(fixtures.some((f) => f.side.knobs.FASTCLOSE === 1)).toBe(true);
});

describe.each(fixtures)('$name', ({ name, file, side }) => {
  const fastclose = side.knobs.FASTCLOSE === 1;
  let conn: ConnectionJson;
  let c2s: { code: number; stderr: string; bytes: Uint8Array };
  beforeAll(async () => {
    const conns = await analyze(file);
    expect(conns.length).toBeGreaterThanOrEqual(1);
    conn = conns[0] as ConnectionJson;
    c2s = await extract(file, 'c2s', path.join(tmp, `${name}.c2s`));
  });

  it('extract c2s is exactly what the client wrote', () => {
    expect(c2s.code, c2s.stderr).toBe(0);
    expect(c2s.stderr).toBe('');
    const out = c2s.bytes;
    if (fastclose) {
      expect(out.length).toBeGreaterThanOrEqual(side.server.received_bytes);
      expect(out.length).toBeLessThanOrEqual(side.client.sent_bytes);
      expect(firstDiff(out, pattern(out.length))).toBe(-1);
    } else {
      expect(side.server.received_bytes).toBe(side.client.sent_bytes);
      expect(side.server.pattern_ok).toBe(true);
      expect(out.length).toBe(side.client.sent_bytes);
      expect(firstDiff(out, pattern(side.client.sent_bytes))).toBe(-1);
    }
  });

  it('analyze: delivered c2s bytes = the extracted length, no holes, no conflicts, nothing unmapped', () => {
    const d = conn.data.c2s;
    expect(d.relativeTo).toBe('idsn');
    expect(d.deliveredBytes).toBe(fastclose ? c2s.bytes.length : side.client.sent_bytes);
    expect(d.holes).toEqual([]);
    expect(d.mappingConflicts).toEqual([]);
    expect(d.unmappedBytes).toBe(0);
    expect(d.checksumFailures).toBe(0);
    if (!fastclose) expect(d.dataFin).toBe(side.client.sent_bytes + 1);
  });

  it.skipIf(fastclose)('extract s2c is the server reply', async () => {
    const s2c = await extract(file, 's2c', path.join(tmp, `${name}.s2c`));
    expect(s2c.code, s2c.stderr).toBe(0);
    expect(new TextDecoder().decode(s2c.bytes)).toBe(side.server.reply);
    expect(conn.data.s2c.deliveredBytes).toBe((side.server.reply ?? '').length);
  });

  it('dissect: every client→server payload packet of connection 0 has a relative DSN (mpcap.dsn); together they cover [1, N]', async () => {
    const subflows = new Set(conn.subflows.map((s) => String(s.tcpStream)));
    const rows = await fields(file, ['frame.number', 'tcp.stream', 'tcp.dstport', 'tcp.len', 'mpcap.dsn']);
    const data = rows.filter((r) => subflows.has(r['tcp.stream'] as string) && Number(r['tcp.dstport']) === side.server_port && Number(r['tcp.len']) > 0);
    expect(data.length).toBeGreaterThan(0);
    const missing = data.filter((r) => r['mpcap.dsn'] === '');
    expect(missing.map((r) => r['frame.number'])).toEqual([]);
    const ranges = data.map((r) => [Number(r['mpcap.dsn']), Number(r['mpcap.dsn']) + Number(r['tcp.len'])] as const).sort((a, b) => a[0] - b[0]);
    expect(ranges[0]?.[0]).toBe(1);
    let end = 1;
    for (const [a, b] of ranges) {
      expect(a, `gap before DSN ${a}`).toBeLessThanOrEqual(end);
      end = Math.max(end, b);
    }
    expect(end).toBe(c2s.bytes.length + 1);
  });
});

describe('checksum.pcap: DSS checksums', () => {
  const file = path.join(pcapsDir, 'checksum.pcap');

  it('every checksum verifies', async () => {
    const [conn] = await analyze(file);
    expect(conn?.checksums).toBe(true);
    expect(conn?.data.c2s.checksumsVerified).toBeGreaterThan(0);
    expect(conn?.data.c2s.checksumFailures).toBe(0);
    expect(conn?.data.s2c.checksumFailures).toBe(0);
  });

  it('one payload byte changed in a copy of the file: a failure, naming the mapping that holds it', async () => {
    const bytes = new Uint8Array(readFileSync(file));
    // The pattern's run 10 11 .. 17 first occurs in the first client data segment.
    const at = indexOfBytes(bytes, Uint8Array.from([0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17]));
    expect(at).toBeGreaterThan(0);
    const flip = at + 3; // the byte 0x13
    const rec = pcapRecordOffsets(bytes).find((r) => r.dataOffset <= flip && flip < r.dataOffset + r.capLen);
    expect(rec).toBeDefined();
    bytes[flip] = 0xee;
    const bad = path.join(tmp, 'checksum-flipped.pcap');
    writeFileSync(bad, bytes);

    // Where the changed byte is in the data stream: the payload ends the frame (SLL2, no trailer).
    const row = (await fields(bad, ['frame.number', 'tcp.dstport', 'tcp.len', 'mpcap.dsn'])).find((r) => Number(r['frame.number']) === rec!.frame);
    expect(Number(row?.['tcp.dstport'])).toBe(5201);
    const len = Number(row?.['tcp.len']);
    const payloadStart = rec!.dataOffset + rec!.capLen - len;
    const dsn = Number(row?.['mpcap.dsn']) + (flip - payloadStart);
    expect((dsn - 1) & 0xff).toBe(0x13); // the pattern byte at that DSN is the one we changed

    const [conn] = await analyze(bad);
    const c2s = conn!.data.c2s;
    expect(c2s.checksumFailures).toBeGreaterThanOrEqual(1);
    const holder = c2s.checksumFailureList.find((f) => f.dsn <= dsn && dsn < f.dsn + f.dataLen);
    expect(holder, JSON.stringify(c2s.checksumFailureList)).toBeDefined();
    expect(holder!.frame).toBeLessThanOrEqual(rec!.frame);

    // extract does not judge checksums: it writes the changed byte at its place
    const out = path.join(tmp, 'checksum-flipped.c2s');
    const x = await extract(bad, 'c2s', out);
    expect(x.code).toBe(0);
    const want = pattern(200000);
    want[dsn - 1] = 0xee;
    expect(firstDiff(x.bytes, want)).toBe(-1);
  });

  it('the untouched copy still verifies (the flip, not the copy, made the failure)', async () => {
    const copy = path.join(tmp, 'checksum-copy.pcap');
    copyFileSync(file, copy);
    const [conn] = await analyze(copy);
    expect(conn?.data.c2s.checksumFailures).toBe(0);
  });
});

describe('loss.pcap', () => {
  it('lost segments were carried again (retransmitted or reinjected) and left no hole', async () => {
    const file = path.join(pcapsDir, 'loss.pcap');
    const [conn] = await analyze(file);
    const d = conn!.data.c2s;
    const side = JSON.parse(readFileSync(file.replace(/\.pcap$/, '.json'), 'utf8')) as { server: { received_bytes: number }; path_list: Array<{ wire_dropped_packets: number }>; kernel_counters: Record<'client' | 'server', { nstat_delta: Record<string, number> }> };
    // the wire dropped packets the client's TCP then sent again (its own count), and every byte arrived
    expect(side.path_list.reduce((a, p) => a + p.wire_dropped_packets, 0)).toBeGreaterThan(0);
    expect(side.kernel_counters.client.nstat_delta.TcpRetransSegs ?? 0).toBeGreaterThan(0);
    expect(d.deliveredBytes).toBe(side.server.received_bytes);
    // a copy seen twice at the data level (reinjection, spurious retransmission) exactly when the server's
    // MPTCP dropped old data (DuplicateData); a retransmission filling a wire loss is the first copy here
    expect(d.reinjectedBytes + d.retransmittedBytes > 0).toBe((side.kernel_counters.server.nstat_delta.MPTcpExtDuplicateData ?? 0) > 0);
    expect(d.holes).toEqual([]);
    expect(d.outOfOrderSegments).toBeGreaterThan(0);
  });
});

/**
 * A capture that missed one packet (issue #9): the fixture with one client data frame deleted by
 * `editcap IN OUT FRAME`. The receiver's DATA_ACK shows it had those bytes, so they are a capture
 * gap — reported with its exact size, not out-of-order data, not a hole.
 */
describe.each(fixtures.filter((f) => f.side.knobs.FASTCLOSE !== 1))('$name with one data frame deleted', ({ name, file, side }) => {
  let victim: { frame: number; dsn: number; len: number };
  let edited: string;
  let before: ConnectionJson;
  let after: ConnectionJson;
  beforeAll(async () => {
    before = (await analyze(file))[0] as ConnectionJson;
    const subflows = new Set(before.subflows.map((s) => String(s.tcpStream)));
    const rows = (await fields(file, ['frame.number', 'tcp.stream', 'tcp.dstport', 'tcp.len', 'mpcap.dsn'])).filter(
      (r) => subflows.has(r['tcp.stream'] as string) && Number(r['tcp.dstport']) === side.server_port && Number(r['tcp.len']) > 0 && r['mpcap.dsn'] !== '',
    );
    const data = rows.map((r) => ({ frame: Number(r['frame.number']), dsn: Number(r['mpcap.dsn']), len: Number(r['tcp.len']) }));
    // a frame early in the transfer whose bytes no other frame carries (no retransmission or
    // reinjection would fill the gap), with data after it
    const alone = data.filter((d, i) => i > 4 && i < data.length - 5 && data.every((o) => o === d || o.dsn + o.len <= d.dsn || o.dsn >= d.dsn + d.len));
    victim = alone[Math.floor(alone.length / 4)] as { frame: number; dsn: number; len: number };
    expect(victim, 'a data frame carried once').toBeDefined();
    edited = path.join(tmp, `${name}-del${victim.frame}.pcap`);
    const r = spawnSync('editcap', ['-F', 'pcap', file, edited, String(victim.frame)], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    after = (await analyze(edited))[0] as ConnectionJson;
  });

  it('the gap is reported as not captured, with its exact range and size; no hole', () => {
    const d = after.data.c2s;
    expect(d.captureGaps.map((g) => ({ start: g.start, end: g.end, bytes: g.bytes }))).toEqual([{ start: victim.dsn, end: victim.dsn + victim.len, bytes: victim.len }]);
    expect(d.captureGapCount).toBe(1);
    expect(d.notCapturedBytes).toBe(victim.len);
    expect(d.holes).toEqual([]);
    expect(d.skippedBytes).toBe(0);
    expect(d.captureGaps[0]!.time).toBeGreaterThan(0);
  });

  it('delivery continues past it: delivered + not captured = every byte the client sent', () => {
    const d = after.data.c2s;
    expect(d.deliveredBytes).toBe(side.client.sent_bytes - victim.len);
    expect(d.deliveredBytes + d.notCapturedBytes).toBe(before.data.c2s.deliveredBytes);
    expect(d.dataFin).toBe(side.client.sent_bytes + 1);
  });

  it('out-of-order bytes are those of the untouched capture, give or take the gap', () => {
    const diff = Math.abs(after.data.c2s.outOfOrderBytes - before.data.c2s.outOfOrderBytes);
    expect(diff, `before ${before.data.c2s.outOfOrderBytes}, after ${after.data.c2s.outOfOrderBytes}`).toBeLessThanOrEqual(victim.len);
    expect(after.data.c2s.releasedByCaptureGapBytes).toBeLessThanOrEqual(after.data.c2s.outOfOrderBytes);
  });

  it('extract writes exactly the bytes before the gap and exits 5; --fill-holes puts zeros there and goes on', async () => {
    const x = await extract(edited, 'c2s', path.join(tmp, `${name}-del.c2s`));
    expect(x.code).toBe(5);
    expect(x.stderr).toContain(`not captured (the DATA_ACK shows the receiver had them) at DSN ${victim.dsn}..${victim.dsn + victim.len - 1} (${victim.len} bytes)`);
    expect(x.bytes.length).toBe(victim.dsn - 1);
    expect(firstDiff(x.bytes, pattern(victim.dsn - 1))).toBe(-1);
    const outFile = path.join(tmp, `${name}-del-filled.c2s`);
    const r = await mpcap('extract', edited, '--connection', '0', '--direction', 'c2s', '--fill-holes', '-o', outFile);
    expect(r.code, r.stderr).toBe(0);
    const want = pattern(side.client.sent_bytes);
    want.fill(0, victim.dsn - 1, victim.dsn - 1 + victim.len);
    expect(firstDiff(new Uint8Array(readFileSync(outFile)), want)).toBe(-1);
  });
});
