/**
 * Property tests: random and corrupted bytes never make decodePacket throw or hang, and every
 * problem it reports points inside the frame. Plain loops over a seeded PRNG (no dependency), so
 * a failure is reproducible: the message carries the seed, link type and bytes.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCapture } from '../../src/dissect/capture/parser.ts';
import { decodePacket, type Packet } from '../../src/dissect/packet.ts';
import { rng, toHex } from '../helpers/capture-builders.ts';
import { frame, fromHex } from '../helpers/frames.ts';

const ITERATIONS = 20_000;
const FIXTURES = ['three-paths-signal.pcap', 'ipv6.pcap'].map((f) => new URL(`../../fixtures/pcaps/${f}`, import.meta.url));
const IPV6_PACKETS = (JSON.parse(readFileSync(new URL('../../fixtures/pcaps/ipv6.json', import.meta.url), 'utf8')) as { capture: { packets: number } }).capture.packets;

/**
 * KNOWN BUG (src/dissect/ipv6.ts, see the it.fails in packet.test.ts): an IPv6 extension header
 * whose length runs past the captured bytes is stepped over without a check, so the next header
 * (or the transport header) is "found" beyond the end of the frame and its problems point there
 * ("TCP header cut short: 0 of 20 bytes captured" at offset 128 of a 48-byte frame, "UDP header
 * cut short: -165 of 8 bytes captured"). Violations in a packet whose IPv6 header(s) claim to end
 * beyond the frame are set aside while that bug stands; the `it.fails` at the end of this file
 * runs without this filter and will start to pass (i.e. be reported as failing) once src is
 * fixed: then delete this filter and that test.
 */
const FILTER_KNOWN_IPV6_EXT_BUG = false;

function isKnownIpv6ExtBug(pkt: Packet, data: Uint8Array): boolean {
  return pkt.ips.some((ip) => ip.version === 6 && ip.offset + ip.headerLen > data.length);
}

/** Whatever is wrong with the packet, as text; '' when the invariants hold. */
function violations(pkt: Packet, data: Uint8Array): string {
  const bad: string[] = [];
  for (const p of pkt.problems) {
    // A truncation may point just past the last captured byte (where the missing bytes start);
    // a malformed field must be a byte we have.
    const limit = p.kind === 'truncated' ? data.length : data.length - 1;
    if (!Number.isInteger(p.offset) || p.offset < 0 || p.offset > limit) bad.push(`${p.kind} ${p.layer} offset ${p.offset} outside a ${data.length}-byte frame: ${p.message}`);
    if (/undefined|NaN/.test(p.message)) bad.push(`message: ${p.message}`);
  }
  for (const o of pkt.tcp?.options ?? []) {
    if (o.offset < 0 || o.offset >= data.length) bad.push(`TCP option ${o.kind} at ${o.offset} outside the frame`);
  }
  if (pkt.tcp && (pkt.tcp.payloadLen < 0 || pkt.tcp.payload.length > pkt.tcp.payloadLen)) bad.push(`TCP payload ${pkt.tcp.payload.length} of ${pkt.tcp.payloadLen}`);
  return bad.join('; ');
}

function check(data: Uint8Array, linkType: number, origLen: number, what: string, failures: string[], filter = FILTER_KNOWN_IPV6_EXT_BUG): Packet | null {
  let pkt: Packet;
  try {
    pkt = decodePacket(frame(data, linkType, origLen));
  } catch (e) {
    failures.push(`${what}: threw ${(e as Error).stack ?? String(e)} on link ${linkType}, ${toHex(data)}`);
    return null;
  }
  const v = violations(pkt, data);
  if (v && !(filter && isKnownIpv6ExtBug(pkt, data))) failures.push(`${what}: ${v} — link ${linkType}, origLen ${origLen}, ${toHex(data)}`);
  return pkt;
}

// Link header (up to the network layer) for each link type, so that random bytes get past it
// half of the time instead of dying in the first four bytes.
const LINKS: Array<{ linkType: number; v4: string; v6: string }> = [
  { linkType: 1, v4: '020000000001 020000000002 0800', v6: '020000000001 020000000002 86dd' },
  { linkType: 1, v4: '020000000001 020000000002 8100 0064 88a8 00c8 0800', v6: '020000000001 020000000002 8100 0064 86dd' },
  { linkType: 113, v4: '0000 0001 0006 020000000001 0000 0800', v6: '0000 0001 0006 020000000001 0000 86dd' },
  { linkType: 276, v4: '0800 0000 00000003 0001 04 06 020000000001 0000', v6: '86dd 0000 00000003 0001 04 06 020000000001 0000' },
  { linkType: 0, v4: '02000000', v6: '1e000000' },
  { linkType: 108, v4: '00000002', v6: '00000018' },
  { linkType: 9, v4: 'ff03 0021', v6: '0057' },
  { linkType: 101, v4: '', v6: '' },
  { linkType: 228, v4: '', v6: '' },
  { linkType: 229, v4: '', v6: '' },
];

function randomBytes(r: () => number, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (r() * 256) | 0;
  return b;
}

