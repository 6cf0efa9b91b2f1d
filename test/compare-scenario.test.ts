/**
 * `mpcap compare` on both ends of one real kernel MPTCP connection (scripts/mptcp-scenario.sh
 * CAPTURE_AT=both): path 1 is a bridge that drops 3 % of the client's TCP packets (nftables, out
 * of sight of both captures), path 2 a userspace delay line of 20 ms each way that also rewrites
 * the client's address (source NAT). Checked: every packet's one-way delay against an
 * independent matching of tshark's output (to the microsecond), the delay line's setting, the
 * drops against the nftables counter, and the NAT seen and matched through.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compareCaptures } from '../src/compare/run.ts';
import { runScenario } from './helpers/netns.ts';
import { collectDelays, independentMatch } from './helpers/two-captures.ts';

function skipReason(): string | null {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, tcpdump)';
  if (!existsSync('/proc/sys/net/mptcp/enabled')) return 'the kernel has no MPTCP';
  for (const cmd of ['ip', 'tc', 'tcpdump', 'python3', 'tshark', 'nft', 'ethtool']) {
    if (spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status !== 0) return `${cmd} is not installed`;
  }
  const name = `mpcapc${process.pid}`;
  if (spawnSync('ip', ['netns', 'add', name]).status !== 0) return 'ip netns does not work here';
  spawnSync('ip', ['netns', 'del', name]);
  return null;
}

const reason = skipReason();
const dir = mkdtempSync(path.join(tmpdir(), 'mpcap-compare-'));
afterAll(() => {
  if (process.env.MPCAP_KEEP_COMPARE === undefined) rmSync(dir, { recursive: true, force: true });
});
const DELAY_MS = 20;

interface PathInfo {
  path: number;
  client: string;
  wire_dropped_packets: number;
  delay_line_ms: number;
  nat_client_address: string | null;
  delay_line_frames: { dropped_client_to_server: number; dropped_server_to_client: number } | null;
}

describe.skipIf(reason !== null)(`compare: both ends of a kernel connection${reason ? ` (skipped: ${reason})` : ''}`, () => {
  it('delays per packet and per path, losses and NAT as the wire made them', async () => {
    const server = path.join(dir, 'both.pcap');
    const client = path.join(dir, 'both.client.pcap');
    const run = await runScenario(server, 2, 1_500_000, {
      CAPTURE_AT: 'both',
      DELAYLINE: `0 ${DELAY_MS}`,
      NAT: '0 1',
      LOSS: '3 0',
      RATES: '20 20',
      OFFLOAD: '0',
      TIMEOUT: '60',
    });
    expect(run.code, run.stderr).toBe(0);
    const side = JSON.parse(readFileSync(server.replace(/\.pcap$/, '.json'), 'utf8')) as { path_list: PathInfo[] };
    const col = collectDelays();
    const { result } = await compareCaptures(client, server, { sink: col.sink });
    expect(result.connections).toHaveLength(1);
    const c = result.connections[0]!;
    expect([c.matchedBy, c.clientSide]).toEqual(['keys', 'A']);
    expect(c.subflows).toHaveLength(2);

    // independent matching: every packet's delay, to the microsecond
    const ind = independentMatch(client, server, 'A');
    expect(ind.delays.size).toBeGreaterThan(1000);
    expect(col.delays.size).toBe(ind.delays.size);
    for (const [k, v] of ind.delays) expect(col.delays.get(k), k).toBe(v);

    for (const sf of c.subflows) {
      const p = side.path_list.find((x) => sf.tupleA?.client.startsWith(`${x.client}:`))!;
      expect(p, JSON.stringify(sf.tupleA)).toBeDefined();
      expect(sf.tcpStreamB).toBe(ind.pairs.get(sf.tcpStreamA!));
      expect(sf.clientSide).toBe('A');
      expect(sf.matchedBy).toBe(p.path === 1 ? 'key+isn' : 'token+isn');
      // NAT: the server saw the client's path-2 address rewritten
      expect(sf.nat).toBe(p.nat_client_address !== null);
      if (p.nat_client_address !== null) expect(sf.tupleB?.client.startsWith(`${p.nat_client_address}:`)).toBe(true);
      for (const d of sf.directions) {
        // the independent per-path figures, from the independent per-packet delays
        const mine = [...ind.delays.entries()].filter(([k]) => k.startsWith(`${sf.tcpStreamA}|${d.direction}|`)).map(([, v]) => v).sort((x, y) => x - y);
        expect(d.delay.count).toBe(mine.length);
        expect(d.delay.minUs).toBe(mine[0]);
        expect(d.delay.maxUs).toBe(mine[mine.length - 1]);
        expect(d.delay.medianUs).toBe(mine[Math.ceil(mine.length * 0.5) - 1]);
        expect(d.delay.p95Us).toBe(mine[Math.ceil(mine.length * 0.95) - 1]);
        const what = `path ${p.path} ${d.direction}`;
        expect(d.receivedOnly, `${what} received-only`).toBe(0);
        expect(d.duplicatesSender + d.duplicatesReceiver, `${what} duplicates`).toBe(0);
        // consistent with the wire's setting: the delay line holds each frame DELAY_MS, the bridge ~0
        const setUs = p.delay_line_ms * 1000;
        const tol = Math.max(0.1 * setUs, 500);
        expect(d.delay.minUs!).toBeGreaterThanOrEqual(setUs);
        expect(Math.abs(d.delay.medianUs! - setUs), `path ${p.path} ${d.direction} median ${d.delay.medianUs}`).toBeLessThanOrEqual(tol);
        // losses: what the path dropped (the bridge drops client->server TCP packets only)
        // and what the delay line could not pass on (none, unless the machine is overloaded)
        const line = p.delay_line_frames;
        if (d.direction === 'c2s') expect(d.lost, `path ${p.path} c2s lost`).toBe(p.wire_dropped_packets + (line?.dropped_client_to_server ?? 0));
        else expect(d.lost, `path ${p.path} s2c lost`).toBe(line?.dropped_server_to_client ?? 0);
      }
    }
    expect(side.path_list[0]!.wire_dropped_packets).toBeGreaterThan(0);
    // the data level: every byte the client sent was timed to its in-order delivery
    const c2s = c.data.find((d) => d.direction === 'c2s')!;
    expect(c2s.bytesMeasured).toBe(1_500_000);
    expect(c2s.senderSide).toBe('A');
    expect(c2s.delay.minUs!).toBeGreaterThanOrEqual(0);
  }, 180_000);
});
