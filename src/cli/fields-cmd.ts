/** `mpcap fields`: the names `dissect -T fields -e` accepts. */
import type { Command } from 'commander';
import { FIELDS, isMpcapOnly } from '../analysis/fields.js';
import type { CliIo } from './io.js';

export function registerFields(program: Command, io: CliIo): void {
  program
    .command('fields')
    .description('list the field names that `dissect -T fields -e` accepts, and whether each equals tshark 4.0\'s')
    .addHelpText('after', '\nEach line: NAME, what the field is, then "= tshark" (the same values, checked cell by cell on\nevery capture of the test corpus), "= tshark except where tshark is wrong: where" (each such\ntshark bug has a test), or "mpcap only" (mpcap.* names: tshark has no such field).\n\nExample:\n  mpcap fields | grep mptcp')
    .action(() => {
      const width = Math.max(...[...FIELDS.keys()].map((k) => k.length));
      for (const def of FIELDS.values()) {
        const cmp = def.tshark === undefined ? '= tshark' : isMpcapOnly(def.name) ? `mpcap only: ${def.tshark}` : `= tshark except where tshark is wrong: ${def.tshark}`;
        io.stdout.write(`${def.name.padEnd(width)}  ${def.description} [${cmp}]\n`);
      }
    });
}
