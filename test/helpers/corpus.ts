/**
 * Where the captures are (public corpus, real-kernel fixtures, crafted fixtures), tshark as the
 * reference decoder, and a few byte-level helpers to find and flip MPTCP options inside a file.
 *
 * tshark's output is cached on disk (keyed by the capture's size and mtime, the field list and the
 * tshark binary), and a lock file makes test files running in parallel compute each table once:
 * tshark takes 4 s on flood.pcap alone and several test files need the same tables.
 */
import { execFile, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync, openSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const corpusDir = path.resolve(repoRoot, '..', 'shared', 'corpus');
export const pcapsDir = path.join(repoRoot, 'fixtures', 'pcaps');
export const craftedDir = path.join(repoRoot, 'fixtures', 'crafted');

export const hasCorpus = existsSync(corpusDir) && statSync(corpusDir).isDirectory();

const CAPTURE_RE = /\.(pcap|pcapng|cap)(\.gz)?$/;

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name.startsWith('_') || e.name.startsWith('.')) continue; // _checks holds tshark text outputs
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p));
    else if (CAPTURE_RE.test(e.name)) out.push(p);
  }
  return out.sort();
}

/** Every capture of the public corpus (empty when the corpus is absent). */
export function corpusFiles(): string[] {
  return hasCorpus ? walk(corpusDir) : [];
}

export function corpusFile(rel: string): string {
  return path.join(corpusDir, rel);
}

export function fixturePcaps(): string[] {
  return walk(pcapsDir);
}

export function craftedPcaps(): string[] {
  return walk(craftedDir);
}

/** A short name for messages: `corpus/tcpdump/mptcp-v0.pcap`, `fixtures/crafted/options.pcap`. */
export function shortName(file: string): string {
  if (file.startsWith(corpusDir + path.sep)) return 'corpus/' + path.relative(corpusDir, file);
  return path.relative(repoRoot, file);
}

/** `NAME.cases`: "N<TAB>label" per line → Map(N → label). */
export function readCases(pcap: string): Map<number, string> {
  const casesPath = pcap.replace(/\.pcap$/, '.cases');
  const m = new Map<number, string>();
  for (const line of readFileSync(casesPath, 'utf8').split('\n')) {
    const t = line.indexOf('\t');
    if (t > 0) m.set(Number(line.slice(0, t)), line.slice(t + 1));
  }
  return m;
}

// ---------------------------------------------------------------- tshark

function which(cmd: string): string | null {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

export const tsharkPath = which('tshark');
export const hasTshark = tsharkPath !== null;

/**
 * Every field the compatibility test compares, in `-e` order. `tcp.options` (raw option bytes) is
 * not compared: it lets the tests check mpcap's values where tshark is known to be wrong.
 */
export const COMPAT_FIELDS: readonly string[] = [
  'frame.number', 'frame.len', 'frame.cap_len', 'frame.time_epoch',
  'ip.src', 'ip.dst', 'ipv6.src', 'ipv6.dst',
  'tcp.srcport', 'tcp.dstport', 'tcp.stream', 'tcp.len', 'tcp.seq_raw', 'tcp.ack_raw', 'tcp.flags',
  ...['subtype', 'version', 'flags', 'sendkey', 'recvkey', 'recvtok', 'sendrand', 'sendtrunchmac', 'sendhmac',
    'addrid', 'backup.flag', 'rawdataack', 'rawdataseqno', 'subflowseqno', 'datalvllen', 'checksum', 'ipv4',
    'ipv6', 'port', 'echo', 'addaddrtrunchmac', 'rst_reason'].map((f) => `tcp.options.mptcp.${f}`),
  'mptcp.stream', 'mptcp.expected_token', 'mptcp.expected_idsn', 'mptcp.ack',
  // issue 11: tshark's TCP sequence analysis and frame timing
  'frame.time_delta', 'frame.time_relative', 'tcp.seq', 'tcp.ack', 'tcp.nxtseq', 'tcp.window_size', 'tcp.window_size_value',
  'tcp.analysis.acks_frame', 'tcp.analysis.ack_rtt', 'tcp.analysis.bytes_in_flight', 'tcp.analysis.retransmission',
  // issue 11: the MPTCP flag bits as fields, reserved bits, and tshark's MPTCP analysis
  ...['checksumreq.flags', 'extensibility.flag', 'nomoresubflows.flag', 'reserved.flag', 'sha1.flag', 'sha256.flag',
    'datafin.flag', 'dseqn8.flag', 'dseqnpresent.flag', 'dataack8.flag', 'dataackpresent.flag',
    'flag_U.flag', 'flag_V.flag', 'flag_W.flag', 'flag_T.flag', 'reserved', 'ipver'].map((f) => `tcp.options.mptcp.${f}`),
  'mptcp.rm_addr.count', 'mptcp.analysis', 'mptcp.master', 'mptcp.analysis.subflows', 'mptcp.dss.dsn',
  // issue 11: the either-direction fields and the flag bits display filters use
  'ip.addr', 'ipv6.addr', 'tcp.port', 'tcp.flags.fin', 'tcp.flags.syn', 'tcp.flags.reset', 'tcp.flags.push', 'tcp.flags.ack',
];

/**
 * tshark's MPTCP mapping analysis and its expert fields, off by default in tshark: compared by
 * test/tshark-mappings.test.ts with MAPPING_PREFS (mpcap always computes them).
 */
export const MAPPING_FIELDS: readonly string[] = [
  'mptcp.rawdsn64', 'mptcp.dsn', 'mptcp.related_mapping', 'mptcp.reinjection_of', 'mptcp.reinjected_in', 'mptcp.dss.missing_mapping',
  'mptcp.dss.infinite_mapping', 'mptcp.connection.echoed_key_mismatch', 'mptcp.connection.missing_algorithm',
  'mptcp.connection.unsupported_algorithm',
];
export const MAPPING_PREFS: readonly string[] = ['mptcp.analyze_mappings:TRUE', 'mptcp.intersubflows_retransmission:TRUE'];

/** What tshark is run with: COMPAT_FIELDS, then the raw TCP options. */
export const TSHARK_FIELDS: readonly string[] = [...COMPAT_FIELDS, 'tcp.options'];

export type Table = string[][];

export function parseTable(text: string): Table {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => l.split('\t'));
}

