#!/usr/bin/env node
// fuzz.mjs — a seeded, reproducible mutation fuzzer over the build in dist/ (issue #10).
//
// Usage:
//   node scripts/fuzz.mjs [--seed N] [--inputs N | --minutes N] [--corpus DIR] [--out DIR]
//                         [--jobs N] [--quick] [--timeout-ms N] [--tshark-every N] [--no-cross]
//   node scripts/fuzz.mjs --seed S --only N      re-run input N of seed S here, verbosely
//
// Input n of seed S is a pure function of (S, n, the seed files): a seed capture (fixtures/pcaps,
// fixtures/crafted, and --corpus DIR when given) with one to three mutations applied — bit flips
// over the whole file (as `editcap -E`), structure-aware edits found by walking the pcap records
// or pcapng blocks and the TCP/MPTCP options inside the frames (record and block lengths, block
// types, link types, if_tsresol/if_tsoffset, timestamps, TCP option kinds and lengths, MPTCP
// subtypes and flags, DSS lengths, IP/TCP header fields), truncation at every kind of boundary,
// splicing two captures, duplicated records, and gzip wrapping (cut, corrupt or with trailing
// garbage). Every input runs every command of COMMANDS below, in-process (`main(argv, io)` from
// dist/cli/main.js with in-memory streams), in child processes (--jobs) that the parent kills
// and records as a hang when an input takes longer than its budget.
//
// Oracles (a failure is any of): an exit code outside {0,3,4,5}; an exception or an unhandled
// rejection escaping main(); output that should be JSON and is not (analyze --json, -T json, each
// NDJSON line of live --json); dissect, analyze and live disagreeing on "unreadable / damaged /
// whole"; exit 0 with a fatal problem in the report; exit 0 where capinfos says the file is cut
// short or corrupt (when capinfos is installed); a packet count different from tshark's on files
// tshark reads completely (sampled, --tshark-every); an input whose commands together take more
// than --timeout-ms (default 10 s) of CPU — the process's own user + system time, so that a
// loaded machine does not make an input "slow"; a command that does not exit within --timeout-ms
// of wall time is a hang — or an RSS over 1 GB.
//
// Each failure is minimised (the file cut shorter, mutated bytes put back, while the same oracle
// still fails on the same command) and saved as OUT/FAIL-<seed>-<n>.pcap with a .txt beside it:
// seed, input, mutations, command, exit code, stderr tail and the commands that reproduce it.
// OUT/summary.json holds the final figures. Exit status: 0 when nothing failed, 1 otherwise.
import { fork, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const scriptPath = fileURLToPath(import.meta.url);

// ------------------------------------------------------------------ options

function usage(code) {
  process.stderr.write(readFileSync(scriptPath, 'utf8').split('\n').slice(1, 9).map((l) => l.replace(/^\/\/ ?/, '')).join('\n') + '\n');
  process.exit(code);
}

function parseArgs(argv) {
  const o = {
    seed: 1, inputs: null, minutes: null, corpus: null, out: path.join(repo, 'fuzz-out'), jobs: 2, quick: false,
    only: null, worker: false, timeoutMs: 10_000, tsharkEvery: 25, cross: true, maxSeedBytes: null, shrinkRuns: 120,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      const v = argv[++i];
      if (v === undefined) usage(2);
      return v;
    };
    if (a === '--seed') o.seed = Number(val());
    else if (a === '--inputs') o.inputs = Number(val());
    else if (a === '--minutes') o.minutes = Number(val());
    else if (a === '--corpus') o.corpus = path.resolve(val());
    else if (a === '--out') o.out = path.resolve(val());
    else if (a === '--jobs') o.jobs = Math.max(1, Number(val()));
    else if (a === '--quick') o.quick = true;
    else if (a === '--only') o.only = Number(val());
    else if (a === '--worker') o.worker = true;
    else if (a === '--timeout-ms') o.timeoutMs = Number(val());
    else if (a === '--tshark-every') o.tsharkEvery = Number(val());
    else if (a === '--no-cross') o.cross = false;
    else if (a === '--max-seed-bytes') o.maxSeedBytes = Number(val());
    else if (a === '--shrink-runs') o.shrinkRuns = Number(val());
    else if (a === '-h' || a === '--help') usage(0);
    else {
      process.stderr.write(`fuzz.mjs: unknown argument ${a}\n`);
      usage(2);
    }
  }
  if (o.inputs === null && o.minutes === null) o.inputs = o.quick ? 60 : 500;
  // Big seeds are cut (at a record boundary) so that one input stays well inside its time budget.
  if (o.maxSeedBytes === null) o.maxSeedBytes = o.quick ? 48 * 1024 : 512 * 1024;
  return o;
}

// ------------------------------------------------------------------ randomness

/** mulberry32: small, fast, and the same everywhere. */
function rng32(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const r = {
    next,
    int: (n) => Math.floor(next() * n),
    pick: (arr) => arr[Math.floor(next() * arr.length)],
    chance: (p) => next() < p,
  };
  return r;
}

/** One 32-bit seed per (campaign seed, input number), so input n never depends on input n-1. */
function inputSeed(seed, n) {
  let h = 2166136261 >>> 0;
  for (const ch of `${seed}:${n}`) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
  return h;
}

// ------------------------------------------------------------------ seeds

const CAPTURE_RE = /\.(pcap|pcapng|cap)(\.gz)?$/;

function walkDir(dir) {
  const out = [];
  if (!existsSync(dir)) return out;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name.startsWith('_') || e.name.startsWith('.')) continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...walkDir(p));
    else if (CAPTURE_RE.test(e.name)) out.push(p);
  }
  return out.sort();
}

function loadSeeds(o) {
  const files = [...walkDir(path.join(repo, 'fixtures', 'pcaps')), ...walkDir(path.join(repo, 'fixtures', 'crafted'))];
  if (o.corpus) files.push(...walkDir(o.corpus));
  const seeds = [];
  for (const file of files) {
    let bytes = readFileSync(file);
    if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = gunzipSync(bytes);
    bytes = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
    if (bytes.length > o.maxSeedBytes) bytes = cutAtBoundary(bytes, o.maxSeedBytes);
    seeds.push({ name: path.relative(repo, file).startsWith('..') ? `corpus:${path.relative(o.corpus ?? repo, file)}` : path.relative(repo, file), bytes });
  }
  return seeds;
}

/** The longest prefix ≤ max that ends between two records/blocks (a whole, smaller capture). */
function cutAtBoundary(bytes, max) {
  const w = walk(bytes);
  let end = w.headerEnd;
  for (const u of w.units) if (u.at + u.len <= max) end = u.at + u.len;
  return bytes.slice(0, Math.max(end, Math.min(max, w.headerEnd)));
}

// ------------------------------------------------------------------ walking a capture

const PCAP_MAGICS = new Map([[0xa1b2c3d4, false], [0xa1b23c4d, true]]);

