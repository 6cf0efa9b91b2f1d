/**
 * Issue 11, "rough edges found": each one as a test, on real captures where it was found.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { corpusFile, craftedDir, fixturePcaps, hasCorpus, pcapsDir, repoRoot, shortName } from './helpers/corpus.ts';
import { runBin, runMain } from './helpers/cli.ts';

const TWO_PATHS = path.join(pcapsDir, 'two-paths.pcap');
const THREE = path.join(pcapsDir, 'three-paths-signal.pcap');
const CLIENT_2 = corpusFile('pymptcpanalyzer/client_2.pcap');
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;
const tmp = (): string => mkdtempSync(path.join(tmpdir(), 'mpcap-edges-'));

describe('tables fit the terminal', () => {
  const captures = [...fixturePcaps(), path.join(craftedDir, 'joins.pcap'), ...(hasCorpus ? ['pymptcpanalyzer/client_2.pcap', 'inversekey-multipath/websiteloaded.pcap', 'dpi-mptcp/mp_capable.pcapng', 'tcpdump/mptcp-v0.pcap', 'ndpi/tls_change_cipher.pcap'].map(corpusFile) : [])];

  it.each([80, 120])('at %i columns no line of `analyze` is longer than the width, on real captures', async (width) => {
    for (const f of captures) {
      const r = await runMain(['analyze', f], { env: { COLUMNS: String(width) } });
      expect(r.code, shortName(f)).toBe(0);
      const long = r.stdout.split('\n').filter((l) => l.replace(ANSI, '').length > width);
      expect(long, `${shortName(f)} at ${width}`).toEqual([]);
    }
  }, 120_000);

  it('the terminal width counts (stdout.columns) when COLUMNS is not set; 80 when neither', async () => {
    const { TextSink } = await import('./helpers/cli.ts');
    const { main } = await import('../src/cli/main.ts');
    const { Readable } = await import('node:stream');
    const stdout = new TextSink({ isTTY: true });
    Object.assign(stdout, { columns: 100 });
    await main(['analyze', '--no-color', THREE], { stdin: Readable.from([]), stdout, stderr: new TextSink(), env: {} });
    const widest = Math.max(...stdout.text.split('\n').map((l) => l.length));
    expect(widest).toBeLessThanOrEqual(100);
    expect(widest).toBeGreaterThan(80);
    const plain = await runMain(['analyze', THREE]);
    expect(Math.max(...plain.stdout.split('\n').map((l) => l.length))).toBeLessThanOrEqual(80);
  });

  it('--wide shows every column, with units in the headers and a throughput column', async () => {
    const r = await runMain(['analyze', '--wide', THREE], { env: { COLUMNS: '80' } });
    for (const h of ['payload (B)', 'retx (B)', 'throughput (Mbit/s)', 'RTT med/p95 (ms)', 'established (s)', 'in order (B)', 'received (B)', 'first hole at', 'HoL mean/max (ms)']) expect(r.stdout).toContain(h);
    expect(r.stdout).not.toContain('left out to fit');
    expect(Math.max(...r.stdout.split('\n').map((l) => l.length))).toBeGreaterThan(120);
  });

  it('narrow tables say which columns they left out', async () => {
    const r = await runMain(['analyze', THREE], { env: { COLUMNS: '80' } });
    expect(r.stdout).toMatch(/columns? left out to fit 80 columns: [^;]*throughput \(Mbit\/s\)/);
    expect(r.stdout).toMatch(/--wide shows all/);
  });

  it('an IPv6 endpoint wider than its column is wrapped onto lines, never cut off', async () => {
    const r = await runMain(['analyze', path.join(pcapsDir, 'ipv6.pcap')], { env: { COLUMNS: '60' } });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('left out to fit 60 columns');
    expect(r.stdout).not.toContain('…');
    expect(Math.max(...r.stdout.split('\n').map((l) => l.length))).toBeLessThanOrEqual(60);
  });

  it('counts have thousands separators', async () => {
    const r = await runMain(['analyze', THREE], { env: { COLUMNS: '200' } });
    expect(r.stdout).toMatch(/│ 300,000 +│/);
    expect(r.stdout).toMatch(/│ 108,178 +│/);
  });
});

describe('the data level says what "delivered" meant', () => {
  it.skipIf(!hasCorpus)('client_2.pcap connection 1: in order stops at the first hole; received counts all; the first hole is named', async () => {
    const j = JSON.parse((await runMain(['analyze', '--json', CLIENT_2])).stdout) as { connections: Array<{ index: number; data: { c2s: { deliveredBytes: number; receivedBytes: number; holes: Array<{ start: number }> } } }> };
    const d = j.connections.find((c) => c.index === 1)?.data.c2s;
    expect(d && d.receivedBytes).toBeGreaterThan(d?.deliveredBytes ?? Infinity);
    const r = await runMain(['analyze', '--wide', CLIENT_2]);
    const first = d?.holes[0]?.start ?? -1;
    expect(r.stdout).toContain(`DSN ${first.toLocaleString('en-US')}`);
    expect(r.stdout).toContain(`${(d?.deliveredBytes ?? 0).toLocaleString('en-US')}`);
    expect(r.stdout).toContain(`${(d?.receivedBytes ?? 0).toLocaleString('en-US')}`);
    expect(r.stdout).toMatch(/in order: bytes delivered in DSN order up to the first hole/);
  });

  it.skipIf(!hasCorpus)('a connection that fell back to TCP with payload says where its bytes went, not a table of zeros', async () => {
    const file = corpusFile('inversekey-multipath/speedtest.pcap');
    type J = { connections: Array<{ index: number; fallback: boolean; subflows: Array<{ payloadBytes: number }>; data: Record<'c2s' | 's2c', { receivedBytes: number }> }> };
    const j = JSON.parse((await runMain(['analyze', '--json', file])).stdout) as J;
    const payload = (c: J['connections'][number]): number => c.subflows.reduce((n, s) => n + s.payloadBytes, 0);
    const fell = j.connections.find((c) => c.fallback && c.data.c2s.receivedBytes + c.data.s2c.receivedBytes === 0 && payload(c) > 0);
    const mapped = j.connections.find((c) => !c.fallback && c.data.c2s.receivedBytes > 0);
    expect(fell).toBeDefined();
    expect(mapped).toBeDefined();
    const text = async (n: number): Promise<string> => (await runMain(['analyze', '--connection', String(n), file], { env: { COLUMNS: '200' } })).stdout;
    const f = await text(fell!.index);
    expect(f).toContain(`data level: none — the connection fell back to plain TCP before any data was mapped; its ${payload(fell!).toLocaleString('en-US')} bytes of payload went as plain TCP`);
    expect(f).not.toContain('in order (B)');
    expect(await text(mapped!.index)).toContain('in order (B)');
  });
});

describe.skipIf(!hasCorpus)('consistency between the tables and the CSV', () => {
  it('dpi-mptcp/short.pcapng: the header does not say "off" while the data table counts DSS checksums', async () => {
    const r = await runMain(['analyze', '--wide', corpusFile('dpi-mptcp/short.pcapng')]);
    expect(r.stdout).toContain('checksums: not negotiated, but 2 DSS options carried one');
    expect(r.stdout).toMatch(/0 ok, \d+ unverifiable \(not negotiated\)/);
    expect(r.stdout).not.toMatch(/checksums: off/);
  });

  it('client_2.pcap tcp.stream 1 (a join refused, then retried on the same 4-tuple): table and subflows.csv agree', async () => {
    const dir = tmp();
    const r = await runMain(['analyze', '--wide', '--csv', path.join(dir, 'out'), CLIENT_2]);
    const row = r.stdout.split('\n').find((l) => /^│ 1 +│ join/.test(l)) ?? '';
    expect(row).toMatch(/│ valid +│ 8\.849244/);
    expect(row).not.toMatch(/refused/);
    expect(row).toMatch(/│ open +│$/);
    const csv = readFileSync(path.join(dir, 'out', 'subflows.csv'), 'utf8').split('\n').find((l) => l.startsWith('0,1,join')) ?? '';
    expect(csv).toContain(',true,');
    expect(csv).toMatch(/,open,,$/);
    // what happened is still told
    expect(r.stdout).toMatch(/frame 28: .*the join was refused with a RST/);
    expect(r.stdout).toMatch(/frame 297: .*retried after the RST and established/);
  });
});

describe('plurals', () => {
  it('one of a thing is singular', async () => {
    const r = await runMain(['analyze', path.join(pcapsDir, 'two-paths.pcap')]);
    expect(r.stdout).toMatch(/^1 MPTCP connection, 2 subflows, 2 TCP streams in all$/m);
    expect(r.stdout).toMatch(/ 2 subflows /);
    if (hasCorpus) {
      const one = await runMain(['analyze', corpusFile('dpi-mptcp/short.pcapng')]);
      expect(one.stdout).toMatch(/^1 MPTCP connection, 1 subflow, 1 TCP stream in all$/m);
      expect(one.stdout).toMatch(/ {3}1 subflow {3}/);
      expect(one.stdout).not.toMatch(/\b1 (subflows|packets|TCP streams|connections)\b/);
    }
  });
});

describe('unwritable output paths: the path and what is wrong with it, exit 2', () => {
  it.each([
    [['analyze', '-o', '/etc/passwd/x', TWO_PATHS], /cannot write '\/etc\/passwd\/x': a part of the path is not a directory/],
    [['analyze', '-o', tmpdir(), TWO_PATHS], /it is a directory/],
    [['extract', TWO_PATHS, '--connection', '0', '--direction', 'c2s', '-o', '/etc/passwd/x'], /cannot write '\/etc\/passwd\/x': a part of the path is not a directory/],
    [['extract', TWO_PATHS, '--connection', '0', '--direction', 'c2s', '-o', tmpdir()], /it is a directory/],
    [['analyze', '--csv', '/etc/passwd/x', TWO_PATHS], /--csv \/etc\/passwd\/x: a part of the path is not a directory/],
  ])('%j', (args, message) => {
    const r = runBin(args as string[]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message as RegExp);
    expect(r.stderr).not.toMatch(/internal error|Unhandled|    at /);
  });

  it('--csv does not make missing parent directories (only the last one)', async () => {
    const dir = tmp();
    const deep = path.join(dir, 'no', 'such', 'out');
    const r = await runMain(['analyze', '--csv', deep, TWO_PATHS]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/its parent directory '.*\/no\/such' does not exist/);
    expect(existsSync(path.join(dir, 'no'))).toBe(false);
    const ok = await runMain(['analyze', '--csv', path.join(dir, 'out'), TWO_PATHS]);
    expect(ok.code).toBe(0);
    expect(statSync(path.join(dir, 'out', 'subflows.csv')).size).toBeGreaterThan(0);
  });

  it('`--csv F` with no directory says the capture was taken as the directory', async () => {
    const r = await runMain(['analyze', '--csv', TWO_PATHS]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--csv takes a directory, and took '.*two-paths\.pcap', a file: give --csv DIR/);
    const file = path.join(tmp(), 'f');
    writeFileSync(file, 'x');
    const r2 = await runMain(['analyze', '--csv', file, TWO_PATHS]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/is a file, not a directory/);
  });
});

describe('extract and a terminal', () => {
  const args = ['extract', TWO_PATHS, '--connection', '0', '--direction', 'c2s'];
  it('without -o on a terminal: refused, nothing written', async () => {
    const r = await runMain(args, { tty: true });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/refusing to write binary data to a terminal: give -o FILE, or -o - to write it here anyway/);
    expect(r.stdout).toBe('');
  });
  it('-o - writes to the terminal when asked; a pipe needs no -o', async () => {
    const r = await runMain([...args, '-o', '-'], { tty: true });
    expect(r.code).toBe(0);
    expect(r.stdout.length).toBeGreaterThan(1000);
    const p = await runMain(args);
    expect(p.code).toBe(0);
    expect(p.stdout.length).toBe(r.stdout.length);
  });
});

describe('options and messages', () => {
  it.each(['header=maybe', 'quote=x', 'separator=ab', 'aggregator=;;', 'header'])('-E %s: exit 2 with what is expected', async (e) => {
    const r = await runMain(['dissect', '-T', 'fields', '-e', 'frame.number', '-E', e, TWO_PATHS]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^mpcap: -E /);
    expect(r.stdout).toBe('');
  });

  it('an explicit --color wins over NO_COLOR; --no-color over FORCE_COLOR', async () => {
    const on = await runMain(['analyze', '--color', TWO_PATHS], { env: { NO_COLOR: '1' } });
    expect(on.stdout).toMatch(ANSI);
    const off = await runMain(['analyze', '--no-color', TWO_PATHS], { env: { FORCE_COLOR: '1' } });
    expect(off.stdout).not.toMatch(ANSI);
    const env = await runMain(['analyze', TWO_PATHS], { env: { NO_COLOR: '1' }, tty: true });
    expect(env.stdout).not.toMatch(ANSI);
  });

  it('dissect -V names a malformed option\'s subtype once: "MALFORMED REMOVE_ADDR (4)", not "MALFORMED (4) (4)"', async () => {
    const r = await runMain(['dissect', '-V', '-c', '6', path.join(craftedDir, 'options.pcap')]);
    expect(r.stdout).toContain('Multipath TCP subtype: MALFORMED REMOVE_ADDR (4)');
    expect(r.stdout).not.toMatch(/\(\d+\) \(\d+\)/);
  });

  it.skipIf(!hasCorpus)('the snap-length warning is printed once (in the report), not also on stderr', async () => {
    const r = await runMain(['analyze', corpusFile('tcpdump/mptcp-dss-oobr.pcap')]);
    const all = (r.stdout + r.stderr).replace(/\s+/g, ' ');
    expect(all.match(/more than the file's snaplen of 73/g)).toHaveLength(1);
    const json = await runMain(['analyze', '--json', corpusFile('tcpdump/mptcp-dss-oobr.pcap')]);
    expect(json.stderr.match(/snaplen of 73/g)).toHaveLength(1);
  });

  it('--help: whole sentences, no "(default: [])", one line of truth for live -s', async () => {
    const top = await runMain(['--help']);
    expect(top.stdout.replace(/\s+/g, ' ')).toContain('Multipath TCP capture analyzer: dissects MPTCP v0/v1 options, links subflows into connections, verifies keys, tokens and HMACs.');
    for (const cmd of ['dissect', 'analyze', 'extract', 'live', 'fields', 'report', 'compare']) {
      const h = await runMain([cmd, '--help']);
      expect(h.stdout, cmd).not.toContain('(default: [])');
    }
    const live = (await runMain(['live', '--help'])).stdout.replace(/\s+/g, ' ');
    // one statement of what -s does: libpcap's snap length with -i (our binding has no limit of its own)
    expect(live).toContain("-s, --snaplen <bytes> bytes kept of each packet (libpcap's snap length with -i; with -r, up to 262144) (default: \"65600\")");
    expect(live).not.toContain('65535');
  });

  it('errors from the option parser and from mpcap have one style: "mpcap: …"', async () => {
    const a = await runMain(['analyze', '--bogus', TWO_PATHS]);
    const b = await runMain(['dissect', '-c', 'x', TWO_PATHS]);
    const c = await runMain(['nosuchcommand']);
    for (const r of [a, b, c]) {
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^mpcap: /);
      expect(r.stderr).not.toMatch(/^error: /m);
    }
    expect(a.stderr).toMatch(/^mpcap: unknown option '--bogus'/);
  });

  it('an unknown field suggests the nearest names', async () => {
    const r = await runMain(['dissect', '-T', 'fields', '-e', 'tcp.sek', TWO_PATHS]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown field 'tcp\.sek' \(did you mean tcp\.seq[,?]/);
    const m = await runMain(['dissect', '-T', 'fields', '-e', 'mptcp.rawdsn', TWO_PATHS]);
    expect(m.stderr).toMatch(/did you mean mptcp\.rawdsn64, mptcp\.dsn/);
  });
});

describe('the test runner and the docs', () => {
  it('npm test\'s vitest prints no ANSI colour when its output is not a terminal (even with TERM set)', () => {
    const r = spawnSync(process.execPath, [path.join(repoRoot, 'scripts', 'test.mjs'), 'test/analysis/fields-epoch.test.ts', '--reporter=default'], {
      cwd: repoRoot,
      encoding: 'utf8',
      env: { ...process.env, TERM: 'xterm-256color', NO_COLOR: undefined, FORCE_COLOR: undefined },
    });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/passed/);
    expect(r.stdout + r.stderr).not.toMatch(/\x1b\[/);
  });

  const hasGnuplot = spawnSync('sh', ['-c', 'command -v gnuplot']).status === 0;
  it.skipIf(!hasGnuplot || !hasCorpus)('docs/plot-cumulative-bytes.gp plots any capture\'s connection (client_2.pcap, connection 1)', async () => {
    const dir = tmp();
    expect((await runMain(['analyze', '--csv', path.join(dir, 'out'), CLIENT_2])).code).toBe(0);
    const png = path.join(dir, 'c1.png');
    const r = spawnSync('gnuplot', ['-e', `dir='${path.join(dir, 'out')}'; conn=1; png='${png}'`, path.join(repoRoot, 'docs', 'plot-cumulative-bytes.gp')], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(png).subarray(1, 4).toString()).toBe('PNG');
    const none = spawnSync('gnuplot', ['-e', `dir='${path.join(dir, 'out')}'; conn=99; png='${path.join(dir, 'x.png')}'`, path.join(repoRoot, 'docs', 'plot-cumulative-bytes.gp')], { encoding: 'utf8' });
    expect(none.status).toBe(1);
    expect(none.stderr + none.stdout).toMatch(/no subflow series for connection 99/);
  });
});
