/**
 * The imports point one way (issue 9): cli → live / report / compare / export → analysis / filter →
 * reassembly → dissect, never back up; and no circle of runtime imports among the CLI files.
 * No file of src/reassembly over 400 lines (one concern per file).
 * Type-only imports (`import type`, erased at build) are left out of the circle check, not of the
 * direction check.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, expect, it } from 'vitest';

const RANK: Record<string, number> = { cli: 5, live: 4, report: 4, compare: 4, export: 4, analysis: 3, filter: 3, reassembly: 2, dissect: 1 };

function sources(dir: string, out: string[] = []): string[] {
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) sources(p, out);
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

interface Edge {
  to: string;
  typeOnly: boolean;
}

function imports(file: string): Edge[] {
  const text = readFileSync(file, 'utf8');
  const out: Edge[] = [];
  for (const m of text.matchAll(/^(import|export)(\s+type)?\s[^;]*?from\s+['"](\.[^'"]+)['"]/gms)) {
    out.push({ to: normalize(join(dirname(file), m[3] as string)).replace(/\.js$/, '.ts'), typeOnly: m[2] !== undefined });
  }
  return out;
}

const files = sources('src');
const graph = new Map(files.map((f) => [f, imports(f)]));
const layer = (p: string): string => p.split('/')[1] as string;

describe('architecture', () => {
  it('finds the sources and their imports', () => {
    expect(files.length).toBeGreaterThan(50);
    expect([...graph.values()].flat().length).toBeGreaterThan(200);
  });

  it('no import points up a layer', () => {
    const up: string[] = [];
    for (const [f, edges] of graph) {
      for (const e of edges) {
        const a = RANK[layer(f)];
        const b = RANK[layer(e.to)];
        if (a !== undefined && b !== undefined && b > a) up.push(`${f} -> ${e.to}`);
      }
    }
    expect(up).toEqual([]);
  });

  it('no circle of runtime imports among the CLI files', () => {
    const cli = files.filter((f) => layer(f) === 'cli');
    const circles: string[] = [];
    const done = new Set<string>();
    const visit = (n: string, stack: string[]): void => {
      const at = stack.indexOf(n);
      if (at >= 0) {
        circles.push([...stack.slice(at), n].join(' > '));
        return;
      }
      if (done.has(n)) return;
      for (const e of graph.get(n) ?? []) if (!e.typeOnly && layer(e.to) === 'cli') visit(e.to, [...stack, n]);
      done.add(n);
    };
    for (const f of cli) visit(f, []);
    expect(circles).toEqual([]);
  });

  it('no file in src/reassembly is over 400 lines', () => {
    const long = files.filter((f) => layer(f) === 'reassembly').map((f) => [f, readFileSync(f, 'utf8').split('\n').length] as const).filter(([, n]) => n > 400);
    expect(long).toEqual([]);
  });
});
