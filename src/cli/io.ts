/**
 * The CLI's view of the outside world, so that `main()` can be driven from tests.
 */
import { mkdir, open, stat, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Readable, Writable } from 'node:stream';

export { BinarySink, OutputSink } from '../analysis/output-sink.js';

export interface CliIo {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
  env: Record<string, string | undefined>;
}

/** Exit codes (documented in the README). */
export const ExitCode = {
  OK: 0,
  /** A bug in mpcap: an exception nobody expected. */
  INTERNAL: 1,
  /** Bad command line. */
  USAGE: 2,
  /** The input could not be opened or is not a capture file. */
  INPUT: 3,
  /** The capture is damaged (cut short, lying lengths): everything before the damage was analysed. */
  DAMAGED: 4,
  /** The requested result is incomplete: e.g. `extract` found holes and --fill-holes was not given. */
  INCOMPLETE: 5,
  /** Live capture could not start (no permission, no such interface, libpcap binding missing). */
  CAPTURE: 6,
} as const;

export function useColor(stream: Writable, env: Record<string, string | undefined>, flag?: boolean): boolean {
  // an explicit flag wins over the environment (NO_COLOR, FORCE_COLOR), which wins over the terminal
  if (flag === false) return false;
  if (flag === true) return true;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return (stream as { isTTY?: boolean }).isTTY === true;
}


/**
 * A file to write a result to, opened before any work so that a bad path is the user's error
 * (exit 2) with a message that names the path, never a crash after the work is done.
 */
export async function openOutput(path: string): Promise<Writable> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'w');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why =
      err.code === 'EISDIR' ? 'it is a directory' : err.code === 'ENOENT' ? 'its directory does not exist' : err.code === 'ENOTDIR' ? 'a part of the path is not a directory' : err.code === 'EACCES' || err.code === 'EPERM' ? 'permission denied' : err.message;
    throw new OutputError(`cannot write '${path}': ${why}`);
  }
  const stream = handle.createWriteStream();
  stream.on('error', () => {}); // reported by closeStream / the sink
  return stream;
}

/**
 * The directory `--csv DIR` writes into, checked before any work: an existing directory, or a new
 * one whose parent exists (made here, and only it: a mistyped path is not created silently).
 */
export async function prepareDirectory(path: string, option: string): Promise<void> {
  const st = await stat(path).catch((e: NodeJS.ErrnoException) => e);
  if (!(st instanceof Error)) {
    if (st.isDirectory()) return;
    throw new OutputError(`${option} ${path}: '${path}' is a file, not a directory (${option} takes a directory: ${option} DIR CAPTURE)`);
  }
  if (st.code === 'ENOTDIR') throw new OutputError(`${option} ${path}: a part of the path is not a directory`);
  if (st.code !== 'ENOENT') throw new OutputError(`${option} ${path}: ${st.message}`);
  try {
    await mkdir(path);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? `its parent directory '${dirname(path)}' does not exist (mpcap makes only the last directory of the path)` : err.code === 'ENOTDIR' ? 'a part of the path is not a directory' : err.code === 'EACCES' || err.code === 'EPERM' ? 'permission denied' : err.message;
    throw new OutputError(`${option} ${path}: cannot make the directory: ${why}`);
  }
}

/** End a stream opened by openOutput and wait until it is on disk (or say why not). */
export async function closeStream(stream: Writable): Promise<void> {
  await new Promise<void>((resolve, reject) => stream.end((err?: Error | null) => (err ? reject(new OutputError(`writing the output failed: ${err.message}`)) : resolve())));
}

/** The output path given cannot be written. */
export class OutputError extends Error {
  override readonly name = 'OutputError';
}