const cacheDir = path.join(tmpdir(), 'mpcap-test-tshark-cache');

function cacheKey(file: string, fields: readonly string[], prefs: readonly string[]): string {
  const st = statSync(file);
  const ts = tsharkPath ? statSync(tsharkPath) : null;
  return createHash('sha256')
    .update(JSON.stringify([path.resolve(file), st.size, st.mtimeMs, fields, ts?.mtimeMs ?? 0, ...(prefs.length ? [prefs] : [])]))
    .digest('hex')
    .slice(0, 32);
}

function runTshark(file: string, fields: readonly string[], prefs: readonly string[]): Promise<string> {
  const args = ['-r', file, ...prefs.flatMap((p) => ['-o', p]), '-T', 'fields', ...fields.flatMap((f) => ['-e', f])];
  return new Promise((resolve, reject) => {
    // No -o and no -2: the reference is tshark's default single pass (NOTES §5).
    execFile(tsharkPath ?? 'tshark', args, { maxBuffer: 1 << 30, env: { ...process.env, LC_ALL: 'C' } }, (err, stdout, stderr) => {
      if (err) reject(new Error(`tshark failed on ${file}: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** tshark -T fields over `file` with TSHARK_FIELDS (default), cached; one row per frame. */
export async function tsharkTable(file: string, fields: readonly string[] = TSHARK_FIELDS, prefs: readonly string[] = []): Promise<Table> {
  mkdirSync(cacheDir, { recursive: true });
  const key = cacheKey(file, fields, prefs);
  const out = path.join(cacheDir, `${key}.tsv`);
  const lock = `${out}.lock`;
  for (;;) {
    if (existsSync(out)) return parseTable(readFileSync(out, 'utf8'));
    let fd: number;
    try {
      fd = openSync(lock, 'wx');
    } catch {
      // Another test process is computing it; a lock older than 2 minutes is a leftover.
      try {
        if (Date.now() - statSync(lock).mtimeMs > 120_000) unlinkSync(lock);
      } catch { /* gone meanwhile */ }
      await sleep(50);
      continue;
    }
    closeSync(fd);
    try {
      const text = await runTshark(file, fields, prefs);
      const tmp = `${out}.${process.pid}.tmp`;
      writeFileSync(tmp, text);
      renameSync(tmp, out);
      return parseTable(text);
    } finally {
      try { unlinkSync(lock); } catch { /* ignore */ }
    }
  }
}

/** Runs `fn` over `items` with at most `n` in flight; results in input order. */
export async function pool<T, R>(items: readonly T[], n: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  return results;
}

// ---------------------------------------------------------------- bytes

export function hexToBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export interface RawOption {
  kind: number;
  /** The whole option, kind and length bytes included. */
  bytes: Uint8Array;
}

/** Walks TCP option bytes (tshark's `tcp.options` hex) into options; stops at EOL or a bad length. */
export function walkTcpOptions(bytes: Uint8Array): RawOption[] {
  const out: RawOption[] = [];
  let i = 0;
  while (i < bytes.length) {
    const kind = bytes[i] as number;
    if (kind === 0) break;
    if (kind === 1) { i++; continue; }
    const len = bytes[i + 1];
    if (len === undefined || len < 2 || i + len > bytes.length) break;
    out.push({ kind, bytes: bytes.subarray(i, i + len) });
    i += len;
  }
  return out;
}

export const MPTCP_KIND = 30;

/**
 * The checksum an MPTCP option carries, as `0x%04x`, or null: MP_CAPABLE of length 24, and a DSS
 * whose length is the one its flags call for plus 2 (RFC 8684 §3.3: the checksum is the option's
 * last 2 bytes).
 */
export function optionChecksum(opt: Uint8Array): { hex: string; dss: boolean } | null {
  if (opt.length < 4) return null;
  const len = opt[1] as number;
  const subtype = (opt[2] as number) >> 4;
  const last2 = (): string => '0x' + (((opt[len - 2] as number) << 8) | (opt[len - 1] as number)).toString(16).padStart(4, '0');
  if (subtype === 0) return len === 24 ? { hex: last2(), dss: false } : null;
  if (subtype !== 2) return null;
  const flags = opt[3] as number;
  let expect = 4;
  if (flags & 0x01) expect += flags & 0x02 ? 8 : 4;
  if (flags & 0x04) expect += (flags & 0x08 ? 8 : 4) + 4 + 2;
  else return null; // no mapping, no checksum
  return len === expect + 2 ? { hex: last2(), dss: true } : null;
}

export interface CaptureRecord {
  number: number;
  /** Offset of the packet data (after the record header) in the file. */
  dataOffset: number;
  capLen: number;
  linkType: number;
}

/** Records of a classic pcap (either byte order, µs or ns). */
export function pcapRecords(buf: Uint8Array): CaptureRecord[] {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const magic = dv.getUint32(0, false);
  const le = magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1;
  if (!le && magic !== 0xa1b2c3d4 && magic !== 0xa1b23c4d) throw new Error('not a classic pcap');
  const linkType = dv.getUint32(20, le) & 0x0fffffff;
  const out: CaptureRecord[] = [];
  let at = 24;
  let n = 0;
  while (at + 16 <= buf.length) {
    const capLen = dv.getUint32(at + 8, le);
    out.push({ number: ++n, dataOffset: at + 16, capLen, linkType });
    at += 16 + capLen;
  }
  return out;
}

export interface FoundOption {
  frame: number;
  /** Offset of the option's kind byte in the file. */
  fileOffset: number;
  bytes: Uint8Array;
  srcPort: number;
  dstPort: number;
}

/**
 * Every MPTCP option (in classic pcap files with Ethernet, Linux SLL/SLL2 or raw IP links, IPv4
 * or IPv6 without extension headers) for which `match` is true. Finding options by walking the
 * headers, not by searching the bytes, so that a key or payload that happens to contain the same
 * bytes cannot be hit.
 */
export function findMptcpOptions(buf: Uint8Array, match: (opt: Uint8Array) => boolean): FoundOption[] {
  const found: FoundOption[] = [];
  for (const rec of pcapRecords(buf)) {
    const d = buf.subarray(rec.dataOffset, rec.dataOffset + rec.capLen);
    const l3 = rec.linkType === 1 ? 14 : rec.linkType === 113 ? 16 : rec.linkType === 276 ? 20 : rec.linkType === 101 ? 0 : -1;
    if (l3 < 0 || d.length < l3 + 20) continue;
    const ver = (d[l3] as number) >> 4;
    let l4: number;
    if (ver === 4) {
      if (d[l3 + 9] !== 6) continue;
      l4 = l3 + ((d[l3] as number) & 0x0f) * 4;
    } else if (ver === 6) {
      if (d[l3 + 6] !== 6) continue;
      l4 = l3 + 40;
    } else continue;
    if (d.length < l4 + 20) continue;
    const doff = ((d[l4 + 12] as number) >> 4) * 4;
    const opts = d.subarray(l4 + 20, Math.min(l4 + doff, d.length));
    let i = 0;
    while (i < opts.length) {
      const kind = opts[i] as number;
      if (kind === 0) break;
      if (kind === 1) { i++; continue; }
      const len = opts[i + 1];
      if (len === undefined || len < 2 || i + len > opts.length) break;
      const opt = opts.subarray(i, i + len);
      if (kind === MPTCP_KIND && match(opt)) {
        found.push({
          frame: rec.number, fileOffset: rec.dataOffset + l4 + 20 + i, bytes: opt,
          srcPort: ((d[l4] as number) << 8) | (d[l4 + 1] as number), dstPort: ((d[l4 + 2] as number) << 8) | (d[l4 + 3] as number),
        });
      }
      i += len;
    }
  }
  return found;
}

/** The sidecar `NAME.json` that scripts/mptcp-scenario.sh wrote beside a fixture `NAME.pcap`: what the
 * run itself recorded (packet count, the client's address and port, what the kernel counted), so
 * tests of the regenerable fixtures need not paste figures of one particular capture. */
export interface Sidecar {
  capture: { packets: number; size: number };
  client: { address: string; port: number; sent_bytes: number };
  server: { address: string; received_bytes: number };
  knobs: Record<string, unknown>;
  path_list: Array<{ path: number; client: string; server: string; wire_dropped_packets: number }>;
  kernel_counters?: Record<'client' | 'server', { nstat_delta: Record<string, number> }>;
}
export function sidecar(pcap: string): Sidecar {
  return JSON.parse(readFileSync(pcap.replace(/\.pcap$/, '.json'), 'utf8')) as Sidecar;
}
