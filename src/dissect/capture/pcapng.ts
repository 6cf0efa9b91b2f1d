/**
 * pcapng (draft-ietf-opsawg-pcapng): blocks of `type, total length, body, total length`.
 * Sections (SHB) set the byte order and reset the interface list; IDBs describe interfaces
 * (link type, snaplen, if_tsresol, if_tsoffset, if_name); EPB, SPB and the obsolete OPB carry
 * packets; every other block type is skipped by its length.
 *
 * The block lengths are the only framing: when they are wrong (not a multiple of 4, trailing
 * copy differs, absurdly large) reading stops. A packet block whose own fields are wrong, or an
 * IDB option that runs past its block, stops reading too, as in Wireshark: every packet before
 * it has been delivered.
 */
import { CaptureFormatError } from '../errors.js';
import { readI64, readU16, readU32 } from './bytes.js';
import { formatEpoch, isDateRange, MAX_DATE_SEC, rawTicks, setTicks, TS_MICROSECONDS, tsScaleFromResol, type TsScale } from './timestamp.js';
import { LENGTH_FATAL, Unit, type FrameSink, type UnitDecoder, type UnitResult } from './types.js';

// Generic block (§3.1)
const BLOCK_TYPE = 0;
const BLOCK_TOTAL_LEN = 4;
/** type + total length + trailing total length. */
export const PCAPNG_BLOCK_OVERHEAD = 12;
const BLOCK_ALIGN = 4;
/**
 * Largest block believed (Wireshark's MAX_BLOCK_SIZE): bounds what we buffer for one block
 * when a length field is garbage.
 */
export const PCAPNG_MAX_BLOCK_LEN = 16 * 1024 * 1024;

/** Block types (§10.1). */
export const BlockType = {
  SHB: 0x0a0d0d0a,
  IDB: 0x00000001,
  OPB: 0x00000002, // obsolete Packet Block (Appendix A)
  SPB: 0x00000003,
  NRB: 0x00000004,
  ISB: 0x00000005,
  EPB: 0x00000006,
  DSB: 0x0000000a,
} as const;

// Section Header Block (§4.1)
const SHB_BYTE_ORDER_MAGIC = 8;
const SHB_VERSION_MAJOR = 12;
const SHB_VERSION_MINOR = 14;
const SHB_OPTIONS = 24;
const SHB_MIN_LEN = 28;
export const PCAPNG_BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const SUPPORTED_MAJOR_VERSION = 1;

// Interface Description Block (§4.2)
const IDB_LINKTYPE = 8;
const IDB_SNAPLEN = 12;
const IDB_OPTIONS = 16;
const IDB_MIN_LEN = 20;
const OPT_ENDOFOPT = 0;
const OPT_IF_NAME = 2;
const OPT_IF_TSRESOL = 9;
const OPT_IF_TSOFFSET = 14;
const OPT_HEADER_LEN = 4;
const IF_TSOFFSET_LEN = 8;

// Interface Statistics Block (§4.6): interface id, 64-bit timestamp, options
const ISB_OPTIONS = 20;
const ISB_MIN_LEN = 24;

// Name Resolution Block (§4.5)
const NRB_RECORDS = 8;
const NRB_RECORD_HEADER_LEN = 4;
const NRB_RECORD_END = 0;

// Decryption Secrets Block (§4.7)
const DSB_SECRETS_LEN = 12;
const DSB_SECRETS = 16;
const DSB_MIN_LEN = 20;

// Enhanced Packet Block (§4.3)
const EPB_INTERFACE_ID = 8;
const EPB_TS_HIGH = 12;
const EPB_TS_LOW = 16;
const EPB_CAPLEN = 20;
const EPB_ORIGLEN = 24;
const EPB_DATA = 28;
const EPB_MIN_LEN = 32;

// Simple Packet Block (§4.4): always interface 0 of the section, no timestamp
const SPB_ORIGLEN = 8;
const SPB_DATA = 12;
const SPB_MIN_LEN = 16;

