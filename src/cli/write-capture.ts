/**
 * `dissect -w FILE`: the packets that pass -Y into a classic pcap file, as `tshark -r IN -Y … -w
 * OUT` (which writes pcapng; mpcap writes pcap, which every tool reads). The file takes the link
 * type, snap length and timestamp resolution of the input's first interface; a packet of another
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

  /** The first interface decides the file header. */
  interface(iface: CaptureInterface): void {
    if (this.linkType !== null) return;
    this.linkType = iface.linkType;
    this.writer.precision = iface.tsUnitsPerSec > 1e6 ? 'nano' : 'micro';
    this.writer.begin(iface.linkType, iface.snapLen === 0 ? MAX_SNAPLEN : iface.snapLen);
  }

  write(frame: Frame): void {
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
    if (this.linkType === null) this.interface({ linkType: 1, snapLen: MAX_SNAPLEN, tsUnitsPerSec: 1e6 } as CaptureInterface);
    this.writer.close();
    await this.sink?.end();
  }

  get packets(): number {
    return this.writer.packets;
  }
}
