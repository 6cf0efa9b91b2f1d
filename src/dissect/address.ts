/** Text forms of IP addresses, as tshark prints them. */
import { u16 } from './bytes.js';

export function formatIpv4(b: Uint8Array, o: number): string {
  return `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;
}

/** RFC 5952 text: lower case, longest run (≥ 2) of zero groups as "::", first on ties. */
export function formatIpv6(b: Uint8Array, o: number): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push(u16(b, o + 2 * i));
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  // RFC 5952 §5: an IPv4-mapped address keeps its dotted quad, as inet_ntop prints it.
  if (bestStart === 0 && bestLen === 5 && groups[5] === 0xffff) return `::ffff:${formatIpv4(b, o + 12)}`;
  if (bestStart === 0 && bestLen === 6 && (groups[6] !== 0 || (groups[7] as number) > 1)) return `::${formatIpv4(b, o + 12)}`;
  const text = (g: number[]): string => g.map((x) => x.toString(16)).join(':');
  if (bestStart < 0) return text(groups);
  return `${text(groups.slice(0, bestStart))}::${text(groups.slice(bestStart + bestLen))}`;
}

