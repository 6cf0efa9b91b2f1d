/**
 * DataStream: bytes placed by relative DSN, whatever subflow carried them. In-order delivery to a
 * sink, holes, reinjection (another subflow) against retransmission (the same subflow),
 * out-of-order arrival and head-of-line delay, DATA_FIN.
 */
import { describe, expect, it } from 'vitest';
import { BufferBudget, DataStream, HOL_BUCKETS } from '../../src/reassembly/data-stream.ts';
import { CollectSink, patternAtRel } from '../helpers/craft.ts';
import { rng } from '../helpers/capture-builders.ts';


function stream(withSink = true): { s: DataStream; out: CollectSink } {
  const s = new DataStream();
  const out = new CollectSink();
  if (withSink) s.sink = out;
  return { s, out };
}

/** add() the pattern bytes of [rel, rel+len). */
function put(s: DataStream, rel: number, len: number, subflow: number, time: number): void {
  s.add(rel, len, patternAtRel(rel, len), subflow, { time });
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
    s.add(1, 0, new Uint8Array(0), 0, { time: 0 });
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
    s.add(101, 100, buf, 0, { time: 0 });
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
    s.add(1, 100, patternAtRel(1, 60), 0, { time: 0 });
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
    s.add(1, 100, patternAtRel(1, 60), 0, { time: 0 });
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
    s.add(201, 100, patternAtRel(201, 60), 0, { time: 0 });
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
    s.add(101, 100, patternAtRel(101, 60), 0, { time: 0 });
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
    s.ack(100, { time: 1 });
    s.ack(50, { time: 2 });
    s.ack(200, { time: 3 });
    expect(s.dataAckRel).toBe(200);
    expect(s.dataAckTime).toBe(3);
  });
});

