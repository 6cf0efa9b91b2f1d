/**
 * tshark's MPTCP mapping analysis, cell by cell: mpcap's mptcp.rawdsn64, mptcp.dsn, mptcp.related_mapping,
 * mptcp.reinjection_of, mptcp.reinjected_in and the five MPTCP expert fields against tshark 4.0.17
 * run with `-o mptcp.analyze_mappings:TRUE -o mptcp.intersubflows_retransmission:TRUE` (off by
 * default in tshark; mpcap always computes them), on every capture of the public corpus and every
 * fixture, plus copies of crafted captures with one MP_CAPABLE's flags or one DSS's length changed
 * (no capture has a missing algorithm or an infinite mapping), and the crafted capture of
 * test/extract.test.ts (4-byte DSNs past a 32-bit wrap).
 *
 * The differences allowed are four tshark bugs (README "Where mpcap and tshark differ"), each
 * limited to the rows where it can occur and tested on frames of its own.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  MAPPING_FIELDS, MAPPING_PREFS, corpusFiles, hasCorpus, craftedDir, craftedPcaps, fixturePcaps, hasTshark, pcapsDir, pool,
  readCases, shortName, tsharkTable, type Table,
} from './helpers/corpus.ts';
import { hasDist, NO_DIST, runBinAsync } from './helpers/cli.ts';
import { CLIENT, scenario } from './helpers/wrap-scenario.ts';

/** Columns: the compared fields, then what the exceptions read (tshark's view of each row). */
const CONTEXT = ['frame.number', 'tcp.flags', 'tcp.len', 'tcp.options.mptcp.subtype', 'tcp.options.mptcp.datalvllen', 'tcp.options.mptcp.recvtok', 'tcp.options.mptcp.rawdataseqno', 'mptcp.expected_idsn', 'tcp.options.mptcp.dseqn8.flag', 'tcp.options.mptcp.dataack8.flag', 'mptcp.dss.dsn'];
const FIELDS = [...MAPPING_FIELDS, ...CONTEXT];
/** mpcap's rows have one more column, mpcap's own DSN (tshark has no such field). */
const MPCAP_FIELDS = [...FIELDS, 'mpcap.dsn'];
const col = (f: string): number => MPCAP_FIELDS.indexOf(f);

const CHECKSUM_PCAP = path.join(pcapsDir, 'checksum.pcap');
const DSN_WRAP_PCAP = path.join(craftedDir, 'dsn-wrap.pcap');
const JOINS_PCAP = path.join(craftedDir, 'joins.pcap');
const OPTIONS_PCAP = path.join(craftedDir, 'options.pcap');

interface Result {
  file: string;
  tshark: Table;
  mpcap: Table;
  code: number;
  stderr: string;
  diffs: Array<{ frame: number; field: string; tshark: string; mpcap: string; allowedBy: string | null }>;
}

/**
 * (g) v1 MP_CAPABLE with data. Linux repeats the MP_CAPABLE (with the data-level length of one
 * mapping from SSN 1) on each data packet until the peer's DSS arrives. tshark files each copy in its
 * interval tree at a different SSN, with a DSN that lags one segment from the third copy on, so two
 * different segments get the same DSN (checksum.pcap frames 6 and 8) and its DSNs stay one segment
 * behind while those mappings cover the data. mpcap reads every copy as the one mapping it is. The
 * rows allowed: tshark's related_mapping lists a mapping from an MP_CAPABLE of another frame, and
 * the reinjections found (by mpcap only) of such a row's data.
 */
function mpcDataFrames(t: Table): Set<number> {
  const s = new Set<number>();
  for (const row of t) {
    const sub = (row[col('tcp.options.mptcp.subtype')] ?? '').split(',');
    if (sub.includes('0') && (row[col('tcp.options.mptcp.datalvllen')] ?? '') !== '') s.add(Number(row[col('frame.number')]));
  }
  return s;
}

/**
 * (h) A join SYN that carries the client's token is the server's (RFC 8684 §3.2: the token names
 * the receiver's connection), but tshark reads the SYN's DSN base from the client's side. Only on
 * such a SYN: mpcap's rawdsn64 is the server's IDSN (the SYN/ACK's of the MP_CAPABLE), tshark's the
 * client's.
 */
