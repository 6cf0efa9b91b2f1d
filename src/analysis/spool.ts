/**
 * Connections written out before the end of the capture, so that `analyze` holds a bounded number
 * of subflows however many connections a capture opens (a flood of answered handshakes never
 * closes anything). When more than `budget` subflows are held, the connections least likely to
 * see another packet are turned into their report entries (the same `connectionJson` the report
 * makes at the end), appended to a temporary file, and released from the tracker: closed ones
 * first, then attempts nobody answered, then the longest idle. The report reads them back in
 * mptcp.stream order. A connection written out while open gets a problem saying so, and packets
 * that arrive for it later are counted (summary.packetsAfterRelease), not analysed.
 */
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Connection } from '../reassembly/model.js';
import type { MptcpTracker } from '../reassembly/tracker.js';
import { prettyJsonAt } from './report-json.js';

/**
 * A connection's entry as the text `analyze --json` writes for it (JSON.stringify(…, null, 2) at
 * the nesting of `connections[]`), handed to the JSON writers as it was read from the spool; the
 * other readers of the report parse it (see report.ts).
 */
export class RawJson {
  constructor(readonly text: string) {}
}

/** Nesting of a connection entry in the report: {"connections": [ here ] }. */
export const ENTRY_DEPTH = 2;

/** The temporary file could not be made or written (no TMPDIR, a full disk): the user's environment, not a bug. */
export class SpoolError extends Error {
  override readonly name = 'SpoolError';
}

/** Subflows held before connections are written out (`analyze --max-held`). */
export const DEFAULT_HELD_SUBFLOWS = 10_000;

/** What the spool needs of the report: one connection's entry, and whether nobody answered it. */
export interface SpoolEntryMaker {
  entry(conn: Connection, time: number): object;
  unanswered(conn: Connection): boolean;
}

