/**
 * A DSN (or data ACK) petabytes from the stream's start is corrupt: relative DSNs are exact only
 * below 2^53, and placing one made the data level loop forever on rounded positions (campaign
 * seed 22, input 54107: a byte error in a DSS of a public capture; `analyze` and `live -r -` hung).
 */
import { describe, expect, it } from 'vitest';
import { DataStream } from '../../src/reassembly/data-stream.ts';
import { Capture, CraftedSubflow, capableHandshake, dss, pattern, sides } from '../helpers/craft.ts';
import { runMain } from '../helpers/cli.ts';
import type { Report } from '../../src/analysis/report.ts';

const KEYS = { clientKey: 0x0102_0304_0506_0708n, serverKey: 0x1112_1314_1516_1718n };

describe('a DSN far beyond 2^53 of the stream start', () => {
  it('DataStream ignores such a segment, ACK and DATA_FIN, and stays consistent', () => {
    const s = new DataStream();
    s.add(1, 100, new Uint8Array(100), 0, { time: 0 });
    const far = 3_311_892_832_836_772_000;
    s.add(far, 400, new Uint8Array(400), 0, { time: 0.1 });
    s.ack(far + 400, { time: 0.2 });
    s.dataFin(far + 400, 9);
    s.ack(101, { time: 0.3 });
    expect(s.holes()).toEqual([]);
    expect([s.deliveredBytes, s.nextRel, s.maxRelEnd, s.dataFinRel]).toEqual([100, 101, 101, null]);
  });

  it('analyze of a connection whose mapping and data ACK are 2^62 away: finishes, says so', async () => {
    const cap = new Capture();
    const sf = new CraftedSubflow(cap, { addr: '10.0.1.1', port: 40000 }, { addr: '10.0.1.2', port: 5201 });
    capableHandshake(sf, KEYS);
    const idsn = sides(KEYS).client.idsn;
    sf.c2s(1, { payload: pattern(100), options: [dss({ dsn: idsn + 1n, dsn64: true, ssn: 1, dataLen: 100 })] });
    const far = BigInt.asUintN(64, idsn + (1n << 62n));
    sf.c2s(101, { payload: pattern(400, 100), options: [dss({ dsn: far, dsn64: true, ssn: 101, dataLen: 400 })] });
    sf.s2c(1, { options: [dss({ dataAck: BigInt.asUintN(64, far + 400n), ack64: true })] });
    const r = await runMain(['analyze', '--json', '-'], { stdin: cap.pcap() });
    expect(r.code).toBe(0);
    const c2s = (JSON.parse(r.stdout) as Report).connections[0]!.data.c2s;
    expect(c2s.deliveredBytes).toBe(100);
    expect(c2s.unmappedBytes).toBe(400);
    expect(c2s.mappingConflicts.map((m) => m.message)).toEqual([expect.stringContaining('more than 2^52 from the stream')]);
  });
});
