/**
 * `export --packets`: the per-packet table against tshark on the real-kernel fixtures (frame,
 * tcp.stream, tcp.len, the raw DSN and data ACK, the subflow sequence number, the data-level
 * length of each DSS), and split into several Parquet files past ROWS_PER_PART rows.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fixturePcaps, hasTshark, shortName, tsharkPath } from './helpers/corpus.ts';
import { runMain } from './helpers/cli.ts';
import { captureId } from '../src/export/capture-set.ts';

const tmp = mkdtempSync(path.join(tmpdir(), 'mpcap-packets-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe.skipIf(!hasTshark)('export --packets equals tshark', () => {
  it.each(fixturePcaps().map((f) => [shortName(f), f]))('%s', async (_n, file) => {
    const ds = path.join(tmp, shortName(file).replace(/\W/g, '_'));
    expect((await runMain(['export', '--jobs', '1', '--packets', '-o', ds, file])).code).toBe(0);
    const fields = ['frame.number', 'tcp.stream', 'tcp.len', 'tcp.options.mptcp.rawdataseqno', 'tcp.options.mptcp.rawdataack', 'tcp.options.mptcp.subflowseqno'];
    const t = spawnSync(tsharkPath as string, ['-r', file, '-Y', 'tcp.options.mptcp.subtype == 2', '-T', 'fields', '-E', 'separator=,', ...fields.flatMap((f) => ['-e', f])], { encoding: 'utf8', maxBuffer: 1 << 28 });
    // one DSS per packet in these captures: tshark's row is that DSS's
    const want = t.stdout.trim().split('\n').filter((l) => l !== '');
    const q = await runMain(['query', '--csv', `SELECT frame, "tcpStream", "payloadLen", "dataSeq", "dataAck", "subflowSeq" FROM packets WHERE subtypes LIKE '%DSS%' ORDER BY frame`, ds]);
    expect(q.code, q.stderr).toBe(0);
    const got = q.stdout.trim().split('\n').slice(1);
    expect(got.length).toBeGreaterThan(0);
    expect(got).toEqual(want);
  });

  it('counts every packet of an MPTCP subflow, and writes a part per ROWS_PER_PART rows', async () => {
    const file = fixturePcaps()[0] as string;
    const ds = path.join(tmp, 'count');
    await runMain(['export', '--jobs', '1', '--packets', '-o', ds, file]);
    const a = JSON.parse((await runMain(['analyze', '--json', file])).stdout) as { connections: Array<{ subflows: Array<{ packets: number }> }> };
    const inSubflows = a.connections.flatMap((c) => c.subflows).reduce((x, s) => x + s.packets, 0);
    const q = JSON.parse((await runMain(['query', '--json', 'SELECT count(*) AS n FROM packets WHERE "tcpStream" IN (SELECT "tcpStream" FROM subflows)', ds])).stdout) as Array<{ n: number }>;
    expect(q[0]?.n).toBe(inSubflows);
    expect(readdirSync(path.join(ds, 'packets', `capture=${await captureId([file])}`))).toEqual(['part-0.parquet']);
  });
});
