/**
 * `live -w FILE`: every captured packet into a classic pcap file (draft-ietf-opsawg-pcap §4–5),
 * little-endian, µs or ns timestamps.
 *
 * Records are gathered into one buffer and written with `writeSync`, always whole: the header
 * first (at open), then only complete records. So the file on disk is a valid capture at every
 * moment, up to the last flush; the caller flushes once per batch of packets (not per packet) and
 * at the end, including on SIGINT/SIGTERM.
 */
import { closeSync, openSync, writeSync } from 'node:fs';

const FILE_HEADER_LEN = 24;
const RECORD_HEADER_LEN = 16;
const MAGIC_US = 0xa1b2c3d4;
const MAGIC_NS = 0xa1b23c4d;
const VERSION_MAJOR = 2;
const VERSION_MINOR = 4;
/** Flush when this much is buffered even within one batch, so memory stays bounded. */
const FLUSH_BYTES = 1 << 20;

export type TimePrecision = 'micro' | 'nano';

/** Where the records go instead of a file (`dissect -w -`): handed a copy of each flushed piece. */
export type PcapTarget = (bytes: Uint8Array) => void;

export class PcapWriter {
  private readonly fd: number;
  private buf: Buffer;
  private view: DataView;
  private len = 0;
  private closed = false;
  /** Packets and bytes written to the file so far (including buffered ones). */
  packets = 0;
  bytes = FILE_HEADER_LEN;

  /** Opens (truncates) `path`, or writes to `target`; throws the fs error as is. `begin()` writes the header. */
  constructor(
    readonly path: string,
    /** µs or ns records; may be changed until begin(). */
    public precision: TimePrecision,
    private readonly target: PcapTarget | null = null,
  ) {
    this.fd = target === null ? openSync(path, 'w') : -1;
    this.buf = Buffer.allocUnsafe(FLUSH_BYTES + 64 * 1024);
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  }

  /** Writes the file header at once (before any record). */
  begin(linkType: number, snapLen: number): void {
    const v = this.view;
    v.setUint32(0, this.precision === 'nano' ? MAGIC_NS : MAGIC_US, true);
    v.setUint16(4, VERSION_MAJOR, true);
    v.setUint16(6, VERSION_MINOR, true);
    v.setInt32(8, 0, true); // thiszone
    v.setUint32(12, 0, true); // sigfigs
    v.setUint32(16, snapLen, true);
    v.setUint32(20, linkType, true);
    this.len = FILE_HEADER_LEN;
    this.flush();
  }

  /** Appends one record; `data` is copied (ownership changes: the caller's buffer is reused). */
  write(tsSec: number, tsNsec: number, origLen: number, data: Uint8Array): void {
    if (this.closed) return;
    const need = RECORD_HEADER_LEN + data.length;
    if (this.len + need > this.buf.length) {
      this.flush();
      if (need > this.buf.length) this.grow(need);
    }
    const v = this.view;
    const at = this.len;
    v.setUint32(at, tsSec, true);
    v.setUint32(at + 4, this.precision === 'nano' ? tsNsec : Math.floor(tsNsec / 1000), true);
    v.setUint32(at + 8, data.length, true);
    v.setUint32(at + 12, Math.max(origLen, data.length), true);
    this.buf.set(data, at + RECORD_HEADER_LEN);
    this.len = at + need;
    this.packets++;
    this.bytes += need;
    if (this.len >= FLUSH_BYTES) this.flush();
  }

  /** Writes what is buffered (whole records only). */
  flush(): void {
    if (this.target !== null) {
      if (this.len > 0) this.target(Uint8Array.prototype.slice.call(this.buf, 0, this.len));
      this.len = 0;
      return;
    }
    let off = 0;
    while (off < this.len) off += writeSync(this.fd, this.buf, off, this.len - off);
    this.len = 0;
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    if (this.fd >= 0) closeSync(this.fd);
  }

  private grow(bytes: number): void {
    this.buf = Buffer.allocUnsafe(bytes);
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  }
}
