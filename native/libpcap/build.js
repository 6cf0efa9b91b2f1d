'use strict';
// Runs at install (npm ci): builds the addon with the node-gyp that npm bundles. The binding is
// optional: when libpcap-dev or a compiler is missing the build fails, a warning says what to
// install, and the install goes on (mpcap works, except live -i, which says the same).
const { spawnSync } = require('node:child_process');
const { existsSync, rmSync } = require('node:fs');
const path = require('node:path');

const here = __dirname;
const env = { ...process.env };
// Node's own headers (next to the node binary in an official build, /usr/include/node from
// Debian's packages), so that node-gyp downloads nothing.
if (!env.npm_config_nodedir) {
  const prefix = path.join(path.dirname(process.execPath), '..');
  for (const dir of [prefix, '/usr', '/usr/local']) {
    if (existsSync(path.join(dir, 'include', 'node', 'node_api.h'))) {
      env.npm_config_nodedir = path.resolve(dir);
      break;
    }
  }
}
let gyp = null;
const npmCli = env.npm_execpath;
const candidates = [
  npmCli ? path.join(path.dirname(npmCli), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js') : null,
  path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  '/usr/share/nodejs/node-gyp/bin/node-gyp.js',
  '/usr/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js',
];
for (const c of candidates) if (c && existsSync(c)) { gyp = c; break; }
const hint = 'mpcap: warning: the libpcap binding was not built, so `mpcap live -i` will not work (everything else does): ' +
  'install libpcap-dev and a C compiler (apt-get install libpcap-dev build-essential), then npm rebuild mpcap-libpcap';
if (gyp === null) {
  console.warn(`${hint} (node-gyp not found)`);
  process.exit(0);
}
const r = spawnSync(process.execPath, [gyp, 'rebuild'], { cwd: here, env, stdio: 'inherit' });
if (r.status !== 0) {
  rmSync(path.join(here, 'build'), { recursive: true, force: true });
  console.warn(hint);
}
process.exit(0);
