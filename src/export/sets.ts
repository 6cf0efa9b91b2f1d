/**
 * The capture sets of `export`'s arguments. A capture set is the files read as one capture (as
 * `analyze` reads several files given together: merged by time), and one task of `--jobs`:
 *   - a file is a set of its own;
 *   - a quoted glob ('capture-0*.pcap', left unexpanded by the shell) is one set: its matches,
 *     rotated files of one capture;
 *   - a directory gives every capture file under it, each a set of its own;
 *   - with `merge`, every file given (after the above) is one single set.
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

const CAPTURE_FILE = /\.(pcap|pcapng|cap|dmp)(\.gz)?$/i;
const GLOB = /[*?[]/;

export class SetError extends Error {
  override readonly name = 'SetError';
}

function globRegex(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i] as string;
    if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else if (ch === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        re += `[${pattern.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else re += ch.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

async function walk(dir: string, out: string[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) await walk(p, out);
    else if (e.isFile() && CAPTURE_FILE.test(e.name)) out.push(p);
  }
}

export async function captureSets(args: readonly string[], merge = false): Promise<string[][]> {
  const sets: string[][] = [];
  for (const arg of args) {
    const st = await stat(arg).catch(() => null);
    if (st?.isDirectory()) {
      const files: string[] = [];
      await walk(arg, files);
      if (files.length === 0) throw new SetError(`${arg}: no capture file (*.pcap, *.pcapng, *.cap, optionally .gz) in this directory`);
      for (const f of files) sets.push([f]);
    } else if (st === null && GLOB.test(basename(arg)) && !GLOB.test(dirname(arg))) {
      const re = globRegex(basename(arg));
      const dir = dirname(arg);
      const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => re.test(n)).sort();
      if (names.length === 0) throw new SetError(`${arg}: no file matches`);
      sets.push(names.map((n) => join(dir, n)));
    } else {
      // a missing file is a set too: recorded in `captures` as failed, the others go on
      sets.push([arg]);
    }
  }
  return merge ? [sets.flat()] : sets;
}
