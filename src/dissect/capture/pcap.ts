/**
 * Classic libpcap files (draft-ietf-opsawg-pcap): a 24-byte file header, then records of a
 * 16-byte header plus `caplen` bytes. Both byte orders, µs and ns timestamps.
 *
 * The format has no sync markers: once a record header is corrupt, nothing after it can be
 * found again, so a bad caplen stops the input (everything before it has been delivered).
 */
import { CaptureFormatError } from '../errors.js';
import { readU16, readU32 } from './bytes.js';
import { setSecFrac } from './timestamp.js';
import { LENGTH_FATAL, Unit, type FrameSink, type UnitDecoder, type UnitResult } from './types.js';

// File header (§4)
export const PCAP_FILE_HEADER_LEN = 24;
const FH_VERSION_MAJOR = 4;
const FH_VERSION_MINOR = 6;
const FH_SNAPLEN = 16;
const FH_LINKTYPE = 20;

// Record header (§5)
export const PCAP_RECORD_HEADER_LEN = 16;
const RH_TS_SEC = 0;
const RH_TS_FRAC = 4;
const RH_CAPLEN = 8;
const RH_ORIGLEN = 12;

/** Magic numbers, as read in the file's own byte order. */
export const PCAP_MAGIC_US = 0xa1b2c3d4;
export const PCAP_MAGIC_NS = 0xa1b23c4d;
/** Alexey Kuznetsov's patched format: 8 more bytes per record header. Recognised only to say so. */
export const PCAP_MAGIC_KUZNETSOV = 0xa1b2cd34;

const SUPPORTED_MAJOR_VERSION = 2;
/**
 * Version 2.3 interchanged the caplen and len fields (to match the BPF header): before it they
 * come as len, caplen, and some 2.3 writers kept the old order. libpcap (sf-pcap.c,
 * `lengths_swapped`) and Wireshark read them so, and so do we: a 2.0-2.2 file's lengths are
 * swapped, a 2.3 file's are swapped when "caplen" is larger than "len".
 */
const FIRST_MINOR_WITH_CAPLEN_FIRST = 3;
const LengthOrder = { CAPLEN_FIRST: 0, LEN_FIRST: 1, EITHER: 2 } as const;
type LengthOrder = (typeof LengthOrder)[keyof typeof LengthOrder];
/** The link type field's upper 4 bits carry the FCS length (§4, "LinkType and additional information"). */
const LINKTYPE_MASK = 0x0fffffff;
const NS_PER_US = 1000;

/**
 * Largest caplen believed. Wireshark's WTAP_MAX_PACKET_SIZE_STANDARD and libpcap's
 * MAXIMUM_SNAPLEN are both 262144 (what `tcpdump -s 0` writes): a larger caplen is a corrupt
 * header, not a packet, and believing it would make us wait for (and buffer) bytes that are
 * the following records.
 */
export const PCAP_MAX_CAPLEN = 262_144;

export interface PcapVariant {
  littleEndian: boolean;
  nanoseconds: boolean;
}

/** The variant the first 4 bytes announce, or null when they are not a classic pcap magic. */
export function pcapVariant(b: Uint8Array): PcapVariant | null {
  for (const littleEndian of [false, true]) {
    const magic = readU32(b, 0, littleEndian);
    if (magic === PCAP_MAGIC_US) return { littleEndian, nanoseconds: false };
    if (magic === PCAP_MAGIC_NS) return { littleEndian, nanoseconds: true };
  }
  return null;
}

export function isKuznetsovMagic(b: Uint8Array): boolean {
  return readU32(b, 0, false) === PCAP_MAGIC_KUZNETSOV || readU32(b, 0, true) === PCAP_MAGIC_KUZNETSOV;
}

export class PcapDecoder implements UnitDecoder {
  readonly format = 'pcap' as const;
  private readonly le: boolean;
  private readonly nsPerFrac: number;
  private haveFileHeader = false;
  private lengthOrder: LengthOrder = LengthOrder.CAPLEN_FIRST;
  private linkType = 0;
  private snapLen = 0;
  /** snaplen used for the caplen check: 0 and absurd values mean "up to PCAP_MAX_CAPLEN", as libpcap reads them. */
  private snapLimit = PCAP_MAX_CAPLEN;

  constructor(private readonly sink: FrameSink, variant: PcapVariant) {
    this.le = variant.littleEndian;
    this.nsPerFrac = variant.nanoseconds ? 1 : NS_PER_US;
  }

  get headerLen(): number {
    return this.haveFileHeader ? PCAP_RECORD_HEADER_LEN : PCAP_FILE_HEADER_LEN;
  }

