/**
 * Live capture from an interface with libpcap, through mpcap's own binding (native/libpcap, the
 * optional package `mpcap-libpcap`, loaded here and only here, so that everything else works
 * when it was not built).
 *
 * What the binding gives (see native/libpcap/src/binding.c and README "Live capture"):
 * - libpcap's header for every packet: the kernel's timestamp (ns when --time-stamp-precision
 *   nano and the platform offers it), caplen and len (the length on the wire);
 * - libpcap's own snap length (-s), buffer size (-B), immediate mode and BPF filter;
 * - pcap_stats(): ps_recv, ps_drop (the kernel's drops: the ring was full), ps_ifdrop;
 * - packets in batches: one call per batch, headers in a reused Uint32Array, bytes in a reused
 *   Buffer. A Frame's `data` is a view into that Buffer, valid during onFrame only.
 */
import { createRequire } from 'node:module';
import type { Frame } from '../dissect/frame.js';
import { LinkType } from '../dissect/frame.js';
import type { LiveFrameHandler, PacketSource, SourceEnd, SourceStats } from './source.js';
import type { TimePrecision } from './pcap-writer.js';

/** The binding's API (native/libpcap/src/binding.c). */
interface Binding {
  open(o: { device: string; filter: string; snapLen: number; bufferBytes: number; immediate: boolean; timeoutMs: number; nano: boolean; promisc: boolean }): OpenResult;
  start(handle: unknown, headers: Uint32Array, data: Buffer, onBatch: (count: number, error?: string) => void): void;
  stats(handle: unknown): [number, number, number];
  close(handle: unknown): void;
  devices(): string[];
  libVersion(): string;
}
interface OpenResult {
  handle: unknown;
  /** DLT_* of the opened device. */
  linkType: number;
  /** libpcap's snap length (pcap_snapshot). */
  snapLen: number;
  /** Whether libpcap gives nanosecond timestamps. */
  nano: boolean;
  /** A pcap_activate warning ('' when none). */
  warning: string;
}

export const BINDING_MODULE = 'mpcap-libpcap';
/** Header words per packet in the batch (binding.c HDR_WORDS): seconds, fraction, caplen, len. */
const HDR_WORDS = 4;
const BATCH_PACKETS = 4096;
const BATCH_BYTES = 8 << 20;
const NS_PER_US = 1000;
const PCAP_FILE_HEADER = 24;
const PCAP_RECORD_HEADER = 16;
/** DLT_RAW is 12 on Linux (14 on OpenBSD); in a file it is LINKTYPE_RAW (pcap-common.c). */
const DLT_RAW_LINUX = 12;
const DLT_RAW_OPENBSD = 14;
const U32 = 2 ** 32;
/** libpcap's read timeout, which immediate mode ignores. */
const READ_TIMEOUT_MS = 10;

/** Why the capture cannot start, and what to do about it. Exit code 6. */
export class CaptureStartError extends Error {
  override readonly name = 'CaptureStartError';
}

/** A bad -f expression (libpcap could not compile it): a usage error. */
export class FilterError extends Error {
  override readonly name = 'FilterError';
}

const INSTALL_HINT =
  'install libpcap-dev and a C compiler (Debian/Ubuntu: apt-get install libpcap-dev build-essential), then reinstall mpcap ' +
  `(npm ci, or npm rebuild ${BINDING_MODULE}); or read a capture from standard input instead: tcpdump -U -w - -i IFACE | mpcap live -r -`;

