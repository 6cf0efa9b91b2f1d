/**
 * Issue 11, "README and --help describe every option with an example": every option that
 * `mpcap COMMAND --help` lists is named in the README and used in an example of that command (a
 * README code line or inline `mpcap COMMAND …`, or the command's own --help examples). An option
 * added without docs fails here.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './helpers/corpus.ts';
import { runMain } from './helpers/cli.ts';

const README = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
/** Command lines of the README: its code blocks' lines and inline `mpcap …` spans. */
const EXAMPLES = [...README.matchAll(/```[a-z]*\n([\s\S]*?)```/g)].flatMap((m) => (m[1] ?? '').split('\n')).concat([...README.matchAll(/`(mpcap [^`]+)`/g)].map((m) => m[1] ?? ''));

const named = (text: string, flag: string): boolean => new RegExp(`(?<![\\w-])${flag.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\w-])`).test(text);

async function help(argv: string[]): Promise<string> {
  const r = await runMain([...argv, '--help']);
  return r.stdout;
}

/** The commands `mpcap --help` lists (not `help`). */
async function commands(): Promise<string[]> {
  const top = await help([]);
  const from = top.indexOf('Commands:');
  const list = top.slice(from, top.indexOf('\n\n', from) > 0 ? top.indexOf('\n\n', from) : undefined);
  return [...list.matchAll(/^ {2}([a-z]+)\b/gm)].map((m) => m[1] as string).filter((c) => c !== 'help');
}

describe('README and --help: every option with an example', () => {
  it('the commands are found, and each lists its options', async () => {
    const cmds = await commands();
    expect(cmds).toEqual(expect.arrayContaining(['dissect', 'analyze', 'extract', 'fields', 'live', 'report', 'compare', 'export', 'query']));
    expect((await help(['dissect'])).match(/^ {2}(?:-\w, )?--[\w-]+/gm)?.length).toBeGreaterThan(15);
  });

  it('every option of every command is named in the README and used in an example of that command', async () => {
    const missing: string[] = [];
    for (const cmd of await commands()) {
      const h = await help([cmd]);
      const options = h.slice(h.indexOf('Options:'));
      const own = [...options.matchAll(/^ {2}(?:(-\w), )?(--[\w-]+)/gm)].map((m) => [m[1], m[2]].filter((x): x is string => x !== undefined));
      const examples = EXAMPLES.filter((l) => new RegExp(`mpcap\\s+${cmd}\\b`).test(l)).concat(h.slice(Math.max(0, h.indexOf('Example'))).split('\n'));
      for (const flags of own) {
        if (flags.includes('--help')) continue;
        if (!flags.some((f) => named(README, f))) missing.push(`${cmd} ${flags.join(', ')}: not in the README`);
        if (!examples.some((l) => flags.some((f) => named(l, f)))) missing.push(`${cmd} ${flags.join(', ')}: no example`);
      }
    }
    expect(missing).toEqual([]);
  });
});
