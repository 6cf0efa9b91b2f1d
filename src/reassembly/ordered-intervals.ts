/**
 * Disjoint intervals [start, end) ordered by start, in a skip list: O(log n) expected search,
 * insertion and removal, O(1) removal of the lowest interval and O(1) stepping to the next one.
 *
 * Why a skip list: the data level needs "the interval at or before this DSN", "the next one",
 * "insert here" and "drop the oldest" — on a structure that sees in-order appends most of the
 * time and, after a gap, hundreds of thousands of inserts in any order (the Linux out-of-order
 * queue is an rbtree for the same reason). A sorted array pays a memmove per insert there; a skip
 * list is the smallest code with the same bounds as a balanced tree, and its forward links make
 * in-order walks trivial. Levels come from a seeded xorshift so that runs are reproducible.
 *
 * Nodes are the caller's objects (they carry their own payload fields); the list only owns
 * `start` (the key, unique because the intervals are disjoint), `end` and `next`.
 */

/** Highest level: with P = 1/4, enough for 4^16 intervals. */
const MAX_LEVEL = 16;
/** Probability of promoting a node one level up, as a 32-bit threshold (1/4). */
const PROMOTE_BELOW = 0x4000_0000;

export interface IntervalNode {
  start: number;
  end: number;
  /** Forward links; the first `level` are this node's. Managed by the list. */
  next: Array<IntervalNode | null>;
  level: number;
}

export class OrderedIntervals<N extends IntervalNode> {
  private readonly head: Array<N | null> = new Array<N | null>(MAX_LEVEL).fill(null);
  /** Last node at each level: appending past the highest interval (the usual case) needs no search. */
  private readonly tail: Array<N | null> = new Array<N | null>(MAX_LEVEL).fill(null);
  private level = 1;
  private rng = 0x9e37_79b9;
  /** Predecessor at each level of the last search (reused: no garbage per insert). */
  private readonly update: Array<N | null> = new Array<N | null>(MAX_LEVEL).fill(null);
  size = 0;

  first(): N | null {
    return this.head[0] as N | null;
  }

  /** The highest interval. */
  last(): N | null {
    return this.tail[0] as N | null;
  }

  next(node: N): N | null {
    return node.next[0] as N | null;
  }

  /** The interval with the greatest start ≤ key, or null. */
  floor(key: number): N | null {
    let x: N | null = null;
    for (let i = this.level - 1; i >= 0; i--) {
      let nx = (x === null ? this.head[i] : x.next[i]) as N | null | undefined;
      while (nx && nx.start <= key) {
        x = nx;
        nx = x.next[i] as N | null | undefined;
      }
    }
    return x;
  }

  /** The first interval whose end is past `key` (the one holding key, or the next after it). */
  firstEndingAfter(key: number): N | null {
    const f = this.floor(key);
    if (f === null) return this.first();
    return f.end > key ? f : this.next(f);
  }

  /** Insert a node whose [start, end) overlaps no interval in the list. */
  insert(node: N): void {
    const last = this.tail[0] as N | null;
    if (last === null || last.start < node.start) {
      this.append(node);
      return;
    }
    const update = this.update;
    let x: N | null = null;
    for (let i = this.level - 1; i >= 0; i--) {
      let nx = (x === null ? this.head[i] : x.next[i]) as N | null | undefined;
      while (nx && nx.start < node.start) {
        x = nx;
        nx = x.next[i] as N | null | undefined;
      }
      update[i] = x;
    }
    const lvl = this.randomLevel();
    if (lvl > this.level) {
      for (let i = this.level; i < lvl; i++) update[i] = null;
      this.level = lvl;
    }
    // Reuse the node's link array when it is long enough (nodes are recycled by the caller).
    if (node.next.length < lvl) node.next = new Array<IntervalNode | null>(lvl).fill(null);
    node.level = lvl;
    for (let i = 0; i < lvl; i++) {
      const prev = update[i] as N | null;
      if (prev === null) {
        node.next[i] = this.head[i] as N | null;
        this.head[i] = node;
      } else {
        node.next[i] = prev.next[i] as N | null;
        prev.next[i] = node;
      }
      if (node.next[i] === null) this.tail[i] = node;
    }
    this.size++;
  }

  private append(node: N): void {
    const lvl = this.randomLevel();
    if (lvl > this.level) this.level = lvl;
    if (node.next.length < lvl) node.next = new Array<IntervalNode | null>(lvl).fill(null);
    node.level = lvl;
    for (let i = 0; i < lvl; i++) {
      const prev = this.tail[i] as N | null;
      if (prev === null) this.head[i] = node;
      else prev.next[i] = node;
      node.next[i] = null;
      this.tail[i] = node;
    }
    this.size++;
  }

  /** Remove the lowest interval and return it. */
  shift(): N | null {
    const n = this.head[0] as N | null;
    if (n === null) return null;
    for (let i = 0; i < n.level; i++) {
      const nx = n.next[i] as N | null;
      this.head[i] = nx;
      if (nx === null) this.tail[i] = null;
    }
    while (this.level > 1 && this.head[this.level - 1] === null) this.level--;
    this.size--;
    return n;
  }

  /** Remove `node` (which must be in the list). */
  remove(node: N): void {
    let x: N | null = null;
    for (let i = this.level - 1; i >= 0; i--) {
      let nx = (x === null ? this.head[i] : x.next[i]) as N | null | undefined;
      while (nx && nx.start < node.start) {
        x = nx;
        nx = x.next[i] as N | null | undefined;
      }
      if (nx === node) {
        if (x === null) this.head[i] = node.next[i] as N | null;
        else x.next[i] = node.next[i] as N | null;
        if (node.next[i] === null) this.tail[i] = x;
      }
    }
    while (this.level > 1 && this.head[this.level - 1] === null) this.level--;
    this.size--;
  }

  /** Every interval in order (for tests and end-of-capture reports; not the hot path). */
  *[Symbol.iterator](): IterableIterator<N> {
    for (let n = this.first(); n !== null; n = this.next(n)) yield n;
  }

  private randomLevel(): number {
    let lvl = 1;
    while (lvl < MAX_LEVEL) {
      // xorshift32
      let r = this.rng;
      r ^= r << 13;
      r ^= r >>> 17;
      r ^= r << 5;
      this.rng = r >>> 0;
      if (this.rng >= PROMOTE_BELOW) break;
      lvl++;
    }
    return lvl;
  }
}