function loadBinding(moduleName: string): Binding {
  const require = createRequire(import.meta.url);
  try {
    return require(moduleName) as Binding;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const msg = err.message.split('\n')[0] ?? '';
    if (err.code === 'MODULE_NOT_FOUND' && msg.includes(`'${moduleName}'`)) {
      throw new CaptureStartError(`live capture needs mpcap's libpcap binding (the optional package '${moduleName}'), which is not installed: ${INSTALL_HINT}`);
    }
    if (err.code === 'MODULE_NOT_FOUND' || msg.includes('.node')) {
      throw new CaptureStartError(`mpcap's libpcap binding ('${moduleName}') was not built when mpcap was installed: ${INSTALL_HINT}`);
    }
    if (msg.includes('libpcap')) throw new CaptureStartError(`mpcap's libpcap binding cannot load libpcap (${msg}): install libpcap (apt-get install libpcap0.8)`);
    throw new CaptureStartError(`mpcap's libpcap binding cannot be loaded: ${msg}; ${INSTALL_HINT}`);
  }
}

/** LINKTYPE_* (what the dissectors and a -w file use) of a DLT_* value. */
export function linkTypeOfDlt(dlt: number): number {
  return dlt === DLT_RAW_LINUX || dlt === DLT_RAW_OPENBSD ? LinkType.RAW : dlt;
}

export interface PcapSourceOptions {
  iface: string;
  filter: string;
  snapLen: number;
  bufferBytes: number;
  precision: TimePrecision;
  /** Module to load (BINDING_MODULE; tests name a missing one). */
  moduleName: string;
}

/**
 * Opens the interface at once (so that every failure is known before anything is printed):
 * throws CaptureStartError (exit 6) or FilterError (usage).
 */
export function openPcapSource(opts: PcapSourceOptions): PcapSource {
  const lib = loadBinding(opts.moduleName);
  let names: string[] = [];
  try {
    names = lib.devices();
  } catch {
    names = [];
  }
  // Asked first, so that a wrong name gets a clear message.
  if (names.length > 0 && !names.includes(opts.iface)) {
    throw new CaptureStartError(`no such interface '${opts.iface}' (in this network namespace, libpcap sees: ${names.join(', ')}); 'any' captures on all of them`);
  }
  let opened: OpenResult;
  try {
    opened = lib.open({
      device: opts.iface,
      filter: opts.filter,
      snapLen: opts.snapLen,
      bufferBytes: opts.bufferBytes,
      // Immediate mode (on Linux TPACKET_V2: each packet as it comes, in a ring of slots as large
      // as the snap length). Not TPACKET_V3's denser blocks: read this way (non-blocking, from
      // libuv) between namespaces, the last packets of a transfer were never handed over (in one
      // run 34 that tcpdump saw, 6 of them counted in ps_recv), a silent loss. The binding keeps
      // the choice.
      immediate: true,
      timeoutMs: READ_TIMEOUT_MS,
      nano: opts.precision === 'nano',
      promisc: opts.iface !== 'any',
    });
  } catch (e) {
    const err = e as Error & { code?: string };
    const msg = err.message;
    switch (err.code) {
      case 'PCAP_ERROR_PERM_DENIED':
      case 'PCAP_ERROR_PROMISC_PERM_DENIED':
        throw new CaptureStartError(
          `no permission to capture on '${opts.iface}' (${msg}): run as root, or give node the capture capabilities: ` +
            'sudo setcap cap_net_raw,cap_net_admin=eip "$(readlink -f "$(which node)")"',
        );
      case 'PCAP_ERROR_NO_SUCH_DEVICE':
      case 'PCAP_ERROR_IFACE_NOT_UP':
        throw new CaptureStartError(`cannot capture on '${opts.iface}': ${msg} (is the interface up, and in this network namespace?)`);
      case 'PCAP_FILTER':
        throw new FilterError(`bad capture filter '${opts.filter}': ${msg} (see man pcap-filter)`);
      default:
        throw new CaptureStartError(`cannot capture on '${opts.iface}': ${msg}`);
    }
  }
  return new PcapSource(lib, opened, opts);
}

/** A 32-bit counter of libpcap (u_int) as a number that goes on past 2^32. */
class Counter {
  private raw = 0;
  total = 0;
  update(raw: number): number {
    this.total += (raw - this.raw + U32) % U32;
    this.raw = raw;
    return this.total;
  }
}

