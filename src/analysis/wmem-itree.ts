/**
 * Wireshark's augmented interval tree (wsutil/wmem/wmem_interval_tree.c over the red-black tree
 * of wmem_tree.c), node for node, so that lookups return what tshark's do and in its order:
 * tshark's MPTCP analysis reads mptcp.related_mapping, mptcp.rawdsn64 and mptcp.reinjection_of
 * from such trees. Kept on purpose:
 * - the key is the interval's low edge only: a second insert at the same low edge replaces the
 *   data but keeps the first interval's high edge;
 * - after a rotation only the children of the node that moved down are refreshed, so a node's
 *   max_edge can stay stale (too small) and a search then skips a subtree that overlaps;
 * - results are prepended in pre-order (node, left, right): the list's head is the last visited.
 * Edges are plain numbers (the trees hold 32-bit SSNs) or bigints (64-bit DSNs), never mixed.
 */

type Edge = number | bigint;

interface Node<E extends Edge, T> {
  low: E;
  high: E;
  maxEdge: E;
  data: T;
  red: boolean;
  parent: Node<E, T> | null;
  left: Node<E, T> | null;
  right: Node<E, T> | null;
}

export class WmemItree<E extends Edge, T> {
  private root: Node<E, T> | null = null;

  constructor(private readonly zero: E) {}

  insert(low: E, high: E, data: T): void {
    let node = this.root;
    let created: Node<E, T> | null = null;
    if (node === null) {
      created = this.root = this.node(low, high, data, null, false);
    } else {
      while (created === null) {
        if (low === node.low) {
          node.data = data; // the key (and its high edge) stays
          this.updateMaxEdge(node);
          return;
        }
        if (low < node.low) {
          if (node.left) node = node.left;
          else created = node.left = this.node(low, high, data, node, true);
        } else if (node.right) node = node.right;
        else created = node.right = this.node(low, high, data, node, true);
      }
      this.insertCase1(created);
    }
    this.updateMaxEdge(created);
  }

  /** Every stored interval that overlaps [low, high], in wmem's order (see above). */
  find(low: E, high: E, out: T[] = []): T[] {
    out.length = 0;
    this.findIn(this.root, low, high, out);
    out.reverse(); // collected in visiting order; wmem prepends
    return out;
  }

  private findIn(n: Node<E, T> | null, low: E, high: E, out: T[]): void {
    if (n === null || low > n.maxEdge) return;
    if (n.low <= high && low <= n.high) out.push(n.data);
    this.findIn(n.left, low, high, out);
    this.findIn(n.right, low, high, out);
  }

  private node(low: E, high: E, data: T, parent: Node<E, T> | null, red: boolean): Node<E, T> {
    return { low, high, maxEdge: this.zero, data, red, parent, left: null, right: null };
  }

  private updateMaxEdge(n: Node<E, T> | null): void {
    while (n !== null) {
      let m = n.high;
      if (n.right && n.right.maxEdge > m) m = n.right.maxEdge;
      if (n.left && n.left.maxEdge > m) m = n.left.maxEdge;
      if (n.maxEdge === m) return;
      n.maxEdge = m;
      n = n.parent;
    }
  }

  private afterRotation(n: Node<E, T>): void {
    if (n.left) this.updateMaxEdge(n.left);
    if (n.right) this.updateMaxEdge(n.right);
  }

  private rotateLeft(n: Node<E, T>): void {
    const r = n.right as Node<E, T>;
    if (n.parent) {
      if (n.parent.left === n) n.parent.left = r;
      else n.parent.right = r;
    } else this.root = r;
    r.parent = n.parent;
    n.parent = r;
    n.right = r.left;
    if (n.right) n.right.parent = n;
    r.left = n;
    this.afterRotation(n);
  }

  private rotateRight(n: Node<E, T>): void {
    const l = n.left as Node<E, T>;
    if (n.parent) {
      if (n.parent.left === n) n.parent.left = l;
      else n.parent.right = l;
    } else this.root = l;
    l.parent = n.parent;
    n.parent = l;
    n.left = l.right;
    if (n.left) n.left.parent = n;
    l.right = n;
    this.afterRotation(n);
  }

  private insertCase1(n: Node<E, T>): void {
    for (;;) {
      const p = n.parent;
      if (p === null) {
        n.red = false;
        return;
      }
      if (!p.red) return;
      const g = p.parent;
      const uncle = g === null ? null : p === g.left ? g.right : g.left;
      if (uncle && uncle.red) {
        p.red = false;
        uncle.red = false;
        (g as Node<E, T>).red = true;
        n = g as Node<E, T>;
        continue;
      }
      // case 4
      if (g === null) return;
      if (n === p.right && p === g.left) {
        this.rotateLeft(p);
        n = n.left as Node<E, T>;
      } else if (n === p.left && p === g.right) {
        this.rotateRight(p);
        n = n.right as Node<E, T>;
      }
      // case 5
      const p5 = n.parent as Node<E, T>;
      const g5 = p5.parent as Node<E, T>;
      p5.red = false;
      g5.red = true;
      if (n === p5.left && p5 === g5.left) this.rotateRight(g5);
      else this.rotateLeft(g5);
      return;
    }
  }
}
