/** "1 packet", "2 packets", "1,234 packets": a count with its noun, in English. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}
