/**
 * `-Y FILTER` on the command line: compiled once before any packet is read; a fault is shown as
 * tshark shows it, the filter with a caret under the faulty part, and is a usage error (exit 2).
 */
import { compileFilter, FilterError, type CompiledFilter } from '../filter/compile.js';
import { UsageError } from './errors.js';

/** The filter text with `^~~` under the fault, indented as tshark does. */
export function showFilterFault(text: string, e: FilterError): string {
  const pos = Math.min(e.pos, text.length);
  const len = Math.max(1, Math.min(e.len, Math.max(1, text.length - pos)));
  return `    ${text}\n    ${' '.repeat(pos)}^${'~'.repeat(len - 1)}`;
}

export function compileFilterOption(text: string | undefined, flag = '-Y'): CompiledFilter | null {
  if (text === undefined) return null;
  try {
    return compileFilter(text);
  } catch (e) {
    if (e instanceof FilterError) throw new UsageError(`${flag}: ${e.message}\n${showFilterFault(text, e)}`);
    throw e;
  }
}

/** `--connection N` / `--subflow S`: whole numbers, repeatable. */
export function collectIndex(flag: string): (value: string, prev: number[]) => number[] {
  return (value, prev) => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) throw new UsageError(`${flag} ${value}: expected a whole number`);
    return [...prev, n];
  };
}
