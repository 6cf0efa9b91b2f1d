/**
 * Big-endian readers over a Uint8Array. Callers check lengths first (architecture rule 4):
 * these do no bounds checks of their own.
 */

export function u16(b: Uint8Array, o: number): number {
  return ((b[o] as number) << 8) | (b[o + 1] as number);
}

export function u32(b: Uint8Array, o: number): number {
  return (((b[o] as number) << 24) >>> 0) + (((b[o + 1] as number) << 16) | ((b[o + 2] as number) << 8) | (b[o + 3] as number));
}

// One BigInt per 64-bit read (the shift-and-or form makes four): the bytes go through a scratch view.
const scratch = new Uint8Array(8);
const scratchView = new DataView(scratch.buffer);

export function u64(b: Uint8Array, o: number): bigint {
  for (let i = 0; i < 8; i++) scratch[i] = b[o + i] as number;
  return scratchView.getBigUint64(0);
}

export function u32le(b: Uint8Array, o: number): number {
  return (((b[o + 3] as number) << 24) >>> 0) + (((b[o + 2] as number) << 16) | ((b[o + 1] as number) << 8) | (b[o] as number));
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Lower-case hex without separators, as tshark prints byte fields. */
export function hex(b: Uint8Array, start = 0, end = b.length): string {
  let s = '';
  for (let i = start; i < end; i++) s += HEX[b[i] as number];
  return s;
}

/** "00 01 ff" for messages. */
export function hexSpaced(b: Uint8Array, start = 0, end = b.length): string {
  const parts: string[] = [];
  for (let i = start; i < end; i++) parts.push(HEX[b[i] as number] as string);
  return parts.join(' ');
}

/**
 * Empty a reused array in place. (`a.length = 0` frees its backing store, so the next push
 * allocates a new one: garbage on every packet. pop() keeps it.)
 */
export function clear(a: unknown[]): void {
  while (a.length > 0) a.pop();
}
