/** `mpcap fields`: the names `dissect -T fields -e` accepts. */
import type { Command } from 'commander';
import { FIELDS } from '../analysis/fields.js';
import type { CliIo } from './io.js';

export function registerFields(program: Command, io: CliIo): void {
  program
    .command('fields')
    .description('list the field names that `dissect -T fields -e` accepts')
    .action(() => {
      const width = Math.max(...[...FIELDS.keys()].map((k) => k.length));
      for (const def of FIELDS.values()) io.stdout.write(`${def.name.padEnd(width)}  ${def.description}\n`);
    });
}
