/**
 * TCP conversation tracking, numbered as Wireshark's `tcp.stream`: a new index for each new
 * 4-tuple, and a new one when a SYN (without ACK) reuses a 4-tuple with a different initial
 * sequence number than the one that started it (packet-tcp.c, "ports reused").
 */
import type { Packet } from '../dissect/packet.js';
import { TcpFlag } from '../dissect/tcp.js';

export interface TcpStream {
  /** tcp.stream: 0, 1, 2... in order of first packet. */
  index: number;
  /** Endpoint that sent the first packet we saw ("A"), and its peer ("B"). */
  addrA: string;
  portA: number;
  addrB: string;
  portB: number;
  /** ISN of each direction once a SYN from that side was seen (A→B is [0], B→A is [1]). */
  isn: [number | null, number | null];
  /** Sequence number of the first segment seen per direction (base for relative numbers). */
  baseSeq: [number | null, number | null];
  firstFrame: number;
  lastFrame: number;
}

export interface StreamLookup {
  stream: TcpStream;
  /** 0 when the packet goes A→B, 1 when B→A. */
  dir: 0 | 1;
  isNew: boolean;
}

export class TcpStreamTable {
  private readonly byTuple = new Map<string, TcpStream>();
  readonly streams: TcpStream[] = [];

  /** Null for packets without a TCP header or an IP layer. */
  lookup(pkt: Packet): StreamLookup | null {
    const tcp = pkt.tcp;
    const ip = pkt.ips[pkt.ips.length - 1];
    if (!tcp || !ip) return null;
    const src = ip.src;
    const dst = ip.dst;
    const forward = src < dst || (src === dst && tcp.srcPort <= tcp.dstPort);
    const key = forward ? `${src}|${tcp.srcPort}|${dst}|${tcp.dstPort}` : `${dst}|${tcp.dstPort}|${src}|${tcp.srcPort}`;
    let stream = this.byTuple.get(key);
    let isNew = false;
    const synOnly = (tcp.flags & (TcpFlag.SYN | TcpFlag.ACK)) === TcpFlag.SYN;
    if (stream) {
      const dir = stream.addrA === src && stream.portA === tcp.srcPort ? 0 : 1;
      const base = stream.baseSeq[dir];
      if (synOnly && base !== null && tcp.seq !== base) stream = undefined; // 4-tuple reused
    }
    if (!stream) {
      stream = {
        index: this.streams.length,
        addrA: src,
        portA: tcp.srcPort,
        addrB: dst,
        portB: tcp.dstPort,
        isn: [null, null],
        baseSeq: [null, null],
        firstFrame: pkt.frame.number,
        lastFrame: pkt.frame.number,
      };
      this.streams.push(stream);
      this.byTuple.set(key, stream);
      isNew = true;
    }
    const dir: 0 | 1 = stream.addrA === src && stream.portA === tcp.srcPort ? 0 : 1;
    if (tcp.flags & TcpFlag.SYN) {
      if (stream.isn[dir] === null) stream.isn[dir] = tcp.seq;
      if (stream.baseSeq[dir] === null) stream.baseSeq[dir] = tcp.seq;
    } else if (stream.baseSeq[dir] === null) {
      // As Wireshark: a stream seen from the middle gets relative sequence number 1 on its
      // first segment, so its base is one before it.
      stream.baseSeq[dir] = (tcp.seq - 1) >>> 0;
    }
    // ...and an ACK tells where the other direction starts, if nothing else did yet.
    const rev = dir === 0 ? 1 : 0;
    if (tcp.flags & TcpFlag.ACK && stream.baseSeq[rev] === null) stream.baseSeq[rev] = (tcp.ack - 1) >>> 0;
    stream.lastFrame = pkt.frame.number;
    return { stream, dir, isNew };
  }
}