describe('capture gaps: the DATA_ACK proves the receiver had bytes the capture missed', () => {
  function gapThenAck(): { s: DataStream; out: CollectSink } {
    const r = stream();
    put(r.s, 1, 100, 0, 0);
    put(r.s, 201, 100, 0, 0.1); // [101,201) never captured
    put(r.s, 301, 50, 1, 0.2);
    r.s.ack(351, { time: 0.3 }, 42);
    r.s.settle(); // the end of the capture: the proof is applied (else after PROOF_GRACE_SEC)
    return r;
  }

  it('the in-order point moves past the gap, which is reported with its range, size and proof', () => {
    const { s } = gapThenAck();
    expect(s.nextRel).toBe(351);
    expect(s.captureGaps).toEqual([{ start: 101, end: 201, bytes: 100, time: 0.3, frame: 42 }]);
    expect(s.captureGapCount).toBe(1);
    expect(s.notCapturedBytes).toBe(100);
    expect(s.deliveredBytes).toBe(250); // captured bytes only
    expect(s.deliveredBytes + s.notCapturedBytes).toBe(s.nextRel - 1);
    expect(s.holes()).toEqual([]);
  });

  it('neither the gap bytes nor those released behind it, when nothing shows they waited', () => {
    const { s } = gapThenAck();
    expect(s.outOfOrderBytes).toBe(0);
    expect(s.releasedByCaptureGapBytes).toBe(0);
    expect(s.holDelayMaxSec).toBe(0);
    expect(s.holBytes.slice(1).every((b) => b === 0)).toBe(true);
    expect(s.bufferedBytes).toBe(0);
  });

  it("bytes the receiver's own DATA_ACKs show waiting behind the gap count, delayed up to the proof", () => {
    const { s } = stream();
    put(s, 1, 100, 0, 0);
    put(s, 201, 100, 0, 0.1); // [101,201) never captured
    s.ack(101, { time: 0.15 }); // the receiver still lacks 101 after [201,301) arrived
    put(s, 301, 50, 1, 0.2); // arrived after that ACK: nothing shows it waited
    s.ack(351, { time: 0.3 });
    s.settle();
    expect(s.outOfOrderBytes).toBe(100);
    expect(s.releasedByCaptureGapBytes).toBe(100);
    expect(s.holDelayMaxSec).toBeCloseTo(0.2, 9);
    expect(s.holDelaySumSec).toBeCloseTo(100 * 0.2, 9);
    expect(s.notCapturedBytes).toBe(100);
  });

  it('bytes released by a cap skip are not out of order', () => {
    const s = new DataStream({ maxBufferedSegments: 1 });
    put(s, 101, 10, 0, 0);
    put(s, 121, 10, 0, 1);
    expect(s.skippedBytes).toBe(100);
    expect(s.outOfOrderBytes).toBe(10); // [121,131) still waits, ahead of a hole
    expect(s.holDelayMaxSec).toBe(0);
  });

  it('a real fill still counts as out of order', () => {
    const { s } = stream();
    put(s, 1, 100, 0, 0);
    put(s, 201, 100, 0, 0.1);
    put(s, 101, 100, 1, 0.2); // the fill arrives
    s.ack(301, { time: 0.3 });
    expect(s.outOfOrderBytes).toBe(100);
    expect(s.captureGaps).toEqual([]);
    expect(s.notCapturedBytes).toBe(0);
  });

  it('without fillHoles the sink stops at the gap; with it, zeros stand in', () => {
    const { out } = gapThenAck();
    expect(out.bytes).toEqual(patternAtRel(1, 100));
    const r = stream();
    r.s.fillHoles = true;
    put(r.s, 1, 100, 0, 0);
    put(r.s, 201, 100, 0, 0.1);
    r.s.ack(301, { time: 0.3 });
    put(r.s, 301, 50, 1, 0.6); // past the grace: the proof is applied first
    const want = patternAtRel(1, 350);
    want.fill(0, 100, 200);
    expect(r.out.bytes).toEqual(want);
  });

  it('bytes of the gap that turn up later (reordering between interfaces) shrink it, not duplicates', () => {
    const { s } = gapThenAck();
    put(s, 121, 30, 2, 0.4); // [121,151) of [101,201)
    expect(s.notCapturedBytes).toBe(70);
    expect(s.captureGaps[0]?.bytes).toBe(70);
    expect(s.lateBytes).toBe(30);
    expect(s.deliveredBytes).toBe(280);
    expect(s.retransmittedBytes + s.reinjectedBytes + s.duplicateUnattributedBytes).toBe(0);
    put(s, 121, 30, 2, 0.5); // now it is a plain retransmission
    expect(s.retransmittedBytes).toBe(30);
    put(s, 101, 100, 3, 0.6); // the rest of it
    expect(s.notCapturedBytes).toBe(0);
    expect(s.deliveredBytes).toBe(350);
    expect(s.reinjectedBytes).toBe(30);
  });

  it('bytes that turn up within the grace after the ACK (a capture not in time order) are placed in order', () => {
    const { s, out } = stream();
    put(s, 1, 100, 0, 1.0);
    s.ack(301, { time: 1.1 }); // seen before the data it acknowledges
    put(s, 201, 100, 1, 1.05); // older timestamps, later in the file
    put(s, 101, 100, 0, 1.04);
    expect(s.captureGaps).toEqual([]);
    expect(s.notCapturedBytes).toBe(0);
    expect(s.deliveredBytes).toBe(300);
    expect(out.bytes).toEqual(patternAtRel(1, 300));
    s.settle();
    expect(s.captureGaps).toEqual([]);
  });

  it('pieces released after the grace are timed as if the proof had applied at once', () => {
    const { s } = stream();
    put(s, 1, 100, 0, 0);
    put(s, 201, 100, 0, 0.1); // [101,201) never captured
    s.ack(301, { time: 0.2 }); // proves it
    put(s, 401, 100, 1, 0.25); // ahead of a real hole [301,401)
    put(s, 301, 100, 0, 0.3); // the real fill, within the grace
    s.settle();
    expect(s.notCapturedBytes).toBe(100);
    // only [401,501) waited, 0.05 s, for a real fill; nothing waited for the proof itself
    expect(s.outOfOrderBytes).toBe(100);
    expect(s.releasedByCaptureGapBytes).toBe(0);
    expect(s.holDelayMaxSec).toBeCloseTo(0.05, 9);
  });

  it('the proof waits at most the grace: a later packet applies it', () => {
    const { s } = stream();
    put(s, 1, 100, 0, 0);
    put(s, 201, 100, 0, 0.1);
    s.ack(301, { time: 0.2 });
    expect(s.nextRel).toBe(101);
    put(s, 301, 10, 0, 0.2 + 0.3);
    expect(s.captureGaps).toEqual([{ start: 101, end: 201, bytes: 100, time: 0.2, frame: null }]);
    expect(s.nextRel).toBe(311);
  });

  it('a cap applies a waiting proof (a capture gap) before skipping anything', () => {
    const s = new DataStream({ maxBufferedSegments: 3 });
    put(s, 1, 10, 0, 0);
    s.ack(21, { time: 0.001 }); // [11,21) proven
    for (let i = 0; i < 5; i++) put(s, 21 + i * 10, 10, 0, 0.002);
    put(s, 121, 10, 0, 0.003); // behind a real hole [71,121)
    for (let i = 0; i < 4; i++) put(s, 131 + i * 10, 10, 0, 0.004);
    expect(s.notCapturedBytes).toBe(10);
    expect(s.captureGaps).toEqual([{ start: 11, end: 21, bytes: 10, time: 0.001, frame: null }]);
    expect(s.skippedGaps).toEqual([{ start: 71, end: 121, bytes: 50, time: 0.004, frame: null }]);
  });

  it('an ACK further ahead than any receive window is no proof (a corrupt or misread ACK)', () => {
    const { s } = stream();
    put(s, 1, 100, 0, 0);
    s.ack(2 ** 40, { time: 1 });
    s.settle();
    expect(s.captureGaps).toEqual([]);
    expect(s.dataAckRel).toBe(2 ** 40);
  });

  it('a DATA_ACK moving on through bytes still not captured grows one gap', () => {
    const { s } = stream();
    put(s, 1, 100, 0, 0);
    s.ack(151, { time: 1 });
    s.ack(201, { time: 2 });
    expect(s.captureGaps).toEqual([{ start: 101, end: 201, bytes: 100, time: 1, frame: null }]);
    expect(s.captureGapCount).toBe(1);
  });

  it('the DATA_FIN byte is not data: an ACK past it moves the point only to the DATA_FIN', () => {
    const { s } = stream();
    put(s, 1, 100, 0, 0);
    s.dataFin(101, 7);
    s.ack(102, { time: 1 });
    expect(s.captureGaps).toEqual([]);
    expect(s.nextRel).toBe(101);
  });

  it('an ACK one past the last byte, no DATA_FIN seen, acknowledges a DATA_FIN the capture missed', () => {
    const { s } = stream();
    put(s, 1, 100, 0, 0);
    s.ack(102, { time: 1 });
    s.settle();
    expect(s.captureGaps).toEqual([]);
    expect(s.nextRel).toBe(101);
  });

  it('a DATA_FIN learnt after the ACK gives its byte back', () => {
    const { s } = stream();
    put(s, 1, 100, 0, 0);
    s.ack(152, { time: 1 }); // 50 data bytes and the DATA_FIN, not captured
    s.settle();
    expect(s.notCapturedBytes).toBe(51);
    s.dataFin(151, 9);
    expect(s.notCapturedBytes).toBe(50);
    expect(s.captureGaps).toEqual([{ start: 101, end: 151, bytes: 50, time: 1, frame: null }]);
    expect(s.holes()).toEqual([]);
  });

  it('a tail that the DATA_FIN proves was sent, but no ACK covers, stays a hole', () => {
    const { s } = stream();
    put(s, 1, 100, 0, 0);
    s.dataFin(151, 9);
    s.ack(101, { time: 1 });
    expect(s.holes()).toEqual([{ start: 101, end: 151 }]);
    expect(s.notCapturedBytes).toBe(0);
  });
});

