/**
 * A display filter, compiled once into a predicate over a packet view. Fields are those of the
 * `-T fields` registry (src/analysis/fields.ts), each compared with the type tshark gives it
 * (tshark-types.ts), so a field added to the registry is filterable with no change here. A packet
 * is asked only for the fields the filter names, and only when the evaluation reaches them
 * (`a and b` does not read b when a is false).
 */
import { clear } from '../dissect/bytes.js';
import { FieldCells, FIELDS, type FieldDef } from '../analysis/fields.js';
import type { PacketView } from '../analysis/packet-view.js';
import { FilterError } from './lexer.js';
import { parseFilter, type CmpOp, type Node, type Operand, type SetItem, type Span } from './parser.js';
import { PROTOCOL_TESTS } from './protocols.js';
import { TSHARK_FIELD_TYPES } from './tshark-types.js';
import { COUNT_KIND, KINDS, type AnyKind } from './values.js';

export { FilterError } from './lexer.js';

export type Predicate = (v: PacketView) => boolean;

export interface CompiledFilter {
  readonly text: string;
  /** The registry fields the filter reads (a caller may need to compute some of them, e.g. mptcp.dsn). */
  readonly fields: readonly string[];
  test: Predicate;
}

let typeTable: Map<string, string> | null = null;

/** The type code tshark gives a field ('u', '4', 'x'… see tshark-types.ts), or undefined. */
export function tsharkType(name: string): string | undefined {
  if (typeTable === null) {
    typeTable = new Map();
    for (const line of TSHARK_FIELD_TYPES.split('\n')) {
      const sp = line.indexOf(' ');
      if (sp > 0) typeTable.set(line.slice(0, sp), line.slice(sp + 1));
    }
  }
  return typeTable.get(name);
}

/** Compile `text`; throws FilterError (with the position of the fault) when it is not a filter mpcap can run. */
export function compileFilter(text: string, registry: ReadonlyMap<string, FieldDef> = FIELDS): CompiledFilter {
  const c = new Compiler(registry);
  const test = c.node(parseFilter(text));
  return { text, fields: [...c.used], test };
}

/** Values of one operand for the current packet, in a reused array. */
interface Source {
  kind: AnyKind;
  values(v: PacketView): unknown[];
}

const OP_TEXT: Readonly<Record<CmpOp, string>> = { any_eq: '==', all_ne: '!=', all_eq: '===', any_ne: '!==', gt: '>', ge: '>=', lt: '<', le: '<=', contains: 'contains', matches: 'matches' };

const fail = (message: string, at: Span): FilterError => new FilterError(message, at.pos, at.len);

class Compiler {
  readonly used = new Set<string>();
  constructor(private readonly registry: ReadonlyMap<string, FieldDef>) {}

  node(n: Node): Predicate {
    switch (n.kind) {
      case 'and': {
        const a = this.node(n.left);
        const b = this.node(n.right);
        return (v) => a(v) && b(v);
      }
      case 'or': {
        const a = this.node(n.left);
        const b = this.node(n.right);
        return (v) => a(v) || b(v);
      }
      case 'xor': {
        const a = this.node(n.left);
        const b = this.node(n.right);
        return (v) => a(v) !== b(v);
      }
      case 'not': {
        const a = this.node(n.expr);
        return (v) => !a(v);
      }
      case 'exists':
        return this.exists(n.operand);
      case 'cmp':
        return this.compare(n.op, n.left, n.right, n);
      case 'in':
        return this.membership(n.left, n.items, n.negated);
    }
  }

  /** A word that names a field or a protocol; null when it is neither. */
  private isName(text: string): boolean {
    return this.registry.has(text) || PROTOCOL_TESTS.has(text) || tsharkType(text) !== undefined;
  }

  private exists(o: Operand): Predicate {
    if (o.kind === 'word' && !this.registry.has(o.text)) {
      const proto = PROTOCOL_TESTS.get(o.text);
      if (proto) return proto;
    }
    if (o.kind === 'string' || (o.kind === 'word' && !this.isName(o.text))) {
      throw fail(o.kind === 'string' ? `"${o.text}" is a string: a test needs a field (field == "${o.text}").` : `${o.text} is neither a field nor a protocol name.`, o);
    }
    const src = this.source(o);
    if (o.kind === 'mask') return (v) => src.values(v).some((x) => x !== 0 && x !== 0n);
    return (v) => src.values(v).length > 0;
  }

