/**
 * MPTCP's cryptography (RFC 6824 §3.2 / RFC 8684 §3.2, §3.4.1), all with node:crypto.
 * Keys are 64-bit, hashed and HMAC'd as 8 bytes big-endian; nonces as 4 bytes big-endian.
 */
import { createHash, createHmac } from 'node:crypto';

export type MptcpVersion = 0 | 1;

function be64(v: bigint): Buffer {
  const b = Buffer.allocUnsafe(8);
  b.writeBigUInt64BE(BigInt.asUintN(64, v));
  return b;
}

function be32(v: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(v >>> 0);
  return b;
}

function hashName(version: MptcpVersion): 'sha1' | 'sha256' {
  return version === 0 ? 'sha1' : 'sha256';
}

export interface KeyMaterial {
  /** Most significant 32 bits of the hash of the key. */
  token: number;
  /** Least significant 64 bits of the hash of the key: the initial data sequence number. */
  idsn: bigint;
}

/** token = first 4 bytes of SHA-1/SHA-256(key), IDSN = last 8 bytes. */
export function keyMaterial(key: bigint, version: MptcpVersion): KeyMaterial {
  const h = createHash(hashName(version)).update(be64(key)).digest();
  return { token: h.readUInt32BE(0), idsn: h.readBigUInt64BE(h.length - 8) };
}

/**
 * MP_JOIN HMACs (RFC 8684 §3.2). A sends the join SYN, B is its peer.
 * SYN/ACK (from B): leftmost 64 bits of HMAC(KeyB‖KeyA, nonceB‖nonceA).
 * Third ACK (from A): leftmost 160 bits of HMAC(KeyA‖KeyB, nonceA‖nonceB).
 */
export function joinSynAckHmac(version: MptcpVersion, keyA: bigint, keyB: bigint, nonceA: number, nonceB: number): bigint {
  const mac = createHmac(hashName(version), Buffer.concat([be64(keyB), be64(keyA)]))
    .update(Buffer.concat([be32(nonceB), be32(nonceA)]))
    .digest();
  return mac.readBigUInt64BE(0);
}

export function joinAckHmac(version: MptcpVersion, keyA: bigint, keyB: bigint, nonceA: number, nonceB: number): string {
  const mac = createHmac(hashName(version), Buffer.concat([be64(keyA), be64(keyB)]))
    .update(Buffer.concat([be32(nonceA), be32(nonceB)]))
    .digest();
  return mac.subarray(0, 20).toString('hex');
}

/**
 * v1 ADD_ADDR HMAC (RFC 8684 §3.4.1): rightmost 64 bits of
 * HMAC-SHA256(Ksender‖Kreceiver, address ID ‖ address ‖ port (0 when absent)).
 */
export function addAddrHmac(senderKey: bigint, receiverKey: bigint, addrId: number, address: Uint8Array, port: number | null): bigint {
  const msg = Buffer.alloc(1 + address.length + 2);
  msg[0] = addrId;
  msg.set(address, 1);
  msg.writeUInt16BE(port ?? 0, 1 + address.length);
  const mac = createHmac('sha256', Buffer.concat([be64(senderKey), be64(receiverKey)]))
    .update(msg)
    .digest();
  return mac.readBigUInt64BE(mac.length - 8);
}