  unitLength(buf: Uint8Array, pos: number, fileOffset: number): number {
    if (!this.haveFileHeader) return PCAP_FILE_HEADER_LEN;
    const capLen = this.lengths(buf, pos, true);
    if (capLen > PCAP_MAX_CAPLEN) {
      this.sink.problem('bad-record', fileOffset, this.sink.frames + 1,
        `packet ${this.sink.frames + 1}: record header at byte ${fileOffset} claims ${capLen} captured bytes, ` +
        `more than the ${PCAP_MAX_CAPLEN}-byte maximum; the header is corrupt and pcap has no markers to ` +
        `resynchronise on, so reading stops here`, true);
      return LENGTH_FATAL;
    }
    return PCAP_RECORD_HEADER_LEN + capLen;
  }

  decodeUnit(buf: Uint8Array, pos: number, len: number, fileOffset: number): UnitResult {
    if (!this.haveFileHeader) {
      this.decodeFileHeader(buf, pos);
      return Unit.CONTINUE;
    }
    const le = this.le;
    const number = this.sink.frames + 1;
    const capLen = len - PCAP_RECORD_HEADER_LEN;
    const origLen = this.lengths(buf, pos, false);
    if (capLen > this.snapLimit) {
      // libpcap and Wireshark read such records, so we deliver it too, but say so: it is
      // often the first sign of a corrupt header.
      this.sink.problem('odd-record', fileOffset, number,
        `packet ${number} (record header at byte ${fileOffset}) has ${capLen} captured bytes, more than the file's snaplen of ${this.snapLen}`, false);
    } else if (capLen > origLen) {
      this.sink.problem('odd-record', fileOffset, number,
        `packet ${number} (record header at byte ${fileOffset}) has more captured bytes (${capLen}) than bytes on the wire (${origLen})`, false);
    }
    const f = this.sink.frame;
    setSecFrac(f, readU32(buf, pos + RH_TS_SEC, le), readU32(buf, pos + RH_TS_FRAC, le), this.nsPerFrac);
    f.setBytes(buf, pos + PCAP_RECORD_HEADER_LEN, capLen);
    f.origLen = origLen;
    f.linkType = this.linkType;
    f.interfaceId = 0;
    f.fileOffset = fileOffset;
    return this.sink.emit() ? Unit.CONTINUE : Unit.STOP;
  }

  truncatedMessage(_buf: Uint8Array, have: number, unitLen: number | null, fileOffset: number): { frame: number | null; message: string } {
    if (!this.haveFileHeader) {
      return { frame: null, message: `capture file ends in the pcap file header (${have} of ${PCAP_FILE_HEADER_LEN} bytes present)` };
    }
    const number = this.sink.frames + 1;
    if (unitLen === null) {
      return { frame: number, message: `capture file ends in the record header of packet ${number} (at byte ${fileOffset}: ${have} of ${PCAP_RECORD_HEADER_LEN} bytes present)` };
    }
    return {
      frame: number,
      message: `capture file ends in the middle of packet ${number} (record header at byte ${fileOffset} promises ` +
        `${unitLen - PCAP_RECORD_HEADER_LEN} bytes, ${have - PCAP_RECORD_HEADER_LEN} present)`,
    };
  }

  /** The record's captured length (`cap`) or original length, in the order its version uses. */
  private lengths(buf: Uint8Array, pos: number, cap: boolean): number {
    const first = readU32(buf, pos + RH_CAPLEN, this.le);
    const second = readU32(buf, pos + RH_ORIGLEN, this.le);
    const swapped = this.lengthOrder === LengthOrder.LEN_FIRST || (this.lengthOrder === LengthOrder.EITHER && first > second);
    return cap !== swapped ? first : second;
  }

  private decodeFileHeader(buf: Uint8Array, pos: number): void {
    const le = this.le;
    const major = readU16(buf, pos + FH_VERSION_MAJOR, le);
    const minor = readU16(buf, pos + FH_VERSION_MINOR, le);
    if (major !== SUPPORTED_MAJOR_VERSION) {
      throw new CaptureFormatError(`unsupported pcap version ${major}.${minor} (only 2.x exists)`, FH_VERSION_MAJOR);
    }
    this.lengthOrder = minor < FIRST_MINOR_WITH_CAPLEN_FIRST ? LengthOrder.LEN_FIRST
      : minor === FIRST_MINOR_WITH_CAPLEN_FIRST ? LengthOrder.EITHER : LengthOrder.CAPLEN_FIRST;
    this.snapLen = readU32(buf, pos + FH_SNAPLEN, le);
    this.snapLimit = this.snapLen === 0 || this.snapLen > PCAP_MAX_CAPLEN ? PCAP_MAX_CAPLEN : this.snapLen;
    this.linkType = readU32(buf, pos + FH_LINKTYPE, le) & LINKTYPE_MASK;
    this.sink.addInterface(0, this.linkType, this.snapLen, null, this.nsPerFrac === 1 ? 1e9 : 1e6, 0);
    this.haveFileHeader = true;
  }
}