  /** The values a field-like operand has in a packet. */
  private source(o: Operand): Source {
    switch (o.kind) {
      case 'word': {
        const def = this.registry.get(o.text);
        if (def === undefined) {
          if (PROTOCOL_TESTS.has(o.text)) throw fail(`${o.text} is a protocol: it can only be tested for presence.`, o);
          if (tsharkType(o.text) !== undefined) throw fail(`${o.text} is a tshark field that mpcap does not decode (see \`mpcap fields\`).`, o);
          throw fail(`${o.text} is neither a field nor a protocol name.`, o);
        }
        this.used.add(def.name);
        const kind = KINDS[tsharkType(def.name) ?? def.filterType ?? 'auto'] as AnyKind;
        const texts = new FieldCells();
        const vals: unknown[] = [];
        return {
          kind,
          values: (v) => {
            texts.clear();
            clear(vals);
            def.get(v, texts);
            for (let i = 0; i < texts.length; i++) {
              const x = kind.parse(texts.at(i));
              if (x !== undefined) vals.push(x);
            }
            return vals;
          },
        };
      }
      case 'func': {
        const inner = this.source(o.arg);
        const out: number[] = [];
        if (o.name === 'count') {
          return { kind: COUNT_KIND, values: (v) => ((out[0] = inner.values(v).length), out) };
        }
        const length = inner.kind.length;
        if (!length) throw fail(`${o.arg.text} (type=${inner.kind.name}) has no length: len() takes a string or bytes field.`, o.arg);
        return {
          kind: COUNT_KIND,
          values: (v) => {
            const xs = inner.values(v);
            clear(out);
            for (let i = 0; i < xs.length; i++) out.push(length(xs[i]));
            return out;
          },
        };
      }
      case 'mask': {
        const inner = this.source(o.field);
        const and = inner.kind.and;
        if (!and) throw fail(`${o.field.kind === 'word' ? o.field.text : 'this'} (type=${inner.kind.name}) cannot be ANDed with a bit mask.`, o.field);
        const mask = this.literal(inner.kind, o.mask);
        const out: unknown[] = [];
        return {
          kind: inner.kind,
          values: (v) => {
            const xs = inner.values(v);
            clear(out);
            for (let i = 0; i < xs.length; i++) out.push(and(xs[i], mask));
            return out;
          },
        };
      }
      case 'string':
        throw fail(`"${o.text}" is a string: the left side of a comparison must be a field.`, o);
    }
  }

  private literal(kind: AnyKind, o: Operand): unknown {
    if (o.kind !== 'word' && o.kind !== 'string') throw fail('expected a value here', o);
    try {
      return kind.literal(o.text, o.kind === 'string');
    } catch (e) {
      throw fail((e as Error).message, o);
    }
  }

  /** Is the operand a field (or function, or mask) rather than a literal? */
  private isField(o: Operand): boolean {
    return o.kind === 'func' || o.kind === 'mask' || (o.kind === 'word' && this.isName(o.text) && !PROTOCOL_TESTS.has(o.text));
  }

