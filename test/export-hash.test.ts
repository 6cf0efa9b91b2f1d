/**
 * The capture ID (SHA-256 of the set's bytes): the same on the hash thread (capture-id.ts, used for
 * big sets while the analysis reads them) as inline, for one file and for a set of several, and
 * an unreadable file fails with its error on both; the same again when made from the chunks the
 * capture reader reads (IdTee, source.ts onFileBytes), gzip-compressed or not.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { captureId, hashSet, IdTee } from '../src/export/capture-id.ts';
import { readCapture } from '../src/dissect/capture/source.ts';
import { pcapsDir } from './helpers/corpus.ts';
import { hasDist, NO_DIST } from './helpers/cli.ts';

const twoPaths = path.join(pcapsDir, 'two-paths.pcap');
const loss = path.join(pcapsDir, 'loss.pcap');

describe.skipIf(!hasDist)('capture ID on the hash thread', () => {
  it('equals the inline SHA-256, for one file and for a set', async () => {
    if (!hasDist) throw new Error(NO_DIST);
    for (const set of [[twoPaths], [twoPaths, loss], [loss, twoPaths]]) {
      const inline = await captureId(set);
      expect(inline).toMatch(/^[0-9a-f]{16}$/);
      // a threshold of 0 bytes: every set goes to the thread; several at once share it
      const [a, b] = await Promise.all([hashSet(set, 0), hashSet(set, 0)]);
      expect(a).toBe(inline);
      expect(b).toBe(inline);
    }
    expect(await captureId([twoPaths, loss])).not.toBe(await captureId([loss, twoPaths]));
  });

  it('an unreadable file rejects with its error, and the thread goes on', async () => {
    const missing = path.join(pcapsDir, 'no-such-capture.pcap');
    await expect(hashSet([missing], 0)).rejects.toThrow(/ENOENT/);
    await expect(captureId([missing])).rejects.toThrow(/ENOENT/);
    expect(await hashSet([twoPaths], 0)).toBe(await captureId([twoPaths]));
  });
});

describe('capture ID from the bytes the reader reads', () => {
  const gz = path.join(pcapsDir, '..', 'compare', 'client.pcap.gz');
  it.each([
    ['pcap', twoPaths, undefined],
    ['gzip, small reads', gz, 4096],
    ['pcap, small reads', loss, 1000],
  ])('%s: equals captureId', async (_n, file, chunkBytes) => {
    const tee = (await IdTee.of(file)) as IdTee;
    let frames = 0;
    await readCapture(file, () => (frames++, true), { onFileBytes: tee.update, ...(chunkBytes ? { chunkBytes } : {}) });
    expect(frames).toBeGreaterThan(0);
    expect(tee.digest()).toBe(await captureId([file]));
  });

  it('a read that stopped early gives no ID (the caller hashes the file), and a missing file no tee', async () => {
    const tee = (await IdTee.of(twoPaths)) as IdTee;
    await readCapture(twoPaths, () => false, { onFileBytes: tee.update, chunkBytes: 1000 });
    expect(tee.digest()).toBeNull();
    expect(await IdTee.of(path.join(pcapsDir, 'no-such-capture.pcap'))).toBeNull();
  });
});
