/**
 * tshark's MPTCP mapping analysis, cell by cell: mpcap's mptcp.rawdsn64, mptcp.related_mapping,
 * mptcp.reinjection_of, mptcp.reinjected_in and the five MPTCP expert fields against tshark 4.0.17
 * run with `-o mptcp.analyze_mappings:TRUE -o mptcp.intersubflows_retransmission:TRUE` (off by
 * default in tshark; mpcap always computes them), on every capture of the public corpus and every
 * fixture, plus copies of crafted captures with one MP_CAPABLE's flags or one DSS's length changed
 * (no capture has a missing algorithm or an infinite mapping).
 *
 * The differences allowed are two tshark bugs (README "Where mpcap and tshark differ"), each
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

/** Columns: the compared fields, then what the exceptions read (tshark's view of each row). */
const CONTEXT = ['frame.number', 'tcp.flags', 'tcp.len', 'tcp.options.mptcp.subtype', 'tcp.options.mptcp.datalvllen', 'tcp.options.mptcp.recvtok', 'tcp.options.mptcp.rawdataseqno', 'mptcp.expected_idsn'];
const FIELDS = [...MAPPING_FIELDS, ...CONTEXT];
const col = (f: string): number => FIELDS.indexOf(f);

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

async function compare(file: string): Promise<Result> {
  const [tshark, run] = await Promise.all([
    tsharkTable(file, FIELDS, MAPPING_PREFS),
    runBinAsync(['dissect', '-T', 'fields', ...FIELDS.flatMap((f) => ['-e', f]), file]),
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
      const mapping = field === 'mptcp.rawdsn64' || field === 'mptcp.related_mapping' || field === 'mptcp.reinjection_of';
      if (mapping && (lagging.has(r + 1) || (field === 'mptcp.reinjection_of' && m.split(',').some((f) => lagging.has(Number(f)))))) allowedBy = 'tshark-mp-capable-data-mappings';
      else if (field === 'mptcp.rawdsn64' && joinSynOfServer(tshark, mpcap, r, idsn)) allowedBy = 'tshark-join-syn-of-server';
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
    expect(count.get('mptcp.rawdsn64')).toBeGreaterThan(20_000);
    expect(count.get('mptcp.related_mapping')).toBeGreaterThan(5_000);
    // the corpus pair client_2 / server_2 has 87; the kernel fixtures only what their runs happened to reinject
    expect(count.get('mptcp.reinjection_of')).toBeGreaterThan(hasCorpus ? 50 : 0);
    expect(count.get('mptcp.dss.missing_mapping')).toBeGreaterThan(1_000);
    expect(count.get('mptcp.connection.echoed_key_mismatch')).toBeGreaterThan(0);
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

  it('each exception is used, and only on the captures named', () => {
    const by = new Map<string, Set<string>>();
    for (const r of results.values()) if (!variants.includes(r.file)) for (const d of r.diffs) if (d.allowedBy) (by.get(d.allowedBy) ?? by.set(d.allowedBy, new Set()).get(d.allowedBy))?.add(path.basename(r.file));
    expect([...(by.get('tshark-join-syn-of-server') ?? [])].sort()).toEqual(['dsn-wrap.pcap', 'joins.pcap']);
    // the kernel fixtures whose first subflow sends data with the MP_CAPABLE (checksum, gso-off, loss, path-down)
    expect(by.get('tshark-mp-capable-data-mappings')?.has('checksum.pcap')).toBe(true);
  });
});
