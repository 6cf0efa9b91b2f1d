/**
 * DataStream: bytes placed by relative DSN, whatever subflow carried them. In-order delivery to a
 * sink, holes, reinjection (another subflow) against retransmission (the same subflow),
 * out-of-order arrival and head-of-line delay, DATA_FIN.
 */
import { describe, expect, it } from 'vitest';
import { DataStream, HOL_BUCKETS } from '../../src/reassembly/data-stream.ts';
import { CollectSink, patternAtRel } from '../helpers/craft.ts';


function stream(withSink = true): { s: DataStream; out: CollectSink } {
  const s = new DataStream();
  const out = new CollectSink();
  if (withSink) s.sink = out;
  return { s, out };
}

/** add() the pattern bytes of [rel, rel+len). */
function put(s: DataStream, rel: number, len: number, subflow: number, time: number): void {
  s.add(rel, len, patternAtRel(rel, len), subflow, time);
}

describe('in-order delivery', () => {
  it('delivers contiguous segments and writes them to the sink in order', () => {
    const { s, out } = stream();
    put(s, 1, 100, 0, 0.1);
    put(s, 101, 50, 1, 0.2);
    expect(s.deliveredBytes).toBe(150);
    expect(s.nextRel).toBe(151);
    expect(s.holes()).toEqual([]);
    expect(out.bytes).toEqual(patternAtRel(1, 150));
    expect(s.outOfOrderSegments).toBe(0);
    expect(s.holBytes[0]).toBe(150); // delivered at once: no head-of-line delay
  });

  it('a segment that overlaps what was delivered writes only its new part', () => {
    const { s, out } = stream();
    put(s, 1, 100, 0, 0);
    put(s, 51, 100, 0, 1);
    expect(s.deliveredBytes).toBe(150);
    expect(s.retransmittedBytes).toBe(50);
    expect(out.bytes).toEqual(patternAtRel(1, 150));
  });

  it('len 0 is ignored', () => {
    const { s } = stream();
    s.add(1, 0, new Uint8Array(0), 0, 0);
    expect(s.firstTime).toBeNull();
    expect(s.deliveredBytes).toBe(0);
  });
});

describe('reinjection (another subflow) and retransmission (the same subflow)', () => {
  it('a range carried again on another subflow is a reinjection, with from/to and delay', () => {
    const { s, out } = stream();
    put(s, 1, 100, 0, 1.0);
    put(s, 1, 100, 1, 1.25);
    expect(s.reinjectedBytes).toBe(100);
    expect(s.retransmittedBytes).toBe(0);
    expect([...s.reinjections.values()]).toEqual([{ fromSubflow: 0, toSubflow: 1, bytes: 100, maxDelaySec: 0.25, count: 1 }]);
    expect(s.deliveredBytes).toBe(100);
    expect(out.bytes).toEqual(patternAtRel(1, 100)); // written once
  });

  it('a range carried again on the same subflow is a retransmission', () => {
    const { s } = stream();
    put(s, 1, 100, 3, 1.0);
    put(s, 1, 100, 3, 1.5);
    expect(s.retransmittedBytes).toBe(100);
    expect(s.reinjectedBytes).toBe(0);
    expect(s.reinjections.size).toBe(0);
    expect(s.deliveredBytes).toBe(100);
  });

  it('the first carrier keeps the range: a later copy on the first subflow is a retransmission', () => {
    const { s } = stream();
    put(s, 1, 100, 0, 1);
    put(s, 1, 100, 1, 2); // reinjection 0 > 1
    put(s, 1, 100, 0, 3); // 0 again: TCP retransmission
    expect(s.reinjectedBytes).toBe(100);
    expect(s.retransmittedBytes).toBe(100);
  });

  it('a partial overlap counts only the overlapping bytes, per original carrier', () => {
    const { s } = stream();
    put(s, 1, 100, 0, 1); // [1,101) on 0
    put(s, 101, 100, 1, 2); // [101,201) on 1
    put(s, 51, 200, 2, 4); // [51,251) on 2: 50 from 0, 100 from 1, 50 fresh
    expect(s.reinjectedBytes).toBe(150);
    expect(s.reinjections.get('0>2')).toEqual({ fromSubflow: 0, toSubflow: 2, bytes: 50, maxDelaySec: 3, count: 1 });
    expect(s.reinjections.get('1>2')).toEqual({ fromSubflow: 1, toSubflow: 2, bytes: 100, maxDelaySec: 2, count: 1 });
    expect(s.deliveredBytes).toBe(250);
  });

  it('counts and the largest delay accumulate per subflow pair', () => {
    const { s } = stream();
    put(s, 1, 10, 0, 0);
    put(s, 11, 10, 5, 0); // a different subflow between, so the two ranges of 0 stay apart
    put(s, 21, 10, 0, 0.5);
    put(s, 1, 10, 1, 0.1);
    put(s, 21, 10, 1, 2.5);
    const e = s.reinjections.get('0>1');
    expect(e?.count).toBe(2);
    expect(e?.bytes).toBe(20);
    expect(e?.maxDelaySec).toBe(2);
  });

  // BUG (src/reassembly/data-stream.ts insertRange): contiguous ranges of one subflow are merged
  // and the merged range takes the *later* piece's time, so a reinjection of the earlier piece is
  // timed from the wrong copy. Here [1,101) arrives at t=1 on subflow 0, [101,201) at t=2 on 0,
  // then [1,101) is reinjected on 1 at t=5: the delay since the first copy is 4 s, but
  // maxDelaySec says 3 s ("Seconds between the first copy and this one" in Reinjection).
  it('the reinjection delay is measured from the first copy of those bytes, even after ranges merge', () => {
    const { s } = stream();
    put(s, 1, 100, 0, 1);
    put(s, 101, 100, 0, 2);
    put(s, 1, 100, 1, 5);
    expect(s.reinjections.get('0>1')?.maxDelaySec).toBe(4);
  });
});

