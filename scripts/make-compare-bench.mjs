#!/usr/bin/env node
// make-compare-bench.mjs IN.pcap OUT.pcap [delayMs=5] [dropEvery=100] [missingPort]
// The "other side" of a capture, for benchmarking `mpcap compare`: every packet DELAY ms later,
// one in DROP_EVERY left out (classic pcap, µs or ns timestamps, either byte order). With
// missingPort, every IPv4 TCP packet from or to that port is left out too (a subflow the other
// side never saw; Ethernet, Linux cooked v1 and v2 link types).
import { openSync, readSync, writeSync, closeSync } from 'node:fs';

const [inPath, outPath, delayArg = '5', dropArg = '100', portArg] = process.argv.slice(2);
if (!inPath || !outPath) {
  console.error('usage: make-compare-bench.mjs IN.pcap OUT.pcap [delayMs] [dropEvery] [missingPort]');
  process.exit(2);
}
const delayMs = Number(delayArg);
const dropEvery = Number(dropArg);
const fin = openSync(inPath, 'r');
const fout = openSync(outPath, 'w');
const hdr = Buffer.alloc(24);
readSync(fin, hdr, 0, 24, null);
const magic = hdr.readUInt32LE(0);
const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
const nano = magic === 0xa1b23c4d || hdr.readUInt32BE(0) === 0xa1b23c4d;
const unit = nano ? 1e9 : 1e6;
const shift = Math.round((delayMs / 1000) * unit);
const missingPort = portArg === undefined ? -1 : Number(portArg);
// where the IPv4 header starts, by link type
const linkType = le ? hdr.readUInt32LE(20) : hdr.readUInt32BE(20);
const ipAt = { 1: 14, 113: 16, 276: 20 }[linkType & 0xffff];
if (missingPort >= 0 && ipAt === undefined) {
  console.error(`make-compare-bench: missingPort needs Ethernet or Linux cooked captures (link type ${linkType})`);
  process.exit(2);
}
let missing = 0;
function onMissingPort(rec) {
  const ip = 16 + ipAt;
  if (rec.length < ip + 24 || rec[ip] >> 4 !== 4 || rec[ip + 9] !== 6) return false;
  const tcp = ip + (rec[ip] & 15) * 4;
  return rec.readUInt16BE(tcp) === missingPort || rec.readUInt16BE(tcp + 2) === missingPort;
}
writeSync(fout, hdr);
const CHUNK = 8 << 20;
let buf = Buffer.alloc(CHUNK);
let have = 0;
let n = 0;
const out = [];
let outLen = 0;
for (;;) {
  const r = readSync(fin, buf, have, buf.length - have, null);
  have += r;
  let o = 0;
  while (o + 16 <= have) {
    const incl = le ? buf.readUInt32LE(o + 8) : buf.readUInt32BE(o + 8);
    if (o + 16 + incl > have) break;
    n++;
    if (missingPort >= 0 && onMissingPort(buf.subarray(o, o + 16 + incl))) missing++;
    else if (n % dropEvery !== 0) {
      const rec = Buffer.from(buf.subarray(o, o + 16 + incl));
      let sec = le ? rec.readUInt32LE(0) : rec.readUInt32BE(0);
      let frac = (le ? rec.readUInt32LE(4) : rec.readUInt32BE(4)) + shift;
      sec += Math.floor(frac / unit);
      frac %= unit;
      if (le) { rec.writeUInt32LE(sec, 0); rec.writeUInt32LE(frac, 4); } else { rec.writeUInt32BE(sec, 0); rec.writeUInt32BE(frac, 4); }
      out.push(rec);
      outLen += rec.length;
      if (outLen > CHUNK) { writeSync(fout, Buffer.concat(out)); out.length = 0; outLen = 0; }
    }
    o += 16 + incl;
  }
  buf.copy(buf, 0, o, have);
  have -= o;
  if (r === 0) break;
  if (have === buf.length) buf = Buffer.concat([buf, Buffer.alloc(buf.length)]);
}
writeSync(fout, Buffer.concat(out));
closeSync(fin);
closeSync(fout);
console.error(`${n} packets read, ${missing} of port ${missingPort} left out, 1 in ${dropEvery} of the others, ${delayMs} ms later`);
