/**
 * One capture set exported: its content hash (the `capture=ID` partition), analyze's analysis of
 * it, its rows into a ParquetCaptureWriter, and the files moved into the dataset. A set already in
 * the dataset (same hash) is skipped unless `force`. Each table's directory is written beside the
 * dataset first and renamed into place, `captures` last: a capture whose `captures` partition is
 * there is complete, and a crash leaves no half capture that a later run would skip.
 */
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Analysis } from '../analysis/analysis.js';
import { runPipeline } from '../analysis/pipeline.js';
import { CaptureFormatError, InputError } from '../dissect/errors.js';
import { hashSet, IdTee, unreadableId } from './capture-id.js';
import { TABLES } from './columns.js';
import { PACKETS_TABLE, PacketRows } from './packets.js';
import { ParquetCaptureWriter } from './parquet-writer.js';
import { failedCaptureRow, reportRows } from './rows.js';

export interface ExportResult {
  id: string;
  files: string[];
  status: 'exported' | 'skipped' | 'failed';
  /** analyze's exit code for it: 0, 3 (unreadable, not a capture), 4 (damaged: read up to the damage). */
  exitCode: number;
  error: string | null;
  packets: number;
}

export function partitionDir(out: string, table: string, id: string): string {
  return join(out, table, `capture=${id}`);
}

export { captureId } from './capture-id.js';

/** Whether the dataset has any capture yet (none: nothing can be skipped, the hash need not come first). */
export async function hasCaptures(out: string): Promise<boolean> {
  return ((await readdir(join(out, 'captures')).catch(() => [] as string[])).some((n) => n.startsWith('capture=')));
}

export async function isExported(out: string, id: string): Promise<boolean> {
  return (await stat(partitionDir(out, 'captures', id)).catch(() => null))?.isDirectory() === true;
}

export interface ExportOptions {
  force: boolean;
  /** Also the per-packet table (`--packets`). */
  packets: boolean;
  /** What wrote the dataset ("mpcap VERSION"), as analyze --json's generator. */
  generator: string;
  /**
   * Whether the dataset had a capture when this run began (the CLI looks once). When it had none,
   * no set can be skipped before it is read (only one this run exported already, seen after its
   * analysis), so the hash is made from the bytes the analysis reads. Unset: looked at per set.
   */
  datasetHadCaptures?: boolean;
}

export async function exportCaptureSet(files: string[], out: string, opts: ExportOptions): Promise<ExportResult> {
  const force = opts.force;
  // first when the dataset may have this capture already (then skipped unread, unless --force);
  // otherwise one file is hashed from the bytes the analysis reads (no second read), several on
  // the hash thread for a big set (capture-id.ts) while the analysis reads them
  let hashing: Promise<{ id: string | null; error: string | null }> | null = null;
  const startHash = (): Promise<{ id: string | null; error: string | null }> =>
    (hashing ??= hashSet(files).then(
      (id) => ({ id, error: null }),
      (e: unknown) => ({ id: null, error: e instanceof Error ? e.message : String(e) }),
    ));
  const hashed = async (): Promise<ExportResult | string> => {
    const h = await startHash();
    // unreadable: recorded under the hash of its names, so that a re-run records it once
    return h.id ?? (await writeFailed(files, out, unreadableId(files), h.error as string, 3, opts.generator));
  };
  const first = !force && (opts.datasetHadCaptures ?? (await hasCaptures(out)));
  if (first) {
    const id = await hashed();
    if (typeof id !== 'string') return id;
    if (await isExported(out, id)) return { id, files, status: 'skipped', exitCode: 0, error: null, packets: 0 };
  }
  const tee = !first && files.length === 1 ? await IdTee.of(files[0] as string) : null;
  if (!first && tee === null) void startHash();
  const analysis = new Analysis();
  const staging = await makeStaging(out);
  const w = new ParquetCaptureWriter(staging, opts.generator);
  try {
    let packets: PacketRows | null = null;
    if (opts.packets) {
      await mkdir(join(staging, PACKETS_TABLE.name));
      packets = new PacketRows(join(staging, PACKETS_TABLE.name), opts.generator);
      analysis.pipeline.subscribe(packets);
    }
    let summary;
    try {
      // never standard input ('-' is refused: a capture is named by its bytes); no process.stdin in a worker
      summary = await runPipeline(files, analysis.pipeline, { stdin: Readable.from([]), ...(tee ? { onFileBytes: tee.update } : {}) });
    } catch (e) {
      w.close();
      const id = await hashed();
      if (typeof id !== 'string') return id;
      if (e instanceof InputError || e instanceof CaptureFormatError) return await writeFailed(files, out, id, e.message, 3, opts.generator);
      // a bug on one capture is recorded with it (exit 1, as analyze's) and the others go on
      return await writeFailed(files, out, id, `internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`, 1, opts.generator);
    }
    packets?.finish();
    const id = tee?.digest() ?? (await hashed());
    if (typeof id !== 'string') return id;
    // exported meanwhile by this run (the same bytes under another name)
    if (!first && !force && (await isExported(out, id))) return { id, files, status: 'skipped', exitCode: 0, error: null, packets: 0 };
    let exitCode = 0;
    let error: string | null = null;
    for (const input of summary.inputs) {
      const fatal = input.summary.problems.find((p) => p.fatal);
      if (fatal) {
        exitCode = 4;
        error = `${input.path}: the capture is damaged: read up to byte ${fatal.offset} (${fatal.message})`;
      }
    }
    const parts = analysis.parts(files[0] as string, summary, opts.generator);
    reportRows(parts, w, { error, exitCode });
    w.finish();
    await place(staging, out, id, packets !== null);
    return { id, files, status: 'exported', exitCode, error, packets: summary.frames };
  } finally {
    w.close();
    await rm(staging, { recursive: true, force: true });
  }
}

/** Record a set that could not be exported (its worker died) under the hash of its names. */
export function recordFailure(files: string[], out: string, error: string, exitCode: number, generator: string): Promise<ExportResult> {
  return writeFailed(files, out, unreadableId(files), error, exitCode, generator);
}


async function writeFailed(files: string[], out: string, id: string, error: string, exitCode: number, generator: string): Promise<ExportResult> {
  const staging = await makeStaging(out);
  const w = new ParquetCaptureWriter(staging, generator);
  try {
    failedCaptureRow({ file: files[0] as string, files: files.length, error, exitCode, generator }, w);
    w.finish();
    await place(staging, out, id, false);
  } finally {
    w.close();
    await rm(staging, { recursive: true, force: true });
  }
  return { id, files, status: 'failed', exitCode, error, packets: 0 };
}

async function makeStaging(out: string): Promise<string> {
  const staging = join(out, `.staging-${process.pid}-${Math.random().toString(36).slice(2, 10)}`);
  await mkdir(staging, { recursive: true });
  return staging;
}

/** Rename each table's directory from the staging one into place, `captures` last. */
async function place(staging: string, out: string, id: string, packets: boolean): Promise<void> {
  await rm(partitionDir(out, 'captures', id), { recursive: true, force: true });
  const tables = [...(packets ? [PACKETS_TABLE] : []), ...TABLES.filter((t) => t.name !== 'captures'), ...TABLES.filter((t) => t.name === 'captures')];
  for (const t of tables) {
    const dest = partitionDir(out, t.name, id);
    await mkdir(join(out, t.name), { recursive: true });
    await rm(dest, { recursive: true, force: true });
    await rename(join(staging, t.name), dest);
  }
}
