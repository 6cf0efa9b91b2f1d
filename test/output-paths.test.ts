/** An output path that cannot be written is the user's error: exit 2, the path named, no stack trace. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runMain } from './helpers/cli.ts';
import { fixturePcaps } from './helpers/corpus.ts';

const file = fixturePcaps()[0] as string;
const dir = mkdtempSync(path.join(tmpdir(), 'mpcap-out-'));

describe('analyze -o PATH that cannot be written', () => {
  it.each([
    ['a directory', dir, 'it is a directory'],
    ['under a directory that does not exist', path.join(dir, 'no', 'such', 'r.json'), 'its directory does not exist'],
    ['under a file', path.join(file, 'x.json'), 'a part of the path is not a directory'],
  ])('%s', async (_what, out, why) => {
    const r = await runMain(['analyze', '--json', '-o', out, file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`mpcap: cannot write '${out}': ${why}\n`);
    expect(r.stdout).toBe('');
  });
});
