/** The sub-commands, each in a file of its own. */
import type { Command } from 'commander';
import { registerAnalyze } from './analyze.js';
import { registerCompare } from './compare.js';
import { registerDissect } from './dissect.js';
import { registerExport } from './export.js';
import { registerExtract } from './extract.js';
import { registerFields } from './fields-cmd.js';
import { registerLive } from './live.js';
import { registerQuery } from './query.js';
import { registerReport } from './report.js';
import type { SetExit } from './errors.js';
import type { CliIo } from './io.js';


export function registerCommands(program: Command, io: CliIo, setExit: SetExit): void {
  registerDissect(program, io, setExit);
  registerAnalyze(program, io, setExit);
  registerExtract(program, io, setExit);
  registerFields(program, io);
  registerLive(program, io, setExit);
  registerReport(program, io, setExit);
  registerCompare(program, io, setExit);
  registerExport(program, io, setExit);
  registerQuery(program, io, setExit);
}
