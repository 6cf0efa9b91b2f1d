/**
 * What a person sees of drops: the terminal table's header and the line per interval elsewhere
 * (src/live/render.ts), from a stats event.
 */
import { describe, expect, it } from 'vitest';
import { renderScreen, statsLine } from '../src/live/render.ts';
import type { StatsEvent } from '../src/live/stats.ts';

const base: StatsEvent = {
  event: 'stats',
  elapsedSec: 12,
  packets: 5000,
  bytes: 4_000_000,
  intervalPackets: 1000,
  intervalBytes: 800_000,
  intervalSec: 1,
  connectionsOpen: 0,
  connectionsSeen: 1,
  kernelDropped: 0,
  interfaceDropped: 0,
  intervalKernelDropped: 0,
  intervalInterfaceDropped: 0,
  connections: [],
};
const screen = (s: StatsEvent): string => renderScreen(s, { color: false, source: 'any', rows: 24, recent: [] }).split('\n')[0] ?? '';

describe('drops on the screen and in the lines', () => {
  it.each([
    ['none', base, '0 dropped'],
    ['by the kernel, some in the last interval', { ...base, kernelDropped: 1234, intervalKernelDropped: 56 }, '1234 dropped by the kernel (+56 in the last 1.0 s)'],
    ['earlier only', { ...base, kernelDropped: 7 }, '7 dropped by the kernel'],
    ['by the interface too', { ...base, kernelDropped: 7, interfaceDropped: 3, intervalInterfaceDropped: 3 }, '7 dropped by the kernel, 3 by the interface (+3 in the last 1.0 s)'],
  ])('%s', (_name, s, text) => {
    expect(screen(s)).toContain(text);
    expect(statsLine(s)).toContain(`, ${text}`);
  });
  it('a source that cannot count them (live -r) says so on the screen and nothing in the lines', () => {
    const s = { ...base, kernelDropped: null, interfaceDropped: null, intervalKernelDropped: null, intervalInterfaceDropped: null };
    expect(screen(s)).toContain('drops: not reported');
    expect(statsLine(s)).not.toContain('drop');
  });
  it('drops are red on a colour terminal', () => {
    const line = renderScreen({ ...base, kernelDropped: 9, intervalKernelDropped: 9 }, { color: true, source: 'any', rows: 24, recent: [] });
    expect(line).toContain('\x1b[31m9 dropped by the kernel');
  });
});
