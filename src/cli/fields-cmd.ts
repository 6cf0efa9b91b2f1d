/** `mpcap fields`: the names `dissect -T fields -e` accepts. */
import type { Command } from 'commander';
import { FIELDS } from '../analysis/fields.js';
import type { CliIo } from './io.js';

export function registerFields(program: Command, io: CliIo): void {
  program
    .command('fields')
    .description('list the field names that `dissect -T fields -e` accepts, and whether each equals tshark 4.0\'s')
    .addHelpText('after', '\nEach line: NAME, then "= tshark" (the same values, checked cell by cell on every capture\nof the test corpus) or "≠ tshark: why", then what the field is.\n\nExample:\n  mpcap fields | grep mptcp')
    .action(() => {
      const width = Math.max(...[...FIELDS.keys()].map((k) => k.length));
      for (const def of FIELDS.values()) {
        const cmp = def.tshark === undefined ? '= tshark' : `≠ tshark: ${def.tshark}`;
        io.stdout.write(`${def.name.padEnd(width)}  ${def.description} [${cmp}]\n`);
      }
    });
}
