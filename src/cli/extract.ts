/**
 * `mpcap extract`: the reassembled bytes of one direction of one MPTCP connection, in data
 * sequence order, whatever subflow carried them.
 */
import { plural } from '../analysis/plural.js';
import type { Command } from 'commander';
import type { Writable } from 'node:stream';
import type { DataStream } from '../reassembly/data-stream.js';
import { Pipeline, runPipeline } from '../analysis/pipeline.js';
import type { SetExit } from './errors.js';
import { BinarySink, closeStream, ExitCode, openOutput, type CliIo } from './io.js';
import { CommandFailure, UsageError } from './errors.js';

interface ExtractOptions {
  read?: string;
  connection: string;
  direction: string;
  output?: string;
  fillHoles?: boolean;
}

export function registerExtract(program: Command, io: CliIo, setExit: SetExit): void {
  program
    .command('extract')
    .description("write one direction of one MPTCP connection's data stream, reassembled by data sequence number")
    .argument('[files...]', "capture files (several are read as one capture, in time order); '-' for standard input")
    .option('-r, --read <file>', 'capture file to read')
    .requiredOption('--connection <n>', 'the connection (mptcp.stream, as `analyze` numbers it)')
    .requiredOption('--direction <dir>', 'c2s (what the client sent) or s2c (what the server sent)')
    .option('-o, --output <file>', "where to write the bytes ('-' for standard output; without -o, standard output unless it is a terminal)")
    .option('--fill-holes', 'write zeros where the capture missed bytes (and list the holes on stderr) instead of failing')
    .addHelpText(
      'after',
      `
Examples:
  mpcap extract capture.pcap --connection 0 --direction c2s -o upload.bin
  mpcap extract capture.pcap --connection 0 --direction s2c -o - | xxd | head
  mpcap extract lossy.pcap --connection 2 --direction c2s --fill-holes -o out.bin

Holes are never filled silently: without --fill-holes, a stream with holes writes the bytes
before the first missing byte (a hole, a range the capture missed, or payload the snap length
cut), names every missing range on stderr and exits with code 5.`,
    )
    .action(async (files: string[], opts: ExtractOptions) => {
      setExit(await runExtract(files, opts, io));
    });
}

