/**
 * Several capture files given together are one capture, merged by time as mergecap does: a
 * capture cut into 10 files by `editcap -c` gives the same `analyze --json` as the whole file (but
 * for the file names and the byte count: each part has its own file header), in whatever order
 * the parts are given; two captures of different streams made side by side interleave into the
 * original; frame numbers run on across files; the JSON document has one shape for any number of
 * files; interfaces are numbered across files as mergecap numbers them, and each packet's time is
 * printed at its own file's precision.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { corpusFile, hasCorpus, hasTshark, pcapsDir, shortName, tsharkPath } from './helpers/corpus.ts';
import { hasDist, runBin, runMain } from './helpers/cli.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'mpcap-multi-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const hasEditcap = (() => {
  try {
    execFileSync('editcap', ['-h'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const SOURCES = [
  path.join(pcapsDir, 'three-paths-signal.pcap'),
  path.join(pcapsDir, 'loss.pcap'),
  ...(hasCorpus ? [corpusFile('inversekey-multipath/speedtest.pcap'), corpusFile('pymptcpanalyzer/client_2.pcap')] : []),
];

function packets(file: string): number {
  const out = execFileSync(tsharkPath ?? 'tshark', ['-r', file, '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return out.trim().split('\n').length;
}

/** `editcap -c` into 10 files, in the input's format (pcap would cut pcapng's ns timestamps to µs). */
function split10(file: string): string[] {
  const sub = mkdtempSync(path.join(dir, 'parts-'));
  const n = packets(file);
  const pcapng = readFileSync(file).readUInt32LE(0) === 0x0a0d0d0a;
  execFileSync('editcap', ['-F', pcapng ? 'pcapng' : 'pcap', '-c', String(Math.ceil(n / 10)), file, path.join(sub, 'part.pcap')], { stdio: 'ignore' });
  const parts = readdirSync(sub).sort().map((f) => path.join(sub, f));
  return parts;
}

/** The report with what depends on the files themselves left out. */
async function report(files: string[], extra: string[] = []): Promise<Record<string, unknown>> {
  const r = await runMain(['analyze', '--json', ...extra, ...files]);
  expect(r.code, r.stderr).toBe(0);
  const j = JSON.parse(r.stdout) as { capture: Record<string, unknown> };
  expect(Array.isArray(j)).toBe(false);
  expect((j.capture.files as unknown[]).length).toBe(files.length);
  delete j.capture.file;
  delete j.capture.files;
  delete j.capture.bytes; // each part has its own 24-byte file header
  return j as Record<string, unknown>;
}