export class PcapSource implements PacketSource {
  readonly name: string;
  readonly timestamps = 'kernel' as const;
  readonly linkType: number;
  /** libpcap's snap length, written in a -w file's header. */
  readonly snapLen: number;
  /** The timestamps libpcap gives: 'nano' only when asked and offered. */
  readonly precision: TimePrecision;
  /** pcap_activate's warning, '' when none (e.g. promiscuous mode not supported). */
  readonly warning: string;
  private stopped = false;
  private truncated = 0;
  private finish: (() => void) | null = null;
  private failure: unknown = null;
  private readonly recv = new Counter();
  private readonly drop = new Counter();
  private readonly ifdrop = new Counter();
  private statsError: string | null = null;

  constructor(
    private readonly lib: Binding,
    private readonly opened: OpenResult,
    opts: PcapSourceOptions,
  ) {
    this.name = `live:${opts.iface}`;
    this.linkType = linkTypeOfDlt(opened.linkType);
    this.snapLen = opened.snapLen;
    this.precision = opened.nano ? 'nano' : 'micro';
    this.warning = opened.warning;
  }

  run(onFrame: LiveFrameHandler): Promise<SourceEnd> {
    const frame: Frame = { number: 0, tsSec: 0, tsNsec: 0, capLen: 0, origLen: 0, linkType: this.linkType, interfaceId: 0, fileOffset: 0, data: new Uint8Array(0) };
    const headers = new Uint32Array(BATCH_PACKETS * HDR_WORDS);
    const data = Buffer.allocUnsafe(Math.max(BATCH_BYTES, 2 * this.snapLen));
    const fracToNs = this.precision === 'nano' ? 1 : NS_PER_US;
    // Offsets as in the -w file, for messages that name a packet's place.
    let offset = PCAP_FILE_HEADER;
    const done = new Promise<SourceEnd>((resolve, reject) => {
      this.finish = () => (this.failure !== null ? reject(this.failure) : resolve({ problems: [], problemCount: 0, format: 'pcap' }));
    });
    this.lib.start(this.opened.handle, headers, data, (count, error) => {
      let at = 0;
      try {
        for (let i = 0; i < count && !this.stopped; i++) {
          const h = i * HDR_WORDS;
          const capLen = headers[h + 2] as number;
          const origLen = headers[h + 3] as number;
          frame.number++;
          frame.fileOffset = offset;
          offset += PCAP_RECORD_HEADER + capLen;
          frame.tsSec = headers[h] as number;
          frame.tsNsec = (headers[h + 1] as number) * fracToNs;
          frame.capLen = capLen;
          frame.origLen = origLen;
          frame.data = data.subarray(at, at + capLen);
          at += capLen;
          if (capLen < origLen) this.truncated++;
          if (onFrame(frame) === false) this.stop();
        }
        if (error !== undefined && !this.stopped) {
          this.failure = new CaptureStartError(`the capture on '${this.name.slice(5)}' failed: ${error}`);
          this.stop();
        }
      } catch (e) {
        this.failure = e;
        this.stop();
      }
    });
    return done;
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.readStats(); // the last counts, then the binding keeps them for later calls
    this.lib.close(this.opened.handle);
    // Resolve on a later turn: stop() may be called from inside the batch callback.
    setImmediate(() => this.finish?.());
  }

  private readStats(): void {
    try {
      const [recv, drop, ifdrop] = this.lib.stats(this.opened.handle);
      this.recv.update(recv);
      this.drop.update(drop);
      this.ifdrop.update(ifdrop);
    } catch (e) {
      this.statsError = (e as Error).message;
    }
  }

  stats(): SourceStats {
    if (!this.stopped) this.readStats();
    const ok = this.statsError === null;
    return {
      received: ok ? this.recv.total : null,
      kernelDropped: ok ? this.drop.total : null,
      ifDropped: ok ? this.ifdrop.total : null,
      dropsNote: ok ? null : `pcap_stats() failed: ${this.statsError}`,
      truncated: this.truncated,
    };
  }
}
