/**
 * A filter mpcap cannot run is a usage error (exit 2) that shows the filter with a caret under the
 * fault, before any packet is read. Where tshark points at a fault, mpcap points at the same
 * characters (tshark 4.0.17 is run on each filter).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasTshark, pcapsDir, tsharkPath } from './helpers/corpus.ts';
import { runMain } from './helpers/cli.ts';

const FILE = path.join(pcapsDir, 'two-paths.pcap');

/** Bad filters, each with the start of mpcap's message. */
const BAD: ReadonlyArray<[string, string]> = [
  ['5201 == tcp.dstport', 'Left side of "==" expression must be a field or function, not 5201.'],
  ['tcp.port = 3', '"=" was unexpected in this context.'],
  ['xyz.abc', 'xyz.abc is neither a field nor a protocol name.'],
  ['tcp.len >= 1.5', '"1.5" is not a valid number.'],
  ['ip.src == "10.0.1.1"', 'IPv4 address cannot be converted from a string ("10.0.1.1").'],
  ['ip.src contains 10', 'ip.src (type=IPv4 address) cannot participate in contains comparison.'],
  ['tcp.srcport in {5201 443}', '"443" was unexpected in this context.'],
  ['ip.addr == 10.0.0.0/33', '"33" is not a valid IPv4 prefix length'],
  ['tcp.len > 10 )', '")" was unexpected in this context.'],
  ['tcp.len contains 3', 'tcp.len (type=Unsigned integer) cannot participate in contains comparison.'],
  ['frame.number matches "x"', 'frame.number (type=Unsigned integer) cannot participate in matches comparison.'],
  ['ip.addr == 1.2.3', '"1.2.3" is not a valid IPv4 address'],
  ['tcp.options.mptcp.sendhmac == 5g', '"5g" is not a valid byte string.'],
  ['tcp.options.mptcp.subtype == "2"', '"2" is a string, not a number'],
  ['mptcp.stream == 0 && (tcp.len > 1 ||', 'Unexpected end of filter expression.'],
  ['tcp.port in {80, 443', 'Unexpected end of filter expression.'],
  ['tcp.flags.syn == maybe', '"maybe" is not a valid number.'],
  ['ipv6.addr == fe80:::1', '"fe80:::1" is not a valid IPv6 address'],
];

/** The caret line of a message: its column and the length of ^~~~. */
function caret(text: string): { col: number; len: number } | null {
  const m = /^( *)(\^~*)$/m.exec(text);
  return m ? { col: (m[1] as string).length, len: (m[2] as string).length } : null;
}

describe('filter errors', () => {
  it.each(BAD)('%s', async (filter, message) => {
    const r = await runMain(['dissect', FILE, '-Y', filter]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.split('\n');
    expect(lines[0]).toBe(`mpcap: -Y: ${message}${lines[0]?.slice(`mpcap: -Y: ${message}`.length)}`);
    expect(lines[1]).toBe(`    ${filter}`);
    const c = caret(r.stderr);
    expect(c).not.toBeNull();
    expect((c as { col: number }).col).toBeGreaterThanOrEqual(4);
    expect((c as { col: number; len: number }).col - 4 + (c as { len: number }).len).toBeLessThanOrEqual(Math.max(filter.length, 1) + 1);
  });

  it('analyze -Y reports the same fault the same way', async () => {
    const r = await runMain(['analyze', FILE, '-Y', 'tcp.len >= 1.5']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('mpcap: -Y: "1.5" is not a valid number.\n    tcp.len >= 1.5\n               ^~~\n');
  });

  it.skipIf(!hasTshark)('the caret stands where tshark puts it', async () => {
    let compared = 0;
    for (const [filter] of BAD) {
      const t = spawnSync(tsharkPath ?? 'tshark', ['-r', FILE, '-Y', filter, '-c', '1'], { encoding: 'utf8' });
      expect(t.status, `tshark refuses ${filter}`).not.toBe(0);
      const want = caret(t.stderr);
      // tshark shows no caret for an early end; it cuts fe80:::1 after "fe80::" (mpcap points at the whole address)
      if (want === null || filter.includes(':::')) continue;
      const r = await runMain(['dissect', FILE, '-Y', filter]);
      expect(caret(r.stderr), filter).toEqual(want);
      compared++;
    }
    expect(compared).toBeGreaterThanOrEqual(14);
  }, 30_000);
});
