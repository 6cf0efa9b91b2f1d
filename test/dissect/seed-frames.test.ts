/**
 * The three seed frames of docs/mptcp-reference.md (Linux cooked capture, link type 113), as
 * printed in hex in the seed slides on MPTCP-aware curl.
 *
 * The TCP checksum is not verified by the dissector, on purpose: frames 11 and 1624 were captured
 * on the sending side (checksum offload), so their checksums are not the final ones, and a packet
 * is never rejected or flagged for a bad TCP checksum. The last test below pins that down.
 */
import { describe, expect, it } from 'vitest';
import { decodePacket } from '../../src/dissect/packet.ts';
import type { MptcpOption } from '../../src/dissect/mptcp.ts';
import type { TcpOption } from '../../src/dissect/tcp.ts';
import { frame, fromHex } from '../helpers/frames.ts';

const LINUX_SLL = 113;

// Frame 11: MP_JOIN SYN 10.0.0.1:59200 → 10.0.0.4:80
//   0  00 04 00 01 00 06 82 69 01 be f0 18 00 00 08 00   SLL: outgoing, ARPHRD_ETHER, proto 0x0800
//  16  45 00 00 48 b1 ba 40 00 40 06 74 f1 0a 00 00 01   IPv4, total 72, DF, TCP, 10.0.0.1
//  32  0a 00 00 04                                       → 10.0.0.4
//  36  e7 40 00 50 b6 56 77 a5 00 00 00 00 d0 02 72 10   TCP 59200 → 80, hl 52, SYN
//  52  14 3f 00 00                                       checksum, urgent
//  56  02 04 05 b4 04 02 08 0a 00 22 c6 1f 00 00 00 00   MSS 1460, SACK_PERM, TS
//  72  01 03 03 09                                       NOP, WS 9
//  76  1e 0c 10 02 d3 c5 3d 2c 34 8f 58 c8               MP_JOIN SYN: id 2, token, nonce
const FRAME_11 = fromHex(`
  00 04 00 01 00 06 82 69 01 be f0 18 00 00 08 00 45 00 00 48 b1 ba 40 00 40 06 74 f1 0a 00 00 01
  0a 00 00 04 e7 40 00 50 b6 56 77 a5 00 00 00 00 d0 02 72 10 14 3f 00 00 02 04 05 b4 04 02 08 0a
  00 22 c6 1f 00 00 00 00 01 03 03 09 1e 0c 10 02 d3 c5 3d 2c 34 8f 58 c8`);

// Frame 43: MP_JOIN SYN/ACK 10.0.0.4:80 → 10.0.0.1:59200
//   0  00 00 00 01 00 06 b2 66 75 3c 01 52 00 00 08 00   SLL: to us
//  16  45 00 00 4c fb 64 40 00 40 06 2b 43 0a 00 00 04   IPv4, total 76
//  32  0a 00 00 01
//  36  00 50 e7 40 e5 03 21 d4 b6 56 77 a6 e0 12 6f 90   TCP 80 → 59200, hl 56, SYN+ACK
//  52  76 c0 00 00
//  56  02 04 05 b4 04 02 08 0a 00 22 c6 20 00 22 c6 1f   MSS, SACK_PERM, TS
//  72  01 03 03 09                                       NOP, WS 9
//  76  1e 10 10 03 6a aa 62 48 58 2e 0a 8b 44 13 c2 cb   MP_JOIN SYN/ACK: id 3, trunc HMAC, nonce
const FRAME_43 = fromHex(`
  00 00 00 01 00 06 b2 66 75 3c 01 52 00 00 08 00 45 00 00 4c fb 64 40 00 40 06 2b 43 0a 00 00 04
  0a 00 00 01 00 50 e7 40 e5 03 21 d4 b6 56 77 a6 e0 12 6f 90 76 c0 00 00 02 04 05 b4 04 02 08 0a
  00 22 c6 20 00 22 c6 1f 01 03 03 09 1e 10 10 03 6a aa 62 48 58 2e 0a 8b 44 13 c2 cb`);

// Frame 1624: DSS with only a 4-byte data ACK, 10.0.0.3:41938 → 10.0.0.2:80
//   0  00 04 00 01 00 06 0a 62 0b b3 40 32 00 00 08 00   SLL: outgoing
//  16  45 00 00 3c f9 62 40 00 40 06 2d 55 0a 00 00 03   IPv4, total 60
//  32  0a 00 00 02
//  36  a3 d2 00 50 27 cc aa 7e 8d 93 4d 2c a0 10 02 b3   TCP 41938 → 80, hl 40, ACK
//  52  14 33 00 00
//  56  01 01 08 0a 00 15 54 5a 00 15 54 58               NOP, NOP, TS
//  68  1e 08 20 01 8f a4 c3 a7                           DSS flags A: data ACK 0x8fa4c3a7
const FRAME_1624 = fromHex(`
  00 04 00 01 00 06 0a 62 0b b3 40 32 00 00 08 00 45 00 00 3c f9 62 40 00 40 06 2d 55 0a 00 00 03
  0a 00 00 02 a3 d2 00 50 27 cc aa 7e 8d 93 4d 2c a0 10 02 b3 14 33 00 00 01 01 08 0a 00 15 54 5a
  00 15 54 58 1e 08 20 01 8f a4 c3 a7`);

