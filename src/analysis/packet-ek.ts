/**
 * `dissect -T ek`: tshark's Elasticsearch bulk format, two lines per packet (an `index` action,
 * then the document `{"timestamp": ms, "layers": {...}}`), built from the tshark JSON layout
 * (packet-tshark-json.ts) with tshark's ek rules: a field's key is its protocol, `_`, and its name
 * with dots as underscores (`tcp.options.mptcp.subtype` → `tcp_tcp_options_mptcp_subtype`); the
 * subtrees of fields are flattened into their protocol (a text-less item such as `tcp.analysis`
 * becomes `null`); a protocol inside another (each MPTCP option) stays an object; siblings with
 * one key become an array; booleans are JSON booleans. Only the fields mpcap knows are there.
 */
import { TSHARK_FIELD_TYPES } from '../filter/tshark-types.js';
import { packetTsharkEntries, type Entries } from './packet-tshark-json.js';
import type { PacketView } from './packet-view.js';

let types: Map<string, string> | null = null;
function typeOf(name: string): string | undefined {
  if (types === null) {
    types = new Map();
    for (const line of TSHARK_FIELD_TYPES.split('\n')) {
      const sp = line.indexOf(' ');
      if (sp > 0) types.set(line.slice(0, sp), line.slice(sp + 1));
    }
  }
  return types.get(name);
}

/** Protocols that stay objects inside a layer (tshark adds each MPTCP option as an mptcp item). */
const PROTOCOLS = new Set(['mptcp']);

type Value = string | boolean | null | Obj | Value[];
type Obj = Array<[string, Value]>;

function ekKey(name: string): string {
  const dot = name.indexOf('.');
  const proto = dot < 0 ? name : name.slice(0, dot);
  return `${proto}_${name.replace(/\./g, '_')}`;
}

function ekValue(name: string, text: string): Value {
  const t = typeOf(name);
  if (t === 'b') return text === '1' || text === 'True';
  if (t === 'n') return null;
  // several occurrences of a field (REMOVE_ADDR's address IDs) come joined, as -T fields prints them
  if (t !== undefined && t !== 's' && text.includes(',')) return group(text.split(','));
  return text;
}

/** One tree level of tshark's JSON layout into ek pairs; same-key siblings are grouped (in first-seen order). */
function flatten(entries: Entries, out: Obj): void {
  const level: Obj = [];
  for (const [k, v] of entries) {
    if (typeof v === 'string') level.push([ekKey(k), ekValue(k, v)]);
    else if (PROTOCOLS.has(k)) level.push([k, toObject(v)]);
    else {
      // a field with a subtree: itself (null when it has no value of its own), then its children
      if (typeOf(k) === 'n') level.push([ekKey(k), null]);
      flatten(v, level);
    }
  }
  const index = new Map<string, number>();
  for (const [k, v] of level) {
    const at = index.get(k);
    if (at === undefined) {
      index.set(k, out.length);
      out.push([k, v]);
      continue;
    }
    const slot = out[at] as [string, Value];
    const cur = slot[1];
    if (Array.isArray(cur) && isGroup(cur)) (cur as Value[]).push(v);
    else slot[1] = group([cur, v]);
  }
}

// An ek array of sibling values is marked so that a value that is itself a list (an object) is not confused with it.
const GROUPS = new WeakSet<Value[]>();
function group(list: Value[]): Value[] {
  GROUPS.add(list);
  return list;
}
function isGroup(v: Value[]): boolean {
  return GROUPS.has(v);
}

function toObject(entries: Entries): Obj {
  const o: Obj = [];
  flatten(entries, o);
  return o;
}

function write(v: Value): string {
  if (v === null || typeof v === 'boolean') return String(v);
  if (typeof v === 'string') return JSON.stringify(v);
  if (isGroup(v)) return `[${v.map(write).join(',')}]`;
  return `{${(v as Obj).map(([k, x]) => `${JSON.stringify(k)}:${write(x)}`).join(',')}}`;
}

/** The two NDJSON lines of one packet, each ending in a newline. */
export function packetEk(v: PacketView): string {
  const top = packetTsharkEntries(v);
  const index = (top.find(([k]) => k === '_index')?.[1] as string | undefined) ?? 'packets';
  const source = top.find(([k]) => k === '_source')?.[1] as Entries;
  const layers = (source.find(([k]) => k === 'layers')?.[1] ?? []) as Entries;
  const out: Obj = layers.map(([name, e]) => [name, typeof e === 'string' ? e : toObject(e)]);
  const ms = BigInt(v.frame.tsSec) * 1000n + BigInt(Math.floor(v.frame.tsNsec / 1e6));
  return `{"index":{"_index":${JSON.stringify(index)},"_type":"doc"}}\n{"timestamp":"${ms}","layers":${write(out)}}\n`;
}
