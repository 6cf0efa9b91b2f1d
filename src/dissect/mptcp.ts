/**
 * MPTCP option (TCP option kind 30): RFC 6824 (v0) and RFC 8684 (v1).
 *
 * Parsing checks syntax only: the length must be one the subtype (and, where the RFC says so,
 * the TCP flags) allows. What the values mean (keys matching, tokens, HMACs) is checked later,
 * in src/reassembly, as Linux does in net/mptcp/options.c. A length that fits no layout becomes
 * a `MALFORMED` record that keeps its raw bytes and says why; the rest of the packet goes on.
 * A length that fits a layout but not the segment's flags (a 12-byte MP_JOIN on a non-SYN) is
 * decoded by its length, as Wireshark does, and carries the reason in `problem`.
 */
import { formatIpv4, formatIpv6 } from './address.js';
import { hex, u16, u32, u64 } from './bytes.js';
import { toBig } from './u64.js';
import { storeAsDoubles } from './double-fields.js';

/** RFC 8684 §3: subtype in the high nibble of byte 2. */
export const MptcpSubtype = {
  MP_CAPABLE: 0x0,
  MP_JOIN: 0x1,
  DSS: 0x2,
  ADD_ADDR: 0x3,
  REMOVE_ADDR: 0x4,
  MP_PRIO: 0x5,
  MP_FAIL: 0x6,
  MP_FASTCLOSE: 0x7,
  MP_TCPRST: 0x8,
  MP_EXPERIMENTAL: 0xf,
} as const;

export const SUBTYPE_NAMES: Record<number, string> = {
  0x0: 'MP_CAPABLE',
  0x1: 'MP_JOIN',
  0x2: 'DSS',
  0x3: 'ADD_ADDR',
  0x4: 'REMOVE_ADDR',
  0x5: 'MP_PRIO',
  0x6: 'MP_FAIL',
  0x7: 'MP_FASTCLOSE',
  0x8: 'MP_TCPRST',
  0xf: 'MP_EXPERIMENTAL',
};

// TCP flags the layouts depend on (RFC 9293 §3.1).
const TH_SYN = 0x02;
const TH_ACK = 0x10;

// MP_CAPABLE (RFC 8684 §3.1): byte 3 flags.
export const MPC_FLAG_A = 0x80; // checksum required
export const MPC_FLAG_B = 0x40; // extensibility
export const MPC_FLAG_C = 0x20; // v1: do not open new subflows to the source address
export const MPC_FLAG_H = 0x01; // HMAC-SHA1 (v0) / HMAC-SHA256 (v1)
const MPC_LEN_V1_SYN = 4;
const MPC_LEN_KEY = 12; // one key: v0 SYN and SYN/ACK, v1 SYN/ACK
const MPC_LEN_KEYS = 20; // both keys: third ACK
const MPC_LEN_KEYS_DLL = 22; // v1: + data-level length
const MPC_LEN_KEYS_DLL_CSUM = 24; // v1: + checksum

// MP_JOIN (RFC 8684 §3.2).
const MPJ_LEN_SYN = 12;
const MPJ_LEN_SYNACK = 16;
const MPJ_LEN_ACK = 24;
const MPJ_FLAG_BACKUP = 0x01;

// DSS (RFC 8684 §3.3): byte 3 flags.
export const DSS_FLAG_F = 0x10; // DATA_FIN
export const DSS_FLAG_m = 0x08; // DSN is 8 bytes
export const DSS_FLAG_M = 0x04; // mapping present
export const DSS_FLAG_a = 0x02; // data ACK is 8 bytes
export const DSS_FLAG_A = 0x01; // data ACK present

// ADD_ADDR (RFC 6824 §3.4.1 v0, RFC 8684 §3.4.1 v1).
const ADD_ADDR_V0_IPV4 = 4;
const ADD_ADDR_V0_IPV6 = 6;
const ADD_ADDR_ECHO = 0x01;
const ADD_ADDR_PORT_LEN = 2;

const MP_PRIO_BACKUP = 0x01;
const MP_FAIL_LEN = 12;
const MP_FASTCLOSE_LEN = 12;
const MP_TCPRST_LEN = 4;