async function runExtract(files: string[], opts: ExtractOptions, io: CliIo): Promise<number> {
  const path = opts.read !== undefined ? [opts.read, ...files] : files;
  if (path.length === 0) throw new UsageError('no capture file given');
  if (path.filter((p) => p === '-').length > 1) throw new UsageError("standard input ('-') can be read only once");
  const index = Number(opts.connection);
  if (!Number.isInteger(index) || index < 0) throw new UsageError(`--connection ${opts.connection}: expected a connection number (see \`mpcap analyze\`)`);
  if (opts.direction !== 'c2s' && opts.direction !== 's2c') throw new UsageError(`--direction ${opts.direction}: expected c2s or s2c`);
  const dir = opts.direction;
  const toStdout = opts.output === undefined || opts.output === '-';
  // binary data on a terminal is refused, as gzip does: -o - says it is wanted there
  if (opts.output === undefined && (io.stdout as Writable & { isTTY?: boolean }).isTTY === true) {
    throw new UsageError('refusing to write binary data to a terminal: give -o FILE, or -o - to write it here anyway');
  }
  // a path that cannot be written is found before the capture is read
  const outStream: Writable = toStdout ? io.stdout : await openOutput(opts.output as string);
  const sink = new BinarySink(outStream);
  const pipeline = new Pipeline();
  const tracker = pipeline.tracker;
  let stream: DataStream | null = null;
  tracker.onConnection = (conn) => {
    if (conn.index === index) {
      stream = conn.data[dir];
      stream.sink = sink;
      // Known before the first byte: without it the sink stops at the first missing byte.
      stream.fillHoles = opts.fillHoles === true;
    }
  };
  const summary = await runPipeline(path, pipeline, { stdin: io.stdin as NodeJS.ReadableStream, afterChunk: () => sink.drain() });
  const found = stream as DataStream | null;
  let code: number = ExitCode.OK;
  if (!found) {
    await closeOut(sink, outStream, toStdout);
    const n = tracker.connections.length;
    // the user named something that is not there: their error (2), not an incomplete result
    throw new CommandFailure(`there is no MPTCP connection ${index} in ${path.join(', ')} (${n === 0 ? 'it has none' : `it has ${n}: 0 to ${n - 1}`}; see \`mpcap analyze\`)`, ExitCode.USAGE);
  }
  const holes = found.holes();
  found.flush(opts.fillHoles === true);
  await closeOut(sink, outStream, toStdout);
  const describe = (h: { start: number; end: number }): string => `DSN ${h.start}..${h.end - 1} (${h.end - h.start} byte${h.end - h.start === 1 ? '' : 's'})`;
  // Every byte the output lacks: holes, capture gaps (the receiver had them; the capture did
  // not), gaps skipped at a buffering cap, and payload cut by the snap length.
  const gaps = (list: ReadonlyArray<{ start: number; end: number; bytes: number }>, count: number, what: string): string[] => {
    const live = list.filter((g) => g.bytes > 0);
    const out = live.slice(0, 20).map((g) => `  ${what} at ${describe(g)}${g.bytes < g.end - g.start ? `, ${g.bytes} of them never seen` : ''}`);
    if (count > out.length) out.push(`  ... ${count - out.length} more ranges ${what}`);
    return out;
  };
  const missingBytes = holes.reduce((n, h) => n + h.end - h.start, 0) + found.notCapturedBytes + found.skippedBytes + found.snapLost;
  // (late bytes shrink a gap after the output moved past it: the output still lacks them)
  if (missingBytes > 0 || found.lateBytes > 0 || found.sinkStoppedAt !== null) {
    const lines = holes.slice(0, 20).map((h) => `  hole at ${describe(h)}`);
    if (holes.length > 20) lines.push(`  ... ${plural(holes.length - 20, 'more hole')}`);
    lines.push(...gaps(found.captureGaps, found.captureGapCount, 'not captured (the DATA_ACK shows the receiver had them)'));
    lines.push(...gaps(found.skippedGaps, found.skippedGapCount, 'skipped at the buffering cap'));
    if (found.snapLost > 0) lines.push(`  ${found.snapLost} byte${found.snapLost === 1 ? '' : 's'} cut from captured packets by the snap length`);
    if (found.lateBytes > 0) lines.push(`  ${found.lateBytes} bytes turned up after the output had moved past them`);
    if (opts.fillHoles) {
      io.stderr.write(`mpcap: filled with zeros: ${missingBytes + found.lateBytes} bytes the capture did not hold:\n${lines.join('\n')}\n`);
    } else {
      const at = found.sinkStoppedAt === null ? '' : ` (DSN ${found.sinkStoppedAt})`;
      io.stderr.write(`mpcap: connection ${index} ${dir} has bytes the capture never saw; wrote the ${sink.written} bytes before the first missing byte${at}:\n${lines.join('\n')}\n(use --fill-holes to write zeros in their place and go on)\n`);
      code = ExitCode.INCOMPLETE;
    }
  }
  if (found.dataFinConflicts.length > 0) io.stderr.write(`mpcap: warning: DATA_FINs at different DSNs (${found.dataFinConflicts.map((f) => `frame ${f.frame}: DSN ${f.dsn}`).join(', ')}); the DATA_FIN taken is the one at DSN ${found.dataFinRel}\n`);
  if (found.unmappedBytes > 0) io.stderr.write(`mpcap: warning: ${found.unmappedBytes} payload bytes of this direction had no DSS mapping (capture started mid-mapping, or fallback to TCP) and are not in the output\n`);
  const fatal = summary.problems.find((p) => p.fatal);
  if (fatal) {
    io.stderr.write(`mpcap: ${fatal.message}\n`);
    code = Math.max(code, ExitCode.DAMAGED);
  }
  return code;
}

async function closeOut(sink: BinarySink, out: Writable, toStdout: boolean): Promise<void> {
  await sink.end();
  if (!toStdout) await closeStream(out);
}
