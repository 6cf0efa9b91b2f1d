/**
 * How a display filter compares a field with a value, per field type (as tshark declares the
 * field: see tshark-types.ts). Field values arrive as the text `-T fields` prints (fields.ts);
 * literals are read once, when the filter is compiled, with Wireshark's rules: integers in C's
 * notation (`0x10`, `010` octal, `0b1`), booleans as 1/0/True/False, IPv4 and IPv6 addresses with
 * an optional `/prefix` (a subnet: `==` tests membership), byte strings as `aa:bb:cc` (or `-`, `.`
 * separators, or contiguous hex), strings quoted.
 */

export interface Kind<V, L> {
  /** For messages, as tshark names the type: "IPv4 address", "Unsigned integer (32 bits)"… */
  readonly name: string;
  /** A field's printed value → comparable value (undefined when it cannot be read: skipped). */
  parse(text: string): V | undefined;
  /** A literal → comparable value; throws Error with tshark's wording when it is not one. */
  literal(text: string, quoted: boolean): L;
  /** A field value as a literal (for field-to-field comparisons). */
  asLiteral(v: V): L;
  eq(v: V, l: L): boolean;
  /** <0, 0, >0; absent: the type has no order (`<` is an error). */
  order?(v: V, l: L): number;
  contains?(v: V, l: L): boolean;
  /** The text `matches` runs on; absent: `matches` is an error. */
  text?(v: V): string;
  /** `field & mask`: absent for non-integer types. */
  and?(v: V, mask: L): V;
  /** len(field): absent for types without a length. */
  length?(v: V): number;
}

