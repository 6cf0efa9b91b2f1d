/** How wide the tables may be: --wide (every column), COLUMNS, the terminal's width, else 80. */
import type { Writable } from 'node:stream';

export const DEFAULT_WIDTH = 80;

export function tableWidth(stdout: Writable, env: Record<string, string | undefined>, wide: boolean | undefined): number {
  if (wide) return Infinity;
  const fromEnv = Number(env.COLUMNS);
  if (Number.isInteger(fromEnv) && fromEnv > 0) return fromEnv;
  const cols = (stdout as Writable & { columns?: unknown }).columns;
  if (typeof cols === 'number' && Number.isInteger(cols) && cols > 0) return cols;
  return DEFAULT_WIDTH;
}