// MP_TCPRST (RFC 8684 §3.6): flags in the low nibble of byte 2.
export const TCPRST_FLAG_U = 0x08;
export const TCPRST_FLAG_V = 0x04;
export const TCPRST_FLAG_W = 0x02;
export const TCPRST_FLAG_T = 0x01; // transient

export const TCPRST_REASONS: Record<number, string> = {
  0: 'unspecified error',
  1: 'MPTCP-specific error',
  2: 'lack of resources',
  3: 'administratively prohibited',
  4: 'too much outstanding data',
  5: 'unacceptable performance',
  6: 'middlebox interference',
};

interface OptionBase {
  /** Offset of the option's kind byte in the frame. */
  offset: number;
  /** The option's length byte. */
  length: number;
  /** Byte 2 (subtype nibble and subtype-specific bits) and byte 3 (flags) as on the wire. */
  byte2: number;
  byte3: number;
  /** Set when the layout fits the length but not the segment (e.g. TCP flags): why. */
  problem: string | null;
}

export interface MpCapable extends OptionBase {
  subtype: 'MP_CAPABLE';
  version: number;
  flags: number;
  checksumRequired: boolean;
  extensibility: boolean;
  noNewSubflowsToSource: boolean;
  hmacSha: boolean;
  senderKey: bigint | null;
  receiverKey: bigint | null;
  /** v1 third ACK with data: data-level length of the implicit mapping. */
  dataLen: number | null;
  checksum: number | null;
}

export interface MpJoin extends OptionBase {
  subtype: 'MP_JOIN';
  phase: 'SYN' | 'SYN/ACK' | 'ACK';
  backup: boolean;
  addrId: number | null;
  receiverToken: number | null;
  senderNonce: number | null;
  senderTruncHmac: bigint | null;
  /** Third ACK: the 160-bit HMAC as lower-case hex. */
  senderHmac: string | null;
}

export interface Dss extends OptionBase {
  subtype: 'DSS';
  flags: number;
  dataFin: boolean;
  /** Raw data ACK as on the wire (low 32 bits only when `dataAck64` is false). */
  readonly dataAck: bigint | null;
  dataAck64: boolean;
  /** Raw data sequence number as on the wire (low 32 bits when `dataSeq64` is false). */
  readonly dataSeq: bigint | null;
  dataSeq64: boolean;
  /** Relative to the subflow's ISN: the subflow's first payload byte has SSN 1. */
  subflowSeq: number | null;
  dataLen: number | null;
  checksum: number | null;
  /** The same numbers for the hot path, as 32-bit halves (not in JSON output: a symbol key). */
  readonly [DSS_WIRE]: DssWire;
}

/** Where a DSS record keeps its data ACK and DSN as plain numbers (see DssWire). */
export const DSS_WIRE: unique symbol = Symbol('DSS wire numbers');

/** dataAck and dataSeq as 32-bit halves: the hot path reads these and makes no BigInt. */
export interface DssWire {
  hasAck: boolean;
  ackHi: number;
  ackLo: number;
  hasSeq: boolean;
  seqHi: number;
  seqLo: number;
}

export interface AddAddr extends OptionBase {
  subtype: 'ADD_ADDR';
  /** 0: RFC 6824 layout (IP version nibble); 1: RFC 8684 layout (echo bit, HMAC). */
  format: 0 | 1;
  echo: boolean;
  ipVersion: 4 | 6;
  addrId: number;
  address: string;
  /** The address bytes (4 or 16), copied: the HMAC check needs them after the packet is gone. */
  addressBytes: Uint8Array;
  port: number | null;
  truncHmac: bigint | null;
}

export interface RemoveAddr extends OptionBase {
  subtype: 'REMOVE_ADDR';
  addrIds: number[];
}

export interface MpPrio extends OptionBase {
  subtype: 'MP_PRIO';
  backup: boolean;
  addrId: number | null;
}

export interface MpFail extends OptionBase {
  subtype: 'MP_FAIL';
  dataSeq: bigint;
}

export interface MpFastclose extends OptionBase {
  subtype: 'MP_FASTCLOSE';
  receiverKey: bigint;
}

export interface MpTcpRst extends OptionBase {
  subtype: 'MP_TCPRST';
  flags: number;
  transient: boolean;
  reason: number;
}

