/** How wide the tables may be: --wide (every column), COLUMNS, the terminal's width, else 80. */
import type { Writable } from 'node:stream';

export const DEFAULT_WIDTH = 80;

export function tableWidth(stdout: Writable, env: Record<string, string | undefined>, wide: boolean | undefined): number {
  if (wide) return Infinity;
  const fromEnv = Number(env.COLUMNS);
  if (Number.isInteger(fromEnv) && fromEnv > 0) return fromEnv;
  const tty = stdout as Writable & { columns?: unknown; isTTY?: boolean };
  if (tty.isTTY === true && typeof tty.columns === 'number' && Number.isInteger(tty.columns) && tty.columns > 0) return tty.columns;
  return DEFAULT_WIDTH;
}
