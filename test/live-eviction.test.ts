/**
 * Live capture in bounded memory: closed connections beyond --keep-closed and connections idle
 * past --idle-timeout are handed to the subscribers (events) and freed; the final report says
 * how many were released. Driven with `live -r -` on crafted captures, in-process.
 */
import { describe, expect, it } from 'vitest';
import { Capture, CraftedSubflow, dss, MPC_H, mpCapable, pattern, TCP_ACK, TCP_FIN } from './helpers/craft.ts';
import { runMain } from './helpers/cli.ts';

interface Summary {
  event: 'summary';
  report: { summary: { connections: number; releasedConnections: number }; connections: Array<{ index: number }> };
}

/** One v1 connection on port `port`, with a few data bytes and, if `close`, FIN on both sides. */
function connection(cap: Capture, n: number, close: boolean, dt = 0.001): void {
  const sf = new CraftedSubflow(cap, { addr: `10.0.${n}.1`, port: 40000 + n }, { addr: '10.9.0.2', port: 5201 });
  const clientKey = 0x1111_0000_0000_0000n + BigInt(n);
  const serverKey = 0x2222_0000_0000_0000n + BigInt(n);
  sf.syn([mpCapable({ flags: MPC_H })], dt);
  sf.synAck([mpCapable({ flags: MPC_H, senderKey: serverKey })]);
  sf.c2s(1, { options: [mpCapable({ flags: MPC_H, senderKey: clientKey, receiverKey: serverKey })] });
  sf.c2s(1, { payload: pattern(100), options: [dss({ dsn: 1n, ssn: 1, dataLen: 100 })] });
  if (close) {
    sf.c2s(101, { flags: TCP_ACK | TCP_FIN });
    sf.s2c(1, { flags: TCP_ACK | TCP_FIN });
    sf.c2s(102, { flags: TCP_ACK });
  }
}

function events(stdout: string): Array<Record<string, unknown>> {
  return stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('live: closed and idle connections are released', () => {
  it('keeps at most --keep-closed closed connections, and counts the rest', async () => {
    const cap = new Capture();
    for (let i = 1; i <= 5; i++) connection(cap, i, true);
    const r = await runMain(['live', '-r', '-', '--json', '--keep-closed', '2'], { stdin: cap.pcap() });
    expect(r.code).toBe(0);
    const ev = events(r.stdout);
    expect(ev.filter((e) => e.event === 'connection-closed')).toHaveLength(5);
    const summary = ev.at(-1) as unknown as Summary;
    expect(summary.event).toBe('summary');
    expect(summary.report.summary.releasedConnections).toBe(3);
    expect(summary.report.connections.map((c) => c.index)).toEqual([3, 4]);
  });

  it('closes a connection idle past --idle-timeout as "idle", then releases it like any closed one', async () => {
    const cap = new Capture();
    connection(cap, 1, false); // never closed
    connection(cap, 2, true, 100); // 100 s later: connection 0 is idle by then
    const r = await runMain(['live', '-r', '-', '--json', '--idle-timeout', '10', '--keep-closed', '0'], { stdin: cap.pcap() });
    expect(r.code).toBe(0);
    const ev = events(r.stdout);
    const closed = ev.filter((e) => e.event === 'connection-closed');
    expect(closed.map((e) => [e.connection, e.how])).toEqual([
      [0, 'idle'],
      [1, 'FIN'],
    ]);
    const summary = ev.at(-1) as unknown as Summary;
    expect(summary.report.summary.releasedConnections).toBe(2);
    expect(summary.report.connections).toEqual([]);
  });

  it('without --keep-closed limits reached, the final report equals analyze --json of the same capture', async () => {
    const cap = new Capture();
    for (let i = 1; i <= 3; i++) connection(cap, i, true);
    const file = cap.pcap();
    const live = events((await runMain(['live', '-r', '-', '--json'], { stdin: file })).stdout).at(-1) as unknown as Summary;
    const analyzed = JSON.parse((await runMain(['analyze', '--json', '-'], { stdin: file })).stdout) as Summary['report'];
    expect(live.report.connections).toEqual(analyzed.connections);
    expect(live.report.summary.releasedConnections).toBe(0);
  });
});