describe('holes', () => {
  function withHole(): { s: DataStream; out: CollectSink } {
    const r = stream();
    put(r.s, 1, 100, 0, 0);
    put(r.s, 201, 100, 0, 0.1); // [101,201) missing
    put(r.s, 301, 50, 1, 0.2);
    return r;
  }

  it('holes() names the missing range; nothing after it is delivered', () => {
    const { s, out } = withHole();
    expect(s.holes()).toEqual([{ start: 101, end: 201 }]);
    expect(s.deliveredBytes).toBe(100);
    expect(s.nextRel).toBe(101);
    expect(out.bytes).toEqual(patternAtRel(1, 100));
  });

  it('flush(false) stops before the hole', () => {
    const { s, out } = withHole();
    s.flush(false);
    expect(out.bytes).toEqual(patternAtRel(1, 100));
  });

  it('flush(true) writes zeros in the hole and then the rest', () => {
    const { s, out } = withHole();
    s.flush(true);
    const want = patternAtRel(1, 350);
    want.fill(0, 100, 200);
    expect(out.bytes).toEqual(want);
  });

  it('several holes, and the bytes between them, are flushed in place', () => {
    const { s, out } = stream();
    put(s, 1, 10, 0, 0);
    put(s, 41, 10, 0, 0); // hole [11,41)
    put(s, 21, 10, 0, 0); // hole [11,21) and [31,41)
    expect(s.holes()).toEqual([
      { start: 11, end: 21 },
      { start: 31, end: 41 },
    ]);
    s.flush(true);
    const want = patternAtRel(1, 50);
    want.fill(0, 10, 20);
    want.fill(0, 30, 40);
    expect(out.bytes).toEqual(want);
  });

  it('a missing tail before a known DATA_FIN is a hole, and flush(true) zero-fills it', () => {
    const { s, out } = stream();
    put(s, 1, 100, 0, 0);
    s.dataFinRel = 151; // payload is [1,151): 50 bytes never seen
    expect(s.holes()).toEqual([{ start: 101, end: 151 }]);
    s.flush(true);
    const want = patternAtRel(1, 150);
    want.fill(0, 100);
    expect(out.bytes).toEqual(want);
  });

  it('filling the hole later delivers everything in order', () => {
    const { s, out } = withHole();
    put(s, 101, 100, 1, 0.5);
    expect(s.holes()).toEqual([]);
    expect(s.deliveredBytes).toBe(350);
    expect(out.bytes).toEqual(patternAtRel(1, 350));
  });

  it('bytes held ahead of a hole are copies: the caller may reuse its buffer', () => {
    const { s, out } = stream();
    const buf = patternAtRel(101, 100);
    s.add(101, 100, buf, 0, 0);
    buf.fill(0xee); // a capture reader reuses its chunk buffer
    put(s, 1, 100, 0, 1);
    expect(out.bytes).toEqual(patternAtRel(1, 200));
  });
});

describe('out-of-order arrival and head-of-line delay', () => {
  it('bytes that waited behind a gap are counted with their delay', () => {
    const { s, out } = stream();
    put(s, 101, 100, 1, 1.0); // ahead of the gap
    expect(s.outOfOrderSegments).toBe(1);
    expect(s.outOfOrderBytes).toBe(100);
    expect(s.deliveredBytes).toBe(0);
    put(s, 1, 100, 0, 1.5); // fills it: 100 bytes at once, 100 that waited 0.5 s
    expect(s.deliveredBytes).toBe(200);
    expect(out.bytes).toEqual(patternAtRel(1, 200));
    expect(s.holBytes[0]).toBe(100);
    const b = HOL_BUCKETS.findIndex((x) => 0.5 <= x);
    expect(HOL_BUCKETS[b]).toBe(0.5);
    expect(s.holBytes[b]).toBe(100);
    expect(s.holBytes.reduce((a, x) => a + x, 0)).toBe(200);
    expect(s.holDelayMaxSec).toBe(0.5);
    expect(s.holDelaySumSec).toBeCloseTo(50, 9); // 100 bytes × 0.5 s
    expect(s.delivery.at(-1)).toEqual([1.5, 200]);
  });

  it('several pending segments, overlapping each other, are drained in DSN order', () => {
    const { s, out } = stream();
    put(s, 251, 100, 0, 1); // [251,351)
    put(s, 201, 100, 0, 2); // [201,301): 50 bytes already held
    put(s, 401, 10, 0, 3); // [401,411) behind a second gap
    expect(s.retransmittedBytes).toBe(50);
    expect(s.holes()).toEqual([
      { start: 1, end: 201 },
      { start: 351, end: 401 },
    ]);
    put(s, 1, 200, 0, 4);
    expect(s.deliveredBytes).toBe(350);
    expect(out.bytes).toEqual(patternAtRel(1, 350));
    expect(s.holes()).toEqual([{ start: 351, end: 401 }]);
    expect(s.holDelayMaxSec).toBe(3);
  });
});

