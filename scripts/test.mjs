#!/usr/bin/env node
/**
 * `npm test`'s vitest, with colour only on a terminal: vitest's colour library (tinyrainbow)
 * colours whenever TERM is set, so CI logs and pipes got escape codes. NO_COLOR is set for it
 * when standard output is not a terminal (FORCE_COLOR still forces colour).
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const vitest = path.join(path.dirname(require.resolve('vitest/package.json')), 'vitest.mjs');
const env = { ...process.env };
if (!process.stdout.isTTY && !('FORCE_COLOR' in env)) env.NO_COLOR = '1';
const r = spawnSync(process.execPath, [vitest, 'run', ...process.argv.slice(2)], { stdio: 'inherit', env });
process.exit(r.status ?? 1);