/** Growable typed column (no object per spooled connection). */
class Column<T extends Float64Array | Int32Array | Uint8Array> {
  constructor(
    public data: T,
    private readonly make: (n: number) => T,
  ) {}
  set(i: number, v: number): void {
    if (i >= this.data.length) {
      const next = this.make(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[i] = v;
  }
}

const f64 = (n: number): Float64Array => new Float64Array(n);
const i32 = (n: number): Int32Array => new Int32Array(n);
const u8 = (n: number): Uint8Array => new Uint8Array(n);

/** Bytes of entries gathered before one write to the file. */
const WRITE_CHUNK = 1 << 16;

export class ConnectionSpool {
  /** Entries written (connections released into the spool), and those of them still open then. */
  count = 0;
  spilledOpen = 0;
  /** Unanswered attempts among them, and their sources (for the report's attempt summary). */
  unansweredCount = 0;
  private readonly index = new Column(i32(1024), i32);
  private readonly offset = new Column(f64(1024), f64);
  private readonly length = new Column(i32(1024), i32);
  private readonly bytes = new Column(f64(1024), f64);
  private readonly flags = new Column(u8(1024), u8);
  /** Each entry's subflows (tcp.stream), flat: entry i's are [subStart[i], subStart[i + 1]). */
  private readonly subStart = new Column(i32(1025), i32);
  private readonly subs = new Column(i32(1024), i32);
  private subCount = 0;
  private fd: number | null = null;
  private written = 0;
  /** Entries not yet written to the file, as UTF-8 (one write per WRITE_CHUNK bytes, no string joined). */
  private pending = Buffer.allocUnsafe(2 * WRITE_CHUNK);
  private pendingBytes = 0;
  private order: Int32Array | null = null;
  /** The source address of each unanswered attempt spooled (a Map would grow with a scan of distinct sources: capped by the report). */
  readonly attemptSources: Array<{ addr: string; startTime: number }> = [];

  constructor(
    private readonly tracker: MptcpTracker,
    private readonly maker: SpoolEntryMaker,
    readonly budget: number = DEFAULT_HELD_SUBFLOWS,
  ) {}

  /** After each packet: write connections out while more than the budget of subflows is held. */
  check(frame: number, time: number): void {
    if (this.tracker.state.heldSubflows <= this.budget) return;
    this.spill(frame, time);
  }

  private spill(frame: number, time: number): void {
    const t = this.tracker;
    const held: Connection[] = [];
    for (const c of t.heldConnections()) held.push(c);
    const rank = (c: Connection): number => (this.closed(c) ? 0 : this.maker.unanswered(c) ? 1 : 2);
    const ranks = new Map<Connection, number>();
    for (const c of held) ranks.set(c, rank(c));
    held.sort((a, b) => (ranks.get(a) as number) - (ranks.get(b) as number) || a.lastTime - b.lastTime || a.index - b.index);
    // down to three quarters of the budget, so that the next spill is a budget's quarter away
    const target = Math.floor(this.budget * 0.75);
    for (const c of held) {
      if (t.state.heldSubflows <= target) break;
      // the connection of the packet just processed stays: it is the one still talking
      if (c.lastTime === time && ranks.get(c) === 2 && held.length > 1) continue;
      this.write(c, ranks.get(c) as number, frame, time);
    }
  }

  private closed(c: Connection): boolean {
    if (c.fastClose !== null || (c.dataFin.client !== null && c.dataFin.server !== null)) return true;
    if (c.subflows.length === 0) return false;
    for (const i of c.subflows) if (this.tracker.subflows[i]?.end.how === 'open') return false;
    return true;
  }

  private write(c: Connection, rank: number, frame: number, time: number): void {
    const t = this.tracker;
    const open = rank === 2;
    if (open) {
      t.state.problem(c, 'written-out-open', frame, `written out at frame ${frame} while open: more than ${this.budget} subflows were held at once (analyze --max-held); packets of its subflows after this are counted, not analysed`);
      this.spilledOpen++;
    }
    const unanswered = rank === 1 || (rank === 0 && this.maker.unanswered(c));
    const text = prettyJsonAt(this.maker.entry(c, time), ENTRY_DEPTH);
    const n = this.count++;
    let bytes = 0;
    this.subStart.set(n, this.subCount);
    for (const i of c.subflows) {
      const s = t.subflows[i];
      if (s) bytes += s.payloadBytes.client + s.payloadBytes.server;
      this.subs.set(this.subCount++, s ? s.tcpStream : -1);
    }
    this.subStart.set(n + 1, this.subCount);
    // UTF-8 takes at most 3 bytes a UTF-16 unit
    if (this.pendingBytes + 3 * text.length > this.pending.length) {
      this.flushPending();
      if (3 * text.length > this.pending.length) this.pending = Buffer.allocUnsafe(3 * text.length);
    }
    const len = this.pending.write(text, this.pendingBytes, 'utf8');
    this.index.set(n, c.index);
    this.offset.set(n, this.written + this.pendingBytes);
    this.length.set(n, len);
    this.bytes.set(n, bytes);
    this.flags.set(n, (unanswered ? 1 : 0) | (open ? 2 : 0));
    if (unanswered) {
      this.unansweredCount++;
      const first = t.subflows[c.subflows[0] ?? -1];
      if (first) this.attemptSources.push({ addr: first.client.addr, startTime: first.startTime });
    }
    this.pendingBytes += len;
    if (this.pendingBytes >= WRITE_CHUNK) this.flushPending();
    t.release(c, frame, time);
  }

  private flushPending(): void {
    if (this.pendingBytes === 0) return;
    let n: number;
    try {
      if (this.fd === null) {
        // unlinked at once: the file lives as long as the descriptor, and nothing is left behind if mpcap dies
        const dir = mkdtempSync(join(tmpdir(), 'mpcap-spool-'));
        this.fd = openSync(join(dir, 'connections.ndjson'), 'w+');
        rmSync(dir, { recursive: true, force: true });
      }
      n = writeSync(this.fd, this.pending, 0, this.pendingBytes, this.written);
    } catch (e) {
      throw new SpoolError(`cannot write connections out to a temporary file in ${tmpdir()} (more than ${this.budget} subflows held: set TMPDIR, or raise --max-held): ${(e as Error).message}`);
    }
    if (n !== this.pendingBytes) throw new SpoolError(`cannot write connections out to a temporary file in ${tmpdir()}: wrote ${n} of ${this.pendingBytes} bytes (disk full?)`);
    this.written += n;
    this.pendingBytes = 0;
  }

  /** Entry numbers in mptcp.stream order (made once, when the report is read). */
  private sorted(): Int32Array {
    if (this.order !== null && this.order.length === this.count) return this.order;
    this.flushPending();
    const idx = this.index.data;
    const order = new Int32Array(this.count);
    for (let i = 0; i < order.length; i++) order[i] = i;
    order.sort((a, b) => (idx[a] as number) - (idx[b] as number));
    return (this.order = order);
  }

  /** Each entry's mptcp.stream, in order, with what the report counts without reading it. */
  *entries(): Iterable<SpooledEntry> {
    const order = this.sorted();
    for (let k = 0; k < order.length; k++) {
      const i = order[k] as number;
      const f = this.flags.data[i] as number;
      yield { entry: i, index: this.index.data[i] as number, bytes: this.bytes.data[i] as number, unanswered: (f & 1) !== 0, subflows: this.subflowsOf(i) };
    }
  }

  subflowsOf(entry: number): Int32Array {
    return this.subs.data.subarray(this.subStart.data[entry] as number, this.subStart.data[entry + 1] as number);
  }

  private buf = Buffer.allocUnsafe(1 << 16);

  /** Entry `entry`'s text, read back. */
  read(entry: number): string {
    this.flushPending();
    const len = this.length.data[entry] as number;
    if (this.buf.length < len) this.buf = Buffer.allocUnsafe(Math.max(len, this.buf.length * 2));
    const buf = this.buf;
    let at = 0;
    const pos = this.offset.data[entry] as number;
    while (at < len) {
      const n = readSync(this.fd as number, buf, at, len - at, pos + at);
      if (n === 0) throw new Error(`connection spool: entry ${entry} cut short`);
      at += n;
    }
    return buf.toString('utf8', 0, len);
  }

  /** Let the temporary file go (it was unlinked when made). */
  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

export interface SpooledEntry {
  entry: number;
  index: number;
  bytes: number;
  unanswered: boolean;
  subflows: Int32Array;
}
