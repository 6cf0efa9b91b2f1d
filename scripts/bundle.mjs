#!/usr/bin/env node
// Bundles what tsc wrote to dist/ into dist/bundle/: the CLI and the three worker entry points in
// one directory, their shared code in chunks. Node's ESM loader spends ~1 ms per module resolving
// and linking the ~150 modules of dist/ (≈ 90 ms of CPU at every start, and again in every worker
// thread); one bundle loads in a few. Packages stay external (node_modules as installed).
// The entry points keep their file names and sit side by side, so the `new URL('./worker.js',
// import.meta.url)` of the code that starts workers, and `../../package.json` / `../../assets`,
// resolve as they do from dist/<dir>/. bin/mpcap.js uses the bundle only when it is at least as new
// as dist/cli/main.js (a bare `tsc` afterwards leaves it stale: then dist/ is used).
// Without esbuild installed (a production install without devDependencies) this does nothing.
import { fileURLToPath } from 'node:url';
import { rmSync } from 'node:fs';

const root = fileURLToPath(new URL('..', import.meta.url));
let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  process.stderr.write('bundle: esbuild is not installed; bin/mpcap.js runs dist/ unbundled\n');
  process.exit(0);
}
const outdir = `${root}dist/bundle`;
rmSync(outdir, { recursive: true, force: true });
await esbuild.build({
  absWorkingDir: root,
  entryPoints: ['dist/cli/main.js', 'dist/compare/side-worker.js', 'dist/export/worker.js', 'dist/export/hash-worker.js'],
  entryNames: '[name]',
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
});
