/**
 * `analyze --csv DIR`: one CSV file per table and per time series (RFC 4180, header row), in the
 * long format that pandas, R and gnuplot read directly.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Report } from './report.js';

export type Cell = string | number | boolean | null | undefined;

/** One RFC 4180 field. */
export function cell(v: Cell): string {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** A header row and rows, RFC 4180. */
export function csv(header: string[], rows: Cell[][]): string {
  return [header.join(','), ...rows.map((r) => r.map(cell).join(','))].join('\n') + '\n';
}

export function csvTables(r: Report): Record<string, string> {
  const conns = r.connections;
  const files: Record<string, string> = {};
  files['connections.csv'] = csv(
    ['connection', 'version', 'client_address', 'client_port', 'server_address', 'server_port', 'client_key', 'server_key', 'client_token', 'server_token', 'checksums', 'fallback', 'subflows', 'start_s', 'last_s', 'end', 'end_s', 'c2s_delivered_bytes', 's2c_delivered_bytes', 'c2s_reinjected_bytes', 's2c_reinjected_bytes', 'c2s_holes', 's2c_holes', 'c2s_checksum_failures', 's2c_checksum_failures', 'c2s_goodput_bps', 's2c_goodput_bps'],
    conns.map((c) => [c.index, c.version, c.client.address, c.client.port, c.server.address, c.server.port, c.client.key, c.server.key, c.client.token, c.server.token, c.checksums, c.fallback, c.subflowCount, c.startTime, c.lastTime, c.end.how, c.end.time, c.data.c2s.deliveredBytes, c.data.s2c.deliveredBytes, c.data.c2s.reinjectedBytes, c.data.s2c.reinjectedBytes, c.data.c2s.holes.length, c.data.s2c.holes.length, c.data.c2s.checksumFailures, c.data.s2c.checksumFailures, c.data.c2s.goodputBps, c.data.s2c.goodputBps]),
  );
  files['subflows.csv'] = csv(
    ['connection', 'tcp_stream', 'kind', 'client_address', 'client_port', 'server_address', 'server_port', 'addr_id_client', 'addr_id_server', 'backup', 'hmac_valid', 'start_s', 'established_s', 'join_latency_s', 'bytes_before_established', 'last_s', 'packets', 'payload_bytes', 'packet_share', 'byte_share', 'retransmitted_bytes', 'throughput_bps', 'rtt_samples', 'rtt_min_us', 'rtt_median_us', 'rtt_p95_us', 'rtt_max_us', 'rtt_ts_samples', 'rtt_ts_median_us', 'end', 'end_s', 'end_reason'],
    conns.flatMap((c) =>
      c.subflows.map((s) => [c.index, s.tcpStream, s.kind, s.client.address, s.client.port, s.server.address, s.server.port, s.addrIdClient, s.addrIdServer, s.backup, s.hmacValid, s.startTime, s.establishedTime, s.joinLatencySec, s.bytesBeforeEstablished, s.lastTime, s.packets, s.payloadBytes, s.packetShare, s.byteShare, s.retransmittedBytes, s.throughputBps, s.rtt.samples, s.rtt.minUs, s.rtt.medianUs, s.rtt.p95Us, s.rtt.maxUs, s.rtt.timestamps.samples, s.rtt.timestamps.medianUs, s.end.how, s.end.time, s.end.reasonText]),
    ),
  );
  files['addresses.csv'] = csv(
    ['connection', 'addr_id', 'address', 'port', 'announced_by', 'time_s', 'frame', 'hmac_valid', 'echoed', 'removed_s', 'used'],
    conns.flatMap((c) => c.addresses.map((a) => [c.index, a.addrId, a.address, a.port, a.announcedBy, a.time, a.frame, a.hmacValid, a.echoed, a.removedTime, a.used])),
  );
  files['endpoints.csv'] = csv(
    ['address', 'packets', 'share', 'bytes', 'tx_packets', 'rx_packets', 'tx_bytes', 'rx_bytes'],
    r.endpoints.map((e) => [e.address, e.packets, e.share, e.bytes, e.txPackets, e.rxPackets, e.txBytes, e.rxBytes]),
  );
  files['closing.csv'] = csv(
    ['connection', 'time_s', 'frame', 'event', 'by', 'subflow'],
    conns.flatMap((c) => c.closing.events.map((e) => [c.index, e.time, e.frame, e.event, e.by, e.subflow])),
  );
  files['series_subflow_cumulative_bytes.csv'] = csv(
    ['connection', 'tcp_stream', 'time_s', 'bytes'],
    conns.flatMap((c) => c.subflows.flatMap((s) => s.series.cumulativeBytes.map(([t, v]) => [c.index, s.tcpStream, t, v]))),
  );
  files['series_subflow_rtt.csv'] = csv(
    ['connection', 'tcp_stream', 'time_s', 'rtt_us'],
    conns.flatMap((c) => c.subflows.flatMap((s) => s.series.rttUs.map(([t, v]) => [c.index, s.tcpStream, t, v]))),
  );
  files['series_connection_cumulative_bytes.csv'] = csv(
    ['connection', 'direction', 'time_s', 'bytes'],
    conns.flatMap((c) => (['c2s', 's2c'] as const).flatMap((d) => c.series.cumulativeBytes[d].map(([t, v]) => [c.index, d, t, v]))),
  );
  return files;
}

export async function writeCsv(r: Report, dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files = csvTables(r);
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return Object.keys(files);
}
