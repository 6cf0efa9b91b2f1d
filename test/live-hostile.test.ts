/**
 * `live -r -` fed a hostile stream: one that stalls and resumes, one that ends inside a record,
 * one that turns to garbage after a valid start. Each ends with a documented exit code (0 whole,
 * 4 damaged) and a summary event that parses.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.ts';
import { pcapsDir, sidecar } from './helpers/corpus.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const fixture = readFileSync(path.join(pcapsDir, 'three-paths-signal.pcap'));
const PACKETS = sidecar(path.join(pcapsDir, 'three-paths-signal.pcap')).capture.packets;

class Sink extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _enc: BufferEncoding, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

/** A stdin that delivers `parts` in order, waiting `pauseMs` after each one but the last. */
function stalling(parts: Uint8Array[], pauseMs: number): Readable {
  let i = 0;
  return new Readable({
    read() {
      if (i >= parts.length) {
        this.push(null);
        return;
      }
      const part = parts[i++]!;
      if (i === 1) this.push(Buffer.from(part));
      else setTimeout(() => this.push(Buffer.from(part)), pauseMs);
    },
  });
}

async function live(stdin: Readable, extra: string[] = []): Promise<{ code: number; events: Json[]; stderr: string }> {
  const stdout = new Sink();
  const stderr = new Sink();
  const code = await main(['live', '-r', '-', '--json', '--interval', '0.2', ...extra], { stdin, stdout, stderr, env: {} });
  const events = stdout.text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Json);
  return { code, events, stderr: stderr.text };
}

describe('live -r - on hostile streams', () => {
  it('a stream that stalls mid-record for a second, then resumes: every packet, exit 0', async () => {
    const cut = 30_017; // inside a record
    const r = await live(stalling([fixture.subarray(0, cut), fixture.subarray(cut)], 1000));
    expect(r.stderr).toBe(`mpcap: ${PACKETS} packets captured (end of input)\n`);
    expect(r.code).toBe(0);
    // The stall is seen: stats events are written while no byte arrives.
    expect(r.events.filter((e) => e.event === 'stats').length).toBeGreaterThan(1);
    expect(r.events.at(-1)).toMatchObject({ event: 'summary', stopReason: 'end of input', packets: PACKETS });
    expect(r.events.at(-1)!.report.capture.problems).toEqual([]);
  });

  it('a stream that stalls, then ends inside a record: the packets before, exit 4, the cut in the summary', async () => {
    const r = await live(stalling([fixture.subarray(0, 20_000), fixture.subarray(20_000, 30_017)], 500));
    expect(r.code).toBe(4);
    const summary = r.events.at(-1)!;
    expect(summary).toMatchObject({ event: 'summary', stopReason: 'end of input' });
    expect(summary.packets).toBeGreaterThan(10);
    expect(summary.report.capture.problems).toMatchObject([{ kind: 'truncated-file', fatal: true }]);
    expect(summary.report.capture.problems[0].message).toMatch(/the input ends at byte 30017$/);
    expect(r.stderr).toMatch(/error: capture file ends in the middle of packet/);
  });

  it('garbage after a valid start: the packets before it, exit 4 (damaged, not "not a capture")', async () => {
    const garbage = Buffer.from('this is not a pcap record header, and neither is this'.repeat(20));
    const r = await live(stalling([fixture.subarray(0, 40_000), garbage], 200));
    expect(r.code).toBe(4);
    const summary = r.events.at(-1)!;
    expect(summary).toMatchObject({ event: 'summary' });
    expect(summary.packets).toBeGreaterThan(10);
    expect(summary.report.capture.problems.some((p: Json) => p.fatal === true)).toBe(true);
  });

  it('a stream that ends inside the file header: not a capture, exit 3, no summary', async () => {
    const r = await live(stalling([fixture.subarray(0, 10), fixture.subarray(10, 20)], 300));
    expect(r.code).toBe(3);
    // Only the stats ticks of the wait (every line still parses).
    expect(r.events.filter((e) => e.event !== 'stats')).toEqual([]);
    expect(r.stderr).toMatch(/not a readable pcap file: capture file ends in the pcap file header \(20 of 24 bytes present\)/);
  });
});