/** Random bytes, sometimes shaped like IPv4/IPv6 + TCP/UDP so the deeper decoders are reached. */
function randomFrame(r: () => number, link: { linkType?: number; v4: string; v6: string }): Uint8Array {
  const mode = r();
  if (mode < 0.3) return randomBytes(r, (r() * 120) | 0);
  // LINKTYPE_IPV4/IPV6 fix the version: a mismatch is (rightly) not decoded past IP
  const v6 = link.linkType === 228 ? false : link.linkType === 229 ? true : r() < 0.4;
  const head = fromHex(v6 ? link.v6 : link.v4);
  const body = randomBytes(r, (r() * (v6 ? 140 : 120)) | 0);
  const ipAt = 0;
  if (body.length > ipAt) body[ipAt] = v6 ? 0x60 | ((body[ipAt] as number) & 0x0f) : 0x45 + (r() < 0.8 ? 0 : ((r() * 11) | 0) - 1);
  const nextAt = v6 ? 6 : 9;
  const protos = [6, 6, 6, 17, 4, 41, 0, 43, 44, 60, 51];
  if (body.length > nextAt) body[nextAt] = protos[(r() * protos.length) | 0] as number;
  if (!v6 && body.length > 7 && r() < 0.7) { body[6] = 0x40; body[7] = 0; } // no fragmentation, mostly
  // Plausible lengths half of the time: total/payload length = what is there, ± a little.
  if (r() < 0.5 && body.length > 5) {
    const len = v6 ? body.length - 40 : body.length;
    const jitter = r() < 0.5 ? 0 : ((r() * 16) | 0) - 8;
    const v = Math.max(0, len + jitter) & 0xffff;
    const at = v6 ? 4 : 2;
    body[at] = v >> 8;
    body[at + 1] = v & 0xff;
  }
  // TCP data offset and an MPTCP option at the start of the options, sometimes.
  const tcpAt = v6 ? 40 : 20;
  if (body.length > tcpAt + 23 && r() < 0.6) {
    body[tcpAt + 12] = (5 + ((r() * 11) | 0)) << 4;
    body[tcpAt + 20] = 30;
    body[tcpAt + 21] = (r() * 32) | 0;
  }
  const out = new Uint8Array(head.length + body.length);
  out.set(head);
  out.set(body, head.length);
  return out;
}

describe('random frames never throw, problems stay inside the frame', () => {
  it.each(LINKS.map((l, i) => ({ ...l, seed: 1000 + i })))('link type $linkType (seed $seed)', ({ linkType, v4, v6, seed }) => {
    const r = rng(seed);
    const failures: string[] = [];
    let reachedTcp = 0;
    let reachedMptcp = 0;
    for (let i = 0; i < ITERATIONS && failures.length < 5; i++) {
      const data = randomFrame(r, { linkType, v4, v6 });
      // origLen: usually the captured length, sometimes more (snaplen), rarely less (a lying pcap).
      const k = r();
      const origLen = k < 0.7 ? data.length : k < 0.95 ? data.length + ((r() * 2000) | 0) : (r() * data.length) | 0;
      const pkt = check(data, linkType, origLen, `seed ${seed} #${i}`, failures);
      if (pkt?.tcp) reachedTcp++;
      if (pkt?.tcp?.options.some((o) => o.kind === 'MPTCP')) reachedMptcp++;
    }
    expect(failures).toEqual([]);
    // The shaping works: a fair share of the random frames get as far as TCP and MPTCP.
    expect(reachedTcp).toBeGreaterThan(ITERATIONS / 20);
    expect(reachedMptcp).toBeGreaterThan(ITERATIONS / 100);
  });
});

interface RealFrame {
  linkType: number;
  data: Uint8Array;
  origLen: number;
  /** Offsets of length-like fields worth corrupting (IP lengths, TCP data offset, option lengths). */
  lengthFields: number[];
}

