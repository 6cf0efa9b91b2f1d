/**
 * The dataset's tables and columns, defined once: the Parquet schema (src/export/writer.ts), the
 * rows (src/export/rows.ts), the empty views of `query` and docs/dataset.md are all made from
 * these definitions, and test/export-schema.test.ts checks every `path` against
 * schema/report.schema.json, so that the JSON report and the dataset cannot drift apart.
 *
 * A column's name is its path in `analyze --json` below the table's row (nested names joined by
 * `_`: `rtt_medianUs` is `.rtt.medianUs`), unless it says otherwise. Types: 64-bit keys and DSNs
 * are UBIGINT (decimal strings in the JSON), times are TIMESTAMP_NS (the JSON's seconds after
 * `capture.start` added to it), addresses are text.
 */

export const DATASET_SCHEMA_VERSION = 1;

export type ColumnType = 'UBIGINT' | 'BIGINT' | 'INTEGER' | 'UINTEGER' | 'DOUBLE' | 'BOOLEAN' | 'VARCHAR' | 'TIMESTAMP_NS';

export interface Column {
  name: string;
  type: ColumnType;
  doc: string;
  /** Path in the JSON object the row is made from. Absent for `given` columns. */
  path?: readonly string[];
  /** Given by the row builder (indices above the row's object, a kind): its JSON origin in `schemaPath`. */
  given?: true;
  /** The number of elements of the array at `path`. */
  count?: true;
  /** Absolute JSON path a given column comes from ('[]' for an array's items). */
  schemaPath?: readonly string[];
}

export interface Table {
  name: string;
  doc: string;
  /** The JSON path of one row's object ('[]': an array's items); the column paths are below it. */
  rowPath: readonly string[];
  columns: readonly Column[];
}

const c = (path: string, type: ColumnType, doc: string, name?: string): Column => ({ name: name ?? path.split('.').join('_'), type, doc, path: path.split('.') });
const count = (path: string, doc: string, name: string): Column => ({ name, type: 'INTEGER', doc, path: path.split('.'), count: true });
const CONNECTION: Column = { name: 'connection', type: 'INTEGER', doc: 'mptcp.stream of the connection (its `index`)', given: true, schemaPath: ['connections', '[]', 'index'] };
const DIRECTION: Column = { name: 'direction', type: 'VARCHAR', doc: "'c2s' (sent by the connection's client) or 's2c'", given: true, schemaPath: ['connections', '[]', 'data'] };
const CONN = ['connections', '[]'];
const DATA = [...CONN, 'data', 'c2s'];

const side = (s: 'client' | 'server'): Column[] => [
  c(`${s}.address`, 'VARCHAR', `the ${s}'s address`),
  c(`${s}.port`, 'INTEGER', `the ${s}'s port`),
  c(`${s}.key`, 'UBIGINT', `the ${s}'s 64-bit key`),
  c(`${s}.token`, 'UINTEGER', `the ${s}'s token (32 bits)`),
  c(`${s}.idsn`, 'UBIGINT', `the ${s}'s initial data sequence number`),
  c(`${s}.capableFlags`, 'VARCHAR', `flags of the ${s}'s MP_CAPABLE (hex)`),
];

const rtt = (p: string, what: string): Column[] => [
  c(`${p}.samples`, 'BIGINT', `${what}: samples`),
  c(`${p}.minUs`, 'DOUBLE', `${what}: minimum, µs`),
  c(`${p}.meanUs`, 'DOUBLE', `${what}: mean, µs`),
  c(`${p}.medianUs`, 'DOUBLE', `${what}: median, µs`),
  c(`${p}.p95Us`, 'DOUBLE', `${what}: 95th percentile, µs`),
  c(`${p}.maxUs`, 'DOUBLE', `${what}: maximum, µs`),
  c(`${p}.exact`, 'BOOLEAN', `${what}: false when the quantiles come from a reservoir`),
];

