/**
 * Hostile captures (issue #10): one regression per defect the fuzz campaign and the review found.
 * Every input is built here from the byte builders (or by editing a public corpus capture at run
 * time, skipped when the corpus is absent), never copied into the repository.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCapture, MAX_KEPT_PROBLEMS } from '../src/dissect/capture/parser.ts';
import { runMain } from './helpers/cli.ts';
import { concat, epb, idb, pcapFile, pcapHeader, pcapRecord, shb } from './helpers/capture-builders.ts';
import { corpusFile } from './helpers/corpus.ts';
import { Capture, capableHandshake, CraftedSubflow, TCP_ACK, tcpFrame } from './helpers/craft.ts';

let tmp = '';
beforeAll(() => {
  tmp = mkdtempSync(path.join(tmpdir(), 'mpcap-hostile-'));
});
afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

function write(name: string, bytes: Uint8Array): string {
  const p = path.join(tmp, name);
  writeFileSync(p, bytes);
  return p;
}

const client = { addr: '10.0.0.1', port: 40000 };
const server = { addr: '10.0.0.2', port: 80 };

/**
 * An MPTCP handshake, then `warnings` records that each raise an odd-record warning (caplen >
 * origlen), then a record header promising 100 bytes of which 10 are present: the file is cut short.
 */
function manyWarningsThenCut(warnings: number): Uint8Array {
  const cap = new Capture();
  capableHandshake(new CraftedSubflow(cap, client, server), { clientKey: 0x1111n, serverKey: 0x2222n });
  const handshake = cap.pcap();
  const data = tcpFrame(client, server, 1000, 2000, { flags: TCP_ACK });
  const records = Array.from({ length: warnings }, (_, i) => pcapRecord({ sec: 1_700_000_001, frac: i, data, origLen: data.length - 1 }));
  const cut = pcapRecord({ sec: 1_700_000_002, frac: 0, data: new Uint8Array(100) }).subarray(0, 16 + 10);
  return concat(handshake, ...records, cut);
}

describe('1. a fatal problem is never dropped by the cap on kept problems', () => {
  const file = manyWarningsThenCut(MAX_KEPT_PROBLEMS + 1);

  it('the parser keeps the fatal problem past the cap, and says it in summary.fatal', () => {
    const s = parseCapture(file, () => {});
    expect(s.problemCount).toBe(MAX_KEPT_PROBLEMS + 2);
    expect(s.problems).toHaveLength(MAX_KEPT_PROBLEMS + 1);
    expect(s.problems.find((p) => p.fatal)).toBe(s.fatal);
    expect(s.fatal).toMatchObject({ kind: 'truncated-file', fatal: true, frame: MAX_KEPT_PROBLEMS + 5 });
  });

  it('a whole file has fatal null', () => {
    expect(parseCapture(pcapFile({}, []), () => {}).fatal).toBeNull();
  });

  it.each([
    ['analyze', ['analyze', '--json']],
    ['analyze tables', ['analyze']],
    ['extract', ['extract', '--connection', '0', '--direction', 'c2s', '-o', '-']],
    ['dissect', ['dissect']],
  ])('%s exits 4 (damaged)', async (_name, argv) => {
    const p = write('many-warnings-cut.pcap', file);
    const r = await runMain([...argv, p]);
    expect(r.stderr).toMatch(/damaged|ends in the middle of packet/);
    expect(r.code).toBe(4);
  });

  it('live -r - exits 4 (damaged)', async () => {
    const r = await runMain(['live', '-r', '-', '--json'], { stdin: file });
    expect(r.code).toBe(4);
    const summary = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { event: string };
    expect(summary.event).toBe('summary');
  });
});
