/** The sub-commands, each in a file of its own. */
import type { Command } from 'commander';
import type { CliIo } from './io.js';
import { registerDissect } from './dissect.js';

export type SetExit = (code: number) => void;

export function registerCommands(program: Command, io: CliIo, setExit: SetExit): void {
  registerDissect(program, io, setExit);
}
