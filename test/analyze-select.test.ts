/**
 * `analyze -Y / --connection / --subflow`: the report keeps the connections asked for, each as the
 * whole report has it. For -Y the oracle is tshark: the kept connections are the mptcp.stream values
 * of the packets `tshark -Y` passes. `report -Y` keeps the same connections in its page.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { corpusFile, hasCorpus, hasTshark, pcapsDir, repoRoot, shortName, tsharkPath } from './helpers/corpus.ts';
import { runMain } from './helpers/cli.ts';

const ajv = new Ajv2020.default({ strict: false, allErrors: true });
const validate = ajv.compile(JSON.parse(readFileSync(path.join(repoRoot, 'schema', 'report.schema.json'), 'utf8')) as object);

interface Sub { tcpStream: number }
interface Conn { index: number; subflows: Sub[] }
interface Rep { connections: Conn[]; summary: { connections: number; subflows: number }; selection: unknown; unansweredCapable: Array<{ tcpStream: number }> }

async function analyze(args: string[]): Promise<Rep> {
  const r = await runMain(['analyze', '--json', ...args]);
  expect(r.code, r.stderr).toBe(0);
  const j = JSON.parse(r.stdout) as Rep;
  expect(validate(j), JSON.stringify(validate.errors)).toBe(true);
  return j;
}

// several connections, some with several subflows (without the corpus: the crafted joins capture)
const FILE = hasCorpus ? corpusFile('inversekey-multipath/speedtest.pcap') : path.join(repoRoot, 'fixtures', 'crafted', 'joins.pcap');

const CASES: ReadonlyArray<[string, string]> = [
  [FILE, 'ip.addr == 192.168.0.0/16 and tcp.len > 1000'],
  [FILE, 'tcp.options.mptcp.subtype == 1'],
  [FILE, 'tcp.stream in {3, 10..12}'],
  [path.join(pcapsDir, 'three-paths-signal.pcap'), 'ip.addr == 10.0.3.0/24'],
  [path.join(pcapsDir, 'two-paths.pcap'), 'udp'],
];

describe('analyze keeps the connections asked for', () => {
  it.skipIf(!hasTshark).each(CASES.map(([f, y]) => [shortName(f), y, f]))('%s -Y %s: the mptcp.stream of tshark\'s matching packets', async (_n, filter, file) => {
    const t = execFileSync(tsharkPath ?? 'tshark', ['-r', file, '-Y', filter, '-T', 'fields', '-e', 'mptcp.stream'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const whole = await analyze([file]);
    const listed = new Set(whole.connections.map((c) => c.index));
    const want = [...new Set(t.split('\n').filter((l) => l !== '').map(Number))].filter((n) => listed.has(n)).sort((a, b) => a - b);
    const got = await analyze([file, '-Y', filter]);
    expect(got.connections.map((c) => c.index)).toEqual(want);
    expect(got.summary.connections).toBe(want.length);
    // each kept connection is the whole report's, subflows and all
    for (const c of got.connections) expect(c).toEqual(whole.connections.find((w) => w.index === c.index));
    expect(got.selection).toEqual({ filter, connections: [], subflows: [] });
  });

  it('--connection N (repeatable) keeps those, whole', async () => {
    const whole = await analyze([FILE]);
    const pick = whole.connections.slice(0, 3).map((c) => c.index);
    expect(pick.length).toBeGreaterThan(1);
    const got = await analyze([FILE, ...pick.flatMap((n) => ['--connection', String(n)])]);
    expect(got.connections).toEqual(whole.connections.filter((c) => pick.includes(c.index)));
    expect(got.summary.subflows).toBe(got.connections.reduce((n, c) => n + c.subflows.length, 0));
    expect(got.unansweredCapable).toEqual([]);
  });

  it('--subflow S keeps its connection and lists only that subflow', async () => {
    const whole = await analyze([FILE]);
    const conn = whole.connections.find((c) => c.subflows.length > 1) as Conn;
    expect(conn).toBeDefined();
    const s = (conn.subflows[1] as Sub).tcpStream;
    const got = await analyze([FILE, '--subflow', String(s)]);
    expect(got.connections.map((c) => c.index)).toEqual([conn.index]);
    expect(got.connections[0]?.subflows).toEqual([conn.subflows[1]]);
    expect(got.summary).toMatchObject({ connections: 1, subflows: 1 });
    // with -Y as well: both must hold
    const none = await analyze([FILE, '--subflow', String(s), '-Y', `mptcp.stream != ${conn.index}`]);
    expect(none.connections).toEqual([]);
  });

  it('a number that names nothing is a usage error', async () => {
    for (const args of [['--connection', '999'], ['--subflow', '99999'], ['--connection', 'x']]) {
      const r = await runMain(['analyze', FILE, ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^mpcap: --(connection|subflow)/);
    }
  });

  it('the tables say what kept the connections', async () => {
    const r = await runMain(['analyze', FILE, '-Y', 'tcp.len > 1000', '--connection', '0']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("only the connections kept by -Y 'tcp.len > 1000', --connection 0\n");
  });
});

describe('report -Y keeps the connections analyze -Y keeps', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'mpcap-report-y-'));
  /** The page's embedded analysis (analyze --json) and the connections given a detail section. */
  async function page(args: string[]): Promise<{ analysis: Rep; details: number[] }> {
    const out = path.join(dir, `p${Math.random().toString(36).slice(2)}.html`);
    const r = await runMain(['report', ...args, '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    const html = readFileSync(out, 'utf8');
    const json = (id: string): unknown => JSON.parse(new RegExp(`<script type="application/json" id="${id}">([\\s\\S]*?)</script>`).exec(html)?.[1]?.replace(/\\u003c/g, '<') ?? 'null');
    const plots = json('mpcap-plots') as { details: Array<{ index: number }> };
    return { analysis: json('mpcap-analysis') as Rep, details: plots.details.map((d) => d.index) };
  }

  it.each(CASES.slice(0, 3).map(([f, y]) => [shortName(f), y, f]))('%s -Y %s', async (_n, filter, file) => {
    const want = await analyze([file, '-Y', filter]);
    const got = await page([file, '-Y', filter, '--top', '100']);
    expect(got.analysis.connections.map((c) => c.index)).toEqual(want.connections.map((c) => c.index));
    expect(got.analysis.selection).toEqual(want.selection);
    expect([...got.details].sort((a, b) => a - b)).toEqual(want.connections.map((c) => c.index));
  });

  it('--connection of a connection -Y leaves out: a usage error that says so', async () => {
    const r = await runMain(['report', FILE, '-Y', 'tcp.stream == 0', '--connection', '999', '-o', path.join(dir, 'x.html')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^mpcap: --connection 999: not among the connections .* that -Y keeps/);
  });
});
