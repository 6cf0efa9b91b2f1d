/**
 * The capture ID (SHA-256 of the set's bytes): the same on the hash thread (capture-id.ts, used for
 * big sets while the analysis reads them) as inline, for one file and for a set of several, and
 * an unreadable file fails with its error on both.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { captureId, hashSet } from '../src/export/capture-id.ts';
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
