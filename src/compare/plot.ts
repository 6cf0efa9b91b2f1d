/**
 * `compare --svg FILE`: one-way delay per path (subflow and direction) over time, as a plain SVG
 * line chart with no dependencies. Drawn from CompareResult's series (at most SERIES_POINTS each).
 */
import type { CompareResult } from './model.js';

const W = 900;
const H = 420;
const PAD = { left: 70, right: 20, top: 30, bottom: 110 };
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Round tick steps: 1, 2 or 5 times a power of ten, about `n` of them over `span`. */
function step(span: number, n: number): number {
  const raw = span / n;
  const p = 10 ** Math.floor(Math.log10(raw || 1));
  return [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? 10 * p;
}

export function renderDelaySvg(r: CompareResult): string {
  const lines: Array<{ label: string; t: number[]; ms: number[] }> = [];
  for (const c of r.connections) {
    for (const s of c.subflows) {
      for (const d of s.directions) {
        if (d.series.time.length === 0) continue;
        const tuple = d.senderSide === 'A' ? s.tupleA : s.tupleB;
        const path = tuple ? (d.direction === 'c2s' ? `${tuple.client} → ${tuple.server}` : `${tuple.server} → ${tuple.client}`) : '';
        lines.push({ label: `conn ${c.connectionA ?? '-'} subflow A:${s.tcpStreamA} ${d.senderSide}→${d.senderSide === 'A' ? 'B' : 'A'} ${path}`, t: d.series.time, ms: d.series.delayUs.map((u) => u / 1000) });
      }
    }
  }
  const allT = lines.flatMap((l) => l.t);
  const allD = lines.flatMap((l) => l.ms);
  const t0 = allT.length ? Math.min(...allT) : 0;
  const t1 = allT.length ? Math.max(...allT) : 1;
  const d0 = Math.min(0, ...allD);
  const d1 = allD.length ? Math.max(...allD) * 1.05 || 1 : 1;
  const pw = W - PAD.left - PAD.right;
  const ph = H - PAD.top - PAD.bottom;
  const x = (t: number): number => PAD.left + ((t - t0) / (t1 - t0 || 1)) * pw;
  const y = (d: number): number => PAD.top + ph - ((d - d0) / (d1 - d0 || 1)) * ph;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${PAD.left}" y="18" font-size="13">One-way delay per path (ms) — ${esc(r.clock.note)}</text>`);
  const ts = step(t1 - t0, 8);
  for (let t = Math.ceil(t0 / ts) * ts; t <= t1 + 1e-9; t += ts) {
    out.push(`<line x1="${x(t).toFixed(1)}" y1="${PAD.top}" x2="${x(t).toFixed(1)}" y2="${PAD.top + ph}" stroke="#eee"/>`);
    out.push(`<text x="${x(t).toFixed(1)}" y="${PAD.top + ph + 14}" text-anchor="middle">${+t.toFixed(6)}</text>`);
  }
  const ds = step(d1 - d0, 6);
  for (let d = Math.ceil(d0 / ds) * ds; d <= d1 + 1e-9; d += ds) {
    out.push(`<line x1="${PAD.left}" y1="${y(d).toFixed(1)}" x2="${PAD.left + pw}" y2="${y(d).toFixed(1)}" stroke="#eee"/>`);
    out.push(`<text x="${PAD.left - 6}" y="${(y(d) + 4).toFixed(1)}" text-anchor="end">${+d.toFixed(3)}</text>`);
  }
  out.push(`<text x="${PAD.left + pw / 2}" y="${PAD.top + ph + 30}" text-anchor="middle">time (s, send time at the sender's capture)</text>`);
  out.push(`<rect x="${PAD.left}" y="${PAD.top}" width="${pw}" height="${ph}" fill="none" stroke="#888"/>`);
  lines.forEach((l, i) => {
    const color = COLORS[i % COLORS.length] as string;
    const pts = l.t.map((t, k) => `${x(t).toFixed(1)},${y(l.ms[k] as number).toFixed(1)}`).join(' ');
    out.push(`<polyline fill="none" stroke="${color}" stroke-width="1.2" points="${pts}"/>`);
    const ly = PAD.top + ph + 46 + Math.floor(i / 2) * 14;
    const lx = PAD.left + (i % 2) * (pw / 2);
    out.push(`<line x1="${lx}" y1="${ly - 4}" x2="${lx + 18}" y2="${ly - 4}" stroke="${color}" stroke-width="2"/><text x="${lx + 24}" y="${ly}">${esc(l.label)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
