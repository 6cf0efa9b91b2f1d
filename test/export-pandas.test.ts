/**
 * pandas reads the dataset as the README says (`pd.read_parquet("DIR/subflows")`: one table, the
 * Hive partition as a `capture` column): every numeric and boolean cell of `subflows` and `data`
 * that pandas reads equals what DuckDB (`mpcap query --json`) reads, for every fixture capture.
 * Needs pandas and a Parquet engine (pyarrow or fastparquet); Debian has pandas but neither engine,
 * so the test skips, saying so, where they are absent. MPCAP_PANDAS_PYTHON names the interpreter
 * (default python3), e.g. a venv's with pyarrow.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fixturePcaps } from './helpers/corpus.ts';
import { runMain } from './helpers/cli.ts';

const PY = process.env.MPCAP_PANDAS_PYTHON ?? 'python3';
const probe = spawnSync(PY, ['-c', 'import pandas, importlib.util as u; import sys; sys.exit(0 if (u.find_spec("pyarrow") or u.find_spec("fastparquet")) else 1)'], { stdio: 'ignore' });
const hasPandas = probe.status === 0;
if (!hasPandas) console.warn(`${PY}: no pandas with a Parquet engine (pyarrow or fastparquet): the pandas test skips (MPCAP_PANDAS_PYTHON names another interpreter)`);

// One JSON object per row; integers as decimal strings (exact past 2^53), floats as numbers, NaN/None as null.
const READ = String.raw`
import json, math, sys
import pandas as pd
df = pd.read_parquet(sys.argv[1])
df["capture"] = df["capture"].astype(str)
out = []
for rec in df.to_dict("records"):
    row = {}
    for k, v in rec.items():
        if v is None or (isinstance(v, float) and math.isnan(v)):
            row[k] = None
        elif isinstance(v, bool) or type(v).__name__ == "bool_":
            row[k] = bool(v)
        elif isinstance(v, int) or type(v).__name__.startswith(("int", "uint")):
            row[k] = str(int(v))
        elif isinstance(v, float) or type(v).__name__.startswith("float"):
            row[k] = float(v)
        else:
            row[k] = str(v)
    out.append(row)
json.dump({"columns": [str(c) for c in df.columns], "dtypes": [str(t) for t in df.dtypes], "rows": out}, sys.stdout)
`;

interface PandasTable {
  columns: string[];
  dtypes: string[];
  rows: Array<Record<string, string | number | boolean | null>>;
}

const tmp = mkdtempSync(path.join(tmpdir(), 'mpcap-pandas-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe.skipIf(!hasPandas)('pandas reads the dataset (pd.read_parquet)', () => {
  const ds = path.join(tmp, 'ds');
  it('exports the fixtures', async () => {
    const r = await runMain(['export', '--jobs', '1', '-o', ds, ...fixturePcaps()]);
    expect(r.code, r.stderr).toBe(0);
  });

  for (const [table, key] of [
    ['subflows', ['capture', 'connection', 'tcpStream']],
    ['data', ['capture', 'connection', 'direction']],
  ] as const) {
    it(`${table}: every numeric and boolean cell equals DuckDB's`, async () => {
      const py = spawnSync(PY, ['-c', READ, path.join(ds, table)], { encoding: 'utf8', maxBuffer: 1 << 28 });
      expect(py.status, py.stderr).toBe(0);
      const p = JSON.parse(py.stdout) as PandasTable;
      const keyOf = (r: Record<string, unknown>): string => key.map((k) => String(r[k])).join('/');
      const q = await runMain(['query', '--json', `SELECT * FROM ${table}`, ds]);
      expect(q.code, q.stderr).toBe(0);
      const duck = new Map((JSON.parse(q.stdout) as Array<Record<string, unknown>>).map((r) => [keyOf(r), r]));
      expect(p.rows.length).toBe(duck.size);
      expect(p.rows.length).toBeGreaterThan(fixturePcaps().length);
      // the same columns (pandas adds none but the partition's), and numeric ones typed as numbers
      expect([...p.columns].sort()).toEqual(Object.keys(duck.values().next().value as object).sort());
      const numeric = p.columns.filter((c, i) => /^(u?int|float|bool|Int|UInt|Float|boolean)/.test(p.dtypes[i] as string) && c !== 'capture');
      expect(numeric.length).toBeGreaterThan(20);
      let cells = 0;
      for (const row of p.rows) {
        const d = duck.get(keyOf(row));
        expect(d, keyOf(row)).toBeDefined();
        for (const c of numeric) {
          const a = row[c];
          const b = (d as Record<string, unknown>)[c];
          if (a === null || b === null) expect(a, `${keyOf(row)} ${c}`).toBe(b);
          else if (typeof a === 'string') expect(a, `${keyOf(row)} ${c}`).toBe(String(b));
          else expect(a, `${keyOf(row)} ${c}`).toBe(b);
          cells++;
        }
      }
      expect(cells).toBeGreaterThan(100);
    });
  }
});
