#!/usr/bin/env node
// Packets per CPU second of a libpcap binding alone (no decoding), as root:
//   [PAUSE_US=n] node scripts/bench-capture.mjs [ours|cap|pcap] [seconds=5] [module path]
// (PAUSE_US: a pause after every 100 packets, for a given rate rather than a flood)
// A UDP flood on the loopback (python3, one process) for `seconds`; the binding counts what it
// is handed and libpcap's drops; the figure is packets delivered per second of this process's
// CPU time (user + system), so that a faster binding is one that needs less CPU per packet.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';

const [which = 'ours', secs = '5', modPath] = process.argv.slice(2);
const require = createRequire(import.meta.url);
const PORT = 47001;
const filter = `udp dst port ${PORT}`;
let delivered = 0;
let stats = () => [0, 0, 0];
let close = () => {};
if (which === 'ours') {
  const b = require(modPath ?? 'mpcap-libpcap');
  const o = b.open({ device: 'lo', filter, snapLen: 262144, bufferBytes: 64 << 20, immediate: true, timeoutMs: 10, nano: true, promisc: false });
  const hdr = new Uint32Array(4 * 4096);
  const data = Buffer.allocUnsafe(8 << 20);
  let x = 0;
  b.start(o.handle, hdr, data, (n) => {
    for (let i = 0; i < n; i++) x ^= hdr[4 * i + 1]; // touch each header, as a consumer would
    delivered += n;
  });
  stats = () => b.stats(o.handle);
  close = () => b.close(o.handle);
} else if (which === 'cap') {
  const { Cap } = require(modPath ?? 'cap');
  const c = new Cap();
  const buf = Buffer.alloc(65535);
  c.open('lo', filter, 64 << 20, buf);
  c.on('packet', () => delivered++);
  close = () => c.close();
} else if (which === 'pcap') {
  const pcap = require(modPath ?? 'pcap');
  const s = pcap.createSession('lo', { filter, buffer_size: 64 << 20, buffer_timeout: 0 });
  s.on('packet', () => delivered++);
  stats = () => { const t = s.stats(); return [t.ps_recv, t.ps_drop, t.ps_ifdrop]; };
  close = () => s.close();
}
const flood = spawn('python3', ['-c', `
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
end = time.time() + ${Number(secs)}
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
    const wall = (performance.now() - t0) / 1000;
    const cpuSec = (cpu.user + cpu.system) / 1e6;
    const [recv, drop] = stats();
    console.log(JSON.stringify({ binding: which, sent: Number(sent), delivered, psRecv: recv, psDrop: drop, wallSec: +wall.toFixed(2), cpuSec: +cpuSec.toFixed(2), packetsPerCpuSec: Math.round(delivered / cpuSec), packetsPerSec: Math.round(delivered / wall) }));
    close();
    process.exit(0);
  }, 300);
});
