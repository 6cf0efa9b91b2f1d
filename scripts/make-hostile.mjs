#!/usr/bin/env node
// make-hostile.mjs — adversarial scale captures for mpcap (issue #10), written by a script so
// that none of them has to live in the repository.
//
// Usage:
//   node scripts/make-hostile.mjs DIR [--small] [--only NAME[,NAME...]] [--count N]
//
//   DIR       where to write the files (created); the big ones take up to 1.1 GB each
//   --small   a few thousand packets of each (what test/hostile-scale.test.ts runs)
//   --only    just these (names below, without .pcap)
//   --count   override the packet / connection / record count of every file written
//
// Files (big size, small size):
//   syn-scan-1m       SYNs from 1 M distinct 4-tuples, raw IPv4 (LINKTYPE_RAW)          / 3000
//   syn-scan-2m       the same with 2 M                                                   / 4000
//   syn-scan-v6       SYNs from 1 M distinct IPv6 sources (2001:db8::/32), raw IPv6       / 3000
//   mpc-syn-flood     1 M SYNs with MP_CAPABLE, distinct 4-tuples, raw IPv4              / 3000
//   mpc-handshakes    300 k full MP_CAPABLE handshakes (SYN, SYN/ACK, ACK: 900 k packets) / 1000
//   joins             one MP_CAPABLE connection, then 200 k MP_JOIN handshakes to its token
//                     (600 k packets; the HMACs do not verify)                           / 1000
//   zeros             a pcap header, then 1 GiB of zeros: 67 M empty 16-byte records     / 4096
//   caplen-bound      2000 Ethernet frames of exactly 262144 captured bytes (the pcap max) / 8
//
// Every record is written in file order with a 1 µs clock; memory stays at one 4 MiB buffer.
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';

const LINKTYPE_ETHERNET = 1;
const LINKTYPE_RAW = 101;
const PCAP_MAX_CAPLEN = 262144;
const FLUSH_BYTES = 4 * 1024 * 1024;
const TCP_SYN = 0x02;
const TCP_ACK = 0x10;

const FILES = {
  'syn-scan-1m': { big: 1_000_000, small: 3000, make: synScan },
  'syn-scan-2m': { big: 2_000_000, small: 4000, make: synScan },
  'syn-scan-v6': { big: 1_000_000, small: 3000, make: synScanV6 },
  'mpc-syn-flood': { big: 1_000_000, small: 3000, make: mpcSynFlood },
  'mpc-handshakes': { big: 300_000, small: 1000, make: mpcHandshakes },
  joins: { big: 200_000, small: 1000, make: joins },
  zeros: { big: 2 ** 30 / 16, small: 4096, make: zeros },
  'caplen-bound': { big: 2000, small: 8, make: caplenBound },
};

function usage(code) {
  process.stderr.write('usage: node scripts/make-hostile.mjs DIR [--small] [--only NAME[,NAME...]] [--count N]\n');
  process.stderr.write(`names: ${Object.keys(FILES).join(', ')}\n`);
  process.exit(code);
}

/** Buffered little-endian pcap writer. */
class PcapOut {
  constructor(file, linkType, snapLen = PCAP_MAX_CAPLEN) {
    this.fd = openSync(file, 'w');
    this.buf = Buffer.alloc(FLUSH_BYTES + PCAP_MAX_CAPLEN + 64);
    this.len = 0;
    this.records = 0;
    this.bytes = 0;
    const h = this.buf;
    h.writeUInt32LE(0xa1b2c3d4, 0);
    h.writeUInt16LE(2, 4);
    h.writeUInt16LE(4, 6);
    h.writeUInt32LE(0, 8);
    h.writeUInt32LE(0, 12);
    h.writeUInt32LE(snapLen, 16);
    h.writeUInt32LE(linkType, 20);
    this.len = 24;
    this.usec = 0;
  }

  /** Room for a record of `capLen` bytes: returns the offset where its data goes. */
  record(capLen, origLen = capLen) {
    if (this.len + 16 + capLen > FLUSH_BYTES) this.flush();
    const b = this.buf;
    const t = this.usec++;
    b.writeUInt32LE(1_700_000_000 + Math.floor(t / 1e6), this.len);
    b.writeUInt32LE(t % 1e6, this.len + 4);
    b.writeUInt32LE(capLen, this.len + 8);
    b.writeUInt32LE(origLen, this.len + 12);
    const at = this.len + 16;
    this.len = at + capLen;
    this.records++;
    return at;
  }

  flush() {
    if (this.len > 0) writeSync(this.fd, this.buf, 0, this.len);
    this.bytes += this.len;
    this.len = 0;
  }

