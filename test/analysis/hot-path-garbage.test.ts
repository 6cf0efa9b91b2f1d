/**
 * The per-packet path makes next to no garbage (src/reassembly/clock.ts, seq.ts asInt32,
 * double-fields.ts packedZeros): a bulk transfer whose sequence numbers and TSvals sit past 2^31
 * and wrap 2^32 — values V8 boxes as heap numbers when they cross a call as uint32, are stored in
 * a field that may hold null, or are read from a "holey" array — runs through the built pipeline
 * in a child node, and V8's sampling heap profiler counts what the second half of it allocates. The figures the statistics give across the wraps are checked too.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Capture, CraftedSubflow, capableHandshake, dss, sides, TCP_ACK, type V1Keys } from '../helpers/craft.js';

const dist = fileURLToPath(new URL('../../dist/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'mpcap-garbage-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SEGMENTS = 30_000;
const SEG = 1000;
const keys: V1Keys = { clientKey: 0x0123456789abcdefn, serverKey: 0x0fedcba987654321n };

/** TCP timestamps option (kind 8), NOP-padded to 12 bytes. */
function timestamps(tsVal: number, tsEcr: number): Uint8Array {
  const b = new Uint8Array(12);
  const v = new DataView(b.buffer);
  b[0] = 1;
  b[1] = 1;
  b[2] = 8;
  b[3] = 10;
  v.setUint32(4, tsVal >>> 0);
  v.setUint32(8, tsEcr >>> 0);
  return b;
}

/** A v1 connection: SEGMENTS data segments client → server, each acknowledged 1 ms later (data ACK and TSecr too). */
function bulk(): string {
  const cap = new Capture();
  // ISNs and TSvals past 2^31, wrapping 2^32 within the transfer
  const sf = new CraftedSubflow(cap, { addr: '10.0.0.1', port: 40000 }, { addr: '10.0.0.2', port: 80 }, { c: 0xfff0_0000, s: 0x9000_0000 });
  capableHandshake(sf, keys);
  const idsn = sides(keys).client.idsn;
  const ts0 = 0xffff_f000;
  for (let i = 0; i < SEGMENTS; i++) {
    const ssn = 1 + i * SEG;
    const tsVal = (ts0 + i) >>> 0;
    sf.c2s(ssn, { flags: TCP_ACK, payload: new Uint8Array(SEG), options: [dss({ dsn: idsn + 1n + BigInt(i * SEG), ssn, dataLen: SEG }), timestamps(tsVal, 7)] });
    sf.s2c(1, { flags: TCP_ACK, options: [dss({ dataAck: idsn + 1n + BigInt((i + 1) * SEG) }), timestamps(7, tsVal)] });
  }
  return cap.write(join(dir, 'bulk.pcap'));
}

const child = `
import { Session } from 'node:inspector';
const { readCaptures } = await import(${JSON.stringify(dist + 'dissect/capture/merge.js')});
const { Analysis } = await import(${JSON.stringify(dist + 'analysis/analysis.js')});
const file = process.argv[1];
const total = Number(process.argv[2]);
const a = new Analysis();
const s = new Session();
s.connect();
s.post('HeapProfiler.enable');
let allocated = -1;
let frames = 0;
const sum = (n) => n.selfSize + n.children.reduce((t, c) => t + sum(c), 0);
// (a same-thread inspector session answers at once: the sampling covers exactly the second half)
const summary = await readCaptures([file], (f) => {
  a.add(f);
  frames++;
  if (frames === Math.floor(total / 2)) s.post('HeapProfiler.startSampling', { samplingInterval: 128, includeObjectsCollectedByMinorGC: true, includeObjectsCollectedByMajorGC: true });
  if (frames === total) s.post('HeapProfiler.stopSampling', (err, r) => { allocated = sum(r.profile.head); });
  return true;
}, { stdin: process.stdin });
const st = a.stats.subflows[0];
console.log(JSON.stringify({
  frames,
  measured: total - Math.floor(total / 2),
  allocated,
  rtt: { n: st.rtt.count, min: st.rtt.min, max: st.rtt.max },
  rttTs: { n: st.rttTs.count, min: st.rttTs.min, max: st.rttTs.max },
  retransmitted: st.dir[0].retransmittedBytes,
  delivered: a.report(file, summary, 'test').connections[0].data.c2s.deliveredBytes,
}));
`;

/** Run the child on the built dist/. */
function garbage(path: string, frames: number): { frames: number; measured: number; allocated: number; rtt: { n: number; min: number; max: number }; rttTs: { n: number; min: number; max: number }; retransmitted: number; delivered: number } {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', child, path, String(frames)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}

describe('the per-packet path', () => {
  it.skipIf(!existsSync(dist + 'analysis/analysis.js'))('makes next to no garbage on sequence numbers and TSvals past 2^31, and its RTTs are right across the wraps', () => {
    const path = bulk();
    const frames = 3 + 2 * SEGMENTS;
    const g = garbage(path, frames);
    expect(g.frames).toBe(frames);
    // every segment acknowledged exactly 1 ms after it was sent, across the 2^32 wraps
    expect(g.rtt.n).toBe(SEGMENTS + 2); // and the two SYNs
    expect(g.rtt.min).toBeCloseTo(1000, 3);
    expect(g.rtt.max).toBeCloseTo(1000, 3);
    expect(g.rttTs.n).toBeGreaterThanOrEqual(SEGMENTS);
    expect(g.rttTs.min).toBeCloseTo(1000, 3);
    expect(g.rttTs.max).toBeCloseTo(1000, 3);
    expect(g.retransmitted).toBe(0);
    expect(g.delivered).toBe(SEGMENTS * SEG);
    // garbage: what V8's sampling heap profiler saw allocated over the second half (the code is
    // optimised by then), collected or not
    expect(g.allocated, `${g.allocated} bytes over ${g.measured} packets`).toBeGreaterThan(0);
    expect(g.allocated / g.measured).toBeLessThanOrEqual(BOUND_BYTES);
  });
});

/** Bytes a packet may allocate on this path (the session-start build: ~125 on this capture; this one ~60). */
const BOUND_BYTES = 90;
