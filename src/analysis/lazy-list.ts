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