// Packet Block (obsolete, Appendix A): EPB with a 16-bit interface id and a drops count
const OPB_INTERFACE_ID = 8;
const OPB_TS_HIGH = 12;
const OPB_TS_LOW = 16;
const OPB_CAPLEN = 20;
const OPB_ORIGLEN = 24;
const OPB_DATA = 28;
const OPB_MIN_LEN = 32;

interface SectionInterface {
  globalId: number;
  linkType: number;
  snapLen: number;
  scale: TsScale;
  offsetSec: number;
  /** A timestamp beyond the range of dates was reported (once per interface: a bad clock repeats). */
  timeReported: boolean;
}

const utf8 = new TextDecoder('utf-8');

export function isPcapngMagic(b: Uint8Array): boolean {
  return readU32(b, 0, false) === BlockType.SHB;
}

export class PcapngDecoder implements UnitDecoder {
  readonly format = 'pcapng' as const;
  readonly headerLen = PCAPNG_BLOCK_OVERHEAD;
  private le = true;
  private section = -1;
  private ifaces: SectionInterface[] = [];

  constructor(private readonly sink: FrameSink) {}

  unitLength(buf: Uint8Array, pos: number, fileOffset: number): number {
    const type = readU32(buf, pos + BLOCK_TYPE, this.le);
    let le = this.le;
    if (type === BlockType.SHB) {
      // A new section may switch byte order: its length is read in the order its own magic says.
      const order = byteOrderOf(buf, pos);
      if (order === null) {
        return this.fatal(fileOffset, `section header block at byte ${fileOffset} has an unknown byte-order magic`);
      }
      le = order;
    }
    const total = readU32(buf, pos + BLOCK_TOTAL_LEN, le);
    if (total < PCAPNG_BLOCK_OVERHEAD || total % BLOCK_ALIGN !== 0 || total > PCAPNG_MAX_BLOCK_LEN) {
      const why = total < PCAPNG_BLOCK_OVERHEAD ? `less than the ${PCAPNG_BLOCK_OVERHEAD}-byte minimum`
        : total % BLOCK_ALIGN !== 0 ? `not a multiple of ${BLOCK_ALIGN}`
          : `more than the ${PCAPNG_MAX_BLOCK_LEN}-byte maximum`;
      return this.fatal(fileOffset, `${blockName(type)} at byte ${fileOffset} has total length ${total}, ${why}`);
    }
    return total;
  }

  decodeUnit(buf: Uint8Array, pos: number, len: number, fileOffset: number): UnitResult {
    const type = readU32(buf, pos + BLOCK_TYPE, this.le);
    if (type === BlockType.SHB) return this.decodeSectionHeader(buf, pos, len, fileOffset);
    const trailing = readU32(buf, pos + len - 4, this.le);
    if (trailing !== len) {
      this.fatal(fileOffset, `${blockName(type)} at byte ${fileOffset} has total length ${len} but its trailing copy says ${trailing}`);
      return Unit.FATAL;
    }
    switch (type) {
      case BlockType.IDB: return this.decodeInterface(buf, pos, len, fileOffset);
      case BlockType.EPB: return this.decodeEnhanced(buf, pos, len, fileOffset);
      case BlockType.SPB: return this.decodeSimple(buf, pos, len, fileOffset);
      case BlockType.OPB: return this.decodeObsolete(buf, pos, len, fileOffset);
      case BlockType.ISB: return this.checkStatistics(buf, pos, len, fileOffset);
      case BlockType.NRB: return this.checkNameResolution(buf, pos, len, fileOffset);
      case BlockType.DSB: return this.checkSecrets(buf, pos, len, fileOffset);
      default: return Unit.CONTINUE; // custom and unknown blocks: skipped by their length
    }
  }

