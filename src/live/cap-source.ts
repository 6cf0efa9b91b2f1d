/**
 * Live capture from an interface with libpcap, through the `cap` binding (an optional
 * dependency, loaded here and only here, so that everything else works when it is not built).
 *
 * What cap 0.2.x gives, and what follows:
 * - Its 'packet' event is synchronous, for one packet copied into the one Buffer given at open:
 *   the packet is decoded in the callback, before the next one overwrites it.
 * - It passes only the copied length and a "did not fit" flag: no timestamp and no length on the
 *   wire. Timestamps are therefore mpcap's wall clock when the callback runs (monotonic, from
 *   performance.now() anchored to the epoch at start), and the wire length comes from the IP
 *   header when the packet was cut (wire-length.ts).
 * - libpcap's snap length is fixed at 65535 inside cap; `-s` smaller than that is applied by the
 *   size of our buffer. Immediate mode is on (packets are delivered as they come).
 * - It does not expose pcap_stats(): kernel drop counts cannot be reported.
 */
import { createRequire } from 'node:module';
import type { Frame } from '../dissect/frame.js';
import { LinkType } from '../dissect/frame.js';
import type { LiveFrameHandler, PacketSource, SourceEnd, SourceStats } from './source.js';
import { wireLength } from './wire-length.js';
import type { TimePrecision } from './pcap-writer.js';

/** The part of cap's API used here (it ships no types). */
interface CapHandle {
  open(device: string, filter: string, bufSize: number, buffer: Buffer): string;
  close(): boolean;
  on(event: 'packet', listener: (nbytes: number, truncated: boolean) => void): void;
  removeAllListeners(event?: string): void;
}
interface CapModule {
  Cap: { new (): CapHandle; deviceList(): Array<{ name: string; description?: string }> };
}

/** libpcap's snap length inside cap (binding.cc: pcap_set_snaplen(handle, 65535)). */
export const CAP_SNAPLEN = 65_535;
const NS_PER_MS = 1e6;
const NS_PER_S = 1e9;
const MS_PER_S = 1000;
const NS_PER_US = 1000;
const PCAP_FILE_HEADER = 24;
const PCAP_RECORD_HEADER = 16;

/** Why the capture cannot start, and what to do about it. Exit code 6. */
export class CaptureStartError extends Error {
  override readonly name = 'CaptureStartError';
}

/** A bad -f expression (libpcap could not compile it): a usage error. */
export class FilterError extends Error {
  override readonly name = 'FilterError';
}

const INSTALL_HINT =
  'install libpcap-dev (Debian/Ubuntu: apt-get install libpcap-dev) and a C++ toolchain, then reinstall mpcap ' +
  '(npm ci, or npm rebuild cap); or read a capture from standard input instead: tcpdump -U -w - -i IFACE | mpcap live -r -';

function loadCap(moduleName: string): CapModule {
  const require = createRequire(import.meta.url);
  try {
    return require(moduleName) as CapModule;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const msg = err.message.split('\n')[0] ?? '';
    if (err.code === 'MODULE_NOT_FOUND' && msg.includes(`'${moduleName}'`)) {
      throw new CaptureStartError(`live capture needs the optional 'cap' package (libpcap binding), which is not installed: ${INSTALL_HINT}`);
    }
    if (msg.includes('cap.node') || err.code === 'MODULE_NOT_FOUND') {
      throw new CaptureStartError(`the 'cap' package (libpcap binding) is installed but was not built: ${INSTALL_HINT}`);
    }
    if (msg.includes('NODE_MODULE_VERSION') || msg.includes('different Node.js version')) {
      throw new CaptureStartError(`the 'cap' package was built for another Node.js version: run npm rebuild cap (${msg})`);
    }
    if (msg.includes('libpcap')) throw new CaptureStartError(`the 'cap' package cannot load libpcap (${msg}): install libpcap (apt-get install libpcap0.8)`);
    throw new CaptureStartError(`the 'cap' package (libpcap binding) cannot be loaded: ${msg}; ${INSTALL_HINT}`);
  }
}

/** cap names the link type it opened ('ETHERNET', 'Unknown linktype 276'...): back to LINKTYPE_*. */
export function capLinkType(name: string): number | null {
  switch (name) {
    case 'ETHERNET':
      return LinkType.ETHERNET;
    case 'LINKTYPE_LINUX_SLL':
      return LinkType.LINUX_SLL;
    case 'RAW':
      return LinkType.RAW;
    case 'NULL':
      return LinkType.NULL;
    default: {
      const m = /^Unknown linktype (\d+)$/.exec(name);
      return m ? Number(m[1]) : null;
    }
  }
}

const PERMISSION_RE = /operation not permitted|permission denied|you don't have permission/i;
const NO_DEVICE_RE = /no such device|doesn't exist|does not exist/i;
const FILTER_RE = /filter expression|syntax error|parse filter|illegal token|unknown host|unknown port/i;

export interface CapSourceOptions {
  iface: string;
  filter: string;
  snapLen: number;
  bufferBytes: number;
  precision: TimePrecision;
  /** Module to load ('cap'; tests name a missing one). */
  moduleName: string;
}

