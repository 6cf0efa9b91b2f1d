/**
 * `dissect -w OUT`: the packets that pass -Y (and -c) into a pcap file, the same packets as
 * `tshark -r IN -Y X -w OUT` writes (compared record by record: time, lengths, bytes), with the
 * input's link type and snap length, and a file tshark itself reads.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCapture } from '../src/dissect/capture/source.ts';
import { corpusFile, craftedDir, hasCorpus, hasTshark, pcapsDir, shortName, tsharkPath } from './helpers/corpus.ts';
import { runMain } from './helpers/cli.ts';
import { tsString } from './helpers/capture-collect.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'mpcap-w-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Rec {
  ts: string;
  origLen: number;
  data: string;
}

async function records(file: string): Promise<{ recs: Rec[]; linkType: number; snapLen: number }> {
  const recs: Rec[] = [];
  const s = await readCapture(file, (f) => void recs.push({ ts: tsString(f), origLen: f.origLen, data: Buffer.from(f.data).toString('hex') }));
  const i = s.interfaces[0];
  return { recs, linkType: i?.linkType ?? -1, snapLen: i?.snapLen ?? -1 };
}

const CASES: ReadonlyArray<[string, string]> = [
  [path.join(pcapsDir, 'two-paths.pcap'), 'tcp.options.mptcp.subtype == 2 && tcp.len > 0'],
  [path.join(pcapsDir, 'ipv6.pcap'), 'ipv6.addr == fd00:2::/32 or tcp.flags.syn == 1'],
  [path.join(pcapsDir, 'three-paths-signal.pcap'), 'tcp.stream in {1, 3..4}'],
  [path.join(craftedDir, 'options.pcap'), 'tcp.options.mptcp.subtype in {3, 4}'],
  ...(hasCorpus
    ? ([
        [corpusFile('pymptcpanalyzer/client_2.pcap'), 'mptcp.stream == 1'], // pcapng, Linux cooked
        [corpusFile('inversekey-multipath/speedtest.pcap'), 'ip.addr == 192.168.0.0/16 and tcp.len > 1000'],
        [corpusFile('tcpdump/mptcp-dss-oobr.pcap'), 'tcp'], // snaplen 73
      ] as Array<[string, string]>)
    : []),
];

describe.skipIf(!hasTshark)('dissect -w holds the packets tshark -w holds', () => {
  it.each(CASES.map(([f, y]) => [shortName(f), y, f]))('%s -Y %s', async (_n, filter, file) => {
    const a = path.join(dir, `${path.basename(file)}.tshark.pcapng`);
    const b = path.join(dir, `${path.basename(file)}.mpcap.pcap`);
    execFileSync(tsharkPath ?? 'tshark', ['-r', file, '-Y', filter, '-w', a], { stdio: 'ignore' });
    const r = await runMain(['dissect', file, '-Y', filter, '-w', b]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(''); // as tshark -w: nothing decoded on the screen
    const want = await records(a);
    const got = await records(b);
    expect(want.recs.length).toBeGreaterThan(0);
    expect(got.recs).toEqual(want.recs);
    const input = await records(file);
    expect(got.linkType).toBe(input.linkType);
    expect(got.snapLen).toBe(input.snapLen === 0 ? 262144 : input.snapLen);
    // tshark reads the file and sees the same frames
    const t = execFileSync(tsharkPath ?? 'tshark', ['-r', b, '-T', 'fields', '-e', 'frame.time_epoch'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    expect(t.trim().split('\n')).toEqual(want.recs.map((x) => x.ts));
  }, 30_000);

  it('-w - writes the capture to standard output; -c counts packets read, as tshark', async () => {
    const file = path.join(pcapsDir, 'two-paths.pcap');
    const filter = 'tcp.len > 0';
    const a = path.join(dir, 'count.tshark.pcapng');
    execFileSync(tsharkPath ?? 'tshark', ['-r', file, '-Y', filter, '-c', '20', '-w', a], { stdio: 'ignore' });
    const { main } = await import('../src/cli/main.ts');
    const { Readable, Writable } = await import('node:stream');
    const chunks: Buffer[] = [];
    const stdout = new Writable({ write: (c: Buffer, _e, cb) => (chunks.push(c), cb()) });
    const stderr = new Writable({ write: (_c, _e, cb) => cb() });
    const code = await main(['dissect', file, '-Y', filter, '-c', '20', '-w', '-'], { stdin: Readable.from([]), stdout, stderr, env: {} });
    expect(code).toBe(0);
    const b = path.join(dir, 'count.mpcap.pcap');
    (await import('node:fs')).writeFileSync(b, Buffer.concat(chunks));
    const want = await records(a);
    expect(want.recs.length).toBeGreaterThan(0);
    expect((await records(b)).recs).toEqual(want.recs);
    expect(readFileSync(b).readUInt32LE(0)).toBe(0xa1b2c3d4);
  });

  it('no packet passes: a valid capture with no packets', async () => {
    const b = path.join(dir, 'none.pcap');
    const r = await runMain(['dissect', path.join(pcapsDir, 'two-paths.pcap'), '-Y', 'udp', '-w', b]);
    expect(r.code).toBe(0);
    expect((await records(b)).recs).toEqual([]);
    expect(execFileSync(tsharkPath ?? 'tshark', ['-r', b, '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })).toBe('');
  });

  it('an unwritable -w path is a usage error before reading', async () => {
    const r = await runMain(['dissect', path.join(pcapsDir, 'two-paths.pcap'), '-w', path.join(dir, 'no', 'such', 'x.pcap')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("-w: cannot write");
    expect(r.stderr).toContain('its directory does not exist');
  });
});
