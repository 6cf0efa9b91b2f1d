/**
 * Stores a double in each named number field and puts its value back. V8 keeps a field that has
 * held only small integers (below 2^30) as one; the first larger or fractional number changes the
 * hidden class of every object of the class, and each method compiled for the old one is thrown
 * away and compiled again — a gigabyte into a stream in `analyze`, in every isolate and again on
 * new paths in `export --jobs` (docs/benchmarks.md). A field that starts as a double stays one.
 */
export function storeAsDoubles(o: object, fields: readonly string[]): void {
  const r = o as Record<string, number>;
  for (const f of fields) {
    const v = r[f] as number;
    r[f] = 0.5;
    r[f] = v;
  }
}
