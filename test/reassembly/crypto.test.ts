/**
 * Known-answer tests for MPTCP's cryptography. Every expected value comes from a real capture
 * (docs/mptcp-reference.md, "verified") and was recomputed independently with Python's
 * hashlib/hmac; each vector has a negative twin with one input bit flipped.
 */
import { describe, expect, it } from 'vitest';
import { addAddrHmac, joinAckHmac, joinSynAckHmac, keyMaterial, type MptcpVersion } from '../../src/reassembly/crypto.ts';

describe('keyMaterial: token = top 32 bits, IDSN = low 64 bits of SHA-1 (v0) / SHA-256 (v1) of the key', () => {
  it.each([
    // v0, netcat-mptcp seed captures
    { version: 0 as MptcpVersion, key: 5718685676031498307n, token: 2013417082, idsn: 4246710274791923459n },
    { version: 0 as MptcpVersion, key: 1972570044160942659n, token: 984124602, idsn: 6050565140442125338n },
    // v1, tcpdump's tests/mptcp-v1.pcap
    { version: 1 as MptcpVersion, key: 3001306557161771836n, token: 2740809090, idsn: 11713449205243392241n },
  ])('v$version key $key → token $token, IDSN $idsn', ({ version, key, token, idsn }) => {
    expect(keyMaterial(key, version)).toEqual({ token, idsn });
  });

  it.each([
    { version: 0 as MptcpVersion, key: 5718685676031498307n, token: 2013417082, idsn: 4246710274791923459n },
    { version: 0 as MptcpVersion, key: 1972570044160942659n, token: 984124602, idsn: 6050565140442125338n },
    { version: 1 as MptcpVersion, key: 3001306557161771836n, token: 2740809090, idsn: 11713449205243392241n },
  ])('v$version key $key with its lowest bit flipped matches neither token nor IDSN', ({ version, key, token, idsn }) => {
    const km = keyMaterial(key ^ 1n, version);
    expect(km.token).not.toBe(token);
    expect(km.idsn).not.toBe(idsn);
  });

  it('the version picks the hash: the v1 key under SHA-1 gives another token', () => {
    expect(keyMaterial(3001306557161771836n, 0).token).not.toBe(2740809090);
  });

  it('the token is unsigned (top bit set) and the IDSN a full 64-bit value', () => {
    const { token, idsn } = keyMaterial(3001306557161771836n, 1);
    expect(token).toBeGreaterThan(0x7fffffff);
    expect(idsn).toBeGreaterThan(1n << 63n);
  });
});

/*
 * Linux 6.18 v1 join. The client sent the join SYN, so it is A (RFC 8684 §3.2) and the server B:
 *   SYN/ACK (from B) = HMAC(KeyB‖KeyA, nonceB‖nonceA)[0..8]  → joinSynAckHmac(v, keyA, keyB, nonceA, nonceB)
 *   ACK     (from A) = HMAC(KeyA‖KeyB, nonceA‖nonceB)[0..20] → joinAckHmac(v, keyA, keyB, nonceA, nonceB)
 */
const CLIENT_KEY = 3810044094483281665n;
const SERVER_KEY = 18158046637611484233n;
const CLIENT_NONCE = 3141544738;
const SERVER_NONCE = 672064509;
const JOIN = { keyA: CLIENT_KEY, keyB: SERVER_KEY, nonceA: CLIENT_NONCE, nonceB: SERVER_NONCE };

