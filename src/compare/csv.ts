/**
 * `compare --csv DIR`: one CSV per table, plus packets.csv written while the captures are read
 * (one row per decided packet: bounded memory whatever the capture size).
 */
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { csv, type Cell } from '../analysis/csv.js';
import type { CompareResult } from './model.js';
import type { PacketRec, PacketSink } from './matcher.js';

export function compareCsvTables(r: CompareResult): Record<string, string> {
  const files: Record<string, string> = {};
  const clock = r.clock.mode;
  files['connections.csv'] = csv(
    ['connection_a', 'connection_b', 'matched_by', 'client_side', 'client_key', 'server_key', 'subflows', 'clock'],
    r.connections.map((c) => [c.connectionA, c.connectionB, c.matchedBy, c.clientSide, c.clientKey, c.serverKey, c.subflows.length, clock]),
  );
  files['subflows.csv'] = csv(
    ['connection_a', 'connection_b', 'tcp_stream_a', 'tcp_stream_b', 'matched_by', 'nat', 'client_a', 'server_a', 'client_b', 'server_b', 'client_side', 'client_side_by', 'direction', 'sender_side', 'sent', 'received', 'matched', 'lost', 'received_only', 'duplicates_sender', 'duplicates_receiver', 'reordered', 'delay_min_us', 'delay_median_us', 'delay_p95_us', 'delay_max_us', 'clock'],
    r.connections.flatMap((c) =>
      c.subflows.flatMap((s) => {
        const base: Cell[] = [c.connectionA, c.connectionB, s.tcpStreamA, s.tcpStreamB, s.matchedBy, s.nat, s.tupleA?.client, s.tupleA?.server, s.tupleB?.client, s.tupleB?.server, s.clientSide, s.clientSideBy];
        if (s.directions.length === 0) return [[...base, null, null, null, null, null, null, null, null, null, null, null, null, null, null, clock]];
        return s.directions.map((d) => [...base, d.direction, d.senderSide, d.sent, d.received, d.matched, d.lost, d.receivedOnly, d.duplicatesSender, d.duplicatesReceiver, d.reordered, d.delay.minUs, d.delay.medianUs, d.delay.p95Us, d.delay.maxUs, clock]);
      }),
    ),
  );
  files['data.csv'] = csv(
    ['connection_a', 'connection_b', 'direction', 'sender_side', 'bytes_measured', 'segments', 'delay_min_us', 'delay_median_us', 'delay_p95_us', 'delay_max_us', 'reinjections', 'useful', 'wasted', 'clock'],
    r.connections.flatMap((c) => c.data.map((d) => [c.connectionA, c.connectionB, d.direction, d.senderSide, d.bytesMeasured, d.delay.count, d.delay.minUs, d.delay.medianUs, d.delay.p95Us, d.delay.maxUs, d.reinjections, d.useful, d.wasted, clock])),
  );
  files['reinjections.csv'] = csv(
    ['connection_a', 'connection_b', 'direction', 'dsn', 'len', 'time_s', 'original_tcp_stream', 'reinjection_tcp_stream', 'original_arrival_s', 'reinjection_arrival_s', 'first_arrived', 'verdict'],
    r.connections.flatMap((c) => c.data.flatMap((d) => d.reinjectionList.map((x) => [c.connectionA, c.connectionB, d.direction, x.dsn, x.lenBytes, x.time, x.originalSubflow, x.reinjectionSubflow, x.originalArrival, x.reinjectionArrival, x.firstArrived, x.verdict]))),
  );
  files['series_subflow_delay.csv'] = csv(
    ['connection_a', 'tcp_stream_a', 'tcp_stream_b', 'direction', 'time_s', 'delay_us', 'clock'],
    r.connections.flatMap((c) => c.subflows.flatMap((s) => s.directions.flatMap((d) => d.series.time.map((t, i) => [c.connectionA, s.tcpStreamA, s.tcpStreamB, d.direction, t, d.series.delayUs[i], clock])))),
  );
  files['series_data_delay.csv'] = csv(
    ['connection_a', 'connection_b', 'direction', 'time_s', 'delay_us', 'clock'],
    r.connections.flatMap((c) => c.data.flatMap((d) => d.series.time.map((t, i) => [c.connectionA, c.connectionB, d.direction, t, d.series.delayUs[i], clock]))),
  );
  return files;
}

export function writeCompareCsv(r: CompareResult, dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const files = compareCsvTables(r);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return Object.keys(files);
}

/**
 * packets.csv, one row per packet as it is decided: absolute capture timestamps (seconds, as in
 * the files; B's before --offset is applied) so that a reader can check every delay.
 */
export class PacketCsv {
  private fd: number;
  private buf = '';
  rows = 0;
  constructor(path: string, private readonly baseSec: () => number, private readonly offsetNs: number) {
    this.fd = openSync(path, 'w');
    this.buf = 'tcp_stream_a,tcp_stream_b,direction,sender_side,kind,seq,len,ip_id,sent_ns,received_ns,delay_us\n';
  }

  readonly sink: PacketSink = (rec: PacketRec, senderSide: 0 | 1, kind): void => {
    const p = rec.pair;
    const sa = p?.sides[0]?.sub.tcpStream ?? '';
    const sb = p?.sides[1]?.sub.tcpStream ?? '';
    const base = this.baseSec();
    // times back in each file's own clock (integer seconds + ns, exact)
    const abs = (ns: number, side: 0 | 1): string => fmtNs(base, side === 1 ? ns + this.offsetNs : ns);
    const other = (1 - rec.side) as 0 | 1;
    let sent = '';
    let recv = '';
    let delay = '';
    if (kind === 'delivered') {
      sent = abs(rec.peerNs, other);
      recv = abs(rec.tNs, rec.side);
      delay = String(Math.round((rec.tNs - rec.peerNs) / 1000));
    } else if (kind === 'lost') sent = abs(rec.tNs, rec.side);
    else recv = abs(rec.tNs, rec.side);
    this.buf += `${sa},${sb},${rec.dir === 0 ? 'c2s' : 's2c'},${senderSide === 0 ? 'A' : 'B'},${kind},${rec.seq},${rec.len},${rec.ipId},${sent},${recv},${delay}\n`;
    this.rows++;
    if (this.buf.length > 65536) this.flush();
  };

  private flush(): void {
    writeSync(this.fd, this.buf);
    this.buf = '';
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

/** base seconds + ns → "sec.nnnnnnnnn" exactly. */
function fmtNs(baseSec: number, ns: number): string {
  const total = Math.round(ns);
  const sec = baseSec + Math.floor(total / 1e9);
  const frac = total - Math.floor(total / 1e9) * 1e9;
  return `${sec}.${String(frac).padStart(9, '0')}`;
}