export interface MpExperimental extends OptionBase {
  subtype: 'MP_EXPERIMENTAL';
  raw: string;
}

export interface MpUnknown extends OptionBase {
  subtype: 'UNKNOWN';
  subtypeCode: number;
  raw: string;
}

export interface MpMalformed extends OptionBase {
  subtype: 'MALFORMED';
  subtypeCode: number;
  raw: string;
  reason: string;
}

export type MptcpOption =
  | MpCapable
  | MpJoin
  | Dss
  | AddAddr
  | RemoveAddr
  | MpPrio
  | MpFail
  | MpFastclose
  | MpTcpRst
  | MpExperimental
  | MpUnknown
  | MpMalformed;

/**
 * Decode one MPTCP option. `opt` is the whole option (kind and length bytes included), already
 * cut to its length byte by the TCP option walker; `offset` is where it starts in the frame.
 */
export function decodeMptcpOption(opt: Uint8Array, tcpFlags: number, offset: number): MptcpOption {
  const length = opt.length;
  if (length < 3) {
    return malformedOption(opt, offset, -1, `option length ${length} is too short for an MPTCP option (at least 3)`);
  }
  const byte2 = opt[2] as number;
  const code = byte2 >> 4;
  switch (code) {
    case MptcpSubtype.MP_CAPABLE:
      return decodeMpCapable(opt, tcpFlags, offset);
    case MptcpSubtype.MP_JOIN:
      return decodeMpJoin(opt, tcpFlags, offset);
    case MptcpSubtype.DSS:
      return decodeDss(opt, offset);
    case MptcpSubtype.ADD_ADDR:
      return decodeAddAddr(opt, offset);
    case MptcpSubtype.REMOVE_ADDR:
      return decodeRemoveAddr(opt, offset);
    case MptcpSubtype.MP_PRIO:
      return decodeMpPrio(opt, offset);
    case MptcpSubtype.MP_FAIL:
      return decodeMpFail(opt, offset);
    case MptcpSubtype.MP_FASTCLOSE:
      return decodeMpFastclose(opt, offset);
    case MptcpSubtype.MP_TCPRST:
      return decodeMpTcpRst(opt, tcpFlags, offset);
    case MptcpSubtype.MP_EXPERIMENTAL:
      return { subtype: 'MP_EXPERIMENTAL', offset, length, byte2, byte3: opt[3] ?? 0, problem: null, raw: hex(opt) };
    default:
      return { subtype: 'UNKNOWN', offset, length, byte2, byte3: opt[3] ?? 0, problem: null, subtypeCode: code, raw: hex(opt) };
  }
}

function malformedOption(opt: Uint8Array, offset: number, code: number, reason: string): MpMalformed {
  return {
    subtype: 'MALFORMED',
    offset,
    length: opt.length,
    byte2: opt[2] ?? 0,
    byte3: opt[3] ?? 0,
    problem: reason,
    subtypeCode: code,
    raw: hex(opt),
    reason,
  };
}

function flagsName(tcpFlags: number): string {
  const syn = (tcpFlags & TH_SYN) !== 0;
  const ack = (tcpFlags & TH_ACK) !== 0;
  return syn ? (ack ? 'SYN/ACK' : 'SYN') : ack ? 'ACK' : 'segment without SYN or ACK';
}