function mptcpOptions(options: TcpOption[]): MptcpOption[] {
  return options.flatMap((o) => (o.kind === 'MPTCP' ? [o.mptcp] : []));
}

describe('seed frames (Linux cooked)', () => {
  it.each([
    { name: 'frame 11', data: FRAME_11, src: '10.0.0.1', dst: '10.0.0.4', srcPort: 59200, dstPort: 80, flags: 0x002 },
    { name: 'frame 43', data: FRAME_43, src: '10.0.0.4', dst: '10.0.0.1', srcPort: 80, dstPort: 59200, flags: 0x012 },
    { name: 'frame 1624', data: FRAME_1624, src: '10.0.0.3', dst: '10.0.0.2', srcPort: 41938, dstPort: 80, flags: 0x010 },
  ])('$name: addresses, ports, flags, no problems', ({ data, src, dst, srcPort, dstPort, flags }) => {
    const pkt = decodePacket(frame(data, LINUX_SLL));
    expect(pkt.link).toBe('Linux cooked');
    expect(pkt.protocol).toBe('MPTCP');
    expect(pkt.ips).toHaveLength(1);
    expect(pkt.ips[0]).toMatchObject({ version: 4, src, dst, protocol: 6, offset: 16, headerLen: 20 });
    expect(pkt.tcp).toMatchObject({ srcPort, dstPort, flags, payloadLen: 0 });
    expect(pkt.problems).toEqual([]);
  });

  it('frame 11: MP_JOIN SYN, address ID 2, token 0xd3c53d2c, nonce 0x348f58c8', () => {
    const pkt = decodePacket(frame(FRAME_11, LINUX_SLL));
    expect(pkt.tcp?.options.map((o) => o.kind)).toEqual(['MSS', 'SACK_PERM', 'TIMESTAMPS', 'NOP', 'WSCALE', 'MPTCP']);
    expect(pkt.tcp?.options).toContainEqual({ kind: 'MSS', offset: 56, mss: 1460 });
    expect(pkt.tcp?.options).toContainEqual({ kind: 'WSCALE', offset: 73, shift: 9 });
    const [join, ...rest] = mptcpOptions(pkt.tcp?.options ?? []);
    expect(rest).toEqual([]);
    expect(join).toEqual({
      subtype: 'MP_JOIN', offset: 76, length: 12, byte2: 0x10, byte3: 0x02, problem: null,
      phase: 'SYN', backup: false, addrId: 2, receiverToken: 0xd3c53d2c, senderNonce: 0x348f58c8,
      senderTruncHmac: null, senderHmac: null,
    });
  });

  it('frame 43: MP_JOIN SYN/ACK, address ID 3, truncated HMAC 0x6aaa6248582e0a8b, nonce 0x4413c2cb', () => {
    const pkt = decodePacket(frame(FRAME_43, LINUX_SLL));
    const [join, ...rest] = mptcpOptions(pkt.tcp?.options ?? []);
    expect(rest).toEqual([]);
    expect(join).toEqual({
      subtype: 'MP_JOIN', offset: 76, length: 16, byte2: 0x10, byte3: 0x03, problem: null,
      phase: 'SYN/ACK', backup: false, addrId: 3, receiverToken: null, senderNonce: 0x4413c2cb,
      senderTruncHmac: 0x6aaa6248582e0a8bn, senderHmac: null,
    });
  });

  it('frame 1624: DSS with only a 4-byte data ACK 0x8fa4c3a7', () => {
    const pkt = decodePacket(frame(FRAME_1624, LINUX_SLL));
    expect(pkt.tcp?.options.map((o) => o.kind)).toEqual(['NOP', 'NOP', 'TIMESTAMPS', 'MPTCP']);
    expect(pkt.tcp?.options).toContainEqual({ kind: 'TIMESTAMPS', offset: 58, tsVal: 0x0015545a, tsEcr: 0x00155458 });
    const [dss, ...rest] = mptcpOptions(pkt.tcp?.options ?? []);
    expect(rest).toEqual([]);
    const want = {
      subtype: 'DSS', offset: 68, length: 8, byte2: 0x20, byte3: 0x01, problem: null,
      flags: 0x01, dataFin: false, dataAck: 0x8fa4c3a7n, dataAck64: false,
      dataSeq: null, dataSeq64: false, subflowSeq: null, dataLen: null, checksum: null,
    };
    expect(dss).toMatchObject(want);
    // nothing else (the 32-bit halves the hot path reads sit under a symbol key, not in JSON)
    expect(Object.keys(dss as object).sort()).toEqual(Object.keys(want).sort());
  });

  it.each([
    { name: 'frame 11', data: FRAME_11 },
    { name: 'frame 1624', data: FRAME_1624 },
  ])('$name: a wrong TCP checksum (send-side offload) is not a problem', ({ data }) => {
    const copy = data.slice();
    copy[52] = (copy[52] as number) ^ 0xff; // TCP checksum, high byte
    const pkt = decodePacket(frame(copy, LINUX_SLL));
    expect(pkt.tcp?.checksum).toBe((((data[52] as number) ^ 0xff) << 8) | (data[53] as number));
    expect(pkt.problems).toEqual([]);
  });
});
