#!/usr/bin/env node
import { main } from '../dist/cli/main.js';

// `mpcap … | head`: the reader went away; stop quietly, as tshark and tcpdump do.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

process.exitCode = await main(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env });