function decodeMpCapable(opt: Uint8Array, tcpFlags: number, offset: number): MpCapable | MpMalformed {
  const length = opt.length;
  const byte2 = opt[2] as number;
  const version = byte2 & 0x0f;
  if (length < 4) return malformedOption(opt, offset, MptcpSubtype.MP_CAPABLE, `MP_CAPABLE of ${length} bytes has no flags byte`);
  const flags = opt[3] as number;
  const valid =
    version === 0 ? length === MPC_LEN_KEY || length === MPC_LEN_KEYS : [MPC_LEN_V1_SYN, MPC_LEN_KEY, MPC_LEN_KEYS, MPC_LEN_KEYS_DLL, MPC_LEN_KEYS_DLL_CSUM].includes(length);
  if (!valid) {
    return malformedOption(opt, offset, MptcpSubtype.MP_CAPABLE, `MP_CAPABLE v${version} cannot be ${length} bytes`);
  }
  const syn = (tcpFlags & TH_SYN) !== 0;
  const ack = (tcpFlags & TH_ACK) !== 0;
  let problem: string | null = null;
  if (version === 1) {
    const expected = syn && !ack ? [MPC_LEN_V1_SYN] : syn && ack ? [MPC_LEN_KEY] : [MPC_LEN_KEYS, MPC_LEN_KEYS_DLL, MPC_LEN_KEYS_DLL_CSUM];
    if (!expected.includes(length)) problem = `MP_CAPABLE v1 of ${length} bytes on a ${flagsName(tcpFlags)}`;
  } else {
    const expected = syn ? MPC_LEN_KEY : MPC_LEN_KEYS;
    if (length !== expected) problem = `MP_CAPABLE v0 of ${length} bytes on a ${flagsName(tcpFlags)}`;
  }
  return {
    subtype: 'MP_CAPABLE',
    offset,
    length,
    byte2,
    byte3: flags,
    problem,
    version,
    flags,
    checksumRequired: (flags & MPC_FLAG_A) !== 0,
    extensibility: (flags & MPC_FLAG_B) !== 0,
    noNewSubflowsToSource: version >= 1 && (flags & MPC_FLAG_C) !== 0,
    hmacSha: (flags & MPC_FLAG_H) !== 0,
    senderKey: length >= MPC_LEN_KEY ? u64(opt, 4) : null,
    receiverKey: length >= MPC_LEN_KEYS ? u64(opt, 12) : null,
    dataLen: length >= MPC_LEN_KEYS_DLL ? u16(opt, 20) : null,
    checksum: length >= MPC_LEN_KEYS_DLL_CSUM ? u16(opt, 22) : null,
  };
}

function decodeMpJoin(opt: Uint8Array, tcpFlags: number, offset: number): MpJoin | MpMalformed {
  const length = opt.length;
  const byte2 = opt[2] as number;
  const byte3 = opt[3] ?? 0;
  const syn = (tcpFlags & TH_SYN) !== 0;
  const ack = (tcpFlags & TH_ACK) !== 0;
  const backup = (byte2 & MPJ_FLAG_BACKUP) !== 0;
  // one object literal per layout, every field set: the records stay monomorphic
  switch (length) {
    case MPJ_LEN_SYN:
      return {
        subtype: 'MP_JOIN',
        offset,
        length,
        byte2,
        byte3,
        problem: syn && !ack ? null : `MP_JOIN of 12 bytes (SYN layout) on a ${flagsName(tcpFlags)}`,
        phase: 'SYN',
        backup,
        addrId: byte3,
        receiverToken: u32(opt, 4),
        senderNonce: u32(opt, 8),
        senderTruncHmac: null,
        senderHmac: null,
      };
    case MPJ_LEN_SYNACK:
      return {
        subtype: 'MP_JOIN',
        offset,
        length,
        byte2,
        byte3,
        problem: syn && ack ? null : `MP_JOIN of 16 bytes (SYN/ACK layout) on a ${flagsName(tcpFlags)}`,
        phase: 'SYN/ACK',
        backup,
        addrId: byte3,
        receiverToken: null,
        senderNonce: u32(opt, 12),
        senderTruncHmac: u64(opt, 4),
        senderHmac: null,
      };
    case MPJ_LEN_ACK:
      return {
        subtype: 'MP_JOIN',
        offset,
        length,
        byte2,
        byte3,
        problem: !syn && ack ? null : `MP_JOIN of 24 bytes (ACK layout) on a ${flagsName(tcpFlags)}`,
        phase: 'ACK',
        backup: false,
        addrId: null,
        receiverToken: null,
        senderNonce: null,
        senderTruncHmac: null,
        senderHmac: hex(opt, 4, 24),
      };
    default:
      return malformedOption(opt, offset, MptcpSubtype.MP_JOIN, `MP_JOIN cannot be ${length} bytes (12 on SYN, 16 on SYN/ACK, 24 on ACK)`);
  }
}

/** Length of a DSS option with these flags, checksum not counted. */
export function dssExpectedLength(flags: number): number {
  let n = 4;
  if (flags & DSS_FLAG_A) n += flags & DSS_FLAG_a ? 8 : 4;
  if (flags & DSS_FLAG_M) n += (flags & DSS_FLAG_m ? 8 : 4) + 4 + 2;
  return n;
}

