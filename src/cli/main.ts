/**
 * mpcap's command line. `main()` parses argv, runs one command and returns the exit code;
 * every error that reaches the user is turned into a message and a code here, and only here.
 */
import { Command, CommanderError, Help, type Option } from 'commander';
import { CaptureFormatError, InputError } from '../dissect/errors.js';
import { CommandFailure, UsageError } from './errors.js';
import { ExitCode, OutputError, type CliIo } from './io.js';
import { version } from './version.js';
import { registerCommands } from './commands.js';

export { CommandFailure, UsageError, version };

export async function main(argv: string[], io: CliIo): Promise<number> {
  const program = new Command();
  let exitCode: number = ExitCode.OK;
  program
    .name('mpcap')
    .description('Multipath TCP capture analyzer: dissects MPTCP v0/v1 options, links subflows into connections, verifies keys, tokens and HMACs.')
    .version(version(), '-v, --version', 'print the version and exit')
    .helpOption('-h, --help', 'show help')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({
      writeOut: (s) => void io.stdout.write(s),
      writeErr: (s) => void io.stderr.write(s),
      // one style for every error: the option parser's "error: …" is written as mpcap's own
      outputError: (s, write) => write(s.replace(/^error: /, 'mpcap: ')),
    })
    .configureHelp({
      // a repeatable option starts as [], which is no default worth showing
      optionDescription(this: Help, option: Option): string {
        const hide = Array.isArray(option.defaultValue) && option.defaultValue.length === 0;
        return Help.prototype.optionDescription.call(this, hide ? Object.assign(Object.create(option) as Option, { defaultValue: undefined }) : option);
      },
    })
    .exitOverride();
  program.addHelpText(
    'after',
    `
Examples:
  mpcap dissect capture.pcap                 one line per packet, MPTCP options in the Info column
  mpcap dissect -V -c 5 capture.pcapng.gz    full tree of the first 5 packets
  mpcap dissect -T fields -e frame.number -e tcp.stream -e tcp.options.mptcp.subtype capture.pcap
  tcpdump -U -w - -i eth0 | mpcap dissect -   read a capture from standard input

Exit codes: 0 ok, 2 usage, 3 unreadable or not a capture, 4 capture damaged (read up to the damage),
5 result incomplete, 6 live capture could not start, 1 internal error.`,
  );
  registerCommands(program, io, (code) => {
    exitCode = Math.max(exitCode, code);
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (e) {
    return reportError(e, io);
  }
}

function reportError(e: unknown, io: CliIo): number {
  if (e instanceof CommanderError) {
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return ExitCode.OK;
    return ExitCode.USAGE; // commander already printed the message
  }
  if (e instanceof UsageError) {
    io.stderr.write(`mpcap: ${e.message}\n(run with --help for usage)\n`);
    return ExitCode.USAGE;
  }
  if (e instanceof InputError || e instanceof CaptureFormatError) {
    io.stderr.write(`mpcap: ${e.message}\n`);
    return ExitCode.INPUT;
  }
  if (e instanceof OutputError) {
    io.stderr.write(`mpcap: ${e.message}\n`);
    return ExitCode.USAGE;
  }
  if (e instanceof CommandFailure) {
    io.stderr.write(`mpcap: ${e.message}\n`);
    return e.exitCode;
  }
  io.stderr.write(`mpcap: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\nPlease report this with the capture that caused it.\n`);
  return ExitCode.INTERNAL;
}
