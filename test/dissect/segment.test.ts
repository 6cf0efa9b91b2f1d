/**
 * The hot path's segment view (src/dissect/segment.ts) must say exactly what the full decoder
 * says of every packet it accepts: for every frame of the fixtures and the public corpus, the
 * fast path and segmentFromPacket(decodePacket(frame)) give the same record.
 */
import { describe, expect, it } from 'vitest';
import { readCapture } from '../../src/dissect/capture/source.ts';
import type { Frame } from '../../src/dissect/frame.ts';
import { decodePacket } from '../../src/dissect/packet.ts';
import { decodeSegment, Segment, segmentFromPacket } from '../../src/dissect/segment.ts';
import { corpusFiles, craftedPcaps, fixturePcaps, hasCorpus, shortName } from '../helpers/corpus.ts';

function snapshot(s: Segment): unknown {
  return {
    ipVersion: s.ipVersion,
    isTcp: s.isTcp,
    src4: s.src4,
    dst4: s.dst4,
    srcOffset: s.srcOffset,
    dstOffset: s.dstOffset,
    ...(s.isTcp
      ? {
          ports: [s.srcPort, s.dstPort],
          seq: s.seq,
          ack: s.ack,
          flags: s.flags,
          window: s.window,
          payloadLen: s.payloadLen,
          payloadOffset: s.payloadOffset,
          payload: Buffer.from(s.payload).toString('hex'),
          ts: s.hasTimestamps ? [s.tsVal, s.tsEcr] : null,
          hasMptcpOption: s.hasMptcpOption,
          mptcp: s.mptcp.map((m) => JSON.stringify(m, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v))),
        }
      : {}),
  };
}

async function compare(file: string): Promise<{ frames: number; fast: number }> {
  const fast = new Segment();
  const full = new Segment();
  let frames = 0;
  let differ = 0;
  let fastCount = 0;
  const firstDiffs: string[] = [];
  await readCapture(file, (f: Frame) => {
    frames++;
    decodeSegment(f, fast);
    const pkt = decodePacket(f);
    segmentFromPacket(pkt, full);
    // on the fast path, the only problem the full decoder could report is an MPTCP layout that does not fit the segment
    if (fast.fast && fast.mptcp.some((m) => m.problem !== null) !== pkt.problems.length > 0) {
      differ++;
      if (firstDiffs.length < 3) firstDiffs.push(`frame ${f.number}: problems ${JSON.stringify(pkt.problems)}`);
    }
    const a = JSON.stringify(snapshot(fast));
    const b = JSON.stringify(snapshot(full));
    if (a !== b) {
      differ++;
      if (firstDiffs.length < 3) firstDiffs.push(`frame ${f.number}:\n  fast ${a}\n  full ${b}`);
    }
    if (fast.fast) fastCount++;
  });
  expect(differ, firstDiffs.join('\n')).toBe(0);
  return { frames, fast: fastCount };
}

describe('segment view: the fast path equals the full decoder', () => {
  it.each([...fixturePcaps(), ...craftedPcaps()].map((f) => [shortName(f), f]))('%s', async (_name, file) => {
    const { frames } = await compare(file);
    expect(frames).toBeGreaterThan(0);
  });

  it.skipIf(!hasCorpus)('every capture of the public corpus (../shared/corpus)', async () => {
    let fast = 0;
    let frames = 0;
    for (const f of corpusFiles()) {
      const r = await compare(f);
      fast += r.fast;
      frames += r.frames;
    }
    // most packets really take the fast path (else this test proves little)
    expect(fast / frames).toBeGreaterThan(0.5);
  }, 120_000);
});
