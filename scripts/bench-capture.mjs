#!/usr/bin/env node
// How fast a libpcap binding hands packets to JavaScript, without decoding them (as root):
//   [PAUSE_US=n] node scripts/bench-capture.mjs rate  ours|cap|pcap [seconds=5] [module path]
//   node scripts/bench-capture.mjs drain ours|pcap [packets=300000] [module path]
// rate: a UDP flood on the loopback (one python3 process; PAUSE_US pauses after every 100 packets)
//   for `seconds`; prints packets delivered, libpcap's counts, and packets per CPU second of this
//   process (user + system).
// drain: `packets` 64-byte UDP packets are queued in a ring (-s 128, 256 MiB) while the event loop
//   is blocked, then read: how long the binding takes to hand them over, and its CPU time.
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const [mode = 'rate', which = 'ours', arg = mode === 'drain' ? '300000' : '5', modPath] = process.argv.slice(2);
const require = createRequire(import.meta.url);
const PORT = 47001;
const filter = `udp dst port ${PORT}`;
const drain = mode === 'drain';
const snapLen = drain ? 128 : 262144;
const bufferBytes = drain ? 256 << 20 : 64 << 20;
let delivered = 0;
let lastAt = 0;
let stats = () => [0, 0, 0];
let close = () => {};
let start = () => {};
let x = 0;
if (which === 'ours') {
  const b = require(modPath ?? 'mpcap-libpcap');
  const o = b.open({ device: 'lo', filter, snapLen, bufferBytes, immediate: true, timeoutMs: 10, nano: true, promisc: false });
  const hdr = new Uint32Array(4 * 4096);
  const data = Buffer.allocUnsafe(8 << 20);
  start = () =>
    b.start(o.handle, hdr, data, (n) => {
      for (let i = 0; i < n; i++) x ^= hdr[4 * i + 1]; // touch each header, as a consumer would
      delivered += n;
      lastAt = performance.now();
    });
  stats = () => b.stats(o.handle);
  close = () => b.close(o.handle);
} else if (which === 'cap' && !drain) {
  const { Cap } = require(modPath ?? 'cap');
  const c = new Cap();
  const buf = Buffer.alloc(65535);
  c.open('lo', filter, bufferBytes, buf);
  start = () => c.on('packet', () => delivered++);
  close = () => c.close();
} else if (which === 'pcap') {
  const pcap = require(modPath ?? 'pcap');
  const s = pcap.createSession('lo', { filter, buffer_size: bufferBytes, snap_length: snapLen, buffer_timeout: 0, promiscuous: false });
  start = () =>
    s.on('packet', (p) => {
      x ^= p.header.readUInt32LE(4);
      delivered++;
      lastAt = performance.now();
    });
  stats = () => {
    const t = s.stats();
    return [t.ps_recv, t.ps_drop, t.ps_ifdrop];
  };
  close = () => s.close();
} else {
  console.error('usage: bench-capture.mjs rate ours|cap|pcap [seconds] [module] | drain ours|pcap [packets] [module]');
  process.exit(2);
}

const report = (extra) => {
  const [recv, drop] = stats();
  console.log(JSON.stringify({ mode, binding: which, delivered, psRecv: recv, psDrop: drop, ...extra }));
  close();
  process.exit(0); // node_pcap's poller keeps the process alive after close()
};

if (drain) {
  // the event loop is blocked while the packets are sent: they wait in the ring
  spawnSync('python3', ['-c', `
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(${Number(arg)}): s.sendto(b'x' * 64, ('127.0.0.1', ${PORT}))
`]);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  start();
  setTimeout(() => {
    const cpu = process.cpuUsage(cpu0);
    const sec = (lastAt - t0) / 1000;
    report({ drainSec: +sec.toFixed(3), packetsPerSec: Math.round(delivered / sec), cpuSec: +((cpu.user + cpu.system) / 1e6).toFixed(3) });
  }, 3000);
} else {
  start();
  const flood = spawn('python3', ['-c', `
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
end = time.time() + ${Number(arg)}
b = b'x' * 64
n = 0
while time.time() < end:
    for _ in range(100): s.sendto(b, ('127.0.0.1', ${PORT}))
    n += 100
    if ${Number(process.env.PAUSE_US ?? 0)}: time.sleep(${Number(process.env.PAUSE_US ?? 0)} / 1e6)
print(n)
`], { stdio: ['ignore', 'pipe', 'inherit'] });
  let sent = '';
  flood.stdout.on('data', (d) => (sent += d));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  flood.on('exit', () => {
    setTimeout(() => {
      const cpu = process.cpuUsage(cpu0);
      const cpuSec = (cpu.user + cpu.system) / 1e6;
      report({ sent: Number(sent), wallSec: +((performance.now() - t0) / 1000).toFixed(2), cpuSec: +cpuSec.toFixed(2), packetsPerCpuSec: Math.round(delivered / cpuSec) });
    }, 300);
  });
}