describe('captured length shorter than the segment (snaplen)', () => {
  it('with fillHoles, the missing tail is written as zeros and counted in snapLost', () => {
    const { s, out } = stream();
    s.fillHoles = true;
    s.add(1, 100, patternAtRel(1, 60), 0, 0);
    put(s, 101, 10, 0, 0);
    expect(s.deliveredBytes).toBe(110);
    expect(s.snapLost).toBe(40);
    const want = patternAtRel(1, 110);
    want.fill(0, 60, 100);
    expect(out.bytes).toEqual(want);
  });

  // Defect (issue #9): without fillHoles the sink got zeros for the cut tail, and extract then
  // said it had written "only the bytes before the first hole". A snap-cut byte is a missing byte.
  it('without fillHoles, the sink stops at the first byte the snap length cut', () => {
    const { s, out } = stream();
    s.add(1, 100, patternAtRel(1, 60), 0, 0);
    put(s, 101, 10, 0, 0);
    put(s, 211, 10, 0, 0); // held ahead of a hole: no copy kept once the sink has stopped
    expect(s.deliveredBytes).toBe(110);
    expect(s.snapLost).toBe(40);
    expect(s.sinkStoppedAt).toBe(61);
    s.flush(false);
    expect(out.bytes).toEqual(patternAtRel(1, 60));
  });
});

describe('captured length shorter than the segment, ahead of a hole', () => {
  // BUG (src/reassembly/data-stream.ts flush): a pending segment (ahead of a hole) whose captured
  // bytes are fewer than its length is written by flush() without its missing tail: no zeros, no
  // snapLost. Everything after it moves back by the missing count. drainPending() does this right
  // (it goes through writeSink); flush(true) does not. Inputs: add(1,100, 100 bytes),
  // add(201,100, only 60 bytes captured), add(301,10, 10 bytes), flush(true) → 270 bytes written,
  // snapLost 0; expected 310 bytes (100 data, 100 zeros, 60 data, 40 zeros, 10 data), snapLost 40.
  it('flush(true) zero-fills the uncaptured tail of a held segment and counts it', () => {
    const { s, out } = stream();
    put(s, 1, 100, 0, 0);
    s.add(201, 100, patternAtRel(201, 60), 0, 0);
    put(s, 301, 10, 0, 0);
    s.flush(true);
    const want = patternAtRel(1, 310);
    want.fill(0, 100, 200);
    want.fill(0, 260, 300);
    expect(out.bytes).toEqual(want);
    expect(s.snapLost).toBe(40);
  });

  it('with fillHoles, the same segment drained when the hole fills is zero-filled and counted', () => {
    const { s, out } = stream();
    s.fillHoles = true;
    s.add(101, 100, patternAtRel(101, 60), 0, 0);
    put(s, 201, 10, 0, 0);
    put(s, 1, 100, 0, 1);
    const want = patternAtRel(1, 210);
    want.fill(0, 160, 200);
    expect(out.bytes).toEqual(want);
    expect(s.snapLost).toBe(40);
  });
});

describe('no sink: accounting only', () => {
  it('counts the same without keeping bytes', () => {
    const { s } = stream(false);
    put(s, 101, 100, 0, 0);
    put(s, 1, 100, 1, 1);
    s.flush(true); // no sink: nothing to do, no throw
    expect(s.deliveredBytes).toBe(200);
    expect(s.outOfOrderBytes).toBe(100);
  });
});

describe('relative DSNs', () => {
  it('without a key, the first DSN seen is relative 1', () => {
    const s = new DataStream();
    expect(s.rel(0xffff_ffff_ffff_fff0n)).toBe(1);
    expect(s.base).toBe(0xffff_ffff_ffff_ffefn);
    // across the 64-bit wrap: still a small positive offset
    expect(s.rel(0x10n)).toBe(1 + 0x20);
  });

  it('with the IDSN as base, IDSN+1 is relative 1', () => {
    const s = new DataStream();
    s.base = 0x660b_91c1_ffff_f90fn;
    expect(s.rel(0x660b_91c1_ffff_f910n)).toBe(1);
    expect(s.rel(0x660b_91c2_0000_0000n)).toBe(1777);
  });

  it('the data ACK only moves forward', () => {
    const s = new DataStream();
    s.ack(100, 1);
    s.ack(50, 2);
    s.ack(200, 3);
    expect(s.dataAckRel).toBe(200);
    expect(s.dataAckTime).toBe(3);
  });
});