  private compare(op: CmpOp, leftIn: Operand, rightIn: Operand, at: Span): Predicate {
    const left = leftIn;
    const right = rightIn;
    // as tshark 4.0: no literal on the left (`80 == tcp.port` is refused)
    if (!this.isField(left)) throw fail(`Left side of "${OP_TEXT[op]}" expression must be a field or function, not ${left.kind === 'word' || left.kind === 'string' ? left.text : 'this'}.`, left);
    const src = this.source(left);
    const kind = src.kind;
    const name = left.kind === 'word' ? left.text : left.kind === 'mask' && left.field.kind === 'word' ? left.field.text : 'this';
    if (kind === KINDS.n) throw fail(`${name} is a label (type=Label): it has no value to compare, test only whether it is present.`, left);
    const cannot = (what: string): FilterError => fail(`${name} (type=${kind.name}) cannot participate in ${what} comparison.`, left);
    if ((op === 'gt' || op === 'ge' || op === 'lt' || op === 'le') && !kind.order) throw cannot('ordered');
    if ((op === 'contains' && !kind.contains) || (op === 'matches' && !kind.text)) throw cannot(op);
    // the value side: a literal read once, or another field's values as literals
    let rhs: (v: PacketView) => unknown[];
    if (this.isField(right)) {
      const other = this.source(right);
      const out: unknown[] = [];
      rhs = (v) => {
        clear(out);
        for (const x of other.values(v)) {
          if (other.kind === kind) out.push(kind.asLiteral(x));
          else {
            try {
              out.push(kind.literal(String(x), false));
            } catch {
              /* not comparable: skipped */
            }
          }
        }
        return out;
      };
    } else if (op === 'matches') {
      if (!kind.text) throw cannot('matches');
      if (right.kind !== 'string') throw fail('matches needs a quoted regular expression', right);
      const re = regex(right.text, right);
      const text = kind.text;
      return (v) => src.values(v).some((x) => re.test(text(x)));
    } else {
      const lit = [this.literal(kind, right)];
      rhs = () => lit;
    }
    const eq = kind.eq;
    const order = kind.order;
    const contains = kind.contains;
    const any = (test: (x: unknown, l: unknown) => boolean): Predicate => (v) => {
      const ls = rhs(v);
      const xs = src.values(v);
      for (let i = 0; i < xs.length; i++) for (let j = 0; j < ls.length; j++) if (test(xs[i], ls[j])) return true;
      return false;
    };
    switch (op) {
      case 'any_eq':
        return any(eq);
      case 'any_ne':
        return any((x, l) => !eq(x, l));
      case 'all_ne':
      case 'all_eq': {
        const want = op === 'all_eq';
        // Wireshark: false when the field is absent; else every occurrence must (not) equal
        return (v) => {
          const ls = rhs(v);
          const xs = src.values(v);
          if (xs.length === 0 || ls.length === 0) return false;
          for (let i = 0; i < xs.length; i++) for (let j = 0; j < ls.length; j++) if (eq(xs[i], ls[j]) !== want) return false;
          return true;
        };
      }
      case 'gt':
      case 'ge':
      case 'lt':
      case 'le': {
        if (!order) throw cannot('ordered');
        const ok = op === 'gt' ? (c: number) => c > 0 : op === 'ge' ? (c: number) => c >= 0 : op === 'lt' ? (c: number) => c < 0 : (c: number) => c <= 0;
        return any((x, l) => ok(order(x, l)));
      }
      case 'contains':
        if (!contains) throw cannot('contains');
        return any(contains);
      case 'matches':
        throw cannot('matches');
    }
    void at;
    return () => false;
  }

  private membership(left: Operand, items: SetItem[], negated: boolean): Predicate {
    const src = this.source(left);
    const kind = src.kind;
    if (kind === KINDS.n) throw fail(`${left.kind === 'word' ? left.text : 'this'} is a label: it has no value to compare.`, left);
    const tests: Array<(x: unknown) => boolean> = items.map((it) => {
      const low = this.literal(kind, it.low);
      if (it.high === null) return (x) => kind.eq(x, low);
      const order = kind.order;
      if (!order) throw fail(`a range needs a type with an order (${kind.name} has none)`, it.high);
      const high = this.literal(kind, it.high);
      return (x) => order(x, low) >= 0 && order(x, high) <= 0;
    });
    const inSet: Predicate = (v) => src.values(v).some((x) => tests.some((t) => t(x)));
    return negated ? (v) => !inSet(v) : inSet;
  }
}

/** Wireshark's `matches` is PCRE2, case-insensitive unless `(?-i)` says otherwise. */
function regex(source: string, at: Span): RegExp {
  let flags = 'is';
  let body = source;
  if (body.startsWith('(?-i)')) {
    flags = 's';
    body = body.slice(5);
  } else if (body.startsWith('(?i)')) {
    body = body.slice(4);
  }
  try {
    return new RegExp(body, flags);
  } catch (e) {
    throw fail(`invalid regular expression: ${(e as Error).message}`, at);
  }
}