const INT_RE = /^[-+]?(0[xX][0-9a-fA-F]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/;

/** C's strtol base 0, as dfilter reads integers. */
function intText(text: string): string | null {
  if (!INT_RE.test(text)) return null;
  const neg = text[0] === '-';
  let body = text.replace(/^[-+]/, '');
  if (/^0[0-7]+$/.test(body)) body = '0o' + body.slice(1);
  return (neg ? '-' : '') + body;
}

function notANumber(text: string, quoted: boolean): Error {
  return new Error(quoted ? `"${text}" is a string, not a number: write it without quotes.` : `"${text}" is not a valid number.`);
}

function integerKind(name: string, bool: boolean): Kind<number, number> {
  return {
    name,
    parse: (t) => {
      if (bool && (t === 'True' || t === 'False')) return t === 'True' ? 1 : 0;
      const n = Number(t);
      return Number.isNaN(n) ? undefined : n;
    },
    literal: (text, quoted) => {
      if (bool && !quoted && /^(true|false)$/i.test(text)) return /^true$/i.test(text) ? 1 : 0;
      const s = quoted ? null : intText(text);
      if (s === null) throw notANumber(text, quoted);
      const n = s.startsWith('-') ? -Number(s.slice(1)) : Number(s);
      return bool ? (n !== 0 ? 1 : 0) : n;
    },
    asLiteral: (v) => v,
    eq: (v, l) => (bool ? (v !== 0) === (l !== 0) : v === l),
    order: (v, l) => v - l,
    and: (v, m) => v & m,
  };
}

const bigKind: Kind<bigint, bigint> = {
  name: 'Unsigned integer (64 bits)',
  parse: (t) => {
    try {
      return BigInt(t);
    } catch {
      return undefined;
    }
  },
  literal: (text, quoted) => {
    const s = quoted ? null : intText(text);
    if (s === null) throw notANumber(text, quoted);
    return s.startsWith('-') ? -BigInt(s.slice(1)) : BigInt(s);
  },
  asLiteral: (v) => v,
  eq: (v, l) => v === l,
  order: (v, l) => (v < l ? -1 : v > l ? 1 : 0),
  and: (v, m) => v & m,
};

const FLOAT_RE = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

const doubleKind: Kind<number, number> = {
  name: 'Floating point (double-precision)',
  parse: (t) => {
    const n = Number(t);
    return Number.isNaN(n) ? undefined : n;
  },
  literal: (text, quoted) => {
    if (quoted || !FLOAT_RE.test(text)) throw notANumber(text, quoted);
    return Number(text);
  },
  asLiteral: (v) => v,
  eq: (v, l) => v === l,
  order: (v, l) => v - l,
};

// ------------------------------------------------------------------ addresses

/** An address with a prefix length: `==` tests whether the value lies in the subnet. */
export interface Subnet<A> {
  addr: A;
  mask: A;
}

export function parseIpv4(text: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return null;
  let n = 0;
  for (let i = 1; i <= 4; i++) {
    const b = Number(m[i]);
    if (b > 255) return null;
    n = n * 256 + b;
  }
  return n;
}

export function parseIpv6(text: string): bigint | null {
  let s = text;
  let tail: number[] = [];
  const v4 = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4) {
    const n = parseIpv4(v4[2] as string);
    if (n === null) return null;
    tail = [n >>> 16, n & 0xffff];
    s = v4[1] as string;
    if (s.endsWith(':') && !s.endsWith('::')) s = s.slice(0, -1);
  }
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const group = (part: string): number[] | null => {
    if (part === '') return [];
    const out: number[] = [];
    for (const g of part.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = group(halves[0] as string);
  const rest = halves.length === 2 ? group(halves[1] as string) : [];
  if (head === null || rest === null) return null;
  const have = head.length + rest.length + tail.length;
  let groups: number[];
  if (halves.length === 2) {
    if (have > 7) return null;
    groups = [...head, ...new Array<number>(8 - have).fill(0), ...rest, ...tail];
  } else {
    if (have !== 8) return null;
    groups = [...head, ...tail];
  }
  let n = 0n;
  for (const g of groups) n = (n << 16n) | BigInt(g);
  return n;
}

function prefix(text: string, max: number, name: string): { addr: string; bits: number } {
  const slash = text.indexOf('/');
  if (slash < 0) return { addr: text, bits: max };
  const bits = Number(text.slice(slash + 1));
  if (!/^\d+$/.test(text.slice(slash + 1)) || bits > max) throw new Error(`"${text.slice(slash + 1)}" is not a valid ${name} prefix length (0 to ${max}).`);
  return { addr: text.slice(0, slash), bits };
}

const ipv4Kind: Kind<number, Subnet<number>> = {
  name: 'IPv4 address',
  parse: (t) => parseIpv4(t) ?? undefined,
  literal: (text, quoted) => {
    if (quoted) throw new Error(`IPv4 address cannot be converted from a string ("${text}").`);
    const { addr, bits } = prefix(text, 32, 'IPv4');
    const n = parseIpv4(addr);
    if (n === null) throw new Error(`"${addr}" is not a valid IPv4 address (mpcap never resolves host names).`);
    const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    return { addr: (n & mask) >>> 0, mask };
  },
  asLiteral: (v) => ({ addr: v, mask: 0xffffffff }),
  eq: (v, l) => ((v & l.mask) >>> 0) === l.addr,
  order: (v, l) => v - l.addr,
};

const ALL128 = (1n << 128n) - 1n;

const ipv6Kind: Kind<bigint, Subnet<bigint>> = {
  name: 'IPv6 address',
  parse: (t) => parseIpv6(t) ?? undefined,
  literal: (text, quoted) => {
    if (quoted) throw new Error(`IPv6 address cannot be converted from a string ("${text}").`);
    const { addr, bits } = prefix(text, 128, 'IPv6');
    const n = parseIpv6(addr);
    if (n === null) throw new Error(`"${addr}" is not a valid IPv6 address (mpcap never resolves host names).`);
    const mask = bits === 0 ? 0n : (ALL128 << BigInt(128 - bits)) & ALL128;
    return { addr: n & mask, mask };
  },
  asLiteral: (v) => ({ addr: v, mask: ALL128 }),
  eq: (v, l) => (v & l.mask) === l.addr,
  order: (v, l) => (v < l.addr ? -1 : v > l.addr ? 1 : 0),
};

// ------------------------------------------------------------------ bytes and strings

const BYTES_SEP_RE = /^[0-9a-fA-F]{1,2}([:.-][0-9a-fA-F]{1,2})*$/;
const HEX_RE = /^([0-9a-fA-F]{2})+$/;

function hexBytes(text: string): Uint8Array | null {
  if (HEX_RE.test(text) && !/[:.-]/.test(text)) return Uint8Array.from(text.match(/../g) as string[], (h) => parseInt(h, 16));
  if (BYTES_SEP_RE.test(text)) return Uint8Array.from(text.split(/[:.-]/), (h) => parseInt(h, 16));
  return null;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number);
  return a.length - b.length;
}

function indexOfBytes(hay: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

const latin1 = (b: Uint8Array): string => {
  let s = '';
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i] as number);
  return s;
};