  truncatedMessage(buf: Uint8Array, have: number, unitLen: number | null, fileOffset: number): { frame: number | null; message: string } {
    if (unitLen === null) {
      return { frame: null, message: `capture file ends in a block header at byte ${fileOffset} (${have} of ${PCAPNG_BLOCK_OVERHEAD} bytes present)` };
    }
    const type = readU32(buf, BLOCK_TYPE, this.le);
    const packet = type === BlockType.EPB || type === BlockType.SPB || type === BlockType.OPB;
    const number = this.sink.frames + 1;
    return {
      frame: packet ? number : null,
      message: `capture file ends in the middle of ${packet ? `packet ${number} (` : ''}${blockName(type)} at byte ` +
        `${fileOffset}${packet ? ')' : ''}: the block is ${unitLen} bytes long, ${have} present`,
    };
  }

  private decodeSectionHeader(buf: Uint8Array, pos: number, len: number, fileOffset: number): UnitResult {
    // unitLength has accepted the byte-order magic.
    const le = byteOrderOf(buf, pos) ?? true;
    const trailing = readU32(buf, pos + len - 4, le);
    let what: string | null = null;
    if (trailing !== len) what = `has total length ${len} but its trailing copy says ${trailing}`;
    else if (len < SHB_MIN_LEN) what = `is ${len} bytes long, less than the ${SHB_MIN_LEN}-byte minimum`;
    else {
      const major = readU16(buf, pos + SHB_VERSION_MAJOR, le);
      const minor = readU16(buf, pos + SHB_VERSION_MINOR, le);
      if (major !== SUPPORTED_MAJOR_VERSION) what = `has unsupported version ${major}.${minor}`;
      else if (badOptionAt(buf, pos + SHB_OPTIONS, pos + len - 4, le) >= 0) what = 'has an option that runs past the block';
    }
    if (what !== null) {
      this.fatal(fileOffset, `section header block at byte ${fileOffset} ${what}`);
      return Unit.FATAL;
    }
    this.le = le;
    this.section++;
    this.ifaces = [];
    return Unit.CONTINUE;
  }

  /** An ISB carries nothing we use, but Wireshark rejects one whose options overrun it. */
  private checkStatistics(buf: Uint8Array, pos: number, len: number, fileOffset: number): UnitResult {
    const bad = len < ISB_MIN_LEN ? pos : badOptionAt(buf, pos + ISB_OPTIONS, pos + len - 4, this.le);
    if (bad < 0) return Unit.CONTINUE;
    this.fatal(fileOffset, `interface statistics block at byte ${fileOffset} ${len < ISB_MIN_LEN ? `is ${len} bytes long, less than the ${ISB_MIN_LEN}-byte minimum` : `has an option at byte ${fileOffset + bad - pos} that runs past the block`}`);
    return Unit.FATAL;
  }

  /** NRB (§4.5): records (type, length, value padded to 4) up to nrb_record_end, then options. */
  private checkNameResolution(buf: Uint8Array, pos: number, len: number, fileOffset: number): UnitResult {
    const end = pos + len - 4;
    let o = pos + NRB_RECORDS;
    for (;;) {
      if (o + NRB_RECORD_HEADER_LEN > end) break; // no end record: Wireshark accepts that
      const type = readU16(buf, o, this.le);
      const recLen = readU16(buf, o + 2, this.le);
      if (o + NRB_RECORD_HEADER_LEN + recLen > end) {
        this.fatal(fileOffset, `name resolution block at byte ${fileOffset} has a record at byte ${fileOffset + o - pos} that runs past the block`);
        return Unit.FATAL;
      }
      o += NRB_RECORD_HEADER_LEN + padded4(recLen);
      if (type === NRB_RECORD_END) break;
    }
    const bad = badOptionAt(buf, o, end, this.le);
    if (bad < 0) return Unit.CONTINUE;
    this.fatal(fileOffset, `name resolution block at byte ${fileOffset} has an option at byte ${fileOffset + bad - pos} that runs past the block`);
    return Unit.FATAL;
  }

  /** DSB (§4.7): secrets type, secrets length, the secrets padded to 4, options. */
  private checkSecrets(buf: Uint8Array, pos: number, len: number, fileOffset: number): UnitResult {
    const end = pos + len - 4;
    const secretsLen = len < DSB_MIN_LEN ? 0 : readU32(buf, pos + DSB_SECRETS_LEN, this.le);
    const why = len < DSB_MIN_LEN ? `is ${len} bytes long, less than the ${DSB_MIN_LEN}-byte minimum`
      : pos + DSB_SECRETS + secretsLen > end ? `claims ${secretsLen} bytes of secrets, more than the block holds`
        : null;
    const bad = why === null ? badOptionAt(buf, pos + DSB_SECRETS + padded4(secretsLen), end, this.le) : -1;
    if (why === null && bad < 0) return Unit.CONTINUE;
    this.fatal(fileOffset, `decryption secrets block at byte ${fileOffset} ${why ?? `has an option at byte ${fileOffset + bad - pos} that runs past the block`}`);
    return Unit.FATAL;
  }

  private decodeInterface(buf: Uint8Array, pos: number, len: number, fileOffset: number): UnitResult {
    if (len < IDB_MIN_LEN) {
      // Skipping it would renumber the section's interfaces, misattributing every later packet.
      this.fatal(fileOffset, `interface description block at byte ${fileOffset} is ${len} bytes long, less than the ${IDB_MIN_LEN}-byte minimum`);
      return Unit.FATAL;
    }
    const le = this.le;
    const linkType = readU16(buf, pos + IDB_LINKTYPE, le);
    const snapLen = readU32(buf, pos + IDB_SNAPLEN, le);
    let name: string | null = null;
    let scale = TS_MICROSECONDS;
    let offsetSec = 0;
    // Options (§3.5): code, length, value padded to 4 bytes, until opt_endofopt or the trailer.
    const end = pos + len - 4;
    let o = pos + IDB_OPTIONS;
    const bad = badOptionAt(buf, o, end, le);
    if (bad >= 0) {
      // The interface's resolution or offset may be among the options lost: its times would be wrong.
      this.fatal(fileOffset, `interface description block at byte ${fileOffset}: option ${bad + OPT_HEADER_LEN <= end ? readU16(buf, bad, le) : 'header'} at byte ${fileOffset + bad - pos} runs past the block`);
      return Unit.FATAL;
    }
    while (o + OPT_HEADER_LEN <= end) {
      const code = readU16(buf, o, le);
      const optLen = readU16(buf, o + 2, le);
      if (code === OPT_ENDOFOPT) break;
      const value = o + OPT_HEADER_LEN;
      if (value + optLen > end) break; // cannot happen: badOptionAt checked the framing
      if (code === OPT_IF_NAME) name = utf8.decode(buf.subarray(value, value + optLen)).replace(/\0+$/, '');
      else if (code === OPT_IF_TSRESOL && optLen >= 1) scale = tsScaleFromResol(buf[value]!);
      else if (code === OPT_IF_TSOFFSET && optLen >= IF_TSOFFSET_LEN) offsetSec = readI64(buf, value, le);
      o = value + padded4(optLen);
    }
    const globalId = this.sink.addInterface(this.section, linkType, snapLen, name, scale.unitsPerSec, offsetSec);
    this.ifaces.push({ globalId, linkType, snapLen, scale, offsetSec, timeReported: false });
    return Unit.CONTINUE;
  }

  private decodeEnhanced(buf: Uint8Array, pos: number, len: number, fileOffset: number): UnitResult {
    if (len < EPB_MIN_LEN) return this.badPacket(fileOffset, BlockType.EPB, `is ${len} bytes long, less than the ${EPB_MIN_LEN}-byte minimum`);
    const le = this.le;
    return this.deliver(buf, pos, len, fileOffset, BlockType.EPB, readU32(buf, pos + EPB_INTERFACE_ID, le),
      readU32(buf, pos + EPB_TS_HIGH, le), readU32(buf, pos + EPB_TS_LOW, le),
      readU32(buf, pos + EPB_CAPLEN, le), readU32(buf, pos + EPB_ORIGLEN, le), EPB_DATA);
  }

  private decodeObsolete(buf: Uint8Array, pos: number, len: number, fileOffset: number): UnitResult {
    if (len < OPB_MIN_LEN) return this.badPacket(fileOffset, BlockType.OPB, `is ${len} bytes long, less than the ${OPB_MIN_LEN}-byte minimum`);
    const le = this.le;
    return this.deliver(buf, pos, len, fileOffset, BlockType.OPB, readU16(buf, pos + OPB_INTERFACE_ID, le),
      readU32(buf, pos + OPB_TS_HIGH, le), readU32(buf, pos + OPB_TS_LOW, le),
      readU32(buf, pos + OPB_CAPLEN, le), readU32(buf, pos + OPB_ORIGLEN, le), OPB_DATA);
  }

  private decodeSimple(buf: Uint8Array, pos: number, len: number, fileOffset: number): UnitResult {
    if (len < SPB_MIN_LEN) return this.badPacket(fileOffset, BlockType.SPB, `is ${len} bytes long, less than the ${SPB_MIN_LEN}-byte minimum`);
    const iface = this.ifaces[0];
    if (iface === undefined) return this.badPacket(fileOffset, BlockType.SPB, 'comes before any interface description block');
    const origLen = readU32(buf, pos + SPB_ORIGLEN, this.le);
    // The SPB has no caplen: §4.4 defines it as min(snaplen, original length), and the block is
    // exactly that, padded to 4. A block of any other length is refused by Wireshark too.
    const capLen = iface.snapLen !== 0 ? Math.min(origLen, iface.snapLen) : origLen;
    if (capLen > len - SPB_MIN_LEN) return this.badPacket(fileOffset, BlockType.SPB, `is ${len} bytes long, too short for its ${capLen} bytes of packet data`);
    if (SPB_MIN_LEN + padded4(capLen) !== len) return this.badPacket(fileOffset, BlockType.SPB, `is ${len} bytes long, but its ${capLen} bytes of packet data make a ${SPB_MIN_LEN + padded4(capLen)}-byte block`);
    const f = this.sink.frame;
    f.tsSec = 0; // an SPB has no timestamp; tshark shows 0 too
    f.tsNsec = 0;
    this.fill(iface, origLen, capLen, fileOffset, buf, pos + SPB_DATA);
    return this.sink.emit() ? Unit.CONTINUE : Unit.STOP;
  }

  private deliver(buf: Uint8Array, pos: number, len: number, fileOffset: number, type: number, ifId: number,
    tsHigh: number, tsLow: number, capLen: number, origLen: number, dataAt: number): UnitResult {
    const iface = this.ifaces[ifId];
    if (iface === undefined) {
      return this.badPacket(fileOffset, type, `refers to interface ${ifId}, but the section has ${this.ifaces.length} interface(s)`);
    }
    const room = len - dataAt - 4;
    if (capLen > room) {
      return this.badPacket(fileOffset, type, `claims ${capLen} captured bytes, but the block has room for ${room}`);
    }
    const optionsAt = pos + dataAt + padded4(capLen);
    if (optionsAt < pos + len - 4) {
      const bad = badOptionAt(buf, optionsAt, pos + len - 4, this.le);
      if (bad >= 0) return this.badPacket(fileOffset, type, `has an option at byte ${fileOffset + bad - pos} that runs past the block`);
    }
    const f = this.sink.frame;
    setTicks(f, tsHigh, tsLow, iface.scale, iface.offsetSec);
    if (!iface.timeReported && !isDateRange(f.tsSec)) this.timeOutOfRange(iface, fileOffset, type, tsHigh, tsLow);
    this.fill(iface, origLen, capLen, fileOffset, buf, pos + dataAt);
    return this.sink.emit() ? Unit.CONTINUE : Unit.STOP;
  }

  /** The frame's captured bytes are buf[start, start + capLen). */
  private fill(iface: SectionInterface, origLen: number, capLen: number, fileOffset: number, buf: Uint8Array, start: number): void {
    const f = this.sink.frame;
    f.setBytes(buf, start, capLen);
    f.origLen = origLen;
    f.linkType = iface.linkType;
    f.interfaceId = iface.globalId;
    f.fileOffset = fileOffset;
  }

  /** The packet is delivered with its time as raw seconds; say why it is not shown as a date. */
  private timeOutOfRange(iface: SectionInterface, fileOffset: number, type: number, tsHigh: number, tsLow: number): void {
    iface.timeReported = true;
    const number = this.sink.frames + 1;
    const f = this.sink.frame;
    this.sink.problem('odd-record', fileOffset, number,
      `packet ${number} (${blockName(type)} at byte ${fileOffset}): timestamp of ${rawTicks(tsHigh, tsLow)} ticks ` +
      `(${iface.scale.unitsBig} per second) plus an if_tsoffset of ${iface.offsetSec} s is ${formatEpoch(f.tsSec, f.tsNsec)} s from 1970, beyond the ` +
      `range of dates (±${MAX_DATE_SEC.toExponential()} s); its time is shown as raw seconds (later such packets of interface ` +
      `${iface.globalId} are not reported one by one)`, false);
  }

  /**
   * A packet block whose fields are impossible. Its framing would let us skip it, but Wireshark
   * (libwiretap) stops reading there, and a packet silently missing from the middle of an
   * analysis is worse than a report that says where it ends: so it is fatal, as in tshark.
   */
  private badPacket(fileOffset: number, type: number, what: string): UnitResult {
    const number = this.sink.frames + 1;
    this.sink.problem('bad-record', fileOffset, number,
      `${blockName(type)} at byte ${fileOffset} ${what} (it would have been packet ${number}); the file is not read past this point, as tshark does not`, true);
    return Unit.FATAL;
  }

  /** Broken framing: at byte 0 the whole input is unreadable (throw), later it ends the input. */
  private fatal(fileOffset: number, message: string): typeof LENGTH_FATAL {
    if (fileOffset === 0) throw new CaptureFormatError(`not a readable pcapng file: ${message}`, 0);
    this.sink.problem('bad-block', fileOffset, null, `${message}; the file cannot be read past this point`, true);
    return LENGTH_FATAL;
  }
}

/** Fields and option values are padded to 32 bits (§3.5). */
function padded4(n: number): number {
  return n + ((BLOCK_ALIGN - (n % BLOCK_ALIGN)) % BLOCK_ALIGN);
}

/**
 * Whether the options from `o` to `end` are well framed (§3.5): each a 4-byte header and a value
 * padded to 4, up to opt_endofopt or the end. Returns where the first bad one is, or -1.
 * Wireshark refuses a file whose options overrun their block, so we do too, even in blocks
 * (or options) we have no use for.
 */
function badOptionAt(buf: Uint8Array, o: number, end: number, le: boolean): number {
  while (o < end) {
    if (o + OPT_HEADER_LEN > end) return o;
    const optLen = readU16(buf, o + 2, le);
    // Wireshark checks the length even of opt_endofopt (campaign seed 12, input 14680).
    if (o + OPT_HEADER_LEN + optLen > end) return o;
    if (readU16(buf, o, le) === OPT_ENDOFOPT) return -1;
    o += OPT_HEADER_LEN + padded4(optLen);
  }
  return -1;
}

/** true = little-endian, false = big-endian, null = not a byte-order magic. */
function byteOrderOf(buf: Uint8Array, pos: number): boolean | null {
  if (readU32(buf, pos + SHB_BYTE_ORDER_MAGIC, true) === PCAPNG_BYTE_ORDER_MAGIC) return true;
  if (readU32(buf, pos + SHB_BYTE_ORDER_MAGIC, false) === PCAPNG_BYTE_ORDER_MAGIC) return false;
  return null;
}

const BLOCK_NAMES: ReadonlyMap<number, string> = new Map([
  [BlockType.SHB, 'section header block'],
  [BlockType.IDB, 'interface description block'],
  [BlockType.OPB, 'packet block (obsolete)'],
  [BlockType.SPB, 'simple packet block'],
  [BlockType.NRB, 'name resolution block'],
  [BlockType.ISB, 'interface statistics block'],
  [BlockType.EPB, 'enhanced packet block'],
  [BlockType.DSB, 'decryption secrets block'],
]);

function blockName(type: number): string {
  return BLOCK_NAMES.get(type) ?? `block of type 0x${type.toString(16).padStart(8, '0')}`;
}