function joinSynOfServer(t: Table, m: Table, r: number, idsn: { client: string; server: string } | null): boolean {
  const row = t[r] as string[];
  if (idsn === null || row[col('tcp.flags')] !== '0x0002' || row[col('tcp.options.mptcp.subtype')] !== '1') return false;
  return row[col('mptcp.rawdsn64')] === idsn.client && m[r]?.[col('mptcp.rawdsn64')] === idsn.server;
}

/** The IDSNs of the first MP_CAPABLE handshake: tshark's expected IDSN of its SYN/ACK and of its third ACK. */
function handshakeIdsn(t: Table): { client: string; server: string } | null {
  const mpc = (flags: string): string[] | undefined => t.find((row) => row[col('tcp.flags')] === flags && row[col('tcp.options.mptcp.subtype')] === '0' && (row[col('mptcp.expected_idsn')] ?? '') !== '');
  const synack = mpc('0x0012');
  const ack = mpc('0x0010');
  if (!ack || !synack) return null;
  return { client: ack[col('mptcp.expected_idsn')] ?? '', server: synack[col('mptcp.expected_idsn')] ?? '' };
}

const TWO32 = 1n << 32n;
const u64 = (x: bigint): bigint => BigInt.asUintN(64, x);
const big = (s: string | undefined): bigint | null => (s === undefined || !/^[0-9]+$/.test(s) ? null : BigInt(s));

/**
 * (i) A 4-byte DSN past a 32-bit wrap: tshark widens it by ORing in the high half of the sender's
 * IDSN (packet-tcp.c mptcp_convert_dsn, "we assume no wrapping"), so its 64-bit DSN is 2^32 short
 * and its relative DSN near 2^64; mpcap widens from the direction's last DSN, as Linux's
 * __mptcp_expand_seq. (j) A 4-byte DSN beside an 8-byte data ACK: tshark decides whether to
 * widen from the DSS's `a` flag (the data ACK's width) instead of `m`, so its rawdsn64 is the bare
 * 32-bit DSN; mpcap's has that low half. The bug a row's rawdsn64 shows, or null.
 */
function dsnWidthBug(t: string[], m: string[]): 'tshark-dsn32-wrap' | 'tshark-dsn32-beside-ack64' | null {
  const tr = big(t[col('mptcp.rawdsn64')]);
  const mr = big(m[col('mptcp.rawdsn64')]);
  if (tr === null || mr === null || tr === mr) return null;
  if (u64(mr - tr) === TWO32) return 'tshark-dsn32-wrap';
  if (tr < TWO32 && BigInt.asUintN(32, mr) === tr) return 'tshark-dsn32-beside-ack64';
  return null;
}

/** mptcp.dsn under (i)/(j): it differs from tshark's by what rawdsn64 does (the same base). */
function dsnFollowsRaw(t: string[], m: string[]): boolean {
  const [td, md, tr, mr] = [t[col('mptcp.dsn')], m[col('mptcp.dsn')], t[col('mptcp.rawdsn64')], m[col('mptcp.rawdsn64')]].map(big);
  return td != null && md != null && tr != null && mr != null && u64(md - td) === u64(mr - tr);
}

