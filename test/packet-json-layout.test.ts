/**
 * Issue 11: `dissect -T json --tshark-layout` reads as `tshark -T json` does (every value mpcap
 * writes is tshark's, at tshark's path), and mpcap's own layout uses one naming style.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { craftedDir, hasTshark, pcapsDir, shortName } from './helpers/corpus.ts';
import { runBin, runMain } from './helpers/cli.ts';

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

/** Every leaf as path → value. */
function leaves(x: Json, at = '', out = new Map<string, Json>()): Map<string, Json> {
  if (x !== null && typeof x === 'object' && !Array.isArray(x)) for (const [k, v] of Object.entries(x)) leaves(v, at ? `${at} › ${k}` : k, out);
  else if (Array.isArray(x)) x.forEach((v, i) => leaves(v, `${at}[${i}]`, out));
  else out.set(at, x);
  return out;
}

const FILES = ['two-paths.pcap', 'loss.pcap', 'three-paths-signal.pcap', 'ipv6.pcap', 'checksum.pcap'].map((f) => path.join(pcapsDir, f));

describe.skipIf(!hasTshark)('-T json --tshark-layout against tshark -T json', () => {
  it.each(FILES.map((f) => [shortName(f), f]))('%s: every value mpcap writes is at the same path in tshark\'s JSON, with the same text', (_n, file) => {
    const ours = JSON.parse(runBin(['dissect', '-T', 'json', '--tshark-layout', '-c', '300', file]).stdout) as Json[];
    const theirs = JSON.parse(spawnSync('tshark', ['-r', file, '-T', 'json', '-c', '300'], { encoding: 'utf8', maxBuffer: 1 << 30 }).stdout) as Json[];
    expect(ours.length).toBe(theirs.length);
    let compared = 0;
    ours.forEach((pkt, i) => {
      const t = leaves(theirs[i] as Json);
      for (const [k, v] of leaves(pkt)) {
        // several MPTCP options repeat the "mptcp" key: JSON.parse keeps the last in both.
        // tshark never shows a DSS checksum (README "Where mpcap and tshark differ"): mpcap does.
        if (k.endsWith('tcp.options.mptcp.checksum') && !t.has(k)) continue;
        expect(t.get(k), `frame ${i + 1}: ${k}`).toEqual(v);
        compared++;
      }
    });
    expect(compared).toBeGreaterThan(ours.length * 25);
  });

  it('the scripts\' usual paths are there: _source.layers.tcp["tcp.stream"], .ip["ip.src"], the MPTCP option under tcp.options_tree', () => {
    const [first] = JSON.parse(runBin(['dissect', '-T', 'json', '--tshark-layout', '-c', '2', FILES[0] as string]).stdout) as Array<{ _source: { layers: Record<string, Record<string, unknown>> } }>;
    const l = first?._source.layers;
    expect(l?.tcp?.['tcp.stream']).toBe('0');
    expect(l?.ip?.['ip.src']).toBe('10.0.1.1');
    expect((l?.tcp?.['tcp.options_tree'] as Record<string, Record<string, string>>).mptcp?.['tcp.options.mptcp.subtype']).toBe('0');
  });
});

describe("mpcap's own JSON layout", () => {
  const KEY = /^[a-z0-9_]+(\.[a-z0-9_]+)*$/;
  it.each([path.join(pcapsDir, 'three-paths-signal.pcap'), path.join(craftedDir, 'options.pcap')].map((f) => [shortName(f), f]))('%s: every key, at every depth, is lower-case dotted/snake_case (no camelCase)', async (_n, file) => {
    const r = await runMain(['dissect', '-T', 'json', file]);
    const pkts = JSON.parse(r.stdout) as Json[];
    const bad = new Set<string>();
    const walk = (x: Json): void => {
      if (Array.isArray(x)) x.forEach(walk);
      else if (x !== null && typeof x === 'object') for (const [k, v] of Object.entries(x)) {
        if (!KEY.test(k)) bad.add(k);
        walk(v);
      }
    };
    pkts.forEach(walk);
    expect([...bad]).toEqual([]);
  });

  it('the MPTCP options are listed once: decoded under "mptcp", named by kind and offset in "tcp.options"', async () => {
    const r = await runMain(['dissect', '-T', 'json', '-c', '4', path.join(pcapsDir, 'two-paths.pcap')]);
    const pkts = JSON.parse(r.stdout) as Array<Record<string, Json>>;
    const p = pkts[1] as Record<string, Json>;
    const tcpOpts = p['tcp.options'] as Array<Record<string, Json>>;
    const m = tcpOpts.filter((o) => o.kind === 'MPTCP');
    expect(m).toEqual([{ kind: 'MPTCP', offset: 80, length: 12 }]);
    const mptcp = p.mptcp as Array<Record<string, Json>>;
    expect(mptcp).toHaveLength(1);
    expect(mptcp[0]?.subtype).toBe('MP_CAPABLE');
    // the key is the run's own (the fixtures are regenerated): tshark reads it from the same frame
    expect(mptcp[0]?.sender_key).toMatch(/^[0-9]+$/);
    if (hasTshark) expect(mptcp[0]?.sender_key).toBe(spawnSync('tshark', ['-r', path.join(pcapsDir, 'two-paths.pcap'), '-Y', 'frame.number == 2', '-T', 'fields', '-e', 'tcp.options.mptcp.sendkey'], { encoding: 'utf8' }).stdout.trim());
  });
});

describe('schema/packet.schema.json', () => {
  it.each([path.join(pcapsDir, 'three-paths-signal.pcap'), path.join(craftedDir, 'options.pcap'), path.join(pcapsDir, 'ipv6.pcap')].map((f) => [shortName(f), f]))('%s: every packet of -T ndjson is valid', async (_n, file) => {
    const { readFileSync } = await import('node:fs');
    const Ajv2020 = (await import('ajv/dist/2020.js')).default as unknown as { default: new (o: object) => { compile: (s: object) => ((x: unknown) => boolean) & { errors?: unknown } } };
    const ajv = new Ajv2020.default({ strict: false, allErrors: true });
    const validate = ajv.compile(JSON.parse(readFileSync(path.join(import.meta.dirname, '..', 'schema', 'packet.schema.json'), 'utf8')) as object);
    const r = await runMain(['dissect', '-T', 'ndjson', file]);
    const pkts = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as unknown);
    expect(pkts.length).toBeGreaterThan(10);
    for (const [i, p] of pkts.entries()) expect(validate(p), `packet ${i + 1}: ${JSON.stringify(validate.errors)}`).toBe(true);
  });
});