function decodeDss(opt: Uint8Array, offset: number): Dss | MpMalformed {
  const length = opt.length;
  if (length < 4) return malformedOption(opt, offset, MptcpSubtype.DSS, `DSS of ${length} bytes has no flags byte`);
  const rec = newDss();
  if (readDss(opt, 0, length, offset, rec)) return rec;
  const flags = opt[3] as number;
  const expected = dssExpectedLength(flags);
  const hasMapping = (flags & DSS_FLAG_M) !== 0;
  return malformedOption(
    opt,
    offset,
    MptcpSubtype.DSS,
    `DSS with flags 0x${flags.toString(16).padStart(2, '0')} must be ${expected}${hasMapping ? ` or ${expected + 2}` : ''} bytes, not ${length}`,
  );
}

/**
 * dataAck and dataSeq: BigInts only for whoever prints them. Own, enumerable accessors (the JSON
 * output lists them with the other fields), and the same two functions on every record: accessors
 * made per record (an object literal's `get`) give each record its own hidden class, and V8 then
 * turns every record after the first into a dictionary, where each field read and write on the
 * hot path is a hash lookup (`analyze` ran ~1.3× slower for it).
 * test/dissect/dss-record.test.ts checks that records keep fast properties.
 */
const DATA_ACK: PropertyDescriptor = {
  enumerable: true,
  get(this: Dss): bigint | null {
    const w = this[DSS_WIRE];
    return w.hasAck ? toBig(w.ackHi, w.ackLo) : null;
  },
};
const DATA_SEQ: PropertyDescriptor = {
  enumerable: true,
  get(this: Dss): bigint | null {
    const w = this[DSS_WIRE];
    return w.hasSeq ? toBig(w.seqHi, w.seqLo) : null;
  },
};

class DssRecord {
  declare readonly [DSS_WIRE]: DssWire;
  declare readonly subtype: 'DSS';
  declare offset: number;
  declare length: number;
  declare byte2: number;
  declare byte3: number;
  declare problem: string | null;
  declare flags: number;
  declare dataFin: boolean;
  declare readonly dataAck: bigint | null;
  declare dataAck64: boolean;
  declare readonly dataSeq: bigint | null;
  declare dataSeq64: boolean;
  declare subflowSeq: number | null;
  declare dataLen: number | null;
  declare checksum: number | null;

  constructor() {
    const wire: DssWire = { hasAck: false, ackHi: 0, ackLo: 0, hasSeq: false, seqHi: 0, seqLo: 0 };
    storeAsDoubles(wire, ['ackHi', 'ackLo', 'seqHi', 'seqLo']);
    // Assigned here, in the order the JSON output lists them (class fields would all come before
    // the accessors).
    const self = this as { -readonly [K in keyof DssRecord]: DssRecord[K] };
    self[DSS_WIRE] = wire;
    self.subtype = 'DSS';
    self.offset = 0;
    self.length = 0;
    self.byte2 = 0;
    self.byte3 = 0;
    self.problem = null;
    self.flags = 0;
    self.dataFin = false;
    Object.defineProperty(this, 'dataAck', DATA_ACK);
    self.dataAck64 = false;
    Object.defineProperty(this, 'dataSeq', DATA_SEQ);
    self.dataSeq64 = false;
    self.subflowSeq = null;
    self.dataLen = null;
    self.checksum = null;
  }
}

/** An empty DSS record (for readDss to fill: the hot path reuses one). */
export function newDss(): Dss {
  return new DssRecord();
}

/**
 * Read the DSS option of `length` bytes at b[o..] into `rec` (every field set), in place: no copy
 * of the bytes, no new record. False when the length fits no layout of its flags (the caller then
 * reports it as malformed). `offset` is where the option starts in the frame.
 */