describe('MP_JOIN HMACs (v1, Linux 6.18 capture; A = client = join initiator)', () => {
  it('SYN/ACK truncated HMAC = 11284545157779018367', () => {
    expect(joinSynAckHmac(1, JOIN.keyA, JOIN.keyB, JOIN.nonceA, JOIN.nonceB)).toBe(11284545157779018367n);
  });

  it('third-ACK HMAC = 8fc724b7d34028c086f24f346cf3bcd151fa9cc3', () => {
    expect(joinAckHmac(1, JOIN.keyA, JOIN.keyB, JOIN.nonceA, JOIN.nonceB)).toBe('8fc724b7d34028c086f24f346cf3bcd151fa9cc3');
  });

  it.each([
    { flip: 'keyA bit 0', keyA: JOIN.keyA ^ 1n, keyB: JOIN.keyB, nonceA: JOIN.nonceA, nonceB: JOIN.nonceB },
    { flip: 'keyB bit 63', keyA: JOIN.keyA, keyB: JOIN.keyB ^ (1n << 63n), nonceA: JOIN.nonceA, nonceB: JOIN.nonceB },
    { flip: 'nonceA bit 0', keyA: JOIN.keyA, keyB: JOIN.keyB, nonceA: JOIN.nonceA ^ 1, nonceB: JOIN.nonceB },
    { flip: 'nonceB bit 31', keyA: JOIN.keyA, keyB: JOIN.keyB, nonceA: JOIN.nonceA, nonceB: (JOIN.nonceB ^ 0x80000000) >>> 0 },
  ])('$flip flipped: neither HMAC matches', ({ keyA, keyB, nonceA, nonceB }) => {
    expect(joinSynAckHmac(1, keyA, keyB, nonceA, nonceB)).not.toBe(11284545157779018367n);
    expect(joinAckHmac(1, keyA, keyB, nonceA, nonceB)).not.toBe('8fc724b7d34028c086f24f346cf3bcd151fa9cc3');
  });

  it('roles matter: A and B swapped gives neither value', () => {
    expect(joinSynAckHmac(1, JOIN.keyB, JOIN.keyA, JOIN.nonceB, JOIN.nonceA)).not.toBe(11284545157779018367n);
    expect(joinAckHmac(1, JOIN.keyB, JOIN.keyA, JOIN.nonceB, JOIN.nonceA)).not.toBe('8fc724b7d34028c086f24f346cf3bcd151fa9cc3');
  });

  it('v0 uses HMAC-SHA1 (same inputs; values from Python hmac/hashlib.sha1)', () => {
    expect(joinSynAckHmac(0, JOIN.keyA, JOIN.keyB, JOIN.nonceA, JOIN.nonceB)).toBe(1209441242346400261n);
    expect(joinAckHmac(0, JOIN.keyA, JOIN.keyB, JOIN.nonceA, JOIN.nonceB)).toBe('35247d43c70d7e45cd08546d0a7bac114c5cef4d');
  });
});

describe('ADD_ADDR HMAC (v1): rightmost 64 bits of HMAC-SHA256(Ksender‖Kreceiver, id‖addr‖port)', () => {
  const ADDR = Uint8Array.from([10, 0, 2, 2]);

  it('server announces ID 12, 10.0.2.2, no port → 17506062927442560002', () => {
    expect(addAddrHmac(SERVER_KEY, CLIENT_KEY, 12, ADDR, null)).toBe(17506062927442560002n);
  });

  it('an absent port is hashed as port 0', () => {
    expect(addAddrHmac(SERVER_KEY, CLIENT_KEY, 12, ADDR, 0)).toBe(17506062927442560002n);
  });

  it.each([
    { flip: 'sender key bit 0', s: SERVER_KEY ^ 1n, r: CLIENT_KEY, id: 12, addr: ADDR, port: null },
    { flip: 'receiver key bit 0', s: SERVER_KEY, r: CLIENT_KEY ^ 1n, id: 12, addr: ADDR, port: null },
    { flip: 'address ID bit 0', s: SERVER_KEY, r: CLIENT_KEY, id: 13, addr: ADDR, port: null },
    { flip: 'address bit 0', s: SERVER_KEY, r: CLIENT_KEY, id: 12, addr: Uint8Array.from([10, 0, 2, 3]), port: null },
    { flip: 'port bit 0', s: SERVER_KEY, r: CLIENT_KEY, id: 12, addr: ADDR, port: 1 },
    { flip: 'keys swapped', s: CLIENT_KEY, r: SERVER_KEY, id: 12, addr: ADDR, port: null },
  ])('$flip: no match', ({ s, r, id, addr, port }) => {
    expect(addAddrHmac(s, r, id, addr, port)).not.toBe(17506062927442560002n);
  });
});