async function compare(file: string): Promise<Result> {
  const [tshark, run] = await Promise.all([
    tsharkTable(file, FIELDS, MAPPING_PREFS),
    runBinAsync(['dissect', '-T', 'fields', ...MPCAP_FIELDS.flatMap((f) => ['-e', f]), file]),
  ]);
  const lines = run.stdout.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const mpcap = lines.map((l) => l.split('\t'));
  const mpc = mpcDataFrames(tshark);
  const idsn = handshakeIdsn(tshark);
  const lagging = new Set<number>();
  tshark.forEach((row, r) => {
    const rel = (row[col('mptcp.related_mapping')] ?? '').split(',').filter(Boolean).map(Number);
    if (rel.some((f) => f !== r + 1 && mpc.has(f))) lagging.add(r + 1);
  });
  const diffs: Result['diffs'] = [];
  for (let r = 0; r < Math.min(tshark.length, mpcap.length); r++) {
    MAPPING_FIELDS.forEach((field) => {
      const t = tshark[r]?.[col(field)] ?? '';
      const m = mpcap[r]?.[col(field)] ?? '';
      if (t === m) return;
      let allowedBy: string | null = null;
      const mapping = field === 'mptcp.rawdsn64' || field === 'mptcp.dsn' || field === 'mptcp.related_mapping' || field === 'mptcp.reinjection_of';
      const width = field === 'mptcp.rawdsn64' || field === 'mptcp.dsn' ? dsnWidthBug(tshark[r] as string[], mpcap[r] ?? []) : null;
      if (mapping && (lagging.has(r + 1) || (field === 'mptcp.reinjection_of' && m.split(',').some((f) => lagging.has(Number(f)))))) allowedBy = 'tshark-mp-capable-data-mappings';
      else if (field === 'mptcp.rawdsn64' && joinSynOfServer(tshark, mpcap, r, idsn)) allowedBy = 'tshark-join-syn-of-server';
      else if (width !== null && (field === 'mptcp.rawdsn64' || dsnFollowsRaw(tshark[r] as string[], mpcap[r] ?? []))) allowedBy = width;
      diffs.push({ frame: r + 1, field, tshark: t, mpcap: m, allowedBy });
    });
  }
  return { file, tshark, mpcap, code: run.code, stderr: run.stderr, diffs };
}

/** A copy of `file` with the bytes at `offset` of record `frame` (0 = first byte of the packet) set to `bytes`. */
function patched(file: string, frame: number, find: (pkt: Buffer) => number, bytes: number[], dir: string, name: string): string {
  const d = Buffer.from(readFileSync(file));
  let off = 24;
  for (let n = 1; off < d.length; n++) {
    const cl = d.readUInt32LE(off + 8);
    if (n === frame) {
      const at = find(d.subarray(off + 16, off + 16 + cl));
      if (at < 0) throw new Error(`${name}: nothing to patch in frame ${frame}`);
      Buffer.from(bytes).copy(d, off + 16 + at);
    }
    off += 16 + cl;
  }
  const out = path.join(dir, name);
  writeFileSync(out, d);
  return out;
}

const files = [...fixturePcaps(), ...craftedPcaps(), ...corpusFiles()];
const results = new Map<string, Result>();
let variants: string[] = [];

function res(file: string): Result {
  const r = results.get(file);
  if (!r) throw new Error(`no comparison for ${shortName(file)}`);
  return r;
}
const cell = (file: string, frame: number, field: string): { tshark: string; mpcap: string } => {
  const r = res(file);
  return { tshark: r.tshark[frame - 1]?.[col(field)] ?? '', mpcap: r.mpcap[frame - 1]?.[col(field)] ?? '' };
};

