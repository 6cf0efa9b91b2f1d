import { it } from 'vitest';
import { decodePacket } from '../../src/dissect/packet.ts';
import { rng, toHex } from '../helpers/capture-builders.ts';
import { frame } from '../helpers/frames.ts';
it('x', () => {
  const cats = new Map<string, string>();
  const r = rng(7);
  for (let i = 0; i < 400000; i++) {
    const lt = [1, 113, 276, 0, 108, 9, 101, 228, 229][(r() * 9) | 0]!;
    const n = (r() * 160) | 0;
    const d = new Uint8Array(n);
    for (let j = 0; j < n; j++) d[j] = (r() * 256) | 0;
    if (lt === 101 || lt === 228 || lt === 229) { if (n > 0) d[0] = r() < 0.5 ? 0x45 : 0x60; if (n > 9 && r()<0.5) d[r()<0.5?9:6] = [0,6,17,43,44,60,51,4,41][(r()*9)|0]!; }
    let pkt;
    try { pkt = decodePacket(frame(d, lt)); } catch (e) { cats.set('THROW ' + String(e).slice(0, 60), toHex(d) + ' lt ' + lt); continue; }
    const ipv6ext = pkt.ips.some((ip) => ip.version === 6 && ip.headerLen > 40);
    for (const p of pkt.problems) {
      const lim = p.kind === 'truncated' ? d.length : d.length - 1;
      if (p.offset < 0 || p.offset > lim || /undefined|NaN|-\d+ of/.test(p.message)) {
        const key = `${p.kind} ${p.layer} ${p.message.replace(/-?\d+/g, 'N')} v6ext=${ipv6ext} extBeyond=${pkt.ips.some(ip => ip.offset + ip.headerLen > d.length)}`;
        if (!cats.has(key)) cats.set(key, `lt ${lt} len ${d.length} off ${p.offset}: ${toHex(d)}`);
      }
    }
  }
  for (const [k, v] of cats) console.log(k, '\n   ', v.slice(0, 400));
});
