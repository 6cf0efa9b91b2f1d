/**
 * Display filter syntax → tree, with Wireshark 4.0's grammar (epan/dfilter/grammar.lemon) and
 * precedence: `or`/`xor` < `and` < `not` < a relation. What a word means (a field, a protocol, a
 * number, an address) is decided later, by compile.ts, against the field registry.
 */
import { FilterError, tokenize, type Token } from './lexer.js';

/**
 * Wireshark's operators over fields that occur several times in a packet: `==` is "any equal",
 * `!=` "all not equal" (= `!(a == b)`, since 3.6), `===` "all equal", `!==`/`~=` "any not equal".
 */
export type CmpOp = 'any_eq' | 'all_ne' | 'all_eq' | 'any_ne' | 'gt' | 'ge' | 'lt' | 'le' | 'contains' | 'matches';

export interface Span {
  pos: number;
  len: number;
}

export type Operand =
  /** A word: a field or protocol name, or a literal (decided when compiled). */
  | ({ kind: 'word'; text: string } & Span)
  | ({ kind: 'string'; text: string } & Span)
  /** `len(field)`, `count(field)` */
  | ({ kind: 'func'; name: 'len' | 'count'; arg: Operand & { kind: 'word' } } & Span)
  /** `field & mask`: the field's value ANDed with a constant. */
  | ({ kind: 'mask'; field: Operand; mask: Operand & { kind: 'word' } } & Span);

export interface SetItem {
  low: Operand;
  /** The upper end of `low..high`, or null for a single value. */
  high: Operand | null;
}

export type Node =
  | { kind: 'and' | 'or' | 'xor'; left: Node; right: Node }
  | { kind: 'not'; expr: Node }
  | ({ kind: 'exists'; operand: Operand } & Span)
  | ({ kind: 'cmp'; op: CmpOp; left: Operand; right: Operand } & Span)
  | ({ kind: 'in'; negated: boolean; left: Operand; items: SetItem[] } & Span);

const SYMBOL_OPS: Readonly<Record<string, CmpOp>> = {
  '==': 'any_eq', '!=': 'all_ne', '===': 'all_eq', '!==': 'any_ne', '~=': 'any_ne',
  '>': 'gt', '>=': 'ge', '<': 'lt', '<=': 'le', '~': 'matches',
};
const WORD_OPS: Readonly<Record<string, CmpOp>> = {
  eq: 'any_eq', any_eq: 'any_eq', ne: 'all_ne', all_ne: 'all_ne', all_eq: 'all_eq', any_ne: 'any_ne',
  gt: 'gt', ge: 'ge', lt: 'lt', le: 'le', contains: 'contains', matches: 'matches',
};
const FUNCTIONS = new Set(['len', 'count']);

export function parseFilter(text: string): Node {
  const p = new Parser(tokenize(text));
  if (p.peek().kind === 'end') throw new FilterError('the filter is empty', 0, Math.max(1, text.length));
  const node = p.expr();
  const t = p.peek();
  if (t.kind !== 'end') throw unexpected(t);
  return node;
}

function unexpected(t: Token): FilterError {
  if (t.kind === 'end') return new FilterError('Unexpected end of filter expression.', t.pos, 1);
  return new FilterError(`"${t.text}" was unexpected in this context.`, t.pos, t.len);
}

const isWord = (t: Token, w: string): boolean => t.kind === 'word' && t.text === w;

class Parser {
  private i = 0;
  constructor(private readonly tokens: Token[]) {}

  peek(ahead = 0): Token {
    return this.tokens[Math.min(this.i + ahead, this.tokens.length - 1)] as Token;
  }

  private next(): Token {
    const t = this.peek();
    if (this.i < this.tokens.length - 1) this.i++;
    return t;
  }

  private expect(kind: Token['kind']): Token {
    const t = this.peek();
    if (t.kind !== kind) throw unexpected(t);
    return this.next();
  }

  expr(): Node {
    let left = this.and();
    for (;;) {
      const t = this.peek();
      const kind = isWord(t, 'or') || (t.kind === 'op' && t.text === '||') ? 'or' : isWord(t, 'xor') || (t.kind === 'op' && t.text === '^^') ? 'xor' : null;
      if (kind === null) return left;
      this.next();
      left = { kind, left, right: this.and() };
    }
  }

  private and(): Node {
    let left = this.unary();
    for (;;) {
      const t = this.peek();
      if (!(isWord(t, 'and') || (t.kind === 'op' && t.text === '&&'))) return left;
      this.next();
      left = { kind: 'and', left, right: this.unary() };
    }
  }

  private unary(): Node {
    const t = this.peek();
    if (isWord(t, 'not') || (t.kind === 'op' && t.text === '!')) {
      this.next();
      return { kind: 'not', expr: this.unary() };
    }
    if (t.kind === '(') {
      this.next();
      const e = this.expr();
      this.expect(')');
      return e;
    }
    return this.relation();
  }

  private relation(): Node {
    const left = this.operand();
    const t = this.peek();
    const op = t.kind === 'op' ? SYMBOL_OPS[t.text] : t.kind === 'word' ? WORD_OPS[t.text] : undefined;
    if (op !== undefined) {
      this.next();
      const right = this.operand();
      return { kind: 'cmp', op, left, right, pos: t.pos, len: t.len };
    }
    if (isWord(t, 'in') || (isWord(t, 'not') && isWord(this.peek(1), 'in'))) {
      const negated = t.text === 'not';
      this.next();
      if (negated) this.next();
      return { kind: 'in', negated, left, items: this.set(), pos: t.pos, len: t.len };
    }
    return { kind: 'exists', operand: left, pos: left.pos, len: left.len };
  }

  /** `{a, b, lo..hi}` (commas required, as in 4.0). */
  private set(): SetItem[] {
    this.expect('{');
    const items: SetItem[] = [];
    for (;;) {
      const low = this.value();
      let high: Operand | null = null;
      if (this.peek().kind === '..') {
        this.next();
        high = this.value();
      }
      items.push({ low, high });
      const t = this.next();
      if (t.kind === '}') return items;
      if (t.kind !== ',') throw unexpected(t);
    }
  }

  private value(): Operand {
    const t = this.next();
    if (t.kind === 'word' || t.kind === 'string') return { kind: t.kind, text: t.text, pos: t.pos, len: t.len };
    throw unexpected(t);
  }

  private operand(): Operand {
    const t = this.next();
    if (t.kind === 'string') return { kind: 'string', text: t.text, pos: t.pos, len: t.len };
    if (t.kind !== 'word' || WORD_OPS[t.text] !== undefined || ['and', 'or', 'xor', 'not', 'in'].includes(t.text)) throw unexpected(t);
    let operand: Operand;
    if (FUNCTIONS.has(t.text) && this.peek().kind === '(') {
      this.next();
      const arg = this.expect('word');
      const close = this.expect(')');
      operand = { kind: 'func', name: t.text as 'len' | 'count', arg: { kind: 'word', text: arg.text, pos: arg.pos, len: arg.len }, pos: t.pos, len: close.pos + 1 - t.pos };
    } else {
      operand = { kind: 'word', text: t.text, pos: t.pos, len: t.len };
    }
    const n = this.peek();
    if (n.kind === '[') throw new FilterError('mpcap does not support slices ([i:j]) in filters', n.pos, 1);
    if (n.kind === 'op' && n.text === '&') {
      this.next();
      const m = this.expect('word');
      operand = { kind: 'mask', field: operand, mask: { kind: 'word', text: m.text, pos: m.pos, len: m.len }, pos: operand.pos, len: m.pos + m.len - operand.pos };
    }
    return operand;
  }
}