describe.skipIf(!hasTshark)('tshark -o mptcp.analyze_mappings:TRUE -o mptcp.intersubflows_retransmission:TRUE', () => {
  beforeAll(async () => {
    if (!hasDist) throw new Error(NO_DIST);
    const dir = mkdtempSync(path.join(tmpdir(), 'mpcap-mappings-'));
    // options.pcap frame 15: a v1 MP_CAPABLE ACK, flags 0x21 (C and H); frame 20: a DSS with a mapping
    const mpcAt = (pkt: Buffer): number => {
      for (let j = 0; j + 3 < pkt.length; j++) if (pkt[j] === 30 && pkt[j + 2] === 0x01 && pkt[j + 3] === 0x21) return j + 3;
      return -1;
    };
    variants = [
      patched(OPTIONS_PCAP, 15, mpcAt, [0x80], dir, 'mpc-flags-80.pcap'), // A only: no algorithm
      patched(OPTIONS_PCAP, 15, mpcAt, [0x40], dir, 'mpc-flags-40.pcap'), // B only
      patched(OPTIONS_PCAP, 15, mpcAt, [0x03], dir, 'mpc-flags-03.pcap'), // G and H
      // dsn-wrap.pcap frame 9: DSS flags 0x05 (A, M; 4-byte ack and DSN): data-level length 0
      patched(DSN_WRAP_PCAP, 9, (pkt) => {
        for (let j = 0; j + 3 < pkt.length; j++) if (pkt[j] === 30 && pkt[j + 2] === 0x20 && pkt[j + 3] === 0x05) return j + 16;
        return -1;
      }, [0, 0], dir, 'dss-infinite.pcap'),
      // test/extract.test.ts's capture: 4-byte DSNs past the 32-bit wrap, without and with DSS checksums
      scenario(false).cap.write(path.join(dir, 'dsn-wrap32.pcap')),
      scenario(true).cap.write(path.join(dir, 'dsn-wrap32-checksums.pcap')),
    ];
    const all = [...files, ...variants].sort((a, b) => statSync(b).size - statSync(a).size);
    for (const r of await pool(all, 4, compare)) results.set(r.file, r);
  }, 420_000);

  it.each([...files.map((f) => [shortName(f), f])])('%s: equal to tshark, cell by cell', (_n, file) => {
    const r = res(file);
    expect(r.code, r.stderr).toBe(0);
    expect(r.mpcap.length).toBe(r.tshark.length);
    const bad = r.diffs.filter((d) => d.allowedBy === null);
    expect(bad.slice(0, 20).map((d) => `frame ${d.frame} ${d.field}: tshark '${d.tshark}' mpcap '${d.mpcap}'`).join('\n')).toBe('');
  });

  it('dsn-wrap.pcap frame 9 with data-level length 0: an infinite mapping in both', () => {
    const v = variants[3] as string;
    expect(res(v).diffs.filter((d) => d.allowedBy === null)).toEqual([]);
    expect(cell(v, 9, 'mptcp.dss.infinite_mapping')).toEqual({ tshark: '1', mpcap: '1' });
    expect(cell(DSN_WRAP_PCAP, 9, 'mptcp.dss.infinite_mapping')).toEqual({ tshark: '', mpcap: '' });
  });

  it('the MP_CAPABLE flags variants: missing and unsupported algorithm as tshark says', () => {
    const got = variants.slice(0, 3).map((v) => {
      const r = res(v);
      expect(r.diffs, shortName(v)).toEqual([]);
      return [cell(v, 15, 'mptcp.connection.missing_algorithm').mpcap, cell(v, 15, 'mptcp.connection.unsupported_algorithm').mpcap];
    });
    // 0x80: neither C-H bit; 0x40: B is outside C-H; 0x03: G and H, not H alone
    expect(got).toEqual([['1', '1'], ['1', '1'], ['', '1']]);
    expect(cell(OPTIONS_PCAP, 15, 'mptcp.connection.unsupported_algorithm')).toEqual({ tshark: '1', mpcap: '1' });
  });

  it('the comparison is not empty: each field has values on some capture (reinjected_in: none in one pass)', () => {
    const count = new Map<string, number>();
    for (const r of results.values()) for (const row of r.tshark) for (const f of MAPPING_FIELDS) if ((row[col(f)] ?? '') !== '') count.set(f, (count.get(f) ?? 0) + 1);
    // the fixtures alone (no ../shared/corpus beside the repository) have ~2,100 DSS rows
    expect(count.get('mptcp.rawdsn64')).toBeGreaterThan(hasCorpus ? 20_000 : 1_000);
    expect(count.get('mptcp.dsn')).toBeGreaterThan(hasCorpus ? 10_000 : 1_000); // only where the sender's DSN base is known
    expect(count.get('mptcp.related_mapping')).toBeGreaterThan(hasCorpus ? 5_000 : 500);
    // the corpus pair client_2 / server_2 has 87; the kernel fixtures only what their runs happened to reinject
    expect(count.get('mptcp.reinjection_of') ?? 0).toBeGreaterThan(hasCorpus ? 50 : -1);
    expect(count.get('mptcp.dss.missing_mapping')).toBeGreaterThan(hasCorpus ? 1_000 : 50);
    // only the corpus has a final ACK whose keys differ from the SYN's (dpi-mptcp/mp_key_change.pcap)
    if (hasCorpus) expect(count.get('mptcp.connection.echoed_key_mismatch')).toBeGreaterThan(0);
    expect(count.get('mptcp.connection.missing_algorithm')).toBeGreaterThan(0);
    expect(count.get('mptcp.dss.infinite_mapping')).toBeGreaterThan(0);
    expect(count.get('mptcp.connection.unsupported_algorithm')).toBeGreaterThan(0);
    expect(count.get('mptcp.reinjected_in')).toBeUndefined();
  });

  it('(g) checksum.pcap frames 6 and 8: tshark gives two different segments one DSN; mpcap 1424 bytes apart', () => {
    const six = cell(CHECKSUM_PCAP, 6, 'mptcp.rawdsn64');
    const eight = cell(CHECKSUM_PCAP, 8, 'mptcp.rawdsn64');
    expect(six.mpcap).toBe(six.tshark);
    expect(eight.tshark).toBe(six.tshark);
    expect(cell(CHECKSUM_PCAP, 6, 'tcp.len').tshark).toBe('1424');
    expect(BigInt(eight.mpcap) - BigInt(six.mpcap)).toBe(1424n);
    // both are MP_CAPABLE copies of the one mapping (data-level length 31328 from SSN 1)
    expect(cell(CHECKSUM_PCAP, 8, 'tcp.options.mptcp.subtype').tshark).toBe('0');
    expect(cell(CHECKSUM_PCAP, 8, 'tcp.options.mptcp.datalvllen').tshark).toBe('31328');
  });

  it.skipIf(!hasCorpus)('reinjections outside (g) agree with tshark row by row (the pymptcpanalyzer pair: every one)', () => {
    for (const name of ['client_2.pcap', 'server_2.pcap']) {
      const file = corpusFiles().find((f) => path.basename(f) === name);
      if (file === undefined) continue;
      const r = res(file);
      const rows = r.tshark.map((row, i) => [row[col('mptcp.reinjection_of')] ?? '', r.mpcap[i]?.[col('mptcp.reinjection_of')] ?? ''] as const).filter(([t, m]) => t !== '' || m !== '');
      expect(rows.length).toBeGreaterThan(40);
      expect(rows.filter(([t, m]) => t !== m)).toEqual([]);
    }
  });

  it('(h) dsn-wrap.pcap frame 11 and joins.pcap frame 18: a join SYN with the client\'s token has the server\'s DSN base in mpcap', () => {
    expect(readCases(DSN_WRAP_PCAP).get(11)).toBe('v0 join SYN to client token tA (server opens)');
    expect(readCases(JOINS_PCAP).get(18)).toBe('join SYN token tA (client key) sf5');
    for (const [file, frame] of [[DSN_WRAP_PCAP, 11], [JOINS_PCAP, 18]] as const) {
      const t = res(file).tshark;
      const idsn = handshakeIdsn(t);
      expect(cell(file, frame, 'mptcp.rawdsn64')).toEqual({ tshark: idsn?.client, mpcap: idsn?.server });
    }
    // the join SYN with the server's token (dsn-wrap frame 12) agrees
    const twelve = cell(DSN_WRAP_PCAP, 12, 'mptcp.rawdsn64');
    expect(twelve.mpcap).toBe(twelve.tshark);
  });

  it('(i) 4-byte DSNs past a 32-bit wrap (extract.test.ts capture): tshark is 2^32 short, mpcap places them where the reassembly does', () => {
    for (const v of variants.slice(4)) {
      const r = res(v);
      expect(r.code, r.stderr).toBe(0);
      expect(r.diffs.filter((d) => d.allowedBy !== 'tshark-dsn32-wrap')).toEqual([]);
      // the mapping of DSN 2001..3000: sent as the 4-byte DSN 224 (0x1_000000e0, just past the wrap)
      const rows = r.tshark.map((row, i) => i).filter((i) => r.tshark[i]?.[col('tcp.options.mptcp.rawdataseqno')] === '224' && r.tshark[i]?.[col('tcp.len')] !== '0');
      expect(rows.length).toBe(3); // the first segment, the next with a DSS, and its retransmission
      for (const i of rows) {
        const [t, m] = [r.tshark[i] as string[], r.mpcap[i] as string[]];
        expect(t[col('tcp.options.mptcp.dseqn8.flag')]).toBe('0');
        const rel = BigInt(m[col('mpcap.dsn')] as string);
        expect(rel === 2001n || rel === 2501n, String(rel)).toBe(true);
        expect(m[col('mptcp.dsn')]).toBe(String(rel));
        expect(m[col('mptcp.rawdsn64')]).toBe(String(CLIENT.idsn + rel));
        expect(t[col('mptcp.dsn')]).toBe(String(u64(rel - TWO32)));
        expect(t[col('mptcp.rawdsn64')]).toBe(String(CLIENT.idsn + rel - TWO32));
        // the DSS's own DSN (mptcp.dss.dsn, and the Info column's seq=): the same error in tshark
        expect(m[col('mptcp.dss.dsn')]).toBe('2001');
        expect(t[col('mptcp.dss.dsn')]).toBe(String(u64(2001n - TWO32)));
      }
      expect(r.tshark[rows[0] as number]?.[col('mptcp.dsn')]).toBe('18446744069414586321');
      // the mapping that straddles the wrap (DSN 1001..2000, 4-byte DSN 0xfffffcf8) starts before it: equal
      const before = r.tshark.map((row, i) => i).filter((i) => r.tshark[i]?.[col('tcp.options.mptcp.rawdataseqno')] === String(0xfffffcf8));
      expect(before.length).toBe(2);
      for (const i of before) expect(r.mpcap[i]?.[col('mptcp.dsn')]).toBe(r.tshark[i]?.[col('mptcp.dsn')]);
      expect(r.diffs.filter((d) => d.field === 'mptcp.dsn').length).toBe(rows.length);
    }
  });

  it('(j) dsn-wrap.pcap frame 8: a 4-byte DSN beside an 8-byte data ACK, not widened by tshark', () => {
    expect(cell(DSN_WRAP_PCAP, 8, 'tcp.options.mptcp.dseqn8.flag').mpcap).toBe('0');
    expect(cell(DSN_WRAP_PCAP, 8, 'tcp.options.mptcp.dataack8.flag').mpcap).toBe('1');
    const raw = cell(DSN_WRAP_PCAP, 8, 'mptcp.rawdsn64');
    expect(raw.tshark).toBe(cell(DSN_WRAP_PCAP, 8, 'tcp.options.mptcp.rawdataseqno').tshark);
    expect(BigInt.asUintN(32, BigInt(raw.mpcap))).toBe(BigInt(raw.tshark));
    // mpcap's is the 64-bit DSN its reassembly gives the payload (mpcap.dsn), as tshark's frames 7 and 9 around it
    const idsn = BigInt(cell(DSN_WRAP_PCAP, 7, 'mptcp.rawdsn64').mpcap) - BigInt(cell(DSN_WRAP_PCAP, 7, 'mptcp.dsn').mpcap);
    expect(cell(DSN_WRAP_PCAP, 8, 'mptcp.dsn')).toEqual({ tshark: '9953279261836050437', mpcap: '5' });
    expect(BigInt(raw.mpcap) - idsn).toBe(5n);
    expect(cell(DSN_WRAP_PCAP, 8, 'mpcap.dsn').mpcap).toBe('5');
    for (const f of [7, 9]) expect(cell(DSN_WRAP_PCAP, f, 'mptcp.dsn').mpcap).toBe(cell(DSN_WRAP_PCAP, f, 'mptcp.dsn').tshark);
  });

  it('each exception is used, and only on the captures named', () => {
    const by = new Map<string, Set<string>>();
    for (const r of results.values()) if (!variants.includes(r.file)) for (const d of r.diffs) if (d.allowedBy) (by.get(d.allowedBy) ?? by.set(d.allowedBy, new Set()).get(d.allowedBy))?.add(path.basename(r.file));
    expect([...(by.get('tshark-join-syn-of-server') ?? [])].sort()).toEqual(['dsn-wrap.pcap', 'joins.pcap']);
    expect([...(by.get('tshark-dsn32-beside-ack64') ?? [])]).toEqual(['dsn-wrap.pcap']);
    // no capture of the corpus or the fixtures sends a 4-byte DSN past a wrap: only the crafted one above
    expect(by.get('tshark-dsn32-wrap')).toBeUndefined();
    // the kernel fixtures whose first subflow sends data with the MP_CAPABLE (checksum, gso-off, loss, path-down)
    expect(by.get('tshark-mp-capable-data-mappings')?.has('checksum.pcap')).toBe(true);
  });
});
