/**
 * The dataset's columns (src/export/columns.ts) against the JSON schema of `analyze --json`
 * (schema/report.schema.json): every column comes from a field the schema has, with a type that
 * holds it, and every numeric field of a subflow and of a data direction has its column. And
 * docs/dataset.md carries the tables as columns.ts makes them.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TABLES, type Column, type Table } from '../src/export/columns.ts';
import { DOC_BEGIN, DOC_END, tableDocs } from '../src/export/docs.ts';
import { repoRoot } from './helpers/corpus.ts';

type Schema = { type?: string | string[]; enum?: unknown[]; const?: unknown; oneOf?: Schema[]; anyOf?: Schema[]; properties?: Record<string, Schema>; items?: Schema | Schema[]; prefixItems?: Schema[] };
const schema = JSON.parse(readFileSync(path.join(repoRoot, 'schema', 'report.schema.json'), 'utf8')) as Schema;

function at(s: Schema, p: readonly string[]): Schema | null {
  let cur: Schema | undefined = s;
  for (const k of p) {
    if (cur === undefined) return null;
    if (k === '[]') cur = Array.isArray(cur.items) ? undefined : cur.items;
    else if (/^\d+$/.test(k) && (cur.prefixItems || Array.isArray(cur.items))) cur = (cur.prefixItems ?? (cur.items as Schema[]))[Number(k)];
    else if (/^\d+$/.test(k) && cur.items && !Array.isArray(cur.items)) cur = cur.items;
    else cur = cur.properties?.[k];
  }
  return cur ?? null;
}

const types = (s: Schema): string[] => {
  if (s.oneOf ?? s.anyOf) return (s.oneOf ?? s.anyOf ?? []).flatMap(types);
  if ('const' in s) return [typeof s.const === 'number' ? 'number' : typeof s.const];
  if (s.enum) return [...new Set(s.enum.map((v) => (v === null ? 'null' : typeof v === 'number' ? 'number' : typeof v)))];
  return s.type === undefined ? [] : Array.isArray(s.type) ? s.type : [s.type];
};

const HOLDS: Record<Column['type'], string[]> = {
  UBIGINT: ['string', 'integer', 'number'],
  BIGINT: ['integer', 'number'],
  INTEGER: ['integer', 'number'],
  UINTEGER: ['integer', 'number'],
  DOUBLE: ['number', 'integer'],
  BOOLEAN: ['boolean'],
  VARCHAR: ['string'],
  TIMESTAMP_NS: ['number', 'object'],
};

describe('the dataset columns match schema/report.schema.json', () => {
  const cases = TABLES.flatMap((t) => t.columns.map((c) => [`${t.name}.${c.name}`, t, c] as [string, Table, Column]));
  it.each(cases)('%s', (_n, t, c) => {
    const p = c.given ? (c.schemaPath as readonly string[]) : [...t.rowPath, ...(c.path as readonly string[])];
    expect(p, 'a column says where it comes from').toBeDefined();
    const s = at(schema, p);
    expect(s, `${p.join('.')} is in the schema`).not.toBeNull();
    if (c.given) return;
    const ts = types(s as Schema).filter((x) => x !== 'null');
    if (c.count) expect(ts).toContain('array');
    else expect(ts.some((x) => HOLDS[c.type].includes(x)), `${c.type} holds ${ts.join('|')} (${p.join('.')})`).toBe(true);
  });

  it('column names are unique in each table and none is the partition column', () => {
    for (const t of TABLES) {
      const names = t.columns.map((c) => c.name);
      expect(new Set(names).size, t.name).toBe(names.length);
      expect(names).not.toContain('capture');
    }
  });

  /** Numeric leaves of an object schema, not inside arrays (arrays are tables of their own, or counted). */
  function numericLeaves(s: Schema, prefix: string[] = []): string[][] {
    const out: string[][] = [];
    for (const [k, v] of Object.entries(s.properties ?? {})) {
      const ts = types(v);
      if (ts.includes('object') && v.properties) out.push(...numericLeaves(v, [...prefix, k]));
      else if (ts.includes('integer') || ts.includes('number')) out.push([...prefix, k]);
    }
    return out;
  }

  it.each([
    ['subflows', ['connections', '[]', 'subflows', '[]'], ['series']],
    ['data', ['connections', '[]', 'data', 'c2s'], ['headOfLine.histogram']],
  ])('every numeric field of %s has a column', (name, rowPath, _skip) => {
    const t = TABLES.find((x) => x.name === name) as Table;
    const have = new Set(t.columns.filter((c) => c.path).map((c) => (c.path as readonly string[]).join('.')));
    for (const leaf of numericLeaves(at(schema, rowPath) as Schema)) expect(have, `${name} has ${leaf.join('.')}`).toContain(leaf.join('.'));
  });
});

describe('docs/dataset.md', () => {
  it('lists the tables and columns as columns.ts defines them', () => {
    const doc = readFileSync(path.join(repoRoot, 'docs', 'dataset.md'), 'utf8');
    const a = doc.indexOf(DOC_BEGIN);
    const b = doc.indexOf(DOC_END);
    expect(a).toBeGreaterThanOrEqual(0);
    expect(doc.slice(a, b + DOC_END.length), 'regenerate with: node -e \'import("./dist/export/docs.js").then(m=>console.log(m.tableDocs()))\'').toBe(tableDocs());
  });
});
