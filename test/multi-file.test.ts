/**
 * Several capture files given together are one capture, merged by time as mergecap does: a
 * capture cut into 10 files by `editcap -c` gives the same `analyze --json` as the whole file (but
 * for the file names and the byte count: each part has its own file header), in whatever order
 * the parts are given; two captures of different streams made side by side interleave into the
 * original; frame numbers run on across files; the JSON document has one shape for any number of
 * files.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { corpusFile, hasCorpus, hasTshark, pcapsDir, shortName, tsharkPath } from './helpers/corpus.ts';
import { runMain } from './helpers/cli.ts';

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