export const TABLES: readonly Table[] = [
  {
    name: 'captures',
    doc: 'One row per capture set (several files read as one capture), also for a capture that failed.',
    rowPath: [],
    columns: [
      c('schemaVersion', 'INTEGER', 'version of the report schema'),
      { name: 'datasetVersion', type: 'INTEGER', doc: 'version of this dataset layout', given: true, schemaPath: ['schemaVersion'] },
      c('generator', 'VARCHAR', 'the mpcap that wrote it'),
      c('capture.file', 'VARCHAR', 'the capture file (of several: the first)', 'file'),
      count('capture.files', 'files read as this one capture', 'fileCount'),
      c('capture.format', 'VARCHAR', "pcap, pcapng or 'mixed'", 'format'),
      c('capture.compressed', 'BOOLEAN', 'gzip-compressed', 'compressed'),
      c('capture.packets', 'BIGINT', 'packets read', 'packets'),
      c('capture.bytes', 'BIGINT', 'bytes of the captured packets', 'bytes'),
      c('capture.start', 'TIMESTAMP_NS', 'time of the first packet', 'start'),
      c('capture.durationSec', 'DOUBLE', 'seconds from the first packet to the last', 'durationSec'),
      count('capture.problems', 'problems of the capture files (damage, odd records)', 'problemCount'),
      c('summary.connections', 'BIGINT', 'MPTCP connections listed', 'connections'),
      c('summary.subflows', 'BIGINT', 'subflows', 'subflows'),
      c('summary.tcpStreams', 'BIGINT', 'TCP streams', 'tcpStreams'),
      c('summary.unansweredCapable', 'BIGINT', 'MP_CAPABLE SYNs no connection came of', 'unansweredCapable'),
      c('summary.releasedConnections', 'BIGINT', 'connections freed before the end', 'releasedConnections'),
      c('summary.endpointsExact', 'BOOLEAN', 'false when the endpoints table overflowed', 'endpointsExact'),
      { name: 'error', type: 'VARCHAR', doc: 'why the capture could not be read (or was read only up to some damage), null when it was read whole', given: true, schemaPath: ['capture', 'problems'] },
      { name: 'exitCode', type: 'INTEGER', doc: "the exit code `mpcap analyze` gives for it (0 ok, 3 unreadable, 4 damaged)", given: true, schemaPath: ['capture', 'problems'] },
    ],
  },
  {
    name: 'connections',
    doc: 'One row per MPTCP connection.',
    rowPath: CONN,
    columns: [
      c('index', 'INTEGER', 'mptcp.stream', 'connection'),
      c('version', 'INTEGER', 'MPTCP version (0 or 1), null when unknown'),
      ...side('client'),
      ...side('server'),
      c('checksums', 'BOOLEAN', 'DSS checksums in use'),
      c('fallback', 'BOOLEAN', 'fell back to plain TCP'),
      c('startTime', 'TIMESTAMP_NS', 'first packet'),
      c('lastTime', 'TIMESTAMP_NS', 'last packet'),
      c('firstFrame', 'BIGINT', 'frame number of the first packet'),
      c('subflowCount', 'INTEGER', 'subflows'),
      count('addresses', 'addresses announced', 'addressCount'),
      c('end.how', 'VARCHAR', 'DATA_FIN, MP_FASTCLOSE, MP_TCPRST, RST, FIN or open'),
      c('end.time', 'TIMESTAMP_NS', 'when it ended'),
      c('end.detail', 'VARCHAR', 'how it ended, in words'),
      count('problems', 'problems found', 'problemCount'),
      count('closing.anomalies', 'departures from RFC 8684 §3.3.3 in the closing', 'closingAnomalyCount'),
    ],
  },
  {
    name: 'subflows',
    doc: 'One row per subflow (TCP connection) of an MPTCP connection.',
    rowPath: [...CONN, 'subflows', '[]'],
    columns: [
      CONNECTION,
      c('tcpStream', 'INTEGER', 'tcp.stream'),
      c('kind', 'VARCHAR', "'initial' (MP_CAPABLE) or 'join' (MP_JOIN)"),
      c('client.address', 'VARCHAR', "the subflow client's address"),
      c('client.port', 'INTEGER', "the subflow client's port"),
      c('server.address', 'VARCHAR', "the subflow server's address"),
      c('server.port', 'INTEGER', "the subflow server's port"),
      c('clientIsConnectionClient', 'BOOLEAN', "the subflow's client is the connection's client"),
      c('addrIdClient', 'INTEGER', 'address ID of the client side'),
      c('addrIdServer', 'INTEGER', 'address ID of the server side'),
      c('backup', 'BOOLEAN', 'backup priority at the end'),
      count('backupChanges', 'changes of the backup priority', 'backupChangeCount'),
      c('hmacValid', 'BOOLEAN', 'the MP_JOIN HMACs verified (null: not verifiable)'),
      c('join.token', 'UINTEGER', "the MP_JOIN SYN's token"),
      c('join.tokenKnown', 'BOOLEAN', 'the token belongs to a known connection'),
      c('join.nonceClient', 'UINTEGER', "the client's MP_JOIN nonce"),
      c('join.nonceServer', 'UINTEGER', "the server's MP_JOIN nonce"),
      c('join.refused', 'BOOLEAN', 'the join was refused'),
      c('join.synAckHmacValid', 'BOOLEAN', "the SYN/ACK's HMAC verified"),
      c('join.ackHmacValid', 'BOOLEAN', "the third ACK's HMAC verified"),
      c('fallback', 'BOOLEAN', 'fell back to plain TCP'),
      c('firstFrame', 'BIGINT', 'frame number of the first packet'),
      c('startTime', 'TIMESTAMP_NS', 'first packet'),
      c('establishedTime', 'TIMESTAMP_NS', 'handshake completed'),
      c('lastTime', 'TIMESTAMP_NS', 'last packet'),
      c('end.how', 'VARCHAR', 'FIN, RST, MP_TCPRST, MP_FASTCLOSE or open'),
      c('end.frame', 'BIGINT', 'frame that ended it'),
      c('end.time', 'TIMESTAMP_NS', 'when it ended'),
      c('end.reason', 'INTEGER', 'MP_TCPRST reason code'),
      c('end.reasonText', 'VARCHAR', 'MP_TCPRST reason'),
      c('end.by', 'VARCHAR', 'subflow side that ended it'),
      c('packets', 'BIGINT', 'packets, both ways'),
      c('payloadBytes', 'BIGINT', 'TCP payload bytes, both ways'),
      c('packetsByDirection.c2s', 'BIGINT', "packets from the connection's client"),
      c('packetsByDirection.s2c', 'BIGINT', "packets from the connection's server"),
      c('payloadBytesByDirection.c2s', 'BIGINT', "payload bytes from the connection's client"),
      c('payloadBytesByDirection.s2c', 'BIGINT', "payload bytes from the connection's server"),
      c('packetShare', 'DOUBLE', "share of the connection's packets (0..1)"),
      c('byteShare', 'DOUBLE', "share of the connection's payload bytes (0..1)"),
      c('retransmittedBytes', 'BIGINT', 'TCP-level retransmitted payload bytes'),
      c('retransmittedBytesByDirection.c2s', 'BIGINT', 'retransmitted bytes from the client'),
      c('retransmittedBytesByDirection.s2c', 'BIGINT', 'retransmitted bytes from the server'),
      c('throughputBps', 'DOUBLE', 'payload bits per second over its lifetime'),
      ...rtt('rtt', 'RTT (data → ACK)'),
      ...rtt('rtt.timestamps', 'RTT (TCP timestamps)'),
      c('joinLatencySec', 'DOUBLE', "seconds from the connection's first packet to this subflow's handshake"),
      c('bytesBeforeEstablished', 'BIGINT', 'data-level bytes delivered before this subflow was established'),
    ],
  },
  {
    name: 'addresses',
    doc: 'One row per address announced (ADD_ADDR) in a connection.',
    rowPath: [...CONN, 'addresses', '[]'],
    columns: [
      CONNECTION,
      c('addrId', 'INTEGER', 'address ID'),
      c('address', 'VARCHAR', 'the address'),
      c('port', 'INTEGER', 'the port, null when none was given'),
      c('announcedBy', 'VARCHAR', "'client' or 'server' of the connection"),
      c('frame', 'BIGINT', 'frame of the ADD_ADDR'),
      c('time', 'TIMESTAMP_NS', 'when it was announced'),
      c('hmacValid', 'BOOLEAN', 'v1 ADD_ADDR HMAC verified (null: not verifiable)'),
      c('echoed', 'BOOLEAN', 'the peer echoed it'),
      c('removedFrame', 'BIGINT', 'frame of the REMOVE_ADDR'),
      c('removedTime', 'TIMESTAMP_NS', 'when it was removed'),
      c('used', 'BOOLEAN', 'a subflow used it'),
    ],
  },
  {
    name: 'data',
    doc: 'One row per connection direction: the data level (DSN space).',
    rowPath: DATA,
    columns: [
      CONNECTION,
      DIRECTION,
      c('relativeTo', 'VARCHAR', "relative DSNs are offsets from the 'idsn' or the 'first-dsn' seen"),
      c('deliveredBytes', 'BIGINT', 'bytes delivered in order'),
      c('receivedBytes', 'BIGINT', 'bytes that arrived'),
      c('retransmittedBytes', 'BIGINT', 'data-level bytes sent again'),
      c('reinjectedBytes', 'BIGINT', 'bytes sent again on another subflow'),
      c('duplicateUnattributedBytes', 'BIGINT', 'duplicates not attributed to a subflow'),
      count('reinjections', 'subflow pairs with reinjections', 'reinjectionPairs'),
      count('holes', 'holes left at the end', 'holeCount'),
      c('outOfOrderSegments', 'BIGINT', 'segments that arrived beyond a hole'),
      c('outOfOrderBytes', 'BIGINT', 'bytes that arrived beyond a hole'),
      c('headOfLine.meanDelaySec', 'DOUBLE', 'mean head-of-line delay of a byte, s'),
      c('headOfLine.maxDelaySec', 'DOUBLE', 'longest head-of-line delay, s'),
      c('dataAck', 'UBIGINT', 'last DATA_ACK (relative)'),
      c('dataFin', 'UBIGINT', 'DSN of the DATA_FIN (relative)'),
      c('mappings', 'BIGINT', 'DSS mappings'),
      count('mappingConflicts', 'conflicting mappings', 'mappingConflictCount'),
      c('checksumsVerified', 'BIGINT', 'DSS checksums verified'),
      c('checksumFailures', 'BIGINT', 'DSS checksums that failed'),
      c('checksumsUnverifiable', 'BIGINT', 'DSS checksums that could not be verified'),
      c('unmappedBytes', 'BIGINT', 'payload bytes no mapping covered'),
      c('infiniteMapping.frame', 'BIGINT', 'frame of an infinite mapping (fallback)'),
      c('infiniteMapping.subflow', 'INTEGER', 'tcp.stream of the infinite mapping'),
      count('mpFail', 'MP_FAIL options', 'mpFailCount'),
      c('firstTime', 'TIMESTAMP_NS', 'first data'),
      c('lastTime', 'TIMESTAMP_NS', 'last data'),
      c('goodputBps', 'DOUBLE', 'delivered bits per second'),
      c('startUnknown', 'BOOLEAN', 'the capture started after the data did'),
      c('bytesBeforeStart', 'BIGINT', 'bytes before the first one seen'),
      c('notCapturedBytes', 'BIGINT', 'bytes acknowledged but not in the capture'),
      c('captureGapCount', 'BIGINT', 'capture gaps'),
      c('skippedBytes', 'BIGINT', 'bytes skipped at a buffering cap'),
      c('skippedGapCount', 'BIGINT', 'gaps skipped at a buffering cap'),
      c('lateBytes', 'BIGINT', 'bytes that came after their gap was skipped'),
      c('releasedByCaptureGapBytes', 'BIGINT', 'bytes released by skipping a capture gap'),
      c('peakBufferedBytes', 'BIGINT', 'most bytes held beyond a hole'),
      c('peakBufferedSegments', 'BIGINT', 'most segments held beyond a hole'),
      count('dataFinConflicts', 'DATA_FINs at different DSNs', 'dataFinConflictCount'),
    ],
  },
  {
    name: 'reinjections',
    doc: 'One row per connection direction and subflow pair: data sent on one subflow and again on another.',
    rowPath: [...DATA, 'reinjections', '[]'],
    columns: [CONNECTION, DIRECTION, c('fromSubflow', 'INTEGER', 'tcp.stream that sent it first'), c('toSubflow', 'INTEGER', 'tcp.stream that sent it again'), c('bytes', 'BIGINT', 'bytes reinjected'), c('count', 'BIGINT', 'segments reinjected'), c('maxDelaySec', 'DOUBLE', 'longest delay between the two, s')],
  },
  {
    name: 'gaps',
    doc: "One row per hole in the data: `kind` 'hole' (never filled), 'capture' (a capture gap: acknowledged, not captured) or 'skipped' (skipped at a buffering cap).",
    rowPath: [...DATA, 'captureGaps', '[]'],
    columns: [
      CONNECTION,
      DIRECTION,
      { name: 'kind', type: 'VARCHAR', doc: "'hole', 'capture' or 'skipped' (from `holes`, `captureGaps`, `skippedGaps`)", given: true, schemaPath: [...DATA, 'holes'] },
      c('start', 'UBIGINT', 'first relative DSN'),
      c('end', 'UBIGINT', 'relative DSN after the last'),
      c('bytes', 'BIGINT', 'bytes'),
      c('time', 'TIMESTAMP_NS', 'when it was found (null for a hole)'),
      c('frame', 'BIGINT', 'frame that showed it (capture gaps)'),
    ],
  },
  {
    name: 'closing',
    doc: 'One row per closing event of a connection (DATA_FIN, FIN, RST, MP_TCPRST, MP_FASTCLOSE), in order.',
    rowPath: [...CONN, 'closing', 'events', '[]'],
    columns: [
      CONNECTION,
      { name: 'seq', type: 'INTEGER', doc: 'order of the event in the connection (0 first)', given: true, schemaPath: [...CONN, 'closing', 'events'] },
      c('time', 'TIMESTAMP_NS', 'when'),
      c('frame', 'BIGINT', 'frame'),
      c('event', 'VARCHAR', 'DATA_FIN, FIN, RST, MP_TCPRST or MP_FASTCLOSE'),
      c('by', 'VARCHAR', "'client' or 'server' of the connection"),
      c('subflow', 'INTEGER', 'tcp.stream (null: connection level)'),
    ],
  },
  {
    name: 'series',
    doc: "Time series, one row per point: `series` 'cumulativeBytes' or 'rttUs' of a subflow, or 'cumulativeBytes' delivered at the data level of a connection direction (subflow null).",
    rowPath: [...CONN, 'subflows', '[]', 'series', 'cumulativeBytes', '[]'],
    columns: [
      CONNECTION,
      { name: 'subflow', type: 'INTEGER', doc: 'tcp.stream, null for a connection-level series', given: true, schemaPath: [...CONN, 'subflows', '[]', 'tcpStream'] },
      DIRECTION,
      { name: 'series', type: 'VARCHAR', doc: "'cumulativeBytes' or 'rttUs'", given: true, schemaPath: [...CONN, 'subflows', '[]', 'series'] },
      { name: 'time', type: 'TIMESTAMP_NS', doc: 'time of the point', path: ['0'] },
      { name: 'value', type: 'DOUBLE', doc: 'bytes, or RTT in µs', path: ['1'] },
    ],
  },
];

export function table(name: string): Table {
  const t = TABLES.find((x) => x.name === name);
  if (!t) throw new Error(`no table ${name}`);
  return t;
}
