/**
 * The tshark options `dissect` accepts beside its own: -n, -t, -q, -l, -x, -z. Kept apart from
 * dissect.ts so that the command reads as its pipeline; this file parses and formats.
 */
import type { Command } from 'commander';
import { Option } from 'commander';
import type { Frame } from '../dissect/frame.js';
import { STAT_NAMES, type StatName } from '../analysis/tshark-stats.js';
import { UsageError } from './errors.js';

export type TimeFormat = 'r' | 'a' | 'ad' | 'd' | 'dd' | 'e' | 'u' | 'ud';
const TIME_FORMATS: readonly TimeFormat[] = ['r', 'a', 'ad', 'd', 'dd', 'e', 'u', 'ud'];

export interface HabitOptions {
  numeric?: boolean;
  timeFormat: string;
  quiet?: boolean;
  lineBuffered?: boolean;
  hex?: boolean;
  stat: string[];
  tsharkLayout?: boolean;
}

const collect = (value: string, prev: string[]): string[] => [...prev, value];

export function addHabitOptions(cmd: Command): Command {
  return cmd
    .option('-n, --numeric', 'accepted for tshark habits: mpcap never resolves names (addresses and ports are always numeric)')
    .addOption(new Option('-t, --time-format <format>', 'time column of the summary lines, as tshark: r relative (default), a / ad local time (and date), u / ud UTC, d delta since the previous packet, dd since the previous printed one, e epoch').choices(TIME_FORMATS as string[]).default('r'))
    .option('-q, --quiet', 'print no packets (with -z: only the statistics)')
    .option('-l, --line-buffered', 'flush the output after every packet (for a pipe read as it comes)')
    .option('-x, --hex', 'hex and ASCII dump of each packet (after the -V tree when both are given)')
    .option('--tshark-layout', "with -T json or ndjson: tshark's JSON layout (_source.layers.frame, .ip, .tcp; every value a string), for scripts written for `tshark -T json`")
    .option('-z, --stat <stat>', `statistics after the packets, printed as tshark prints them: ${STAT_NAMES.join(', ')} (repeatable)`, collect, [])
    .addHelpText(
      'after',
      `
tshark's options:
  mpcap dissect -n -t ad -c 5 capture.pcap        absolute date and time in the time column
  mpcap dissect -V -x -c 1 capture.pcap           the tree, then the hex dump
  mpcap dissect -q -z conv,tcp -z conv,mptcp -z endpoints,ip capture.pcap
  mpcap dissect -T json --tshark-layout capture.pcap | jq '.[]._source.layers.tcp["tcp.stream"]'
  tcpdump -i any -U -w - tcp | mpcap dissect -l - | grep --line-buffered MP_JOIN`,
    );
}

export function parseStats(list: string[]): StatName[] {
  return list.map((s) => {
    if (!(STAT_NAMES as readonly string[]).includes(s)) throw new UsageError(`-z ${s}: unknown statistics (mpcap knows ${STAT_NAMES.join(', ')})`);
    return s as StatName;
  });
}

const two = (n: number): string => String(n).padStart(2, '0');

/** The time column: microseconds, as tshark's default precision for pcap files. */
/**
 * Decimals tshark shows for an interface's timestamps: its resolution, rounded up to a power of
 * ten (µs pcap 6, nanosecond pcap or pcapng if_tsresol 9 → 9, ms 3), at most 9.
 */
export function timeDigits(unitsPerSec: number): number {
  if (!(unitsPerSec > 1)) return 0;
  return Math.max(0, Math.min(9, Math.ceil(Math.log10(unitsPerSec) - 1e-9)));
}

/** The first `digits` decimals of a nanosecond count (truncated, as tshark). */
function fraction(ns: number, digits: number): string {
  return digits === 0 ? '' : `.${String(ns).padStart(9, '0').slice(0, digits)}`;
}

export function timeColumn(fmt: TimeFormat, frame: Frame, relNs: number, deltaNs: number, deltaShownNs: number, digits = 6): string {
  const frac = fraction(frame.tsNsec, digits);
  switch (fmt) {
    case 'r':
      return signedSeconds(relNs, digits);
    case 'd':
      return signedSeconds(deltaNs, digits);
    case 'dd':
      return signedSeconds(deltaShownNs, digits);
    case 'e':
      return `${frame.tsSec}${frac}`;
    case 'a':
    case 'ad':
    case 'u':
    case 'ud': {
      const d = new Date(frame.tsSec * 1000);
      if (Number.isNaN(d.getTime())) return `${frame.tsSec}${frac}`;
      const utc = fmt === 'u' || fmt === 'ud';
      const h = utc ? d.getUTCHours() : d.getHours();
      const m = utc ? d.getUTCMinutes() : d.getMinutes();
      const s = utc ? d.getUTCSeconds() : d.getSeconds();
      const clock = `${two(h)}:${two(m)}:${two(s)}${frac}`;
      if (fmt === 'a' || fmt === 'u') return clock;
      const y = utc ? d.getUTCFullYear() : d.getFullYear();
      const mo = (utc ? d.getUTCMonth() : d.getMonth()) + 1;
      const day = utc ? d.getUTCDate() : d.getDate();
      return `${y}-${two(mo)}-${two(day)} ${clock}`;
    }
  }
}

function signedSeconds(ns: number, digits: number): string {
  const neg = ns < 0;
  const abs = Math.round(Math.abs(ns));
  return `${neg ? '-' : ''}${Math.floor(abs / 1e9)}${fraction(abs % 1e9, digits)}`;
}

/** tshark -x: offset, 16 bytes in hex, their ASCII; then a blank line. */
export function hexDump(bytes: Uint8Array): string {
  let out = '';
  const width = bytes.length > 0xffff ? 8 : 4;
  for (let off = 0; off < bytes.length; off += 16) {
    let hex = '';
    let ascii = '';
    for (let i = 0; i < 16; i++) {
      const b = bytes[off + i];
      if (b === undefined) {
        hex += '   ';
        continue;
      }
      hex += (i ? ' ' : '') + b.toString(16).padStart(2, '0');
      ascii += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.';
    }
    out += `${off.toString(16).padStart(width, '0')}  ${hex.padEnd(47)}   ${ascii}\n`;
  }
  return out + '\n';
}
