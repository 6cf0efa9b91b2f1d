/**
 * Running mpcap from tests: in-process through `main()` with fake streams (fast, for small
 * outputs), or the built CLI (`node bin/mpcap.js`, needs `npm run build`) as a child process.
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { main } from '../../src/cli/main.ts';
import { repoRoot } from './corpus.ts';

export const binPath = path.join(repoRoot, 'bin', 'mpcap.js');
export const distMain = path.join(repoRoot, 'dist', 'cli', 'main.js');
export const hasDist = existsSync(distMain);
export const NO_DIST = 'dist/ is missing: run `npm run build` (or `npm test`, which builds first)';

/** A Writable that keeps what is written; `isTTY` can be set to pretend to be a terminal. */
export class TextSink extends Writable {
  private chunks: Buffer[] = [];
  isTTY?: boolean;
  columns = 120;

  constructor(opts: { isTTY?: boolean } = {}) {
    super();
    if (opts.isTTY !== undefined) this.isTTY = opts.isTTY;
  }

  override _write(chunk: Buffer | string, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    cb();
  }

  get text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Bytes for standard input (default: empty). */
  stdin?: Uint8Array;
  /** Environment; default: none at all (so no NO_COLOR/FORCE_COLOR leaks in from the runner). */
  env?: Record<string, string | undefined>;
  /** Pretend stdout is a terminal. */
  tty?: boolean;
}

/** `mpcap ARGV...` in-process. */
export async function runMain(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
  const stdout = new TextSink(opts.tty === undefined ? {} : { isTTY: opts.tty });
  const stderr = new TextSink();
  const stdin = Readable.from(opts.stdin ? [Buffer.from(opts.stdin)] : []);
  const code = await main(argv, { stdin, stdout, stderr, env: opts.env ?? {} });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

function childEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  // The test runner may set these; a child must decide colours on its own unless a test says.
  for (const k of ['FORCE_COLOR', 'NO_COLOR']) if (!(k in extra)) delete env[k];
  return env;
}

/** `node bin/mpcap.js ARGS...` synchronously (the built CLI). */
export function runBin(args: string[], opts: { input?: Uint8Array; env?: Record<string, string | undefined> } = {}): RunResult {
  const r = spawnSync(process.execPath, [binPath, ...args], {
    cwd: repoRoot,
    input: opts.input,
    env: childEnv(opts.env),
    maxBuffer: 1 << 30,
  });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8') };
}

/** The same, asynchronously, so that several runs (and tshark runs) can overlap. */
export function runBinAsync(args: string[]): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, [binPath, ...args], { cwd: repoRoot, env: childEnv(), maxBuffer: 1 << 30, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err && typeof (err as { code?: unknown }).code !== 'number') reject(err);
      else resolve({ code: child.exitCode ?? (err ? Number((err as { code?: unknown }).code) : 0), stdout, stderr });
    });
  });
}
