/**
 * Push-based capture reader: bytes in (chunks of any size), frames out, synchronously.
 *
 * The format (pcap or pcapng) is chosen from the first 4 bytes; the format decoder then sees the
 * input as a sequence of units (headers, records, blocks) that size themselves. Units that lie
 * wholly inside a pushed chunk are decoded in place and their packet bytes handed out as
 * `subarray` views. Only a unit that straddles two chunks is copied, into one reused assembly
 * buffer: its leftover bytes from the first chunk plus exactly the bytes it still needs from the
 * next one, never the rest of that chunk.
 */
import { CaptureFormatError } from '../errors.js';
import { FrameRecord, type Frame } from '../frame.js';
import { hexPrefix } from './bytes.js';
import { isKuznetsovMagic, PcapDecoder, pcapVariant } from './pcap.js';
import { isPcapngMagic, PcapngDecoder } from './pcapng.js';
import {
  LENGTH_FATAL, MAX_KEPT_PROBLEMS, Unit,
  type CaptureFormat, type CaptureInterface, type CaptureProblem, type CaptureProblemKind,
  type CaptureSummary, type FrameSink, type UnitDecoder,
} from './types.js';

export type {
  CaptureFormat, CaptureInterface, CaptureProblem, CaptureProblemKind, CaptureSummary,
} from './types.js';
export { MAX_KEPT_PROBLEMS } from './types.js';

/** Return false to stop reading (e.g. `-c N`); anything else goes on. */
export type FrameHandler = (frame: Frame) => boolean | void;
export type ProblemHandler = (problem: CaptureProblem) => void;
/** Told of each interface (pcap: the file header) before any of its frames. */
export type InterfaceHandler = (iface: CaptureInterface) => void;

/** Bytes that identify the format (pcap magic, pcapng SHB block type). */
const MAGIC_LEN = 4;
const GZIP_MAGIC_0 = 0x1f;
const GZIP_MAGIC_1 = 0x8b;
/** Starting size of the assembly buffer; it grows to the largest straddling unit (bounded by the decoders' maxima). */
const INITIAL_ASSEMBLY_BYTES = 64 * 1024;
const UNKNOWN = -1;

const State = { RUNNING: 0, STOPPED: 1, FAILED: 2, ENDED: 3 } as const;
type State = (typeof State)[keyof typeof State];

class Sink implements FrameSink {
  readonly frame = new FrameRecord();
  frames = 0;
  capturedBytes = 0;
  problemCount = 0;
  fatal: CaptureProblem | null = null;
  readonly problems: CaptureProblem[] = [];
  readonly interfaces: CaptureInterface[] = [];

  constructor(private readonly onFrame: FrameHandler, private readonly onProblem: ProblemHandler | undefined, private readonly onInterface?: InterfaceHandler) {}

  emit(): boolean {
    const f = this.frame;
    f.number = ++this.frames;
    this.capturedBytes += f.capLen;
    return this.onFrame(f) !== false;
  }

  problem(kind: CaptureProblemKind, offset: number, frame: number | null, message: string, fatal: boolean): void {
    const p: CaptureProblem = { kind, offset, frame, message, fatal };
    this.problemCount++;
    if (fatal && this.fatal === null) this.fatal = p;
    if (this.problems.length < MAX_KEPT_PROBLEMS || p === this.fatal) this.problems.push(p);
    this.onProblem?.(p);
  }

  addInterface(section: number, linkType: number, snapLen: number, name: string | null,
    tsUnitsPerSec: number, tsOffsetSec: number): number {
    const id = this.interfaces.length;
    this.interfaces.push({ id, section, linkType, snapLen, name, tsUnitsPerSec, tsResolNs: 1e9 / tsUnitsPerSec, tsOffsetSec });
    this.onInterface?.(this.interfaces[id] as CaptureInterface);
    return id;
  }
}

export class CaptureParser {
  private readonly sink: Sink;
  private decoder: UnitDecoder | null = null;
  private state: State = State.RUNNING;
  /** File offset of the next unit = bytes consumed. */
  private offset = 0;
  /** Holds the start of a unit that straddles chunks (reused). */
  private asm = new Uint8Array(INITIAL_ASSEMBLY_BYTES);
  private asmLen = 0;
  /** Size of the unit being assembled, UNKNOWN until its header is complete. */
  private asmUnitLen = UNKNOWN;
  private summary: CaptureSummary | null = null;

