/**
 * `mpcap live`: events and summary from a stream on stdin (a fixture), the -w file after Ctrl-C,
 * capture errors (exit 6, with what to do), and a real capture with libpcap (mpcap's binding) of
 * real MPTCP traffic between network namespaces, checked against `analyze` of its own -w file.
 */
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.ts';
import { pcapsDir, repoRoot, sidecar } from './helpers/corpus.ts';
import { liveEventErrors } from './helpers/live-schema.ts';
import { binPath, capLoadError, netnsSkipReason, runScenario } from './helpers/netns.ts';

const fixture = path.join(pcapsDir, 'three-paths-signal.pcap');
const side = sidecar(fixture);
const hasDist = existsSync(path.join(repoRoot, 'dist', 'cli', 'main.js'));
const tmp = mkdtempSync(path.join(tmpdir(), 'mpcap-live-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

class Sink extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _enc: BufferEncoding, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

async function run(argv: string[], opts: { stdin?: Uint8Array; env?: Record<string, string> } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new Sink();
  const stderr = new Sink();
  const stdin = Readable.from(opts.stdin ? [Buffer.from(opts.stdin)] : []);
  const code = await main(argv, { stdin, stdout, stderr, env: opts.env ?? {} });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const ndjson = (s: string): Json[] => s.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Json);
const count = (events: Json[], name: string): number => events.filter((e) => e.event === name).length;

describe('live -r - (a capture on standard input)', () => {
  it('gives the events of three-paths-signal.pcap, and a summary equal to analyze --json', async () => {
    const bytes = readFileSync(fixture);
    const live = await run(['live', '-r', '-', '--json'], { stdin: bytes });
    expect(live.stderr).toBe(`mpcap: ${side.capture.packets} packets captured (end of input)\n`);
    expect(live.code).toBe(0);
    const events = ndjson(live.stdout);
    const kinds = events.filter((e) => e.event !== 'stats').map((e) => e.event);
    // Opened at the SYN/ACK, joins as their handshakes complete, the server's two ADD_ADDRs
    // between them, then the five FINs and the connection.
    expect(kinds).toEqual([
      'connection-opened', 'address-added', 'subflow-joined', 'subflow-joined', 'subflow-joined', 'address-added', 'subflow-joined',
      'subflow-closed', 'subflow-closed', 'subflow-closed', 'subflow-closed', 'subflow-closed', 'connection-closed', 'summary',
    ]);
    expect(count(events, 'subflow-joined')).toBe(4);
    expect(events.filter((e) => e.event === 'address-added').map((e) => [e.addrId, e.address, e.announcedBy, e.hmacValid])).toEqual([
      [12, '10.0.2.2', 'server', true],
      [13, '10.0.3.2', 'server', true],
    ]);
    expect(events.filter((e) => e.event === 'subflow-joined').map((e) => e.tcpStream)).toEqual([1, 2, 3, 4]);
    expect(events.find((e) => e.event === 'connection-closed')).toMatchObject({ connection: 0, how: 'DATA_FIN', subflows: 5 });
    const summary = events.at(-1) as Json;
    expect(summary).toMatchObject({ event: 'summary', stopReason: 'end of input', packets: side.capture.packets, timestamps: 'kernel', kernelDropped: null, kernelReceived: null });
    for (const e of events) expect(liveEventErrors(e), e.event).toBeNull();

    const analyzed = await run(['analyze', '--json', fixture]);
    expect(analyzed.code).toBe(0);
    const report = JSON.parse(analyzed.stdout) as Json;
    expect(summary.report.connections).toEqual(report.connections);
    expect(summary.report.summary).toEqual(report.summary);
    expect(summary.report.capture).toEqual({ ...report.capture, file: '(standard input)', files: [{ ...report.capture.files[0], file: '(standard input)' }] });
  });

  it('prints one line per event and the analyze tables when not asked for JSON', async () => {
    const live = await run(['live', '-r', fixture, '--no-color']);
    expect(live.code).toBe(0);
    expect(live.stdout).toContain(`connection 0 opened: MPTCP v1 ${side.client.address}:${side.client.port} → ${side.server.address}:5201`);
    // the join from 10.0.3.1 to the announced 10.0.3.2: its port is the run's own (tshark finds its SYN)
    const port = spawnSync('tshark', ['-r', fixture, '-Y', 'ip.src == 10.0.3.1 && ip.dst == 10.0.3.2 && tcp.flags.syn == 1 && tcp.flags.ack == 0', '-T', 'fields', '-e', 'tcp.srcport'], { encoding: 'utf8' }).stdout?.trim() || '\\d+';
    expect(live.stdout).toMatch(new RegExp(`subflow \\d joined: 10\\.0\\.3\\.1:${port} → 10\\.0\\.3\\.2:5201, address ids 3/13, HMAC valid`));
    expect(live.stdout).toContain('connection 0 closed (DATA_FIN): 5 subflows');
    expect(live.stdout).toContain('1 MPTCP connection, 5 subflows, 5 TCP streams in all');
  });

  it('-c N stops after N packets; a damaged stream is said so (exit 4), not a stream that is not a capture (exit 3)', async () => {
    const bytes = readFileSync(fixture);
    const first = await run(['live', '-r', '-', '--json', '-c', '8'], { stdin: bytes });
    expect(first.code).toBe(0);
    const events = ndjson(first.stdout);
    expect(events.at(-1)).toMatchObject({ event: 'summary', stopReason: 'count', packets: 8 });
    expect(count(events, 'subflow-joined')).toBe(1);

    const cut = await run(['live', '-r', '-', '--json'], { stdin: bytes.subarray(0, 5000) });
    expect(cut.code).toBe(4);
    expect(cut.stderr).toMatch(/error: .*cut short|truncated|ends/);

    const junk = await run(['live', '-r', '-'], { stdin: Buffer.from('hello world, not a capture') });
    expect(junk.code).toBe(3);
    expect(junk.stderr).toContain('not a pcap or pcapng file');
  });

  it('usage errors: neither or both of -i and -r, a filter with -r, a bad interval', async () => {
    for (const argv of [['live'], ['live', '-i', 'lo', '-r', '-'], ['live', '-r', '-', '-f', 'tcp'], ['live', '-r', '-', '--interval', '0']]) {
      const r = await run(argv);
      expect(r.code, argv.join(' ')).toBe(2);
    }
  });

  it.skipIf(!hasDist)('Ctrl-C ends cleanly: summary printed, exit 0, and the -w file is a valid capture of every packet seen', async () => {
    const out = path.join(tmp, 'sigint.pcap');
    const bytes = readFileSync(fixture);
    const child = spawn(process.execPath, [binPath, 'live', '-r', '-', '--json', '-w', out], { cwd: repoRoot, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // Part of the stream, cut inside a record, and the writer stays silent (stdin open).
    child.stdin.write(bytes.subarray(0, 30_017));
    const deadline = Date.now() + 10_000;
    while (!stdout.includes('subflow-joined') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(stdout).toContain('subflow-joined');
    child.kill('SIGINT');
    const code = await exited;
    expect(stderr).not.toContain('internal error');
    expect(code).toBe(0);
    const events = ndjson(stdout);
    const summary = events.at(-1) as Json;
    expect(summary).toMatchObject({ event: 'summary', stopReason: 'signal' });
    expect(summary.report.capture.problems).toEqual([]);
    const analyzed = await run(['analyze', '--json', out]);
    expect(analyzed.code).toBe(0);
    const report = JSON.parse(analyzed.stdout) as Json;
    expect(report.capture.packets).toBe(summary.packets);
    expect(report.capture.problems).toEqual([]);
    expect(report.connections).toEqual(summary.report.connections);
  });
});

describe('live capture that cannot start: exit 6 and what to do', () => {
  it('an interface that does not exist', async () => {
    const r = await run(['live', '-i', 'mpcapbogus0', '--json']);
    expect(r.code).toBe(6);
    expect(r.stdout).toBe('');
    if (capLoadError() === null) expect(r.stderr).toMatch(/^mpcap: no such interface 'mpcapbogus0' \(in this network namespace, libpcap sees: .*any/);
    else expect(r.stderr).toMatch(/libpcap-dev/);
  });

  it('the libpcap binding missing (it failed to build at install)', async () => {
    const r = await run(['live', '-i', 'any'], { env: { MPCAP_PCAP_MODULE: 'mpcap-no-such-binding' } });
    expect(r.code).toBe(6);
    expect(r.stderr).toContain("needs mpcap's libpcap binding (the optional package 'mpcap-no-such-binding'), which is not installed");
    expect(r.stderr).toContain('install libpcap-dev');
    expect(r.stderr).toContain('tcpdump -U -w - -i IFACE | mpcap live -r -');
  });

  it('the libpcap binding installed but not built (no libpcap-dev at npm ci): says so, and what to do', async () => {
    // what native/libpcap looks like when its build.js could not build: index.js, no build/
    const dir = path.join(tmp, 'unbuilt-binding');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'mpcap-libpcap', main: 'index.js' }));
    writeFileSync(path.join(dir, 'index.js'), readFileSync(path.join(repoRoot, 'native', 'libpcap', 'index.js')));
    const r = await run(['live', '-i', 'any', '--json'], { env: { MPCAP_PCAP_MODULE: dir } });
    expect(r.code).toBe(6);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('was not built when mpcap was installed: install libpcap-dev and a C compiler');
    // everything else works without it
    expect((await run(['analyze', '--json', fixture])).code).toBe(0);
  });

  const asNobody = process.getuid?.() === 0 && capLoadError() === null && hasDist && spawnSync('sh', ['-c', 'command -v setpriv'], { stdio: 'ignore' }).status === 0;
  it.skipIf(!asNobody)('without CAP_NET_RAW (run as nobody): says how to give it', () => {
    const attempt = (): SpawnSyncReturns<string> =>
      spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, binPath, 'live', '-i', 'lo'], { cwd: repoRoot, encoding: 'utf8', timeout: 30_000 });
    let r = attempt();
    // once seen under a loaded CI machine: the child ended by a signal before it said anything; a second try tells a flake from a bug
    if (r.status === null) r = attempt();
    if (r.stderr.includes('EACCES') || r.stderr.includes('Cannot find module')) return; // the checkout is not readable by nobody
    expect(r.status, `signal ${String(r.signal)}, stderr: ${r.stderr}`).toBe(6);
    expect(r.stderr).toContain("no permission to capture on 'lo'");
    expect(r.stderr).toContain('run as root, or give node the capture capabilities: sudo setcap cap_net_raw,cap_net_admin=eip');
  });
});

const netnsReason = netnsSkipReason();
describe.skipIf(netnsReason !== null)(`live -i any on real MPTCP traffic between namespaces${netnsReason === null ? '' : ` (skipped: ${netnsReason})`}`, () => {
  it('finds the connection, every subflow and announced address, with the packet and byte counts of analyze on its own -w file', async () => {
    const out = path.join(tmp, 'live.pcap');
    // The scenario starts the capturer, waits 5 s, runs the transfer (well under a second here),
    // waits 1 s more, then waits for the capturer to end by itself. Once in CI live's report had
    // none of the joins: the kernel's path manager may not make them all before 200 kB are through,
    // and what the kernel did is what the -w file holds. So when that file has fewer than the 4
    // joins the run is made again (at most 3 times); live must agree with its own file every time.
    const joinsInFile = async (): Promise<number> => {
      const r = await run(['analyze', '--json', out]);
      const c = (JSON.parse(r.stdout) as Json).connections.find((x: Json) => x.server.port === 5201) as Json | undefined;
      return c === undefined ? 0 : c.subflows.filter((f: Json) => f.kind === 'join').length;
    };
    const capture = (): ReturnType<typeof runScenario> =>
      runScenario(out, 3, 200_000, {
        SIGNAL: '1',
        CAPTURE_CMD: `${JSON.stringify(process.execPath)} ${JSON.stringify(binPath)} live -i any -f tcp --json -w "$OUT" --duration 9`,
        TIMEOUT: '30',
      });
    let scenario = await capture();
    for (let attempt = 2; attempt <= 3 && scenario.code === 0 && (await joinsInFile()) < 4; attempt++) scenario = await capture();
    expect(scenario.code, scenario.stderr).toBe(0);
    const side = scenario.sidecar;
    expect(side).not.toBeNull();
    if (!side) return;
    expect(side.server.received_bytes).toBe(200_000);

    const events = ndjson(scenario.capturerStdout);
    const summary = events.at(-1) as Json;
    for (const e of events) expect(liveEventErrors(e), e.event).toBeNull();
    expect(summary).toMatchObject({ event: 'summary', stopReason: 'duration', timestamps: 'kernel', timestampPrecision: 'micro', kernelDropped: 0, interfaceDropped: 0 });
    // every packet libpcap counted (the filter's) was delivered: nothing is left unread or lost
    expect(summary.kernelReceived).toBe(summary.packets);
    expect(events.filter((e) => e.event === 'stats').every((e) => e.kernelDropped === 0 && e.intervalKernelDropped === 0)).toBe(true);
    expect(summary.report.capture.problems).toEqual([]);
    expect(count(events, 'stats')).toBeGreaterThanOrEqual(7);
    const conns = (summary.report.connections as Json[]).filter((c) => c.server.port === 5201);
    expect(conns).toHaveLength(1);
    const conn = conns[0] as Json;
    expect(conn.client).toMatchObject({ address: side.client.address, port: side.client.port });
    expect(conn.server).toMatchObject({ address: side.path_list[0]?.server });
    // The in-kernel path manager: one join per (client address, server address) pair the server
    // announced or the client reached: 1 initial + 4 joins with 3 paths and 2 signalled addresses.
    expect(conn.subflows.map((s: Json) => s.kind)).toEqual(['initial', 'join', 'join', 'join', 'join']);
    expect(conn.subflows.filter((s: Json) => s.kind === 'join').map((s: Json) => s.hmacValid)).toEqual([true, true, true, true]);
    expect(conn.addresses.map((a: Json) => a.address).sort()).toEqual(side.path_list.slice(1).map((p) => p.server).sort());
    expect(conn.data.c2s.deliveredBytes).toBe(200_000);
    expect(conn.data.c2s.holes).toEqual([]);
    expect(conn.end.how).toBe('DATA_FIN');

    // The events tell the same story as the summary.
    const mine = events.filter((e) => e.connection === conn.index);
    expect(count(mine, 'connection-opened')).toBe(1);
    expect(mine.filter((e) => e.event === 'subflow-joined').map((e) => e.tcpStream).sort()).toEqual(conn.subflows.slice(1).map((s: Json) => s.tcpStream).sort());
    expect(mine.filter((e) => e.event === 'address-added').map((e) => e.address).sort()).toEqual(conn.addresses.map((a: Json) => a.address).sort());
    expect(count(mine, 'subflow-closed')).toBe(5);
    expect(count(mine, 'connection-closed')).toBe(1);
    // The stats event after the close reports it closed, with every subflow and their shares.
    const closedStats = events.find((e) => e.event === 'stats' && e.connections.some((c: Json) => c.connection === conn.index && c.state === 'closed')) as Json;
    expect(closedStats).toBeDefined();
    const cs = closedStats.connections.find((c: Json) => c.connection === conn.index) as Json;
    expect(cs.subflows.map((f: Json) => [f.tcpStream, f.packets, f.payloadBytes])).toEqual(conn.subflows.map((f: Json) => [f.tcpStream, f.packets, f.payloadBytes]));
    expect(cs.subflows.reduce((n: number, f: Json) => n + f.share, 0)).toBeCloseTo(1, 2);
    expect(cs.addressesAnnounced).toBe(2);

    // The -w file, analysed afterwards, gives the same per-subflow counts (and the same report).
    const analyzed = await run(['analyze', '--json', out]);
    expect(analyzed.code).toBe(0);
    const report = JSON.parse(analyzed.stdout) as Json;
    expect(report.capture.packets).toBe(summary.packets);
    const fileConn = (report.connections as Json[]).find((c) => c.index === conn.index) as Json;
    const counts = (c: Json): unknown => c.subflows.map((s: Json) => [s.tcpStream, s.packets, s.payloadBytes, s.packetsByDirection, s.payloadBytesByDirection]);
    expect(counts(conn)).toEqual(counts(fileConn));
    expect(summary.report.connections).toEqual(report.connections);
  }, 240_000);
});
