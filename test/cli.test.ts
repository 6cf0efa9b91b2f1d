/**
 * The command line: options, exit codes and messages, input forms (file, gzip, stdin, damaged) and
 * output formats. Driven in-process through `main()` with fake streams; the few checks that are
 * about the real process (a pipe as stdout, the bin script) run the built CLI.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { hasDist, NO_DIST, runBin, runMain } from './helpers/cli.ts';
import { pcapRecords, pcapsDir, repoRoot, sidecar } from './helpers/corpus.ts';

const TWO_PATHS = path.join(pcapsDir, 'two-paths.pcap');
const THREE_PATHS = path.join(pcapsDir, 'three-paths-signal.pcap');
const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string };
const ESC = '\u001b';
const FIELDS = ['-T', 'fields', '-e', 'frame.number', '-e', 'tcp.stream', '-e', 'mptcp.stream', '-e', 'tcp.options.mptcp.subtype', '-e', 'tcp.options.mptcp.sendkey', '-e', 'mptcp.ack'];

let tmp = '';
beforeAll(() => {
  tmp = mkdtempSync(path.join(tmpdir(), 'mpcap-cli-'));
});
afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const lines = (s: string): string[] => s.split('\n').filter((l) => l !== '');

describe('version and help', () => {
  it('--version prints the version of package.json', async () => {
    const r = await runMain(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it.skipIf(!hasDist)('the built bin prints it too', () => {
    const r = runBin(['--version']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it('--help lists the commands, with examples', async () => {
    const r = await runMain(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/dissect/);
    expect(r.stdout).toMatch(/analyze/);
    expect(r.stdout).toMatch(/Examples:/);
    expect(r.stdout).toMatch(/mpcap dissect .*capture/);
  });

  it('dissect --help lists its options, with examples', async () => {
    const r = await runMain(['dissect', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/-T, --format/);
    expect(r.stdout).toMatch(/Examples:/);
    expect(r.stdout).toMatch(/mpcap dissect -T fields/);
  });
});

describe('usage errors: exit 2', () => {
  it('an unknown option', async () => {
    const r = await runMain(['dissect', '--bogus', TWO_PATHS]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown option '--bogus'/);
    expect(r.stdout).toBe('');
  });

  it('an unknown -e field', async () => {
    const r = await runMain(['dissect', '-T', 'fields', '-e', 'frame.number', '-e', 'tcp.nosuchfield', TWO_PATHS]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown field 'tcp\.nosuchfield'/);
    expect(r.stdout).toBe('');
  });
});

describe('input errors: exit 3', () => {
  it('a missing file, named in the message', async () => {
    const missing = path.join(tmp, 'no-such-capture.pcap');
    const r = await runMain(['dissect', missing]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(missing);
    expect(r.stdout).toBe('');
  });

  it('a text file is "not a pcap or pcapng file"', async () => {
    const r = await runMain(['dissect', path.join(repoRoot, 'README.md')]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/not a pcap or pcapng file/);
  });

  it('analyze says the same', async () => {
    const r = await runMain(['analyze', path.join(repoRoot, 'README.md')]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/not a pcap or pcapng file/);
  });
});

describe('a capture cut in the middle of a packet: exit 4', () => {
  // Cut 80 bytes into the data of the 30th record.
  const recs = pcapRecords(readFileSync(TWO_PATHS));
  const cutRecord = recs[29];
  if (!cutRecord) throw new Error('two-paths.pcap has fewer than 30 packets');
  const cutAt = cutRecord.dataOffset + 80;
  const headerAt = cutRecord.dataOffset - 16;

  function cutCopy(): string {
    const p = path.join(tmp, 'cut.pcap');
    copyFileSync(TWO_PATHS, p);
    truncateSync(p, cutAt);
    return p;
  }

  it('dissect prints the 29 packets before the damage, then says at which byte it stopped', async () => {
    const r = await runMain(['dissect', ...FIELDS, cutCopy()]);
    expect(r.code).toBe(4);
    const out = lines(r.stdout);
    expect(out).toHaveLength(29);
    expect(out[28]?.split('\t')[0]).toBe('29');
    expect(r.stderr).toContain(`byte ${headerAt}`);
    // …and those 29 lines are exactly those of the intact file.
    const full = await runMain(['dissect', ...FIELDS, '-c', '29', TWO_PATHS]);
    expect(r.stdout).toBe(full.stdout);
  });

  it('analyze reports the packets before it and names the byte offset', async () => {
    const r = await runMain(['analyze', '--json', cutCopy()]);
    expect(r.code).toBe(4);
    const report = JSON.parse(r.stdout) as { capture: { packets: number } };
    expect(report.capture.packets).toBe(29);
    expect(r.stderr).toContain(`byte ${headerAt}`);
  });
});

describe('input forms give the same output', () => {
  it('a gzip-compressed capture', async () => {
    const gz = path.join(tmp, 'two-paths.pcap.gz');
    writeFileSync(gz, gzipSync(readFileSync(TWO_PATHS)));
    const plain = await runMain(['dissect', ...FIELDS, TWO_PATHS]);
    const zipped = await runMain(['dissect', ...FIELDS, gz]);
    expect(plain.code).toBe(0);
    expect(zipped.code, zipped.stderr).toBe(0);
    expect(lines(plain.stdout)).toHaveLength(sidecar(TWO_PATHS).capture.packets);
    expect(zipped.stdout).toBe(plain.stdout);
  });

  it('standard input (-)', async () => {
    const plain = await runMain(['dissect', ...FIELDS, THREE_PATHS]);
    const piped = await runMain(['dissect', ...FIELDS, '-'], { stdin: readFileSync(THREE_PATHS) });
    expect(piped.code, piped.stderr).toBe(0);
    expect(lines(piped.stdout)).toHaveLength(sidecar(THREE_PATHS).capture.packets);
    expect(piped.stdout).toBe(plain.stdout);
  });

  it('gzip on standard input', async () => {
    const plain = await runMain(['dissect', ...FIELDS, THREE_PATHS]);
    const piped = await runMain(['dissect', ...FIELDS, '-'], { stdin: gzipSync(readFileSync(THREE_PATHS)) });
    expect(piped.code, piped.stderr).toBe(0);
    expect(piped.stdout).toBe(plain.stdout);
  });

  it('-r FILE is the same as the argument', async () => {
    const a = await runMain(['dissect', ...FIELDS, TWO_PATHS]);
    const b = await runMain(['dissect', ...FIELDS, '-r', TWO_PATHS]);
    expect(b.stdout).toBe(a.stdout);
  });
});

describe('output formats', () => {
  it('-c 3 prints 3 packets', async () => {
    const r = await runMain(['dissect', '-c', '3', TWO_PATHS]);
    expect(r.code).toBe(0);
    expect(lines(r.stdout)).toHaveLength(3);
    const f = await runMain(['dissect', '-c', '3', ...FIELDS, TWO_PATHS]);
    expect(lines(f.stdout).map((l) => l.split('\t')[0])).toEqual(['1', '2', '3']);
  });

  it('-T json is one JSON document, an array of packets with frame.number', async () => {
    const r = await runMain(['dissect', '-T', 'json', '-c', '5', TWO_PATHS]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
    expect(Array.isArray(doc)).toBe(true);
    expect(doc.map((p) => p['frame.number'])).toEqual([1, 2, 3, 4, 5]);
  });

  it('-T json of a whole capture parses too', async () => {
    const r = await runMain(['dissect', '-T', 'json', THREE_PATHS]);
    expect((JSON.parse(r.stdout) as unknown[]).length).toBe(sidecar(THREE_PATHS).capture.packets);
  });

  it('-T ndjson is one JSON object per line', async () => {
    const r = await runMain(['dissect', '-T', 'ndjson', TWO_PATHS]);
    expect(r.code).toBe(0);
    const out = lines(r.stdout);
    expect(out).toHaveLength(sidecar(TWO_PATHS).capture.packets);
    out.forEach((l, i) => {
      const o = JSON.parse(l) as Record<string, unknown>;
      expect(o['frame.number']).toBe(i + 1);
    });
  });

  it('-V shows a tree with the Multipath TCP option', async () => {
    const r = await runMain(['dissect', '-V', '-c', '2', TWO_PATHS]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Multipath TCP');
    expect(r.stdout).toMatch(/^Frame 1: /m);
    expect(r.stdout).toMatch(/^Frame 2: /m);
    expect(r.stdout).not.toMatch(/^Frame 3: /m);
  });

  it('-E header=y prints the field names first', async () => {
    const r = await runMain(['dissect', '-E', 'header=y', '-c', '2', ...FIELDS, TWO_PATHS]);
    expect(r.code).toBe(0);
    const out = lines(r.stdout);
    expect(out[0]).toBe('frame.number\ttcp.stream\tmptcp.stream\ttcp.options.mptcp.subtype\ttcp.options.mptcp.sendkey\tmptcp.ack');
    expect(out).toHaveLength(3);
  });

  it('mpcap fields lists tcp.options.mptcp.sendkey', async () => {
    const r = await runMain(['fields']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^tcp\.options\.mptcp\.sendkey\b/m);
    expect(r.stdout).toMatch(/^mptcp\.expected_token\b/m);
  });
});

describe('colour', () => {
  it('analyze on a terminal uses colour (so the next tests test something)', async () => {
    const r = await runMain(['analyze', THREE_PATHS], { tty: true });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(ESC);
  });

  it('NO_COLOR turns it off, even on a terminal', async () => {
    const r = await runMain(['analyze', THREE_PATHS], { tty: true, env: { NO_COLOR: '1' } });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('10.0.2.2');
    expect(r.stdout).not.toContain(ESC);
  });

  it('--no-color turns it off', async () => {
    const r = await runMain(['analyze', '--no-color', THREE_PATHS], { tty: true });
    expect(r.stdout).not.toContain(ESC);
  });

  it('no colour when stdout is not a terminal (in-process)', async () => {
    const r = await runMain(['analyze', THREE_PATHS], { tty: false });
    expect(r.stdout).toContain('10.0.2.2');
    expect(r.stdout).not.toContain(ESC);
  });

  it.skipIf(!hasDist)('no colour when stdout is a pipe (built CLI)', () => {
    const r = runBin(['analyze', THREE_PATHS]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('10.0.2.2');
    expect(r.stdout).not.toContain(ESC);
    expect(r.stderr).not.toContain(ESC);
  });

  it.skipIf(!hasDist)('NO_COLOR with the built CLI', () => {
    const r = runBin(['analyze', THREE_PATHS], { env: { NO_COLOR: '1' } });
    expect(r.stdout).not.toContain(ESC);
  });

  it('the built CLI exists', () => {
    expect(hasDist, NO_DIST).toBe(true);
  });
});
