/**
 * Which connections get a detail section: the `top` largest by payload bytes, and every one asked
 * for by index (`--connection`). One step, apart from the rest, so that a filter (a display
 * filter over connections, say) can narrow `candidates` before the ranking.
 */
import type { ReportParts } from '../analysis/report.js';

export interface SelectOptions {
  top: number;
  /** mptcp.stream indices asked for; each must exist. */
  connections: number[];
  /** A further filter on the connections listed (none: all of them). */
  filter?: (index: number) => boolean;
}

export interface Selection {
  /** In the order shown: the asked ones first, then by bytes. */
  indices: number[];
  /** Asked for but not in the report. */
  missing: number[];
  description: string;
}

export function selectConnections(parts: ReportParts, opts: SelectOptions): Selection {
  const sizes = parts.sizes();
  const known = new Set(sizes.map((s) => s.index));
  const candidates = opts.filter ? sizes.filter((s) => (opts.filter as (i: number) => boolean)(s.index)) : sizes;
  const missing = opts.connections.filter((i) => !known.has(i));
  const out: number[] = [];
  for (const i of opts.connections) if (known.has(i) && !out.includes(i)) out.push(i);
  const ranked = candidates.slice().sort((a, b) => b.bytes - a.bytes || a.index - b.index);
  let added = 0;
  for (const s of ranked) {
    if (added >= opts.top) break;
    if (out.includes(s.index)) continue;
    out.push(s.index);
    added++;
  }
  const parts2: string[] = [];
  if (opts.connections.length > 0) parts2.push(`asked for with --connection (${opts.connections.join(', ')})`);
  if (opts.top > 0) parts2.push(`the ${Math.min(opts.top, candidates.length)} largest by payload bytes${candidates.length > opts.top ? ` of ${candidates.length}` : ''}`);
  return { indices: out, missing, description: parts2.join(', and ') || 'none' };
}
