/**
 * Number fields that outgrow V8's small integers start as doubles (src/dissect/double-fields.ts):
 * an object whose counter went past 2^30 keeps the hidden class of a fresh one, so the code
 * compiled for the fresh one is not thrown away a gigabyte into a capture. Checked with V8's own
 * %HaveSameMap in a child node (the natives syntax is a command-line flag), on the built classes.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const dist = fileURLToPath(new URL('../../dist/', import.meta.url));

const script = `
const { DataStream } = await import(${JSON.stringify(dist + 'reassembly/data-stream.js')});
const { Segment } = await import(${JSON.stringify(dist + 'dissect/segment.js')});
const { FrameRecord } = await import(${JSON.stringify(dist + 'dissect/frame.js')});
const { U64 } = await import(${JSON.stringify(dist + 'dissect/u64.js')});
const out = {};
const check = (name, make, grow) => { const a = make(); const b = make(); grow(b); out[name] = %HaveSameMap(a, b); };
check('DataStream', () => new DataStream(), (d) => { d.nextRel = 2 ** 31 + 0.5; d.deliveredBytes = 3e9; d.maxRelEnd = 2 ** 40; d.holDelaySumSec = 0.25; d.peakBufferedBytes = 2 ** 31; });
check('Segment', () => new Segment(), (s) => { s.seq = 4e9; s.ack = 3e9; s.tsVal = 2 ** 32 - 1; s.tsEcr = 2 ** 31; });
check('FrameRecord', () => new FrameRecord(), (f) => { f.tsSec = 1733112345; f.tsNsec = 999999999; });
check('U64', () => new U64(), (u) => u.set(2 ** 32 - 1, 2 ** 31));
// and the control: a class without them does change (else the check proves nothing)
class Plain { constructor() { this.n = 0; } }
check('control', () => new Plain(), (p) => { p.n = 2 ** 31; });
console.log(JSON.stringify(out));
`;

describe('fields that outgrow small integers', () => {
  it.skipIf(!existsSync(dist + 'reassembly/data-stream.js'))('keep the hidden class of a fresh object (V8 %HaveSameMap)', () => {
    const r = spawnSync(process.execPath, ['--allow-natives-syntax', '--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const got = JSON.parse(r.stdout) as Record<string, boolean>;
    expect(got).toEqual({ DataStream: true, Segment: true, FrameRecord: true, U64: true, control: false });
  });
});