/**
 * Opens the interface at once (so that every failure is known before anything is printed):
 * throws CaptureStartError (exit 6) or FilterError (usage).
 */
export function openCapSource(opts: CapSourceOptions): CapSource {
  const mod = loadCap(opts.moduleName);
  let names: string[] = [];
  try {
    names = mod.Cap.deviceList().map((d) => d.name);
  } catch {
    names = [];
  }
  // Asked first, so that a wrong name gets a clear message (and libpcap no warning on stderr).
  if (names.length > 0 && !names.includes(opts.iface)) {
    throw new CaptureStartError(`no such interface '${opts.iface}' (in this network namespace, libpcap sees: ${names.join(', ')}); 'any' captures on all of them`);
  }
  const cap = new mod.Cap();
  const buffer = Buffer.alloc(Math.min(opts.snapLen, CAP_SNAPLEN));
  let linkName: string;
  try {
    linkName = cap.open(opts.iface, opts.filter, opts.bufferBytes, buffer);
  } catch (e) {
    const msg = (e as Error).message;
    if (PERMISSION_RE.test(msg)) {
      throw new CaptureStartError(
        `no permission to capture on '${opts.iface}' (${msg}): run as root, or give node the capture capabilities: ` +
          'sudo setcap cap_net_raw,cap_net_admin=eip "$(readlink -f "$(which node)")"',
      );
    }
    if (NO_DEVICE_RE.test(msg)) throw new CaptureStartError(`cannot capture on '${opts.iface}': ${msg} (is the interface up, and in this network namespace?)`);
    if (opts.filter !== '' && FILTER_RE.test(msg)) throw new FilterError(`bad capture filter '${opts.filter}': ${msg} (see man pcap-filter)`);
    throw new CaptureStartError(`cannot capture on '${opts.iface}': ${msg}`);
  }
  const linkType = capLinkType(linkName);
  if (linkType === null) {
    cap.close();
    throw new CaptureStartError(`cannot capture on '${opts.iface}': unsupported link type (${linkName})`);
  }
  return new CapSource(cap, buffer, opts, linkType);
}

export class CapSource implements PacketSource {
  readonly name: string;
  readonly timestamps = 'wall-clock' as const;
  private stopped = false;
  private truncated = 0;
  private finish: (() => void) | null = null;
  private failure: unknown = null;

  constructor(
    private readonly cap: CapHandle,
    private readonly buffer: Buffer,
    private readonly opts: CapSourceOptions,
    readonly linkType: number,
  ) {
    this.name = `live:${opts.iface}`;
  }

  /** Snap length written in a -w file's header. */
  get snapLen(): number {
    return this.buffer.length;
  }

  run(onFrame: LiveFrameHandler): Promise<SourceEnd> {
    const frame: Frame = { number: 0, tsSec: 0, tsNsec: 0, capLen: 0, origLen: 0, linkType: this.linkType, interfaceId: 0, fileOffset: 0, data: new Uint8Array(0) };
    // Offsets as in the -w file, for messages that name a packet's place.
    let offset = PCAP_FILE_HEADER;
    // The wall clock: the epoch at start, plus the monotonic time elapsed since.
    const originMs = performance.timeOrigin;
    const originSec = Math.floor(originMs / MS_PER_S);
    const originNs = Math.round((originMs - originSec * MS_PER_S) * NS_PER_MS);
    const micro = this.opts.precision === 'micro';
    const buffer = this.buffer;
    const limit = buffer.length;
    const done = new Promise<SourceEnd>((resolve, reject) => {
      this.finish = () => (this.failure !== null ? reject(this.failure) : resolve({ problems: [], problemCount: 0, format: 'pcap' }));
    });
    this.cap.on('packet', (nbytes: number, truncated: boolean) => {
      if (this.stopped) return; // cap goes on delivering the packet it has in hand after close()
      try {
        const ns = originNs + performance.now() * NS_PER_MS;
        const whole = Math.floor(ns / NS_PER_S);
        let nsec = Math.floor(ns - whole * NS_PER_S);
        if (micro) nsec -= nsec % NS_PER_US; // what a µs -w file will hold: live and file analyses agree
        frame.number++;
        frame.fileOffset = offset;
        offset += PCAP_RECORD_HEADER + nbytes;
        frame.tsSec = originSec + whole;
        frame.tsNsec = nsec;
        frame.capLen = nbytes;
        frame.data = buffer.subarray(0, nbytes);
        const cut = truncated || nbytes >= limit || nbytes >= CAP_SNAPLEN;
        if (truncated) this.truncated++;
        frame.origLen = cut ? wireLength(this.linkType, frame.data, nbytes) : nbytes;
        if (onFrame(frame) === false) this.stop();
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
    this.cap.close();
    this.cap.removeAllListeners('packet');
    // Resolve on a later turn: stop() may be called from inside the packet callback.
    setImmediate(() => this.finish?.());
  }

  stats(): SourceStats {
    return {
      kernelDropped: null,
      ifDropped: null,
      dropsNote: 'the cap binding does not expose pcap_stats(), so packets dropped by the kernel cannot be counted',
      truncated: this.truncated,
    };
  }
}