export function readDss(b: Uint8Array, o: number, length: number, offset: number, rec: Dss): boolean {
  if (length < 4) return false;
  const flags = b[o + 3] as number;
  const expected = dssExpectedLength(flags);
  const hasMapping = (flags & DSS_FLAG_M) !== 0;
  const withChecksum = hasMapping && length === expected + 2;
  if (length !== expected && !withChecksum) return false;
  let p = o + 4;
  const dataAck64 = (flags & DSS_FLAG_A) !== 0 && (flags & DSS_FLAG_a) !== 0;
  const wire = rec[DSS_WIRE];
  wire.hasAck = (flags & DSS_FLAG_A) !== 0;
  if (wire.hasAck) {
    wire.ackHi = dataAck64 ? u32(b, p) : 0;
    wire.ackLo = u32(b, dataAck64 ? p + 4 : p);
    p += dataAck64 ? 8 : 4;
  }
  const dataSeq64 = hasMapping && (flags & DSS_FLAG_m) !== 0;
  wire.hasSeq = hasMapping;
  rec.subflowSeq = null;
  rec.dataLen = null;
  rec.checksum = null;
  if (hasMapping) {
    wire.seqHi = dataSeq64 ? u32(b, p) : 0;
    wire.seqLo = u32(b, dataSeq64 ? p + 4 : p);
    p += dataSeq64 ? 8 : 4;
    rec.subflowSeq = u32(b, p);
    rec.dataLen = u16(b, p + 4);
    if (withChecksum) rec.checksum = u16(b, p + 6);
  }
  rec.offset = offset;
  rec.length = length;
  rec.byte2 = b[o + 2] as number;
  rec.byte3 = flags;
  rec.problem = null;
  rec.flags = flags;
  rec.dataFin = (flags & DSS_FLAG_F) !== 0;
  rec.dataAck64 = dataAck64;
  rec.dataSeq64 = dataSeq64;
  return true;
}

function decodeAddAddr(opt: Uint8Array, offset: number): AddAddr | MpMalformed {
  const length = opt.length;
  const byte2 = opt[2] as number;
  const nibble = byte2 & 0x0f;
  if (length < 4) return malformedOption(opt, offset, MptcpSubtype.ADD_ADDR, `ADD_ADDR of ${length} bytes has no address ID`);
  const addrId = opt[3] as number;
  // The low nibble tells the layouts apart: RFC 6824 puts the IP version (4 or 6) there,
  // RFC 8684 only the E bit.
  if (nibble === ADD_ADDR_V0_IPV4 || nibble === ADD_ADDR_V0_IPV6) {
    const addrLen = nibble === ADD_ADDR_V0_IPV4 ? 4 : 16;
    const bare = 4 + addrLen;
    if (length !== bare && length !== bare + ADD_ADDR_PORT_LEN) {
      return malformedOption(opt, offset, MptcpSubtype.ADD_ADDR, `ADD_ADDR (RFC 6824) for IPv${nibble} must be ${bare} or ${bare + 2} bytes, not ${length}`);
    }
    return addAddr(opt, offset, 0, false, nibble, addrId, length === bare + ADD_ADDR_PORT_LEN, false);
  }
  const echo = (nibble & ADD_ADDR_ECHO) !== 0;
  let problem: string | null = nibble & ~ADD_ADDR_ECHO ? `ADD_ADDR reserved bits 0x${(nibble & ~ADD_ADDR_ECHO).toString(16)} set` : null;
  // RFC 8684 §3.4.1: the length alone says which of address family, port and HMAC are present.
  const layouts: Array<[number, 4 | 6, boolean, boolean]> = [
    [8, 4, false, false],
    [10, 4, true, false],
    [16, 4, false, true],
    [18, 4, true, true],
    [20, 6, false, false],
    [22, 6, true, false],
    [28, 6, false, true],
    [30, 6, true, true],
  ];
  const layout = layouts.find((l) => l[0] === length);
  if (!layout) {
    return malformedOption(opt, offset, MptcpSubtype.ADD_ADDR, `ADD_ADDR cannot be ${length} bytes (IPv4: 8, 10, 16, 18; IPv6: 20, 22, 28, 30)`);
  }
  const [, ipVersion, hasPort, hasHmac] = layout;
  const layoutProblem = echo && hasHmac ? `ADD_ADDR echo (E=1) of ${length} bytes carries an HMAC` : !echo && !hasHmac ? `ADD_ADDR of ${length} bytes without echo (E=0) has no HMAC` : null;
  if (layoutProblem) problem = problem ? `${problem}; ${layoutProblem}` : layoutProblem;
  const rec = addAddr(opt, offset, 1, echo, ipVersion, addrId, hasPort, hasHmac);
  rec.problem = problem;
  return rec;
}

