/** The endpoints table: exact up to its cap, the heaviest hitters beyond, and it says which. */
import { describe, expect, it } from 'vitest';
import { EndpointTable } from '../../src/analysis/endpoints.ts';

describe('EndpointTable', () => {
  it('counts exactly while under the cap (tx, rx, a packet to itself once)', () => {
    const t = new EndpointTable(8);
    t.add(1, 2, 100);
    t.add(2, 1, 60);
    t.add(3, 3, 10);
    const rows = new Map(t.rows().map((r) => [r.key, r]));
    expect(rows.get(1)).toMatchObject({ packets: 2, bytes: 160, txPackets: 1, rxPackets: 1, txBytes: 100, rxBytes: 60, error: 0 });
    expect(rows.get(3)).toMatchObject({ packets: 1, txPackets: 1, rxPackets: 0 });
    expect(t.exact).toBe(true);
  });

  it('past the cap keeps the heavy hitters exactly and bounds what it may miss', () => {
    const cap = 64;
    const t = new EndpointTable(cap);
    // five heavy sources talking to one server, among 10,000 one-packet scanners
    for (let round = 0; round < 200; round++) for (let h = 1; h <= 5; h++) t.add(h, 1000, 1);
    for (let i = 0; i < 10_000; i++) t.add(100_000 + i, 1000, 1);
    for (let round = 0; round < 10; round++) for (let h = 1; h <= 5; h++) t.add(h, 1000, 1);
    expect(t.exact).toBe(false);
    expect(t.size).toBeLessThanOrEqual(cap);
    const rows = new Map(t.rows().map((r) => [r.key, r]));
    for (let h = 1; h <= 5; h++) expect(rows.get(h)?.packets).toBe(210);
    expect(rows.get(1000)?.packets).toBe(5 * 210 + 10_000);
    // a newcomer's count may be short by at most its error bound
    for (const r of rows.values()) expect(r.error).toBeLessThanOrEqual(1);
  });
});