  close() {
    this.flush();
    closeSync(this.fd);
    return { records: this.records, bytes: this.bytes };
  }
}

/** IPv4 (20 bytes, no options) + TCP with `opts` at `at`; returns the length written. */
function ipv4Tcp(b, at, src, dst, sport, dport, seq, ack, flags, opts = null, payloadLen = 0) {
  const optLen = opts ? (opts.length + 3) & ~3 : 0;
  const tcpLen = 20 + optLen;
  const total = 20 + tcpLen + payloadLen;
  b.fill(0, at, at + 20 + tcpLen);
  b[at] = 0x45;
  b.writeUInt16BE(Math.min(total, 0xffff), at + 2);
  b.writeUInt16BE(0x4000, at + 6); // DF
  b[at + 8] = 64;
  b[at + 9] = 6;
  b.writeUInt32BE(src >>> 0, at + 12);
  b.writeUInt32BE(dst >>> 0, at + 16);
  const t = at + 20;
  b.writeUInt16BE(sport, t);
  b.writeUInt16BE(dport, t + 2);
  b.writeUInt32BE(seq >>> 0, t + 4);
  b.writeUInt32BE(ack >>> 0, t + 8);
  b[t + 12] = (tcpLen / 4) << 4;
  b[t + 13] = flags;
  b.writeUInt16BE(65535, t + 14);
  if (opts) opts.copy(b, t + 20);
  return 20 + tcpLen;
}

const SERVER = (10 << 24) | (255 << 16) | 1; // 10.255.0.1
/** Distinct source addresses 10.x.y.z (16 M of them) with ports that vary too. */
const clientAddr = (i) => (11 << 24) + i;
const clientPort = (i) => 1024 + (i % 64000);

function synScan(file, n) {
  const out = new PcapOut(file, LINKTYPE_RAW);
  for (let i = 0; i < n; i++) {
    const at = out.record(40);
    ipv4Tcp(out.buf, at, clientAddr(i), SERVER, clientPort(i), 80, i * 7919, 0, TCP_SYN);
  }
  return out.close();
}

/** IPv6 (40 bytes, no extension headers) + a bare TCP SYN at `at`, from 2001:db8::i to 2001:db8:ffff::1. */
function ipv6Syn(b, at, i, sport, dport, seq) {
  b.fill(0, at, at + 60);
  b[at] = 0x60;
  b.writeUInt16BE(20, at + 4); // payload length
  b[at + 6] = 6; // next header: TCP
  b[at + 7] = 64;
  b.writeUInt32BE(0x20010db8, at + 8);
  b.writeUInt32BE(Math.floor(i / 2 ** 32) >>> 0, at + 16);
  b.writeUInt32BE(i >>> 0, at + 20);
  b.writeUInt32BE(0x20010db8, at + 24);
  b.writeUInt32BE(0xffff0000, at + 28);
  b.writeUInt32BE(1, at + 36);
  const t = at + 40;
  b.writeUInt16BE(sport, t);
  b.writeUInt16BE(dport, t + 2);
  b.writeUInt32BE(seq >>> 0, t + 4);
  b[t + 12] = 5 << 4;
  b[t + 13] = TCP_SYN;
  b.writeUInt16BE(65535, t + 14);
}

function synScanV6(file, n) {
  const out = new PcapOut(file, LINKTYPE_RAW);
  for (let i = 0; i < n; i++) ipv6Syn(out.buf, out.record(60), i + 1, clientPort(i), 80, i * 7919);
  return out.close();
}

// MPTCP v1 options (RFC 8684 §3.1, §3.2), flags H (HMAC-SHA256) only.
const MPC_SYN = Buffer.from([30, 4, 0x01, 0x01]);
function mpcSynAck(key) {
  const o = Buffer.alloc(12);
  o[0] = 30; o[1] = 12; o[2] = 0x01; o[3] = 0x01;
  o.writeBigUInt64BE(key, 4);
  return o;
}
function mpcAck(clientKey, serverKey) {
  const o = Buffer.alloc(20);
  o[0] = 30; o[1] = 20; o[2] = 0x01; o[3] = 0x01;
  o.writeBigUInt64BE(clientKey, 4);
  o.writeBigUInt64BE(serverKey, 12);
  return o;
}

function mpcSynFlood(file, n) {
  const out = new PcapOut(file, LINKTYPE_RAW);
  for (let i = 0; i < n; i++) {
    const at = out.record(44);
    ipv4Tcp(out.buf, at, clientAddr(i), SERVER, clientPort(i), 80, i * 7919, 0, TCP_SYN, MPC_SYN);
  }
  return out.close();
}