describe('buffering caps: the oldest gap is skipped and reported', () => {
  it('a hole nobody acks, with lots of data after it, holds at most the cap and reports the skip exactly', () => {
    const s = new DataStream({ maxBufferedSegments: 100, maxBufferedBytes: 1 << 30 });
    s.sink = new CollectSink();
    put(s, 1, 10, 0, 0);
    // [11, 1011) never seen; then 1000 segments of 100 bytes
    for (let i = 0; i < 1000; i++) put(s, 1011 + i * 100, 100, 0, i * 0.001);
    expect(s.peakBufferedSegments).toBeLessThanOrEqual(101);
    expect(s.bufferedSegments).toBeLessThanOrEqual(100);
    expect(s.skippedGapCount).toBe(1);
    expect(s.skippedGaps).toEqual([{ start: 11, end: 1011, bytes: 1000, time: expect.any(Number) as number, frame: null }]);
    expect(s.skippedBytes).toBe(1000);
    expect(s.nextRel).toBe(1011 + 1000 * 100);
    expect(s.deliveredBytes).toBe(10 + 100_000);
    expect(s.holes()).toEqual([]);
  });

  it('the byte cap bites the same way', () => {
    const s = new DataStream({ maxBufferedBytes: 5000 });
    put(s, 2001, 1000, 0, 0);
    for (let i = 1; i < 10; i++) put(s, 2001 + i * 1000, 1000, 0, 0);
    expect(s.peakBufferedBytes).toBeLessThanOrEqual(6000);
    expect(s.skippedGaps[0]).toMatchObject({ start: 1, end: 2001, bytes: 2000 });
  });

  it('streams sharing a budget are capped together', () => {
    const budget = new BufferBudget(1 << 30, 50);
    const a = new DataStream({ budget });
    const b = new DataStream({ budget });
    for (let i = 0; i < 40; i++) put(a, 101 + i * 10, 10, 0, 0);
    expect(a.skippedGapCount).toBe(0);
    for (let i = 0; i < 40; i++) put(b, 101 + i * 10, 10, 0, 0);
    expect(budget.segments).toBeLessThanOrEqual(50);
    expect(a.skippedGapCount + b.skippedGapCount).toBeGreaterThan(0);
    expect(b.skippedGaps[0]).toMatchObject({ start: 1, end: 101, bytes: 100 });
  });

  it('bytes of a skipped gap that turn up later shrink it', () => {
    const s = new DataStream({ maxBufferedSegments: 1 });
    put(s, 101, 10, 0, 0);
    put(s, 121, 10, 0, 0); // two held: skip [1,101)
    expect(s.skippedBytes).toBe(100);
    put(s, 1, 100, 1, 1);
    expect(s.skippedBytes).toBe(0);
    expect(s.lateBytes).toBe(100);
  });
});