function addAddr(opt: Uint8Array, offset: number, format: 0 | 1, echo: boolean, ipVersion: number, addrId: number, hasPort: boolean, hasHmac: boolean): AddAddr {
  const addrLen = ipVersion === 4 ? 4 : 16;
  const portAt = 4 + addrLen;
  const hmacAt = portAt + (hasPort ? ADD_ADDR_PORT_LEN : 0);
  return {
    subtype: 'ADD_ADDR',
    offset,
    length: opt.length,
    byte2: opt[2] as number,
    byte3: addrId,
    problem: null,
    format,
    echo,
    ipVersion: ipVersion === 4 ? 4 : 6,
    addrId,
    address: ipVersion === 4 ? formatIpv4(opt, 4) : formatIpv6(opt, 4),
    // Copy (ownership changes): the address book outlives the packet buffer.
    addressBytes: opt.slice(4, 4 + addrLen),
    port: hasPort ? u16(opt, portAt) : null,
    truncHmac: hasHmac ? u64(opt, hmacAt) : null,
  };
}

function decodeRemoveAddr(opt: Uint8Array, offset: number): RemoveAddr | MpMalformed {
  if (opt.length < 4) return malformedOption(opt, offset, MptcpSubtype.REMOVE_ADDR, `REMOVE_ADDR of ${opt.length} bytes lists no address ID`);
  return {
    subtype: 'REMOVE_ADDR',
    offset,
    length: opt.length,
    byte2: opt[2] as number,
    byte3: opt[3] as number,
    problem: null,
    addrIds: Array.from(opt.subarray(3)),
  };
}

function decodeMpPrio(opt: Uint8Array, offset: number): MpPrio | MpMalformed {
  if (opt.length !== 3 && opt.length !== 4) return malformedOption(opt, offset, MptcpSubtype.MP_PRIO, `MP_PRIO must be 3 or 4 bytes, not ${opt.length}`);
  const byte2 = opt[2] as number;
  return {
    subtype: 'MP_PRIO',
    offset,
    length: opt.length,
    byte2,
    byte3: opt[3] ?? 0,
    problem: null,
    backup: (byte2 & MP_PRIO_BACKUP) !== 0,
    addrId: opt.length === 4 ? (opt[3] as number) : null,
  };
}

function decodeMpFail(opt: Uint8Array, offset: number): MpFail | MpMalformed {
  if (opt.length !== MP_FAIL_LEN) return malformedOption(opt, offset, MptcpSubtype.MP_FAIL, `MP_FAIL must be 12 bytes, not ${opt.length}`);
  return { subtype: 'MP_FAIL', offset, length: opt.length, byte2: opt[2] as number, byte3: opt[3] as number, problem: null, dataSeq: u64(opt, 4) };
}

function decodeMpFastclose(opt: Uint8Array, offset: number): MpFastclose | MpMalformed {
  if (opt.length !== MP_FASTCLOSE_LEN) return malformedOption(opt, offset, MptcpSubtype.MP_FASTCLOSE, `MP_FASTCLOSE must be 12 bytes, not ${opt.length}`);
  return { subtype: 'MP_FASTCLOSE', offset, length: opt.length, byte2: opt[2] as number, byte3: opt[3] as number, problem: null, receiverKey: u64(opt, 4) };
}

function decodeMpTcpRst(opt: Uint8Array, tcpFlags: number, offset: number): MpTcpRst | MpMalformed {
  if (opt.length !== MP_TCPRST_LEN) return malformedOption(opt, offset, MptcpSubtype.MP_TCPRST, `MP_TCPRST must be 4 bytes, not ${opt.length}`);
  const byte2 = opt[2] as number;
  const flags = byte2 & 0x0f;
  const TH_RST = 0x04;
  return {
    subtype: 'MP_TCPRST',
    offset,
    length: opt.length,
    byte2,
    byte3: opt[3] as number,
    problem: tcpFlags & TH_RST ? null : 'MP_TCPRST on a segment without RST',
    flags,
    transient: (flags & TCPRST_FLAG_T) !== 0,
    reason: opt[3] as number,
  };
}