function u16(b, at, le) { return le ? b[at] | (b[at + 1] << 8) : (b[at] << 8) | b[at + 1]; }
function u32(b, at, le) {
  return le ? (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0
    : ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
}
function put16(b, at, v, le) {
  if (at + 2 > b.length) return;
  if (le) { b[at] = v & 0xff; b[at + 1] = (v >>> 8) & 0xff; } else { b[at] = (v >>> 8) & 0xff; b[at + 1] = v & 0xff; }
}
function put32(b, at, v, le) {
  if (at + 4 > b.length) return;
  for (let i = 0; i < 4; i++) b[at + (le ? i : 3 - i)] = (v >>> (8 * i)) & 0xff;
}

/**
 * The structure of a pcap or pcapng file, as far as it is sound: units (records / blocks) with
 * where their fields are, and the frames they carry with the link type. Stops at the first
 * unit that does not fit.
 */
function walk(b) {
  const w = { format: null, le: true, headerEnd: 0, units: [], frames: [], idbs: [] };
  if (b.length < 4) return w;
  for (const le of [false, true]) {
    const magic = u32(b, 0, le);
    if (PCAP_MAGICS.has(magic)) {
      w.format = 'pcap';
      w.le = le;
    }
  }
  if (w.format === 'pcap') {
    const le = w.le;
    w.headerEnd = Math.min(24, b.length);
    const linkType = b.length >= 24 ? u32(b, 20, le) & 0x0fffffff : 1;
    for (let at = 24; at + 16 <= b.length;) {
      const capLen = u32(b, at + 8, le);
      if (capLen > 262144 || at + 16 + capLen > b.length) break;
      const unit = { kind: 'record', at, len: 16 + capLen, capLenAt: at + 8, origLenAt: at + 12, tsAt: [at, at + 4] };
      w.units.push(unit);
      w.frames.push({ dataAt: at + 16, capLen, linkType, unit });
      at += 16 + capLen;
    }
    return w;
  }
  if (u32(b, 0, true) !== 0x0a0d0d0a) return w;
  w.format = 'pcapng';
  let le = true;
  let ifaces = [];
  for (let at = 0; at + 12 <= b.length;) {
    if (u32(b, at, true) === 0x0a0d0d0a && at + 12 <= b.length) {
      if (u32(b, at + 8, true) === 0x1a2b3c4d) le = true;
      else if (u32(b, at + 8, false) === 0x1a2b3c4d) le = false;
      else break;
      if (at === 0) w.le = le;
      ifaces = [];
    }
    const type = u32(b, at, le);
    const len = u32(b, at + 4, le);
    if (len < 12 || len % 4 !== 0 || at + len > b.length) break;
    const unit = { kind: 'block', type, at, len, le, lenAt: [at + 4, at + len - 4] };
    w.units.push(unit);
    if (at === 0) w.headerEnd = len;
    if (type === 1 && len >= 20) {
      const idb = { at, len, le, linkTypeAt: at + 8, opts: [] };
      for (let o = at + 16; o + 4 <= at + len - 4;) {
        const code = u16(b, o, le);
        const olen = u16(b, o + 2, le);
        if (code === 0) {
          idb.endOfOpt = o;
          break;
        }
        idb.opts.push({ code, at: o, len: olen });
        o += 4 + olen + ((4 - (olen % 4)) % 4);
      }
      w.idbs.push(idb);
      ifaces.push(u16(b, at + 8, le));
    } else if ((type === 6 || type === 2) && len >= 32) {
      const capLen = u32(b, at + 20, le);
      unit.capLenAt = at + 20;
      unit.origLenAt = at + 24;
      unit.tsAt = [at + 12, at + 16];
      const ifId = type === 6 ? u32(b, at + 8, le) : u16(b, at + 8, le);
      if (capLen <= len - 32) w.frames.push({ dataAt: at + 28, capLen, linkType: ifaces[ifId] ?? 1, unit });
    } else if (type === 3 && len >= 16) {
      unit.origLenAt = at + 8;
      w.frames.push({ dataAt: at + 12, capLen: Math.min(u32(b, at + 8, le), len - 16), linkType: ifaces[0] ?? 1, unit });
    }
    at += len;
  }
  return w;
}

/** Where the IP and TCP headers and each TCP option of a frame are (null when not TCP). */
function walkFrame(b, f) {
  const end = f.dataAt + f.capLen;
  let l3 = -1;
  let ver = 0;
  switch (f.linkType) {
    case 1: { // Ethernet, with VLAN tags
      let et = f.dataAt + 12;
      while (et + 2 <= end && (u16(b, et, false) === 0x8100 || u16(b, et, false) === 0x88a8)) et += 4;
      l3 = et + 2;
      break;
    }
    case 113: l3 = f.dataAt + 16; break; // Linux cooked
    case 276: l3 = f.dataAt + 20; break; // Linux cooked v2
    case 0: case 108: l3 = f.dataAt + 4; break; // BSD loopback
    case 12: case 14: case 101: case 228: case 229: l3 = f.dataAt; break; // raw IP
    default: return null;
  }
  if (l3 + 20 > end) return null;
  ver = b[l3] >> 4;
  let tcp = -1;
  if (ver === 4) {
    if (b[l3 + 9] !== 6) return null;
    tcp = l3 + (b[l3] & 0x0f) * 4;
  } else if (ver === 6) {
    if (l3 + 40 > end) return null;
    let next = b[l3 + 6];
    let p = l3 + 40;
    for (let n = 0; n < 16 && (next === 0 || next === 43 || next === 60 || next === 44) && p + 8 <= end; n++) {
      const len = next === 44 ? 8 : (b[p + 1] + 1) * 8;
      next = b[p];
      p += len;
    }
    if (next !== 6) return null;
    tcp = p;
  } else return null;
  if (tcp + 20 > end) return null;
  const optEnd = Math.min(end, tcp + (b[tcp + 12] >> 4) * 4);
  const opts = [];
  for (let o = tcp + 20; o < optEnd;) {
    const kind = b[o];
    if (kind === 0) break;
    if (kind === 1) { o++; continue; }
    if (o + 1 >= optEnd) break;
    const len = b[o + 1];
    if (len < 2 || o + len > optEnd) break;
    opts.push({ at: o, kind, len });
    o += len;
  }
  return { l3, ver, tcp, opts };
}

// ------------------------------------------------------------------ mutations

const INTERESTING_32 = [0, 1, 2, 3, 4, 7, 8, 11, 12, 13, 15, 16, 31, 32, 63, 64, 127, 128, 255, 256, 1500, 65535, 65536, 262143, 262144, 262145, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];
const INTERESTING_16 = [0, 1, 2, 4, 8, 20, 40, 60, 255, 256, 1500, 0x7fff, 0x8000, 0xffff];
const LINK_TYPES = [0, 1, 9, 12, 14, 101, 104, 105, 108, 113, 127, 192, 220, 228, 229, 239, 276, 0xffff];
const BLOCK_TYPES = [0x0a0d0d0a, 1, 2, 3, 4, 5, 6, 7, 0xa, 0xbad, 0x40000bad, 0x80000001, 0xffffffff];
const TCP_KINDS = [0, 1, 2, 3, 4, 5, 8, 19, 28, 29, 30, 34, 253, 254, 255];

/** `k` random bytes changed, as `editcap -E p` does (at least one). */
function mBitFlips(b, r) {
  const p = r.pick([0.0002, 0.001, 0.005, 0.02]);
  const k = Math.max(1, Math.round(b.length * p * r.next() * 2));
  for (let i = 0; i < k; i++) {
    const at = r.int(b.length);
    b[at] = r.chance(0.5) ? b[at] ^ (1 << r.int(8)) : r.int(256);
  }
  return { bytes: b, desc: `${k} random byte errors (editcap -E ${p})` };
}

function pickUnit(w, r, pred = () => true) {
  const units = w.units.filter(pred);
  return units.length === 0 ? null : r.pick(units);
}

function interesting32(r, around) {
  return r.chance(0.5) || around === undefined ? r.pick(INTERESTING_32) : (around + r.pick([-4, -3, -2, -1, 1, 2, 3, 4, 8, 16])) >>> 0;
}

function mRecordLength(b, r, w) {
  const u = pickUnit(w, r, (x) => x.kind === 'record' || x.capLenAt !== undefined || x.kind === 'block');
  if (!u) return null;
  const le = u.le ?? w.le;
  const fields = [];
  if (u.capLenAt !== undefined) fields.push(['caplen', u.capLenAt]);
  if (u.origLenAt !== undefined) fields.push(['origlen', u.origLenAt]);
  if (u.lenAt) fields.push(['total length', u.lenAt[0]], ['trailing total length', u.lenAt[1]]);
  if (fields.length === 0) return null;
  const [name, at] = r.pick(fields);
  const v = interesting32(r, u32(b, at, le));
  put32(b, at, v, le);
  if (name === 'total length' && r.chance(0.5)) put32(b, u.lenAt[1], v, le);
  return { bytes: b, desc: `${u.kind} at byte ${u.at}: ${name} = ${v}` };
}

function mBlockType(b, r, w) {
  if (w.format !== 'pcapng') return null;
  const u = pickUnit(w, r, (x) => x.at > 0);
  if (!u) return null;
  const t = r.pick(BLOCK_TYPES);
  put32(b, u.at, t, u.le);
  return { bytes: b, desc: `block at byte ${u.at}: type 0x${u.type.toString(16)} → 0x${t.toString(16)}` };
}

function mLinkType(b, r, w) {
  const lt = r.chance(0.8) ? r.pick(LINK_TYPES) : r.int(0x10000);
  if (w.format === 'pcap' && b.length >= 24) {
    put32(b, 20, lt, w.le);
    return { bytes: b, desc: `pcap link type = ${lt}` };
  }
  if (w.idbs.length > 0) {
    const idb = r.pick(w.idbs);
    put16(b, idb.linkTypeAt, lt, idb.le);
    return { bytes: b, desc: `IDB at byte ${idb.at}: link type = ${lt}` };
  }
  return null;
}

function mIdbOption(b, r, w) {
  if (w.idbs.length === 0) return null;
  const idb = r.pick(w.idbs);
  const resol = idb.opts.find((o) => o.code === 9 && o.len >= 1);
  if (resol && r.chance(0.5)) {
    const v = r.pick([0, 1, 3, 6, 9, 12, 19, 20, 63, 0x7f, 0x80, 0x8a, 0x94, 0xbf, 0xff, r.int(256)]);
    b[resol.at + 4] = v;
    return { bytes: b, desc: `IDB at byte ${idb.at}: if_tsresol = 0x${v.toString(16)}` };
  }
  const values = [10_000_000_000_000n, -10_000_000_000_000n, (1n << 63n) - 1n, -(1n << 63n), 1n, -1n, BigInt(r.int(2 ** 31)) * 4096n];
  const v = r.pick(values);
  const off = idb.opts.find((o) => o.code === 14 && o.len === 8);
  const opt = new Uint8Array(8);
  new DataView(opt.buffer).setBigInt64(0, v, idb.le);
  if (off) {
    b.set(opt, off.at + 4);
    return { bytes: b, desc: `IDB at byte ${idb.at}: if_tsoffset = ${v}` };
  }
  // Insert an if_tsoffset option where opt_endofopt is (or before the trailer): the IDB grows by 12.
  const insertAt = idb.endOfOpt ?? idb.at + idb.len - 4;
  const ins = new Uint8Array(12);
  put16(ins, 0, 14, idb.le);
  put16(ins, 2, 8, idb.le);
  ins.set(opt, 4);
  const out = concat(b.subarray(0, insertAt), ins, b.subarray(insertAt));
  const len = idb.len + 12;
  put32(out, idb.at + 4, len, idb.le);
  put32(out, idb.at + len - 4, len, idb.le);
  return { bytes: out, desc: `IDB at byte ${idb.at}: if_tsoffset ${v} inserted` };
}

function mTimestamp(b, r, w) {
  const u = pickUnit(w, r, (x) => x.tsAt !== undefined);
  if (!u) return null;
  const le = u.le ?? w.le;
  const which = r.int(2);
  const v = r.pick([0, 1, 999_999, 1_000_000, 999_999_999, 1_000_000_000, 0x7fffffff, 0x80000000, 0xffffffff, r.int(2 ** 32)]);
  put32(b, u.tsAt[which], v, le);
  return { bytes: b, desc: `${u.kind} at byte ${u.at}: timestamp ${which === 0 ? 'high/seconds' : 'low/fraction'} = ${v}` };
}

/** A random TCP frame and its walk, or null. */
function pickTcp(b, r, w, pred = () => true) {
  for (let tries = 0; tries < 8 && w.frames.length > 0; tries++) {
    const f = r.pick(w.frames);
    const t = walkFrame(b, f);
    if (t && pred(t)) return { f, t };
  }
  // Fall back to a scan, so that a capture with few TCP frames still gets them mutated.
  const all = [];
  for (const f of w.frames) {
    const t = walkFrame(b, f);
    if (t && pred(t)) all.push({ f, t });
    if (all.length > 64) break;
  }
  return all.length ? r.pick(all) : null;
}

function mTcpOption(b, r, w) {
  const hit = pickTcp(b, r, w, (t) => t.opts.length > 0);
  if (!hit) return null;
  const opt = r.pick(hit.t.opts);
  if (r.chance(0.5)) {
    const k = r.pick(TCP_KINDS);
    b[opt.at] = k;
    return { bytes: b, desc: `TCP option at byte ${opt.at}: kind ${opt.kind} → ${k}` };
  }
  const l = r.pick([0, 1, 2, 3, opt.len - 1, opt.len + 1, opt.len + 4, 40, 255, r.int(256)]) & 0xff;
  b[opt.at + 1] = l;
  return { bytes: b, desc: `TCP option kind ${opt.kind} at byte ${opt.at}: length ${opt.len} → ${l}` };
}

function mMptcp(b, r, w) {
  const hit = pickTcp(b, r, w, (t) => t.opts.some((o) => o.kind === 30));
  if (!hit) return null;
  const opt = r.pick(hit.t.opts.filter((o) => o.kind === 30));
  const subtype = b[opt.at + 2] >> 4;
  switch (r.int(4)) {
    case 0: {
      const s = r.int(16);
      b[opt.at + 2] = (s << 4) | (b[opt.at + 2] & 0x0f);
      return { bytes: b, desc: `MPTCP option at byte ${opt.at}: subtype ${subtype} → ${s}` };
    }
    case 1: {
      const v = r.int(16);
      b[opt.at + 2] = (b[opt.at + 2] & 0xf0) | v;
      return { bytes: b, desc: `MPTCP option at byte ${opt.at}: low nibble (version/flags) → ${v}` };
    }
    case 2: {
      if (opt.len < 4) return null;
      const v = r.int(256);
      b[opt.at + 3] = v;
      return { bytes: b, desc: `MPTCP option (subtype ${subtype}) at byte ${opt.at}: flags byte → 0x${v.toString(16)}` };
    }
    default: {
      // DSS: the data-level length (after DSN and subflow sequence) or the option length.
      if (subtype === 2 && opt.len >= 14 && r.chance(0.6)) {
        const at = opt.at + opt.len - (opt.len % 4 === 0 ? 2 : 4);
        const v = r.pick(INTERESTING_16);
        put16(b, at, v, false);
        return { bytes: b, desc: `DSS at byte ${opt.at}: 16-bit field at byte ${at} (data-level length / checksum) → ${v}` };
      }
      const l = r.pick([3, 4, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 40]);
      b[opt.at + 1] = l;
      return { bytes: b, desc: `MPTCP option (subtype ${subtype}) at byte ${opt.at}: length ${opt.len} → ${l}` };
    }
  }
}

function mHeaders(b, r, w) {
  const hit = pickTcp(b, r, w);
  if (!hit) return null;
  const { l3, ver, tcp } = hit.t;
  switch (r.int(5)) {
    case 0: {
      const doff = r.int(16);
      b[tcp + 12] = (doff << 4) | (b[tcp + 12] & 0x0f);
      return { bytes: b, desc: `TCP at byte ${tcp}: data offset → ${doff}` };
    }
    case 1: {
      const fl = r.int(256);
      b[tcp + 13] = fl;
      return { bytes: b, desc: `TCP at byte ${tcp}: flags → 0x${fl.toString(16)}` };
    }
    case 2: {
      const v = r.pick(INTERESTING_16);
      put16(b, l3 + (ver === 4 ? 2 : 4), v, false);
      return { bytes: b, desc: `IPv${ver} at byte ${l3}: length field → ${v}` };
    }
    case 3: {
      if (ver === 4) {
        const ihl = r.int(16);
        b[l3] = 0x40 | ihl;
        return { bytes: b, desc: `IPv4 at byte ${l3}: IHL → ${ihl}` };
      }
      const nh = r.pick([0, 6, 17, 41, 43, 44, 50, 51, 59, 60, 135, 255]);
      b[l3 + 6] = nh;
      return { bytes: b, desc: `IPv6 at byte ${l3}: next header → ${nh}` };
    }
    default: {
      const p = r.pick([0, 4, 41, 47, 17, 6, 255]);
      if (ver === 4) b[l3 + 9] = p;
      else b[l3 + 6] = p;
      return { bytes: b, desc: `IPv${ver} at byte ${l3}: protocol → ${p}` };
    }
  }
}

function mTruncate(b, r, w) {
  const kind = r.pick(['file header', 'record header', 'record data', 'block', 'anywhere']);
  let at;
  if (kind === 'file header') at = r.int(Math.max(1, w.headerEnd || 24));
  else if (kind === 'anywhere' || w.units.length === 0) at = r.int(b.length);
  else {
    const u = r.pick(w.units);
    if (kind === 'record header') at = u.at + r.int(u.kind === 'record' ? 16 : 12);
    else if (kind === 'record data') at = u.at + (u.kind === 'record' ? 16 : 28) + r.int(Math.max(1, u.len - (u.kind === 'record' ? 16 : 28)));
    else at = u.at + 1 + r.int(Math.max(1, u.len - 1));
  }
  at = Math.min(at, b.length);
  return { bytes: b.slice(0, at), desc: `cut at byte ${at} (${kind})` };
}

function mSplice(b, r, w, seeds) {
  const other = r.pick(seeds);
  const wo = walk(other.bytes);
  const cutA = w.units.length ? r.pick(w.units).at : r.int(b.length);
  const mode = r.int(3);
  let tail;
  let desc;
  if (mode === 0) {
    const from = wo.units.length ? r.pick(wo.units).at : 0;
    tail = other.bytes.subarray(from);
    desc = `first ${cutA} bytes + ${other.name} from byte ${from}`;
  } else if (mode === 1) {
    tail = other.bytes;
    desc = `first ${cutA} bytes + the whole of ${other.name}`;
  } else {
    const from = r.int(other.bytes.length);
    tail = other.bytes.subarray(from, from + 1 + r.int(4096));
    desc = `first ${cutA} bytes + ${tail.length} bytes of ${other.name} from byte ${from}`;
  }
  return { bytes: concat(b.subarray(0, cutA), tail, b.subarray(cutA, r.chance(0.3) ? b.length : cutA)), desc: `splice: ${desc}` };
}

function mDuplicate(b, r, w) {
  const u = pickUnit(w, r, (x) => x.at > 0 && x.len < 4096);
  if (!u) return null;
  const k = r.pick([2, 10, 100, 300]);
  const rec = b.subarray(u.at, u.at + u.len);
  return { bytes: concat(b.subarray(0, u.at + u.len), ...Array.from({ length: k }, () => rec), b.subarray(u.at + u.len)), desc: `${u.kind} at byte ${u.at} repeated ${k} more times` };
}

function mGzip(b, r) {
  const gz = gzipSync(b);
  switch (r.int(6)) {
    case 0: return { bytes: gz, desc: 'gzip-wrapped' };
    case 1: return { bytes: gz.subarray(0, r.int(gz.length)), desc: 'gzip-wrapped, gzip stream cut' };
    case 2: {
      const c = Uint8Array.from(gz);
      const at = 10 + r.int(Math.max(1, c.length - 10));
      c[at] ^= 1 << r.int(8);
      return { bytes: c, desc: `gzip-wrapped, bit flipped in gzip byte ${at}` };
    }
    case 3: return { bytes: concat(gz, Uint8Array.from([0x00, 0x67, 0x61, 0x72, 0x62, 0x61, 0x67, 0x65])), desc: 'gzip-wrapped, trailing garbage' };
    case 4: return { bytes: concat(gz, gz), desc: 'gzip-wrapped, two members' };
    default: return { bytes: concat(gz, Uint8Array.from('garbage after the stream', (c) => c.charCodeAt(0))), desc: 'gzip-wrapped, trailing text' };
  }
}

const MUTATORS = [
  [mBitFlips, 3], [mRecordLength, 3], [mBlockType, 1], [mLinkType, 1], [mIdbOption, 1], [mTimestamp, 1],
  [mTcpOption, 3], [mMptcp, 4], [mHeaders, 2], [mTruncate, 3], [mSplice, 1], [mDuplicate, 1],
];
const TOTAL_WEIGHT = MUTATORS.reduce((n, [, wt]) => n + wt, 0);

function pickMutator(r) {
  let x = r.next() * TOTAL_WEIGHT;
  for (const [m, wt] of MUTATORS) {
    if ((x -= wt) < 0) return m;
  }
  return MUTATORS[0][0];
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Input n of seed S: a seed capture, one to three mutations, sometimes gzip-wrapped. */
function makeInput(seeds, seed, n) {
  const r = rng32(inputSeed(seed, n));
  const base = r.pick(seeds);
  let bytes = Uint8Array.from(base.bytes);
  const steps = [];
  const rounds = 1 + r.int(3);
  for (let i = 0, tries = 0; i < rounds && tries < 12; tries++) {
    const m = pickMutator(r);
    const res = m(bytes, r, walk(bytes), seeds);
    if (res === null) continue;
    bytes = res.bytes;
    steps.push(res.desc);
    i++;
  }
  if (r.chance(0.08)) {
    const res = mGzip(bytes, r);
    bytes = res.bytes;
    steps.push(res.desc);
  }
  return { n, base: base.bytes, baseName: base.name, bytes, steps };
}

// ------------------------------------------------------------------ running mpcap in-process

const FIELDS = ['-e', 'frame.number', '-e', 'frame.time_epoch', '-e', 'tcp.stream', '-e', 'mptcp.stream', '-e', 'tcp.options.mptcp.subtype', '-e', 'mpcap.dsn', '-e', 'mptcp.dsn', '-e', 'tcp.options.mptcp.datalvllen'];
const COMMANDS = [
  { name: 'dissect -V', argv: (f) => ['dissect', '-V', f] },
  { name: 'dissect -T json', argv: (f) => ['dissect', '-T', 'json', f], json: 'json' },
  { name: 'dissect -T fields', argv: (f) => ['dissect', '-T', 'fields', ...FIELDS, f] },
  { name: 'dissect', argv: (f) => ['dissect', f] },
  { name: 'analyze --json', argv: (f) => ['analyze', '--json', f], json: 'json' },
  { name: 'analyze', argv: (f) => ['analyze', f] },
  { name: 'extract', argv: (f) => ['extract', '--connection', '0', '--direction', 'c2s', '-o', '-', f], binary: true },
  { name: 'live -r - --json', argv: () => ['live', '-r', '-', '--json'], stdin: true, json: 'ndjson' },
  // display filters over garbage: every kind of field (numbers, addresses, strings, 64-bit, flags)
  { name: 'dissect -Y', argv: (f) => ['dissect', '-Y', 'mpcap.dsn > 10 || mptcp.dsn > 10 || ip.addr == 10.0.0.0/8 || tcp.port in {80, 443} || tcp.options.mptcp.subtype == 2 || mptcp.stream', '-T', 'fields', '-e', 'frame.number', f] },
  { name: 'report', argv: (f) => ['report', '--top', '2', '-o', REPORT_PAGE, f] },
  // the capture against itself: both readers, the subflow pairing and the per-packet matcher
  { name: 'compare', argv: (f) => ['compare', '--json', f, f], json: 'json' },
];
/** Where `report` writes its page (one per fuzzing process, overwritten by every input). */
const REPORT_PAGE = path.join(tmpdir(), `mpcap-fuzz-report-${process.pid}.html`);
const OK_CODES = new Set([0, 3, 4, 5]);
/** Output kept per command for the JSON checks; beyond it the check is skipped (the output is counted). */
const MAX_KEPT_OUTPUT = 64 * 1024 * 1024;
const RSS_LIMIT = 1024 * 1024 * 1024;

class Sink extends Writable {
  constructor() {
    super();
    this.chunks = [];
    this.size = 0;
    this.overflow = false;
  }
  _write(chunk, _enc, cb) {
    const c = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    this.size += c.length;
    if (this.size <= MAX_KEPT_OUTPUT) this.chunks.push(c);
    else this.overflow = true;
    cb();
  }
  text() {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

let mainFn = null;
async function loadMain() {
  if (mainFn) return mainFn;
  const dist = path.join(repo, 'dist', 'cli', 'main.js');
  if (!existsSync(dist)) throw new Error('dist/ is missing: run `npx tsc -p tsconfig.json` first');
  mainFn = (await import(pathToFileURL(dist).href)).main;
  return mainFn;
}

/** Escaped exceptions / rejections, attributed to the command running when they happened. */
const escaped = [];
function trapEscapes() {
  process.on('unhandledRejection', (e) => escaped.push(`unhandled rejection: ${e instanceof Error ? e.stack : String(e)}`));
  process.on('uncaughtException', (e) => escaped.push(`uncaught exception: ${e instanceof Error ? e.stack : String(e)}`));
}

async function runCommand(cmd, file, bytes, timeoutMs) {
  const main = await loadMain();
  const stdout = new Sink();
  const stderr = new Sink();
  const stdin = Readable.from(cmd.stdin ? [Buffer.from(bytes)] : []);
  const before = escaped.length;
  const t0 = performance.now();
  let timer;
  let code;
  let threw = null;
  try {
    code = await Promise.race([
      main(cmd.argv(file), { stdin, stdout, stderr, env: {} }),
      new Promise((resolve) => { timer = setTimeout(() => resolve('timeout'), timeoutMs); }),
    ]);
  } catch (e) {
    threw = e instanceof Error ? e.stack : String(e);
  } finally {
    clearTimeout(timer);
  }
  // Let stray promise rejections of this command surface before the next one starts.
  await new Promise((resolve) => setImmediate(resolve));
  return { cmd: cmd.name, code, threw, ms: performance.now() - t0, stdout, stderr, escaped: escaped.slice(before), rss: process.memoryUsage().rss };
}

// ------------------------------------------------------------------ oracles

function which(cmd) {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}
const capinfosPath = which('capinfos');
const tsharkPath = which('tshark');
const tcpdumpPath = which('tcpdump');

/**
 * capinfos' verdict: 'damaged' when it reports the file cut short or corrupt, 'ok', or null (not
 * run / not a capture to it). For a classic pcap, libwiretap guesses among pcap variants from the
 * first records (a record with caplen > origlen makes it pick a variant with longer headers, and then
 * every record is garbage to it), so there libpcap (tcpdump -r) must agree that the file is damaged.
 */
function capinfosVerdict(file, bytes) {
  if (!capinfosPath) return null;
  const r = spawnSync(capinfosPath, ['-c', file], { encoding: 'utf8', timeout: 20_000 });
  const err = `${r.stderr ?? ''}`;
  if (/isn't a capture file in a format|unknown file format|not a capture file|isn't a capture file/i.test(err)) return 'unreadable';
  if (!/cut short|appears to be damaged|bad record|corrupt|invalid|Less data was read than/i.test(err)) return r.status === 0 ? 'ok' : null;
  const w = walk(bytes);
  if (w.format === 'pcap' && tcpdumpPath) {
    const t = spawnSync(tcpdumpPath, ['-r', file, '-w', '/dev/null'], { encoding: 'utf8', timeout: 20_000 });
    if (t.status === 0) return 'ok';
  }
  return 'damaged';
}

/** tshark's packet count when it reads the file to its end without complaint, else null. */
function tsharkCount(file) {
  if (!tsharkPath) return null;
  const r = spawnSync(tsharkPath, ['-r', file, '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8', timeout: 60_000, maxBuffer: 1 << 28 });
  if (r.status !== 0 || /cut short|damaged|corrupt|error|invalid/i.test(r.stderr.replace(/Running as user "root".*\n?/, ''))) return null;
  return r.stdout.split('\n').filter((l) => l !== '').length;
}

function tail(s, lines = 15) {
  return s.split('\n').slice(-lines).join('\n');
}

/**
 * Runs the commands over one input and returns the failures: [{ oracle, command, code, detail, stderr }].
 * `only` limits the run to some commands (when shrinking); `extra` turns on the capinfos/tshark checks.
 */
async function evaluate(input, file, o, only = null, extra = { capinfos: true, tshark: false }) {
  writeFileSync(file, input.bytes);
  const failures = [];
  const results = new Map();
  let maxRss = 0;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  for (const cmd of COMMANDS) {
    if (only && !only.has(cmd.name)) continue;
    const r = await runCommand(cmd, file, input.bytes, o.timeoutMs);
    results.set(cmd.name, r);
    maxRss = Math.max(maxRss, r.rss);
    const fail = (oracle, detail) => failures.push({ oracle, command: cmd.name, code: r.code, detail, stderr: tail(r.stderr.text()) });
    if (r.code === 'timeout') {
      fail('hang', `no exit within ${o.timeoutMs} ms`);
      return { failures, results, ms: performance.now() - t0, maxRss, timedOut: true };
    }
    if (r.threw) fail('exception', r.threw);
    for (const e of r.escaped) fail('escaped', e);
    // extract --connection 0 of a capture that has none is the user's error (2), and says so
    const noSuchConnection = cmd.name === 'extract' && r.code === 2 && /there is no MPTCP connection/.test(r.stderr.text());
    if (!r.threw && !OK_CODES.has(r.code) && !noSuchConnection) fail('exit-code', `exit ${r.code}`);
    if (/internal error/.test(r.stderr.text())) fail('internal-error', tail(r.stderr.text(), 6));
    if (r.rss > RSS_LIMIT) fail('memory', `RSS ${Math.round(r.rss / 1048576)} MB after the command`);
    if (cmd.json && !r.stdout.overflow && r.stdout.size > 0) {
      const text = r.stdout.text();
      try {
        if (cmd.json === 'json') r.json = JSON.parse(text);
        else r.json = text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l));
      } catch (e) {
        fail('bad-json', `${e.message}; output starts ${JSON.stringify(text.slice(0, 80))}, ends ${JSON.stringify(text.slice(-80))}`);
      }
    }
  }
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  if (!only && cpuMs > o.timeoutMs) failures.push({ oracle: 'slow', command: '(all)', code: null, detail: `${Math.round(cpuMs)} ms of CPU (${Math.round(ms)} ms wall) for all commands`, stderr: '' });

  // Cross-checks between commands: they read the same bytes through the same reader.
  const code = (name) => results.get(name)?.code;
  const an = results.get('analyze --json');
  if (an?.json && an.code === 0 && an.json.capture?.problems?.some((p) => p.fatal)) {
    failures.push({ oracle: 'fatal-but-ok', command: 'analyze --json', code: 0, detail: 'a fatal capture problem in the report, exit 0', stderr: tail(an.stderr.text()) });
  }
  const readState = (c) => (c === 3 ? 'unreadable' : c === 4 ? 'damaged' : c === 0 || c === 5 ? 'read' : null);
  const gz = input.bytes[0] === 0x1f && input.bytes[1] === 0x8b;
  const pairs = [['dissect', 'analyze --json'], ...(gz ? [] : [['analyze --json', 'live -r - --json']])];
  for (const [a, b2] of pairs) {
    if (!results.has(a) || !results.has(b2)) continue;
    const sa = readState(code(a));
    const sb = readState(code(b2));
    if (sa && sb && sa !== sb) {
      failures.push({ oracle: 'disagree', command: b2, code: code(b2), detail: `${a} exits ${code(a)} (${sa}), ${b2} exits ${code(b2)} (${sb})`, stderr: `${a}:\n${tail(results.get(a).stderr.text(), 6)}\n${b2}:\n${tail(results.get(b2).stderr.text(), 6)}` });
    }
  }
  if (o.cross && extra.capinfos && an && an.code === 0) {
    const v = capinfosVerdict(file, input.bytes);
    if (v === 'damaged') failures.push({ oracle: 'damage-unreported', command: 'analyze --json', code: 0, detail: 'capinfos says the file is cut short or corrupt; mpcap exits 0', stderr: tail(an.stderr.text()) });
  }
  // tshark numbers pcapng custom blocks (0x00000BAD, 0x40000BAD) as frames; mpcap does not.
  const customBlocks = () => walk(input.bytes).units.some((u) => u.kind === 'block' && (u.type === 0xbad || u.type === 0x40000bad));
  if (o.cross && extra.tshark && an?.json && an.code === 0 && !customBlocks()) {
    const n = tsharkCount(file);
    if (n !== null && n !== an.json.capture.packets) {
      failures.push({ oracle: 'packet-count', command: 'analyze --json', code: 0, detail: `tshark reads ${n} packets, mpcap ${an.json.capture.packets}`, stderr: tail(an.stderr.text()) });
    }
  }
  return { failures, results, ms, cpuMs, maxRss, timedOut: false };
}

/** The commands a failure needs re-run to be seen again. */
function commandsFor(f) {
  if (f.oracle === 'disagree') return new Set(['dissect', 'analyze --json', 'live -r - --json']);
  if (f.oracle === 'slow' || f.oracle === 'hang') return null;
  return new Set([f.command]);
}

// ------------------------------------------------------------------ shrinking

/**
 * Makes the failing input smaller while the same oracle still fails on the same command: cut the
 * file shorter (halving steps), then put mutated bytes back (halves, then quarters...).
 */
async function shrink(input, failure, file, o) {
  const only = commandsFor(failure);
  if (only === null) return input.bytes;
  const extra = { capinfos: failure.oracle === 'damage-unreported', tshark: failure.oracle === 'packet-count' };
  let runs = 0;
  const deadline = performance.now() + 60_000;
  const fails = async (bytes) => {
    if (runs >= o.shrinkRuns || performance.now() > deadline) return false;
    runs++;
    const r = await evaluate({ ...input, bytes }, file, o, only, extra);
    if (r.timedOut) return false;
    return r.failures.some((f) => f.oracle === failure.oracle && f.command === failure.command);
  };
  let best = input.bytes;
  // 1. shorter
  for (let step = Math.floor(best.length / 2); step >= 1 && runs < o.shrinkRuns; step = Math.floor(step / 2)) {
    while (best.length - step > 0 && (await fails(best.subarray(0, best.length - step)))) best = best.slice(0, best.length - step);
  }
  // 2. mutated bytes put back (where the input still lines up with its seed)
  const base = input.base;
  let diff = [];
  for (let i = 0; i < Math.min(best.length, base.length); i++) if (best[i] !== base[i]) diff.push(i);
  for (let parts = 1; diff.length > 0 && parts <= diff.length && runs < o.shrinkRuns; parts *= 2) {
    const size = Math.ceil(diff.length / parts);
    let changed = false;
    for (let s = 0; s < diff.length && runs < o.shrinkRuns; s += size) {
      const group = diff.slice(s, s + size);
      const trial = Uint8Array.from(best);
      for (const i of group) trial[i] = base[i];
      if (await fails(trial)) {
        best = trial;
        diff = diff.filter((i) => !group.includes(i));
        changed = true;
        s -= size;
      }
    }
    if (changed) parts = Math.max(1, parts / 2);
  }
  return best;
}

// ------------------------------------------------------------------ saving failures

function reproArgv(cmdName, file) {
  const cmd = COMMANDS.find((c) => c.name === cmdName);
  if (!cmd) return `node bin/mpcap.js analyze --json ${file}`;
  const argv = cmd.argv(file).map((a) => (/^[\w./:=,-]+$/.test(a) ? a : `'${a}'`)).join(' ');
  return `node bin/mpcap.js ${argv}${cmd.stdin ? ` < ${file}` : ''}`;
}

function saveFailure(o, input, failure, bytes) {
  mkdirSync(o.out, { recursive: true });
  const stem = `FAIL-${o.seed}-${input.n}`;
  const pcap = path.join(o.out, `${stem}.pcap`);
  writeFileSync(pcap, bytes);
  const rel = path.relative(repo, pcap).startsWith('..') ? pcap : path.relative(repo, pcap);
  const text = [
    `seed: ${o.seed}`,
    `input: ${input.n}`,
    `from: ${input.baseName}`,
    `mutations: ${input.steps.join('; ') || '(none)'}`,
    `size: ${input.bytes.length} bytes, minimised to ${bytes.length}`,
    `oracle: ${failure.oracle}`,
    `command: ${failure.command}`,
    `exit code: ${failure.code}`,
    `detail: ${failure.detail}`,
    '',
    'stderr (tail):',
    failure.stderr,
    '',
    'reproduce:',
    `  node scripts/fuzz.mjs --seed ${o.seed} --only ${input.n}${o.corpus ? ` --corpus ${o.corpus}` : ''}${o.quick ? ' --quick' : ''}`,
    `  ${reproArgv(failure.command, rel)}`,
    '',
  ].join('\n');
  writeFileSync(path.join(o.out, `${stem}.txt`), text);
  return pcap;
}

// ------------------------------------------------------------------ one input, in this process

async function runInput(seeds, o, n, tmp, onHeartbeat = () => {}) {
  const input = makeInput(seeds, o.seed, n);
  const file = path.join(tmp, `input-${n}.pcap`);
  const extra = { capinfos: true, tshark: o.tsharkEvery > 0 && n % o.tsharkEvery === 0 };
  const r = await evaluate(input, file, o, null, extra);
  const saved = [];
  // One saved reproduction per input: the first failure (the others are listed in its .txt-less summary).
  const first = r.failures[0];
  if (first) {
    onHeartbeat();
    const small = r.timedOut ? input.bytes : await shrink(input, first, file, o);
    saved.push(saveFailure(o, input, first, small));
  }
  rmSync(file, { force: true });
  return {
    n, ms: r.ms, cpuMs: r.cpuMs ?? null, rss: r.maxRss, commands: r.results.size, timedOut: r.timedOut, steps: input.steps, base: input.baseName, size: input.bytes.length,
    failures: r.failures.map((f) => ({ oracle: f.oracle, command: f.command, code: f.code, detail: f.detail.split('\n')[0].slice(0, 300) })),
    saved,
  };
}

// ------------------------------------------------------------------ worker and parent

async function worker(o) {
  trapEscapes();
  const seeds = loadSeeds(o);
  const tmp = mkdtempSync(path.join(tmpdir(), 'mpcap-fuzz-'));
  await loadMain();
  process.on('message', async (msg) => {
    if (msg.type === 'stop') {
      rmSync(tmp, { recursive: true, force: true });
      process.exit(0);
    }
    if (msg.type !== 'run') return;
    const res = await runInput(seeds, o, msg.n, tmp, () => process.send({ type: 'heartbeat', n: msg.n }));
    process.send({ type: 'result', res });
    if (res.timedOut) process.exit(0); // the hung command may still be running here: start afresh
  });
  process.send({ type: 'ready', seeds: seeds.length });
}

function forwardArgs(o) {
  const a = ['--worker', '--seed', String(o.seed), '--out', o.out, '--timeout-ms', String(o.timeoutMs), '--tshark-every', String(o.tsharkEvery),
    '--max-seed-bytes', String(o.maxSeedBytes), '--shrink-runs', String(o.shrinkRuns)];
  if (o.corpus) a.push('--corpus', o.corpus);
  if (o.quick) a.push('--quick');
  if (!o.cross) a.push('--no-cross');
  return a;
}

async function parent(o) {
  const seeds = loadSeeds(o);
  if (!existsSync(path.join(repo, 'dist', 'cli', 'main.js'))) {
    process.stderr.write('fuzz.mjs: dist/ is missing: run `npx tsc -p tsconfig.json` first\n');
    process.exit(2);
  }
  const started = Date.now();
  const deadline = o.minutes !== null ? started + o.minutes * 60_000 : Infinity;
  const limit = o.inputs ?? Infinity;
  let next = 0;
  const stats = { inputs: 0, commands: 0, failures: [], hangs: 0, slowest: null, largestRss: null };
  // An input's budget: every command at its timeout, plus shrinking (heartbeats push it back).
  const budgetMs = o.timeoutMs * (COMMANDS.length + 2);
  process.stderr.write(`fuzz.mjs: seed ${o.seed}, ${seeds.length} seed captures, ${o.jobs} jobs, ${o.minutes !== null ? `${o.minutes} minutes` : `${limit} inputs`}\n`);

  const record = (res) => {
    stats.inputs++;
    stats.commands += res.commands;
    if (!stats.slowest || res.ms > stats.slowest.ms) stats.slowest = { n: res.n, ms: Math.round(res.ms), cpuMs: res.cpuMs === null || res.cpuMs === undefined ? null : Math.round(res.cpuMs), base: res.base, size: res.size, steps: res.steps };
    if (!stats.largestRss || res.rss > stats.largestRss.rss) stats.largestRss = { n: res.n, rss: res.rss, mb: Math.round(res.rss / 1048576), base: res.base };
    if (res.failures.length > 0) {
      stats.failures.push({ n: res.n, base: res.base, steps: res.steps, failures: res.failures, saved: res.saved });
      process.stderr.write(`FAIL input ${res.n} (${res.base}; ${res.steps.join('; ')}): ${res.failures.map((f) => `${f.oracle} in ${f.command}: ${f.detail}`).join(' | ')}\n  saved: ${res.saved.join(', ')}\n`);
    }
    if (stats.inputs % 100 === 0) process.stderr.write(`fuzz.mjs: ${stats.inputs} inputs, ${stats.commands} commands, ${stats.failures.length} failing, ${Math.round((Date.now() - started) / 1000)} s\n`);
  };

  const more = () => next < limit && Date.now() < deadline;

  await new Promise((resolveAll) => {
    let live = 0;
    const spawnWorker = () => {
      if (!more()) {
        if (live === 0) resolveAll();
        return;
      }
      live++;
      const child = fork(scriptPath, forwardArgs(o), { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], execArgv: ['--max-old-space-size=2048'] });
      let current = null;
      let timer = null;
      let done = false;
      const arm = () => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          // A hang (or a command that blocks the event loop): kill it, save the input, go on.
          if (current !== null) {
            const input = makeInput(seeds, o.seed, current);
            const failure = { oracle: 'hang', command: '(killed by the parent)', code: null, detail: `no result within ${budgetMs} ms`, stderr: '' };
            const saved = saveFailure(o, input, failure, input.bytes);
            stats.hangs++;
            record({ n: current, ms: budgetMs, rss: 0, commands: 0, steps: input.steps, base: input.baseName, size: input.bytes.length, failures: [failure], saved: [saved] });
            current = null;
          }
          child.kill('SIGKILL');
        }, budgetMs);
      };
      const give = () => {
        if (!more()) {
          current = null;
          clearTimeout(timer);
          child.send({ type: 'stop' });
          return;
        }
        current = next++;
        arm();
        child.send({ type: 'run', n: current });
      };
      child.on('message', (msg) => {
        if (msg.type === 'ready') give();
        else if (msg.type === 'heartbeat') arm();
        else if (msg.type === 'result') {
          clearTimeout(timer);
          current = null;
          record(msg.res);
          if (!msg.res.timedOut) give();
        }
      });
      child.on('exit', () => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        if (current !== null) {
          // Died without a result (out of memory, a crash of node itself): a failure too.
          const input = makeInput(seeds, o.seed, current);
          const failure = { oracle: 'worker-died', command: '(worker)', code: child.exitCode, detail: `worker exited with ${child.exitCode ?? child.signalCode} during the input`, stderr: '' };
          record({ n: current, ms: 0, rss: 0, commands: 0, steps: input.steps, base: input.baseName, size: input.bytes.length, failures: [failure], saved: [saveFailure(o, input, failure, input.bytes)] });
        }
        live--;
        spawnWorker();
      });
    };
    for (let j = 0; j < o.jobs; j++) spawnWorker();
  });

  const elapsedSec = Math.round((Date.now() - started) / 1000);
  const summary = {
    seed: o.seed, quick: o.quick, corpus: o.corpus, seeds: seeds.length, jobs: o.jobs, elapsedSec,
    inputs: stats.inputs, commands: stats.commands, failingInputs: stats.failures.length, hangs: stats.hangs,
    slowest: stats.slowest, largestRss: stats.largestRss, failures: stats.failures,
  };
  mkdirSync(o.out, { recursive: true });
  writeFileSync(path.join(o.out, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  process.stdout.write([
    `inputs: ${summary.inputs}`,
    `commands run: ${summary.commands}`,
    `failing inputs: ${summary.failingInputs} (hangs: ${summary.hangs})`,
    `slowest input: ${stats.slowest ? `#${stats.slowest.n} (${stats.slowest.base}, ${stats.slowest.size} bytes) ${stats.slowest.ms} ms${stats.slowest.cpuMs === null ? '' : ` (${stats.slowest.cpuMs} ms of CPU)`}` : '-'}`,
    `largest RSS: ${stats.largestRss ? `${stats.largestRss.mb} MB (input #${stats.largestRss.n})` : '-'}`,
    `elapsed: ${elapsedSec} s, ${o.jobs} jobs, seed ${o.seed}`,
    `summary: ${path.join(o.out, 'summary.json')}`,
    '',
  ].join('\n'));
  process.exit(summary.failingInputs > 0 ? 1 : 0);
}

async function only(o) {
  trapEscapes();
  const seeds = loadSeeds(o);
  const tmp = mkdtempSync(path.join(tmpdir(), 'mpcap-fuzz-'));
  const input = makeInput(seeds, o.seed, o.only);
  process.stderr.write(`input ${o.only} of seed ${o.seed}: ${input.baseName}, ${input.bytes.length} bytes; ${input.steps.join('; ')}\n`);
  const r = await evaluate(input, path.join(tmp, 'input.pcap'), o, null, { capinfos: true, tshark: true });
  for (const [name, res] of r.results) process.stderr.write(`  ${name}: exit ${res.code}, ${Math.round(res.ms)} ms\n`);
  for (const f of r.failures) process.stderr.write(`FAIL ${f.oracle} in ${f.command} (exit ${f.code}): ${f.detail}\n${f.stderr}\n`);
  if (r.failures.length > 0) {
    const small = r.timedOut ? input.bytes : await shrink(input, r.failures[0], path.join(tmp, 'shrink.pcap'), o);
    process.stderr.write(`saved ${saveFailure(o, input, r.failures[0], small)}\n`);
  }
  rmSync(tmp, { recursive: true, force: true });
  process.exit(r.failures.length > 0 ? 1 : 0);
}

const opts = parseArgs(process.argv.slice(2));
if (opts.worker) await worker(opts);
else if (opts.only !== null) await only(opts);
else await parent(opts);
