/**
 * Stores a double in each named number field and puts its value back. V8 keeps a field that has
 * held only small integers (below 2^30) as one; the first larger or fractional number changes the
 * hidden class of every object of the class, and each method compiled for the old one is thrown
 * away and compiled again — a gigabyte into a stream in `analyze`, in every isolate and again on
 * new paths in `export --jobs` (docs/benchmarks.md). A field that starts as a double stays one.
 *
 * Done for every object, at ~1.7 µs a data stream (a keyed store per field; no measurable change
 * on a flood of 50,000 handshakes). Once per class is not enough: later objects were still made
 * with small-integer fields and migrated, and the "wrong map" deoptimisations came back (10 → 20
 * on the 20 export parts).
 */
export function storeAsDoubles(o: object, fields: readonly string[]): void {
  const r = o as Record<string, number>;
  for (const f of fields) {
    const v = r[f] as number;
    r[f] = 0.5;
    r[f] = v;
  }
}

/**
 * A packed array of `n` zeros, exactly sized. `new Array(n).fill(0)` stays "holey" whatever is
 * stored in it, and V8 boxes the doubles read from a holey array of doubles: a new heap number at
 * each read of a ring's time or sequence number on the hot path (~16 bytes a packet each).
 */
export function packedZeros(n: number): number[] {
  return Array.from({ length: n }, zero);
}

const zero = (): number => 0;
