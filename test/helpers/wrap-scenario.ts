/**
 * The crafted capture of test/extract.test.ts, whose every byte is known: a v1 connection
 * (MP_CAPABLE keys → IDSN), a join subflow, data on both subflows, a reinjection, a TCP
 * retransmission, 32-bit DSNs across the 2^32 wrap, a segment the capture never saw (a hole),
 * DATA_FIN, and the server's reply. Also read by test/tshark-mappings.test.ts (tshark's widening
 * of a 4-byte DSN past the wrap).
 */
import {
  Capture,
  CraftedSubflow,
  MPC_A,
  MPC_H,
  capableHandshake,
  dss,
  dssChecksum,
  joinHandshake,
  patternAtRel,
  sides,
  type DssOpts,
  type V1Keys,
} from './craft.ts';

// The client's key gives IDSN 0x660b91c1_fffff90f: relative DSN 1777 is where the low 32 bits
// wrap (see test/reassembly/mapping.test.ts).
export const KEYS: V1Keys = { clientKey: 22327998n, serverKey: 0x1122_3344_5566_7788n };
export const { client: CLIENT, server: SERVER } = sides(KEYS);
export const abs = (rel: number): bigint => CLIENT.idsn + BigInt(rel);
export const REPLY = new TextEncoder().encode('ok 3000\n');

export interface Scenario {
  cap: Capture;
  /** Frame numbers of interest. */
  f: { first: number; second: number; reinject: number; retrans: number; dataFin: number; reply: number };
  times: { second: number; reinject: number };
}

/**
 * Stream of 3000 bytes (DSN 1..3000), then DATA_FIN at DSN 3001:
 *   subflow 0: DSN 1..1000 (one mapping, 2 segments, the second without DSS)
 *   subflow 1: DSN 1001..2000 (32-bit DSN 0xfffffcf8: the mapping straddles the wrap)
 *   subflow 0: DSN 2001..3000 (32-bit DSN 0xe0), 4 segments of 250, the 2nd never captured
 *   subflow 1: DSN 501..1000 again (64-bit DSN): a reinjection, 200 ms after the first copy
 *   subflow 0: DSN 2501..2750 again: a TCP retransmission
 *   subflow 0: bare DATA_FIN; the server replies "ok 3000\n" on subflow 0.
 */
export function scenario(checksums: boolean): Scenario {
  const cap = new Capture();
  const sf0 = new CraftedSubflow(cap, { addr: '10.0.1.1', port: 40000 }, { addr: '10.0.1.2', port: 5201 });
  const sf1 = new CraftedSubflow(cap, { addr: '10.0.2.1', port: 40001 }, { addr: '10.0.1.2', port: 5201 }, { c: 0xffff_ff00, s: 0x2000 });
  capableHandshake(sf0, KEYS, checksums ? MPC_H | MPC_A : MPC_H);
  joinHandshake(sf1, KEYS);
  const mapping = (o: DssOpts & { dsn: bigint; ssn: number; dataLen: number }, payload: Uint8Array): Uint8Array =>
    dss(checksums ? { ...o, checksum: dssChecksum(o.dsn, o.ssn, o.dataLen, payload) } : o);

  const m1 = mapping({ dsn: abs(1), ssn: 1, dataLen: 1000 }, patternAtRel(1, 1000));
  const first = sf0.c2s(1, { options: [m1], payload: patternAtRel(1, 500) });
  const second = sf0.c2s(501, { payload: patternAtRel(501, 500) });
  const tSecond = cap.now;
  const m2 = mapping({ dsn: abs(1001), ssn: 1, dataLen: 1000 }, patternAtRel(1001, 1000));
  sf1.c2s(1, { options: [m2], payload: patternAtRel(1001, 400) });
  sf1.c2s(401, { options: [m2], payload: patternAtRel(1401, 600) });
  sf0.s2c(1, { options: [dss({ dataAck: abs(2001) })] });
  const m3 = mapping({ dsn: abs(2001), ssn: 1001, dataLen: 1000 }, patternAtRel(2001, 1000));
  sf0.c2s(1001, { options: [m3], payload: patternAtRel(2001, 250) });
  // SSN 1251..1500 (DSN 2251..2500) is never captured
  sf0.c2s(1501, { options: [m3], payload: patternAtRel(2501, 250) });
  sf0.c2s(1751, { payload: patternAtRel(2751, 250) });
  const reinject = sf1.c2s(1001, { options: [mapping({ dsn: abs(501), dsn64: true, ssn: 1001, dataLen: 500 }, patternAtRel(501, 500))], payload: patternAtRel(501, 500), dt: 0.2 });
  const tReinject = cap.now;
  const retrans = sf0.c2s(1501, { options: [m3], payload: patternAtRel(2501, 250) });
  const dataFin = sf0.c2s(2001, { options: [mapping({ dsn: abs(3001), ssn: 0, dataLen: 1, fin: true }, new Uint8Array(0))] });
  const reply = sf0.s2c(1, {
    options: [mapping({ dataAck: abs(2251), dsn: SERVER.idsn + 1n, dsn64: true, ssn: 1, dataLen: REPLY.length }, REPLY)],
    payload: REPLY,
  });
  return { cap, f: { first, second, reinject, retrans, dataFin, reply }, times: { second: tSecond, reinject: tReinject } };
}
