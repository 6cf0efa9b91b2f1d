/**
 * V8 keeps an object's fields at fixed offsets only while it has "fast properties"; a dictionary
 * object is a hash table, and every field read and write is a lookup. The DSS record, read and
 * written for nearly every packet, was one (an object literal with `get` accessors made per
 * record: every record after the first became a dictionary), which cost ~20 % of `analyze`.
 * Checked with V8's %HasFastProperties in a child node (the natives syntax is a command-line flag):
 * the records themselves, and every object an analysis of a real capture leaves reachable.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const dist = fileURLToPath(new URL('../../dist/', import.meta.url));
const capture = fileURLToPath(new URL('../../fixtures/pcaps/three-paths-signal.pcap', import.meta.url));

const recordScript = `
const { newDss, readDss, decodeMptcpOption } = await import(${JSON.stringify(dist + 'dissect/mptcp.js')});
// DSS, flags A a M m (64-bit data ACK 0x1_80000002 and DSN 0x3_fffffffe), SSN 9, length 1500,
// checksum 0xabcd: 2+2 + 8 + 8 + 4 + 2 + 2 = 28 bytes
const opt = Uint8Array.from([30, 28, 0x20, 0x0f, 0,0,0,1, 0x80,0,0,2, 0,0,0,3, 0xff,0xff,0xff,0xfe, 0,0,0,9, 0x05,0xdc, 0xab,0xcd]);
const recs = [newDss(), newDss(), newDss()];
for (const r of recs) if (!readDss(opt, 0, opt.length, 40, r)) throw new Error('readDss refused');
const full = decodeMptcpOption(opt, 0x10, 40);
const out = {
  fast: [...recs, full].map((r) => %HasFastProperties(r)),
  sameMap: %HaveSameMap(recs[0], recs[2]),
  keys: Object.keys(recs[1]),
  json: JSON.parse(JSON.stringify(recs[1], (_k, v) => (typeof v === 'bigint' ? v.toString() : v))),
};
// the control: a literal with accessors of its own, made twice, is a dictionary the second time
const lit = (w) => ({ a: 0, get g() { return w; } });
lit(1);
out.control = %HasFastProperties(lit(2));
console.log(JSON.stringify(out));
`;

const walkScript = `
const { Analysis } = await import(${JSON.stringify(dist + 'analysis/analysis.js')});
const { runPipeline } = await import(${JSON.stringify(dist + 'analysis/pipeline.js')});
const a = new Analysis();
await runPipeline(${JSON.stringify(capture)}, a.pipeline, { stdin: process.stdin });
const seen = new Set();
const slow = [];
const walk = (o, path, depth) => {
  if (o === null || typeof o !== 'object' || seen.has(o) || depth > 12 || ArrayBuffer.isView(o) || o instanceof ArrayBuffer) return;
  seen.add(o);
  if (o instanceof Map) { for (const v of o.values()) walk(v, path + '.get()', depth + 1); return; }
  if (o instanceof Set) return;
  if (!Array.isArray(o) && !%HasFastProperties(o)) slow.push(path);
  for (const k of Reflect.ownKeys(o)) {
    const d = Object.getOwnPropertyDescriptor(o, k);
    if (d !== undefined && 'value' in d) walk(d.value, path + '.' + String(k), depth + 1);
  }
};
walk(a, 'analysis', 0);
console.log(JSON.stringify({ walked: seen.size, slow: slow.slice(0, 20) }));
`;

const run = (script: string): Record<string, unknown> => {
  const r = spawnSync(process.execPath, ['--allow-natives-syntax', '--input-type=module', '-e', script], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Record<string, unknown>;
};

describe('hot-path records keep fast properties (V8 %HasFastProperties)', () => {
  it.skipIf(!existsSync(dist + 'dissect/mptcp.js'))('DSS records, reused or decoded, and their fields in wire order', () => {
    const got = run(recordScript);
    expect(got.control).toBe(false); // else the check proves nothing
    expect(got.fast).toEqual([true, true, true, true]);
    expect(got.sameMap).toBe(true);
    // the JSON output lists the fields in this order, the 64-bit values as decimal text
    expect(got.keys).toEqual(['subtype', 'offset', 'length', 'byte2', 'byte3', 'problem', 'flags', 'dataFin', 'dataAck', 'dataAck64', 'dataSeq', 'dataSeq64', 'subflowSeq', 'dataLen', 'checksum']);
    expect(got.json).toMatchObject({ subtype: 'DSS', offset: 40, length: 28, flags: 0x0f, dataFin: false, dataAck: String(0x1_8000_0002n), dataAck64: true, dataSeq: String(0x3_ffff_fffen), dataSeq64: true, subflowSeq: 9, dataLen: 1500, checksum: 0xabcd });
  });

  it.skipIf(!existsSync(dist + 'analysis/analysis.js') || !existsSync(capture))('no object an analysis of a real capture leaves reachable is a dictionary', () => {
    const got = run(walkScript) as { walked: number; slow: string[] };
    expect(got.walked).toBeGreaterThan(100);
    expect(got.slow).toEqual([]);
  });
});