function bytesKind(name: string): Kind<Uint8Array, Uint8Array> {
  return {
    name,
    parse: (t) => hexBytes(t.replace(/[:.-]/g, '')) ?? (t === '' ? new Uint8Array(0) : undefined),
    literal: (text, quoted) => {
      if (quoted) return Uint8Array.from(Buffer.from(text, 'utf8'));
      const b = hexBytes(text);
      if (b === null) throw new Error(`"${text}" is not a valid byte string.`);
      return b;
    },
    asLiteral: (v) => v,
    eq: (v, l) => compareBytes(v, l) === 0,
    order: compareBytes,
    contains: (v, l) => indexOfBytes(v, l) >= 0,
    text: latin1,
    length: (v) => v.length,
  };
}

const stringKind: Kind<string, string> = {
  name: 'Character string',
  parse: (t) => t,
  literal: (text) => text,
  asLiteral: (v) => v,
  eq: (v, l) => v === l,
  order: (v, l) => (v < l ? -1 : v > l ? 1 : 0),
  contains: (v, l) => v.includes(l),
  text: (v) => v,
  length: (v) => Buffer.byteLength(v, 'utf8'),
};

/** A field tshark does not know (mpcap's own): numbers compare as numbers, anything else as text. */
const autoKind: Kind<string, string> = {
  name: 'mpcap field',
  parse: (t) => t,
  literal: (text) => text,
  asLiteral: (v) => v,
  eq: (v, l) => v === l || (numeric(v) && numeric(l) && Number(v) === Number(l)),
  order: (v, l) => (numeric(v) && numeric(l) ? Number(v) - Number(l) : v < l ? -1 : v > l ? 1 : 0),
  contains: (v, l) => v.includes(l),
  text: (v) => v,
  length: (v) => v.length,
};

const numeric = (s: string): boolean => s !== '' && !Number.isNaN(Number(s));

/** A field of type FT_NONE (a label, a tree): it can only be present. */
const noneKind: Kind<string, never> = {
  name: 'Label',
  parse: (t) => t,
  literal: () => {
    throw new Error('has no value: test only whether it is present.');
  },
  asLiteral: (v) => v as never,
  eq: () => false,
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyKind = Kind<any, any>;

export const KINDS: Readonly<Record<string, AnyKind>> = {
  u: integerKind('Unsigned integer', false),
  i: integerKind('Signed integer', false),
  b: integerKind('Boolean', true),
  U: bigKind,
  I: { ...bigKind, name: 'Signed integer (64 bits)' },
  f: doubleKind,
  '4': ipv4Kind,
  '6': ipv6Kind,
  e: bytesKind('Ethernet or other MAC address'),
  x: bytesKind('Byte sequence'),
  s: stringKind,
  n: noneKind,
  auto: autoKind,
};

/** The kind of len() and count(): a whole number. */
export const COUNT_KIND = KINDS.u as AnyKind;