describe('DATA_FIN at different DSNs', () => {
  it('is listed as a conflict and invents no hole', () => {
    const { s } = stream();
    put(s, 1, 100, 0, 0);
    s.dataFin(101, 10);
    s.dataFin(109, 11);
    expect(s.dataFinConflicts).toEqual([
      { frame: 10, dsn: 101 },
      { frame: 11, dsn: 109 },
    ]);
    expect(s.dataFinRel).toBe(101);
    expect(s.holes()).toEqual([]);
  });

  it('the one the peer acknowledged wins', () => {
    const { s } = stream();
    put(s, 1, 100, 0, 0);
    s.dataFin(109, 10);
    s.dataFin(101, 11);
    expect(s.dataFinRel).toBe(101); // the lowest at or past the data
    s.ack(102, { time: 1 });
    expect(s.dataFinRel).toBe(101);
    expect(s.captureGaps).toEqual([]);
  });

  it('the same DATA_FIN repeated is no conflict', () => {
    const { s } = stream();
    s.dataFin(101, 10);
    s.dataFin(101, 12);
    expect(s.dataFinConflicts).toEqual([]);
  });
});

describe('start unknown (no IDSN)', () => {
  it('is flagged, and bytes before the first DSN seen are counted apart', () => {
    const s = new DataStream();
    expect(s.rel(1000n)).toBe(1);
    expect(s.startUnknown).toBe(true);
    put(s, 1, 100, 0, 0);
    put(s, -49, 50, 1, 0.1); // an earlier DSN seen later, on another subflow
    expect(s.bytesBeforeStart).toBe(50);
    expect(s.deliveredBytes).toBe(100);
    expect(s.holes()).toEqual([]);
    const k = new DataStream();
    k.base = 999n;
    k.baseFromKey = true;
    expect(k.startUnknown).toBe(false);
  });
});