function corpus(): RealFrame[] {
  const frames: RealFrame[] = [];
  for (const url of FIXTURES) {
    parseCapture(new Uint8Array(readFileSync(url)), (f) => {
      // The frame and its bytes are reused by the reader: copy.
      frames.push({ linkType: f.linkType, data: f.data.slice(), origLen: f.origLen, lengthFields: [] });
    });
  }
  // The seed frames of docs/mptcp-reference.md (Linux cooked), so that MP_JOIN SYN and SYN/ACK are in the corpus.
  for (const h of [
    '00 04 00 01 00 06 82 69 01 be f0 18 00 00 08 00 45 00 00 48 b1 ba 40 00 40 06 74 f1 0a 00 00 01 0a 00 00 04 e7 40 00 50 b6 56 77 a5 00 00 00 00 d0 02 72 10 14 3f 00 00 02 04 05 b4 04 02 08 0a 00 22 c6 1f 00 00 00 00 01 03 03 09 1e 0c 10 02 d3 c5 3d 2c 34 8f 58 c8',
    '00 00 00 01 00 06 b2 66 75 3c 01 52 00 00 08 00 45 00 00 4c fb 64 40 00 40 06 2b 43 0a 00 00 04 0a 00 00 01 00 50 e7 40 e5 03 21 d4 b6 56 77 a6 e0 12 6f 90 76 c0 00 00 02 04 05 b4 04 02 08 0a 00 22 c6 20 00 22 c6 1f 01 03 03 09 1e 10 10 03 6a aa 62 48 58 2e 0a 8b 44 13 c2 cb',
    '00 04 00 01 00 06 0a 62 0b b3 40 32 00 00 08 00 45 00 00 3c f9 62 40 00 40 06 2d 55 0a 00 00 03 0a 00 00 02 a3 d2 00 50 27 cc aa 7e 8d 93 4d 2c a0 10 02 b3 14 33 00 00 01 01 08 0a 00 15 54 5a 00 15 54 58 1e 08 20 01 8f a4 c3 a7',
  ]) {
    const data = fromHex(h);
    frames.push({ linkType: 113, data, origLen: data.length, lengthFields: [] });
  }
  for (const f of frames) {
    const pkt = decodePacket(frame(f.data, f.linkType, f.origLen));
    for (const ip of pkt.ips) f.lengthFields.push(ip.offset, ip.offset + (ip.version === 4 ? 2 : 4), ip.offset + (ip.version === 4 ? 3 : 5), ip.offset + (ip.version === 4 ? 9 : 6), ip.offset + (ip.version === 4 ? 6 : 0));
    const ipEnd = pkt.ips.at(-1);
    if (pkt.tcp && ipEnd) {
      const t = ipEnd.offset + ipEnd.headerLen;
      f.lengthFields.push(t + 12, t + 13);
      for (const o of pkt.tcp.options) f.lengthFields.push(o.offset, o.offset + 1, o.offset + 2, o.offset + 3);
    }
    f.lengthFields = f.lengthFields.filter((o) => o < f.data.length);
  }
  return frames;
}

describe('mutated real frames never throw, problems stay inside the frame', () => {
  const frames = corpus();

  it('the corpus is real MPTCP traffic', () => {
    expect(frames.length).toBeGreaterThan(100);
    const pkts = frames.map((f) => decodePacket(frame(f.data, f.linkType, f.origLen)));
    expect(pkts.filter((p) => p.protocol === 'MPTCP').length).toBeGreaterThan(100);
    // every packet of ipv6.pcap (the count its sidecar recorded) is IPv6
    expect(pkts.filter((p) => p.ips[0]?.version === 6).length).toBe(IPV6_PACKETS);
    expect(pkts.flatMap((p) => p.problems)).toEqual([]);
  });

  it(`${ITERATIONS} mutations (byte flips, truncations, length-field corruptions)`, () => {
    const r = rng(0x5eed);
    const failures: string[] = [];
    const started = Date.now();
    for (let i = 0; i < ITERATIONS && failures.length < 5; i++) {
      const src = frames[(r() * frames.length) | 0] as RealFrame;
      let data = src.data.slice();
      let origLen = src.origLen;
      const steps = 1 + ((r() * 4) | 0);
      const did: string[] = [];
      for (let s = 0; s < steps && data.length > 0; s++) {
        const m = r();
        if (m < 0.35) {
          const at = (r() * data.length) | 0;
          const bit = 1 << ((r() * 8) | 0);
          data[at] = (data[at] as number) ^ bit;
          did.push(`flip ${at}^${bit}`);
        } else if (m < 0.5) {
          const at = (r() * data.length) | 0;
          data[at] = (r() * 256) | 0;
          did.push(`set ${at}`);
        } else if (m < 0.65) {
          const n = (r() * data.length) | 0;
          data = data.slice(0, n);
          if (r() < 0.5) origLen = n; // a shorter packet, not a shorter capture
          did.push(`cut ${n}`);
        } else if (src.lengthFields.length > 0) {
          const at = src.lengthFields[(r() * src.lengthFields.length) | 0] as number;
          if (at < data.length) {
            const k = r();
            data[at] = k < 0.2 ? 0 : k < 0.3 ? 1 : k < 0.4 ? 0xff : k < 0.7 ? ((data[at] as number) + ((r() * 9) | 0) - 4) & 0xff : (r() * 256) | 0;
            did.push(`len ${at}=${data[at]}`);
          }
        }
      }
      check(data, src.linkType, origLen, `mutation #${i} [${did.join(', ')}]`, failures);
    }
    expect(failures).toEqual([]);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

describe('the known IPv6 extension-header bug, unfiltered', () => {
  // Fails today (see FILTER_KNOWN_IPV6_EXT_BUG). Once src/dissect/ipv6.ts bounds the extension
  // walk by the frame, this passes and vitest reports it: remove the filter and this test.
  it('raw IPv6 random frames: no problem outside the frame, with no filter', () => {
    const r = rng(1007);
    const failures: string[] = [];
    for (let i = 0; i < ITERATIONS && failures.length < 5; i++) {
      const data = randomFrame(r, { v4: '', v6: '' });
      check(data, 101, data.length, `unfiltered #${i}`, failures, false);
    }
    expect(failures).toEqual([]);
  });
});