  constructor(onFrame: FrameHandler, onProblem?: ProblemHandler, onInterface?: InterfaceHandler) {
    this.sink = new Sink(onFrame, onProblem, onInterface);
  }

  /**
   * Feeds the next bytes of the input. Returns false when no more input is wanted: onFrame asked
   * to stop, or a fatal problem was reported. Throws CaptureFormatError when the input is not a
   * capture file. `chunk` may be reused by the caller once push returns.
   */
  push(input: Uint8Array): boolean {
    if (this.state !== State.RUNNING) return false;
    // Frames are views into the chunk: a plain Uint8Array makes them with the engine's own
    // subarray, where a Buffer's goes through a JavaScript constructor for every frame.
    const chunk = Object.getPrototypeOf(input) === Uint8Array.prototype ? input : new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
    try {
      let pos = 0;
      if (this.decoder === null && this.asmLen === 0 && chunk.length >= MAGIC_LEN) {
        this.decoder = this.detect(chunk);
      }
      if (this.decoder === null || this.asmLen > 0) {
        pos = this.assemble(chunk);
        if (this.state !== State.RUNNING) return false;
        if (pos === chunk.length) return true;
      }
      return this.scan(chunk, pos);
    } catch (e) {
      this.state = State.FAILED;
      throw e;
    }
  }

  /**
   * The input has ended: reports a unit cut short, and summarises. `cause` says why the input
   * ended early when the transport knows (a cut or corrupt gzip stream): it is reported as a
   * 'truncated-file' problem even when the cut happens to fall between two records. `trailing`
   * says that bytes follow the capture data that were not read (garbage after a gzip stream).
   */
  end(cause?: string, trailing?: string): CaptureSummary {
    if (this.summary !== null) return this.summary;
    const decoder = this.decoder;
    if (decoder === null) {
      this.state = State.FAILED;
      if (cause !== undefined) throw new CaptureFormatError(`${cause}; no capture data could be read`, 0);
      if (this.asmLen === 0) throw new CaptureFormatError('empty input', 0);
      throw new CaptureFormatError(
        `not a pcap or pcapng file (only ${this.asmLen} byte${this.asmLen === 1 ? '' : 's'}: ${hexPrefix(this.asm.subarray(0, this.asmLen), MAGIC_LEN)})`, 0);
    }
    if (this.state === State.RUNNING && this.asmLen > 0) {
      const t = decoder.truncatedMessage(this.asm, this.asmLen, this.asmUnitLen === UNKNOWN ? null : this.asmUnitLen, this.offset);
      // Where the record starts says what is lost; where the input ends tells a cut from a lie.
      const message = `${t.message}; the ${cause === undefined ? 'input' : 'decompressed data'} ends at byte ${this.offset + this.asmLen}`;
      if (this.offset === 0) {
        // The first unit is the file header (pcap) or section header (pcapng): without it
        // nothing is a capture yet, so this is "not a readable capture", not damage.
        this.state = State.FAILED;
        throw new CaptureFormatError(`not a readable ${decoder.format} file: ${cause === undefined ? message : `${cause}; ${message}`}`, 0);
      }
      this.sink.problem('truncated-file', this.offset, t.frame, cause === undefined ? message : `${cause}; ${message}`, true);
    } else if (this.state === State.RUNNING && cause !== undefined) {
      this.sink.problem('truncated-file', this.offset, null, `${cause}; the capture data read so far ends after a whole record, at byte ${this.offset}`, true);
    }
    if (trailing !== undefined && this.state === State.RUNNING && this.sink.fatal === null) {
      this.sink.problem('trailing-data', this.offset + this.asmLen, null, trailing, true);
    }
    const s = this.sink;
    this.summary = {
      format: decoder.format,
      frames: s.frames,
      bytes: this.offset,
      capturedBytes: s.capturedBytes,
      stopped: this.state === State.STOPPED,
      problems: s.problems,
      problemCount: s.problemCount,
      fatal: s.fatal,
      interfaces: s.interfaces,
    };
    this.state = State.ENDED;
    return this.summary;
  }

