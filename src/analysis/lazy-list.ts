/**
 * A long list made element by element while it is written: a join flood's connection has 200,000
 * subflows, and their JSON objects all built at once cost more than the whole capture's state.
 * Only the streaming JSON writers (report-json.ts) meet one; every other consumer gets arrays.
 */
export class LazyList<T> {
  constructor(
    readonly length: number,
    private readonly make: () => Iterable<T>,
  ) {}

  [Symbol.iterator](): Iterator<T> {
    return this.make()[Symbol.iterator]();
  }
}

/**
 * A time series' [t, v] points as a LazyList, and point i's two numbers without the pair: the
 * pretty JSON writer formats them straight into bytes (report-json.ts), ~4× less garbage than a
 * pair and six strings a point (a 5 GB capture's report: most of what its writing added to the peak).
 */
export class PointList extends LazyList<[number, number]> {
  constructor(
    length: number,
    readonly t: (i: number) => number,
    readonly v: (i: number) => number,
  ) {
    super(length, function* () {
      for (let i = 0; i < length; i++) yield [t(i), v(i)];
    });
  }
}