const key = (i, side) => (BigInt(i + 1) << 20n) | BigInt(side);

function handshake(out, i, src, sport) {
  const cisn = i * 7919;
  const sisn = i * 104729;
  ipv4Tcp(out.buf, out.record(44), src, SERVER, sport, 80, cisn, 0, TCP_SYN, MPC_SYN);
  ipv4Tcp(out.buf, out.record(52), SERVER, src, 80, sport, sisn, cisn + 1, TCP_SYN | TCP_ACK, mpcSynAck(key(i, 2)));
  ipv4Tcp(out.buf, out.record(60), src, SERVER, sport, 80, cisn + 1, sisn + 1, TCP_ACK, mpcAck(key(i, 1), key(i, 2)));
}

function mpcHandshakes(file, n) {
  const out = new PcapOut(file, LINKTYPE_RAW);
  for (let i = 0; i < n; i++) handshake(out, i, clientAddr(i), clientPort(i));
  return out.close();
}

function joins(file, n) {
  const out = new PcapOut(file, LINKTYPE_RAW);
  handshake(out, 0, clientAddr(0), 40000);
  const token = 0x12345678; // not the connection's: a flood of joins whose HMACs cannot verify either way
  for (let i = 0; i < n; i++) {
    const src = clientAddr(i + 1);
    const sport = clientPort(i + 1);
    const syn = Buffer.alloc(12);
    syn[0] = 30; syn[1] = 12; syn[2] = 0x10; syn[3] = 1 + (i % 250);
    syn.writeUInt32BE(token, 4);
    syn.writeUInt32BE(i, 8);
    const synAck = Buffer.alloc(16);
    synAck[0] = 30; synAck[1] = 16; synAck[2] = 0x10; synAck[3] = 0;
    synAck.writeUInt32BE(i, 4);
    synAck.writeUInt32BE(~i >>> 0, 12);
    const ack = Buffer.alloc(24);
    ack[0] = 30; ack[1] = 24; ack[2] = 0x10;
    ack.writeUInt32BE(i, 4);
    ipv4Tcp(out.buf, out.record(52), src, SERVER, sport, 80, i, 0, TCP_SYN, syn);
    ipv4Tcp(out.buf, out.record(56), SERVER, src, 80, sport, ~i, i + 1, TCP_SYN | TCP_ACK, synAck);
    ipv4Tcp(out.buf, out.record(64), src, SERVER, sport, 80, i + 1, ~i + 1, TCP_ACK, ack);
  }
  return out.close();
}

function zeros(file, n) {
  // 16 zero bytes are an empty record (time 0, caplen 0, origlen 0): written as one big run.
  const out = new PcapOut(file, LINKTYPE_ETHERNET);
  out.flush();
  const chunk = Buffer.alloc(FLUSH_BYTES);
  let left = n * 16;
  while (left > 0) {
    const k = Math.min(left, chunk.length);
    writeSync(out.fd, chunk, 0, k);
    out.bytes += k;
    left -= k;
  }
  out.records = n;
  return out.close();
}

function caplenBound(file, n) {
  const out = new PcapOut(file, LINKTYPE_ETHERNET);
  for (let i = 0; i < n; i++) {
    const at = out.record(PCAP_MAX_CAPLEN);
    const b = out.buf;
    b.fill(0, at, at + 14);
    b.writeUInt16BE(0x0800, at + 12);
    // IPv4 can say at most 65535 bytes: the rest of the frame is link-layer padding to the bound.
    const hdr = ipv4Tcp(b, at + 14, clientAddr(0), SERVER, 40000, 80, 1 + i * (65535 - 40), 1, TCP_ACK, null, 65535 - 40);
    b.fill(i & 0xff, at + 14 + hdr, at + PCAP_MAX_CAPLEN);
  }
  return out.close();
}

const args = process.argv.slice(2);
let dir = null;
let small = false;
let only = null;
let count = null;
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--small') small = true;
  else if (a === '--only') only = args[++i]?.split(',') ?? usage(2);
  else if (a === '--count') count = Number(args[++i]);
  else if (a === '-h' || a === '--help') usage(0);
  else if (a.startsWith('-')) usage(2);
  else dir = a;
}
if (dir === null) usage(2);
mkdirSync(dir, { recursive: true });
for (const [name, spec] of Object.entries(FILES)) {
  if (only && !only.includes(name)) continue;
  const n = count ?? (small ? spec.small : spec.big);
  const file = path.join(dir, `${name}.pcap`);
  const t0 = Date.now();
  const r = spec.make(file, n);
  process.stdout.write(`${file}: ${r.records} records, ${r.bytes} bytes (${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
}
