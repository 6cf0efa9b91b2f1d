/**
 * Display filter tokens, as Wireshark's scanner (epan/dfilter/scanner.l) cuts them: punctuation and
 * operators, quoted strings, and "unparsed" words (field names, numbers, addresses, byte strings,
 * and the word operators `eq`, `and`, `contains`…), whose meaning depends on where they stand.
 * Every token keeps its position, so that an error can point at it.
 */

export class FilterError extends Error {
  override readonly name = 'FilterError';
  constructor(
    message: string,
    /** Offset of the fault in the filter text, and how many characters it spans (at least 1). */
    readonly pos: number,
    readonly len: number,
  ) {
    super(message);
  }
}

export type TokenKind =
  | 'word' // unparsed: field name, number, address, byte string, word operator
  | 'string' // "…" (escapes resolved) or r"…"
  | 'op' // == != === !== ~= < > <= >= ~ && || ^^ ! &
  | '(' | ')' | '{' | '}' | '[' | ']' | ',' | '..'
  | 'end';

export interface Token {
  kind: TokenKind;
  text: string;
  pos: number;
  len: number;
}

/** Longest first: `===` before `==`, `<=` before `<`. */
const OPERATORS = ['===', '!==', '==', '!=', '~=', '<=', '>=', '&&', '||', '^^', '<', '>', '~', '!', '&'];
const PUNCT = new Set(['(', ')', '{', '}', '[', ']', ',']);
/** Characters of an unparsed word: names (tcp.options.mptcp.subtype), numbers, 10.0.0.0/8, fe80::1, aa:bb:cc, -1. */
const WORD_RE = /[A-Za-z0-9_.:/\-]/;

export function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    if (c === '.' && text[i + 1] === '.') {
      out.push({ kind: '..', text: '..', pos: i, len: 2 });
      i += 2;
      continue;
    }
    if (PUNCT.has(c)) {
      out.push({ kind: c as TokenKind, text: c, pos: i, len: 1 });
      i++;
      continue;
    }
    if (c === '"' || ((c === 'r' || c === 'R') && text[i + 1] === '"')) {
      const t = readString(text, i);
      out.push(t);
      i = t.pos + t.len;
      continue;
    }
    const op = OPERATORS.find((o) => text.startsWith(o, i));
    if (op !== undefined) {
      out.push({ kind: 'op', text: op, pos: i, len: op.length });
      i += op.length;
      continue;
    }
    if (WORD_RE.test(c)) {
      let j = i;
      // a word stops before `..` (a range in a set: 80..90); no address or name holds two dots
      while (j < text.length && WORD_RE.test(text[j] as string) && !(text[j] === '.' && text[j + 1] === '.')) j++;
      out.push({ kind: 'word', text: text.slice(i, j), pos: i, len: j - i });
      i = j;
      continue;
    }
    throw new FilterError(`"${c}" was unexpected in this context.`, i, 1);
  }
  out.push({ kind: 'end', text: '', pos: text.length, len: 1 });
  return out;
}

const ESCAPES: Readonly<Record<string, string>> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', a: '\x07', b: '\b', f: '\f', v: '\v', "'": "'" };

/** A quoted string from `start`: escapes as C's (\n, \t, \\, \", \xhh, \ooo); r"…" keeps backslashes. */
function readString(text: string, start: number): Token {
  const raw = text[start] !== '"';
  let i = start + (raw ? 2 : 1);
  let value = '';
  while (i < text.length) {
    const c = text[i] as string;
    if (c === '"') return { kind: 'string', text: value, pos: start, len: i + 1 - start };
    if (c === '\\') {
      const n = text[i + 1];
      if (n === undefined) break;
      if (raw) {
        // in a raw string a backslash stays, and \" does not end it
        value += c + n;
        i += 2;
        continue;
      }
      const simple = ESCAPES[n];
      if (simple !== undefined) {
        value += simple;
        i += 2;
        continue;
      }
      if (n === 'x' && /^[0-9a-fA-F]{1,2}/.test(text.slice(i + 2, i + 4))) {
        const hex = (/^[0-9a-fA-F]{1,2}/.exec(text.slice(i + 2, i + 4)) as RegExpExecArray)[0];
        value += String.fromCharCode(parseInt(hex, 16));
        i += 2 + hex.length;
        continue;
      }
      if (/[0-7]/.test(n)) {
        const oct = (/^[0-7]{1,3}/.exec(text.slice(i + 1, i + 4)) as RegExpExecArray)[0];
        value += String.fromCharCode(parseInt(oct, 8));
        i += 1 + oct.length;
        continue;
      }
      throw new FilterError(`invalid escape sequence \\${n} in a string`, i, 2);
    }
    value += c;
    i++;
  }
  throw new FilterError('the string has no closing quote', start, text.length - start);
}