describe('ordered delivery against a naive model (seeded)', () => {

  it.each([7, 8, 9, 10, 11])('seed %i: random, overlapping, repeated segments give the exact stream', (seed) => {
    const rnd = rng(seed);
    const total = 20_000;
    const segs: Array<[number, number]> = [];
    for (let at = 1; at <= total; ) {
      const len = 1 + Math.floor(rnd() * 300);
      segs.push([at, Math.min(len, total + 1 - at)]);
      at += len;
    }
    // reorder locally and add overlapping re-sends
    for (let i = 0; i < segs.length; i++) {
      const j = Math.min(segs.length - 1, i + Math.floor(rnd() * 8));
      [segs[i], segs[j]] = [segs[j] as [number, number], segs[i] as [number, number]];
    }
    const extra: Array<[number, number]> = [];
    for (let i = 0; i < 200; i++) {
      const a = 1 + Math.floor(rnd() * total);
      extra.push([a, Math.min(1 + Math.floor(rnd() * 500), total + 1 - a)]);
    }
    const all = [...segs];
    for (const e of extra) all.splice(Math.floor(rnd() * all.length), 0, e);
    const { s, out } = stream();
    const seen = new Uint8Array(total + 1);
    let t = 0;
    let model = 1;
    for (const [a, l] of all) {
      put(s, a, l, Math.floor(rnd() * 3), (t += 0.001));
      seen.fill(1, a, a + l);
      while (model <= total && seen[model]) model++;
      expect(s.nextRel).toBe(model);
    }
    expect(s.deliveredBytes).toBe(total);
    expect(out.bytes).toEqual(patternAtRel(1, total));
    expect(s.holes()).toEqual([]);
    expect(s.bufferedSegments).toBe(0);
    const dupes = all.reduce((n, [, l]) => n + l, 0) - total;
    expect(s.retransmittedBytes + s.reinjectedBytes + s.duplicateUnattributedBytes).toBe(dupes);
  });
});

describe('performance', () => {
  /** Counts what it is given, keeps nothing. */
  class CountSink {
    bytes = 0;
    write(b: Uint8Array): void {
      this.bytes += b.length;
    }
  }

  it.each([
    ['accounting only', false, 1000],
    ['extracting (copies held)', true, 100],
  ])('%s: 200 000 segments after a hole, then the hole filled, well under a second', (_name, withSink, segLen) => {
    const s = new DataStream({ maxBufferedSegments: 1e6, maxBufferedBytes: 1e12 });
    const sink = new CountSink();
    if (withSink) s.sink = sink;
    const seg = patternAtRel(1, segLen);
    const holeLen = 1000;
    const t0 = performance.now();
    for (let i = 0; i < 200_000; i++) s.add(holeLen + 1 + i * segLen, segLen, seg, i % 4, { time: i * 1e-5 });
    s.add(1, holeLen, patternAtRel(1, holeLen), 0, { time: 3 });
    const ms = performance.now() - t0;
    const total = holeLen + 200_000 * segLen;
    expect(s.deliveredBytes).toBe(total);
    expect(s.nextRel).toBe(total + 1);
    expect(s.outOfOrderBytes).toBe(200_000 * segLen);
    if (withSink) expect(sink.bytes).toBe(total);
    // The old pending list took 11.5 s for this (quadratic); here ~0.4 s cold on a quiet 2-core
    // machine. The bound catches the quadratic case with room for a loaded one (1.06 s seen with
    // a fuzz campaign on both cores).
    console.log(`data-stream bench (${_name}): ${ms.toFixed(0)} ms`);
    expect(ms).toBeLessThan(withSink ? 5000 : 3000);
  });

  it('with the default caps the same stream stays bounded and the skipped hole is reported', () => {
    const s = new DataStream();
    for (let i = 0; i < 200_000; i++) s.add(1001 + i * 1000, 1000, new Uint8Array(0), i % 4, { time: i * 1e-5 });
    expect(s.peakBufferedSegments).toBeLessThanOrEqual(32 * 1024 + 1);
    expect(s.skippedGaps).toEqual([{ start: 1, end: 1001, bytes: 1000, time: expect.any(Number) as number, frame: null }]);
    expect(s.deliveredBytes).toBe(200_000 * 1000);
  });
});