  /** The format, once the first 4 bytes have been seen. */
  get format(): CaptureFormat | null {
    return this.decoder?.format ?? null;
  }

  /**
   * Completes the unit held in `asm` from the front of `chunk`, taking only the bytes it needs;
   * returns how many bytes of `chunk` were used.
   */
  private assemble(chunk: Uint8Array): number {
    let pos = 0;
    for (;;) {
      const decoder = this.decoder;
      const need = decoder === null ? MAGIC_LEN : this.asmUnitLen !== UNKNOWN ? this.asmUnitLen : decoder.headerLen;
      if (this.asmLen < need) {
        const take = Math.min(need - this.asmLen, chunk.length - pos);
        this.reserve(need);
        this.asm.set(chunk.subarray(pos, pos + take), this.asmLen);
        this.asmLen += take;
        pos += take;
        if (this.asmLen < need) return pos;
      }
      if (decoder === null) {
        this.decoder = this.detect(this.asm);
      } else if (this.asmUnitLen === UNKNOWN) {
        const len = decoder.unitLength(this.asm, 0, this.offset);
        if (len === LENGTH_FATAL) {
          this.state = State.FAILED;
          return pos;
        }
        this.asmUnitLen = len;
      } else {
        const len = this.asmUnitLen;
        const result = decoder.decodeUnit(this.asm, 0, len, this.offset);
        this.asmLen = 0;
        this.asmUnitLen = UNKNOWN;
        this.settle(result, len);
        return pos;
      }
    }
  }

  /** Decodes the units lying wholly in chunk[pos..] in place; keeps a copy of the incomplete tail. */
  private scan(chunk: Uint8Array, pos: number): boolean {
    const decoder = this.decoder!;
    const end = chunk.length;
    let unitLen = UNKNOWN;
    while (end - pos >= decoder.headerLen) {
      const len = decoder.unitLength(chunk, pos, this.offset);
      if (len === LENGTH_FATAL) {
        this.state = State.FAILED;
        return false;
      }
      if (end - pos < len) {
        unitLen = len;
        break;
      }
      if (!this.settle(decoder.decodeUnit(chunk, pos, len, this.offset), len)) return false;
      pos += len;
    }
    // Ownership change: the chunk belongs to the caller, so the unit's first bytes are copied.
    const tail = end - pos;
    if (tail > 0) {
      this.reserve(unitLen === UNKNOWN ? tail : unitLen);
      this.asm.set(chunk.subarray(pos), 0);
      this.asmLen = tail;
      this.asmUnitLen = unitLen;
    }
    return true;
  }

  /** Applies a unit's result; false when reading must not go on. */
  private settle(result: number, len: number): boolean {
    if (result === Unit.FATAL) {
      this.state = State.FAILED;
      return false;
    }
    this.offset += len;
    if (result === Unit.STOP) {
      this.state = State.STOPPED;
      return false;
    }
    return true;
  }

  private reserve(bytes: number): void {
    if (this.asm.length >= bytes) return;
    const bigger = new Uint8Array(Math.max(bytes, this.asm.length * 2));
    bigger.set(this.asm.subarray(0, this.asmLen));
    this.asm = bigger;
  }

  private detect(head: Uint8Array): UnitDecoder {
    if (isPcapngMagic(head)) return new PcapngDecoder(this.sink);
    const variant = pcapVariant(head);
    if (variant !== null) return new PcapDecoder(this.sink, variant);
    if (isKuznetsovMagic(head)) {
      throw new CaptureFormatError('modified pcap format (Kuznetsov patch, magic a1b2cd34) is not supported; convert it with editcap', 0);
    }
    if (head[0] === GZIP_MAGIC_0 && head[1] === GZIP_MAGIC_1) {
      throw new CaptureFormatError('gzip-compressed input: decompress it first (readCapture does this)', 0);
    }
    throw new CaptureFormatError(`not a pcap or pcapng file (starts with ${hexPrefix(head, MAGIC_LEN)})`, 0);
  }
}

/** Reads a whole capture held in memory. */
export function parseCapture(bytes: Uint8Array, onFrame: FrameHandler, onProblem?: ProblemHandler): CaptureSummary {
  const parser = new CaptureParser(onFrame, onProblem);
  parser.push(bytes);
  return parser.end();
}