describe.skipIf(!hasTshark || !hasEditcap)('several files are one capture', () => {
  it.each(SOURCES.map((f) => [shortName(f), f]))('%s cut into 10 files by editcap -c: the same analyze --json', async (_n, file) => {
    const parts = split10(file);
    expect(parts.length).toBe(10);
    const whole = await report([file]);
    expect(await report(parts)).toEqual(whole);
    // given in any order: merged by time
    const shuffled = [parts[7], parts[2], parts[9], parts[0], parts[5], parts[1], parts[8], parts[3], parts[6], parts[4]] as string[];
    expect(await report(shuffled)).toEqual(whole);
    // a connection that spans files is one connection
    expect((whole.summary as { connections: number }).connections).toBeGreaterThan(0);
  }, 60_000);

  it('dissect reads the parts as the whole: frame numbers run on, fields equal', async () => {
    const file = SOURCES[0] as string;
    const parts = split10(file);
    const fields = ['-T', 'fields', '-e', 'frame.number', '-e', 'frame.time_epoch', '-e', 'tcp.stream', '-e', 'mptcp.stream', '-e', 'mptcp.ack', '-e', 'mptcp.expected_token'];
    const whole = await runMain(['dissect', file, ...fields]);
    const merged = await runMain(['dissect', ...[...parts].reverse(), ...fields]);
    expect(merged.code).toBe(0);
    expect(merged.stdout).toBe(whole.stdout);
    // -Y over several files, and -c over the merged stream
    const y = await runMain(['dissect', ...parts, '-Y', 'tcp.stream == 2', '-c', '100', '-T', 'fields', '-e', 'frame.number']);
    const yWhole = await runMain(['dissect', file, '-Y', 'tcp.stream == 2', '-c', '100', '-T', 'fields', '-e', 'frame.number']);
    expect(y.stdout).toBe(yWhole.stdout);
    expect(y.stdout.length).toBeGreaterThan(0);
  }, 60_000);

  it('two captures made side by side (different subflows) interleave into the original, as mergecap', async () => {
    const file = SOURCES[0] as string;
    const a = path.join(dir, 'even.pcap');
    const b = path.join(dir, 'odd.pcap');
    execFileSync(tsharkPath ?? 'tshark', ['-r', file, '-Y', 'tcp.stream in {0, 2, 4}', '-F', 'pcap', '-w', a], { stdio: 'ignore' });
    execFileSync(tsharkPath ?? 'tshark', ['-r', file, '-Y', '!(tcp.stream in {0, 2, 4})', '-F', 'pcap', '-w', b], { stdio: 'ignore' });
    expect(await report([b, a])).toEqual(await report([file]));
    const m = path.join(dir, 'mergecap.pcap');
    execFileSync('mergecap', ['-F', 'pcap', '-w', m, b, a], { stdio: 'ignore' });
    const fields = ['-T', 'fields', '-e', 'frame.number', '-e', 'frame.time_epoch', '-e', 'tcp.stream', '-e', 'tcp.seq_raw'];
    expect((await runMain(['dissect', b, a, ...fields])).stdout).toBe((await runMain(['dissect', m, ...fields])).stdout);
  }, 60_000);

  describe.skipIf(!hasDist)('a µs pcap and a ns pcap given together', () => {
    // two-paths.pcap (µs) and a nanosecond copy 123 ns later: the packets alternate between the files;
    // then ipv6.pcap as ns 456 ns later, beside the mergecap'd pcapng of the first two (2 interfaces)
    const us = path.join(pcapsDir, 'two-paths.pcap');
    const ns = path.join(dir, 'ns.pcap');
    const ns6 = path.join(dir, 'ns6.pcap');
    const merged = path.join(dir, 'us-ns.pcapng');
    const merged3 = path.join(dir, 'three.pcapng');
    if (hasTshark && hasEditcap) {
      execFileSync('editcap', ['-F', 'nsecpcap', '-t', '0.000000123', us, ns], { stdio: 'ignore' });
      execFileSync('editcap', ['-F', 'nsecpcap', '-t', '0.000000456', path.join(pcapsDir, 'ipv6.pcap'), ns6], { stdio: 'ignore' });
      execFileSync('mergecap', ['-w', merged, us, ns], { stdio: 'ignore' });
      execFileSync('mergecap', ['-w', merged3, ns6, merged], { stdio: 'ignore' });
    }
    const env = { TZ: 'UTC', LC_ALL: 'C' };
    const tshark = (args: string[]): string => execFileSync(tsharkPath ?? 'tshark', args, { encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'ignore'] });
    const lines = (t: string): string[] => t.split('\n').filter((l) => l !== '');
    const time = (fmt: string) => (l: string): string => l.trim().split(/\s+/).slice(1, fmt === 'ad' || fmt === 'ud' ? 3 : 2).join(' ');

    it.each(['r', 'a', 'ad', 'u', 'ud', 'e', 'd', 'dd'])('-t %s: each packet at its file\'s precision (6 or 9 decimals), as tshark on the mergecap\'d file', (fmt) => {
      for (const order of [[us, ns], [ns, us]]) {
        const ours = lines(runBin(['dissect', '-t', fmt, '-c', '40', ...order], { env }).stdout).map(time(fmt));
        const theirs = lines(tshark(['-r', merged, '-t', fmt, '-c', '40'])).map(time(fmt));
        expect(ours).toHaveLength(40);
        expect(ours).toEqual(theirs);
      }
      // packets of both files, each with its decimals (the relative/absolute formats; deltas mix them)
      if (fmt !== 'd' && fmt !== 'dd') {
        const ours = lines(runBin(['dissect', '-t', fmt, '-c', '4', us, ns], { env }).stdout).map(time(fmt));
        expect(ours.map((t) => /\.(\d+)$/.exec(t)?.[1]?.length)).toEqual([6, 9, 6, 9]);
      }
    });

    it('frame.interface_id: one per file, as mergecap numbers them (a pcapng\'s interfaces in order, after the files before it)', () => {
      // mpcap's JSON has it for every packet; tshark's -T fields only for a pcapng (as the mergecap'd file is)
      const ids = (files: string[]): string => lines(runBin(['dissect', '-T', 'ndjson', ...files]).stdout).map((l) => `${(JSON.parse(l) as Record<string, unknown>)['frame.interface_id']}`).join('\n') + '\n';
      const f = ['-T', 'fields', '-e', 'frame.time_epoch', '-e', 'frame.time_relative'];
      const tsharkIds = (file: string): string => tshark(['-r', file, '-T', 'fields', '-e', 'frame.interface_id']);
      expect(ids([us, ns])).toBe(tsharkIds(merged));
      expect(runBin(['dissect', ...f, us, ns]).stdout).toBe(tshark(['-r', merged, ...f]));
      expect(ids([ns6, merged])).toBe(tsharkIds(merged3));
      expect(runBin(['dissect', ...f, ns6, merged]).stdout).toBe(tshark(['-r', merged3, ...f]));
      expect(new Set(lines(ids([ns6, merged])))).toEqual(new Set(['0', '1', '2']));
      // and the summary lines' times of the three, each interface at its resolution
      const t = ['-t', 'e'];
      expect(lines(runBin(['dissect', ...t, ns6, merged], { env }).stdout).map(time('e'))).toEqual(lines(tshark(['-r', merged3, ...t])).map(time('e')));
    });

    it('-w of both: one nanosecond pcap with the packets of the mergecap\'d file, times to the nanosecond', () => {
      const out = path.join(dir, 'us-ns-w.pcap');
      expect(runBin(['dissect', '-w', out, us, ns]).code).toBe(0);
      const f = ['-T', 'fields', '-e', 'frame.time_epoch', '-e', 'frame.len', '-e', 'tcp.seq_raw'];
      expect(tshark(['-r', out, ...f])).toBe(tshark(['-r', merged, ...f]));
      expect(readFileSync(out).readUInt32LE(0)).toBe(0xa1b23c4d); // nanosecond pcap magic
    });
  });

  it('analyze --json has one shape for one file and for several: .connections[] works for both', async () => {
    const file = path.join(pcapsDir, 'two-paths.pcap');
    for (const files of [[file], [file, path.join(pcapsDir, 'ipv6.pcap')]]) {
      const r = await runMain(['analyze', '--json', ...files]);
      const j = JSON.parse(r.stdout) as { connections: unknown[]; capture: { files: Array<{ file: string; packets: number }> } };
      expect(Array.isArray(j.connections)).toBe(true);
      expect(j.capture.files.map((f) => f.file)).toEqual(files);
      expect(j.capture.files.every((f) => f.packets > 0)).toBe(true);
    }
    const two = JSON.parse((await runMain(['analyze', '--json', file, path.join(pcapsDir, 'ipv6.pcap')])).stdout) as { connections: unknown[] };
    const one = JSON.parse((await runMain(['analyze', '--json', file])).stdout) as { connections: unknown[] };
    expect(two.connections.length).toBeGreaterThan(one.connections.length);
  });

  it.skipIf(!hasCorpus)('extract reads the parts as the whole: the same bytes', async () => {
    const file = corpusFile('inversekey-multipath/speedtest.pcap');
    const parts = split10(file);
    const bytes = async (files: string[]): Promise<Buffer> => {
      const { main } = await import('../src/cli/main.ts');
      const { Readable, Writable } = await import('node:stream');
      const chunks: Buffer[] = [];
      const stdout = new Writable({ write: (c: Buffer, _e, cb) => (chunks.push(c), cb()) });
      const stderr = new Writable({ write: (_c, _e, cb) => cb() });
      await main(['extract', ...files, '--connection', '3', '--direction', 's2c', '-o', '-'], { stdin: Readable.from([]), stdout, stderr, env: {} });
      return Buffer.concat(chunks);
    };
    const whole = await bytes([file]);
    expect(whole.length).toBeGreaterThan(1000);
    expect((await bytes(parts)).equals(whole)).toBe(true);
  }, 60_000);

  it('a file that cannot be read stops the whole input (exit 3)', async () => {
    const r = await runMain(['analyze', SOURCES[0] as string, path.join(dir, 'missing.pcap')]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('missing.pcap');
    expect(r.stdout).toBe('');
  });

  it('standard input only once', async () => {
    const r = await runMain(['analyze', '-', '-']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("standard input ('-') can be read only once");
  });
});
