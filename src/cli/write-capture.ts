/**
 * `dissect -w FILE`: the packets that pass -Y into a classic pcap file, as `tshark -r IN -Y … -w
 * OUT` (which writes pcapng; mpcap writes pcap, which every tool reads). The file takes the link
 * type and snap length of the input's first interface, and nanosecond timestamps when any interface
 * known before the first packet has more than microseconds (several files: a µs pcap with a ns
 * one keeps the ns packets' nanoseconds); a packet of another
 * link type (a pcapng with several kinds of interface) cannot go into one pcap file: it is left
 * out and counted. `-w -` writes to standard output.
 */
import type { Writable } from 'node:stream';
import type { CaptureInterface } from '../dissect/capture/types.js';
import type { Frame } from '../dissect/frame.js';
import { PcapWriter } from '../live/pcap-writer.js';
import { BinarySink } from './io.js';
import { UsageError } from './errors.js';

/** pcap's snaplen when the input says "no limit" (pcapng snaplen 0): libpcap's maximum. */
const MAX_SNAPLEN = 262_144;

export class CaptureOutput {
  private readonly writer: PcapWriter;
  private readonly sink: BinarySink | null;
  private linkType: number | null = null;
  private snapLen = MAX_SNAPLEN;
  private begun = false;
  /** Packets left out because their link type differs from the file's. */
  skipped = 0;
  firstSkipped: { frame: number; linkType: number } | null = null;

  constructor(readonly path: string, stdout: Writable) {
    if (path === '-') {
      const sink = new BinarySink(stdout);
      this.sink = sink;
      this.writer = new PcapWriter(path, 'micro', (b) => sink.write(b));
      return;
    }
    this.sink = null;
    try {
      this.writer = new PcapWriter(path, 'micro');
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      const why = err.code === 'EISDIR' ? 'it is a directory' : err.code === 'ENOENT' ? 'its directory does not exist' : err.code === 'ENOTDIR' ? 'a part of the path is not a directory' : err.code === 'EACCES' || err.code === 'EPERM' ? 'permission denied' : err.message;
      throw new UsageError(`-w: cannot write '${path}': ${why}`);
    }
  }

  /** The first interface decides the link type and snap length; any finer than µs, the precision. */
  interface(iface: CaptureInterface): void {
    if (this.begun) return;
    if (iface.tsUnitsPerSec > 1e6) this.writer.precision = 'nano';
    if (this.linkType !== null) return;
    this.linkType = iface.linkType;
    this.snapLen = iface.snapLen === 0 ? MAX_SNAPLEN : iface.snapLen;
  }

  /** The file header, once the interfaces told before the first packet are known. */
  private begin(): void {
    if (this.begun) return;
    this.begun = true;
    this.writer.begin(this.linkType ?? 1, this.snapLen);
  }

  write(frame: Frame): void {
    this.begin();
    if (frame.linkType !== this.linkType) {
      this.skipped++;
      this.firstSkipped ??= { frame: frame.number, linkType: frame.linkType };
      return;
    }
    this.writer.write(frame.tsSec, frame.tsNsec, frame.origLen, frame.data);
  }

  /** Once per input chunk: what is buffered goes out (and waits for a slow reader of stdout). */
  async flush(): Promise<void> {
    this.writer.flush();
    await this.sink?.drain();
  }

  /** Ends the file; one written even when no packet passed (a header only, as tshark does). */
  async end(): Promise<void> {
    this.begin();
    this.writer.close();
    await this.sink?.end();
  }

  get packets(): number {
    return this.writer.packets;
  }
}
