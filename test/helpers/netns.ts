/**
 * Real MPTCP traffic between network namespaces for the live-capture tests: whether it can be
 * made here (root, `ip netns`, MPTCP in the kernel, mpcap's libpcap binding, the built CLI), and
 * scripts/mptcp-scenario.sh run with our own capturer in the capturing namespace.
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { repoRoot } from './corpus.ts';

export const scenarioScript = path.join(repoRoot, 'scripts', 'mptcp-scenario.sh');
export const binPath = path.join(repoRoot, 'bin', 'mpcap.js');

/** Whether mpcap's libpcap binding (mpcap-libpcap) loads (installed and built); the reason when it does not. */
export function capLoadError(): string | null {
  try {
    createRequire(import.meta.url)('mpcap-libpcap');
    return null;
  } catch (e) {
    return (e as Error).message.split('\n')[0] ?? 'cannot be loaded';
  }
}

function has(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** Why live capture between namespaces cannot be tested here, or null when it can. */
export function netnsSkipReason(): string | null {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, packet capture)';
  if (!existsSync('/proc/sys/net/mptcp/enabled')) return 'the kernel has no MPTCP (net.mptcp)';
  for (const cmd of ['ip', 'tc', 'python3']) if (!has(cmd)) return `${cmd} is not installed`;
  const capErr = capLoadError();
  if (capErr !== null) return `mpcap's libpcap binding cannot be loaded (${capErr}): install libpcap-dev, then npm ci`;
  if (!existsSync(path.join(repoRoot, 'dist', 'cli', 'main.js'))) return 'dist/ is missing: run `npm run build`';
  const name = `mpcapt${process.pid}`;
  const add = spawnSync('ip', ['netns', 'add', name], { encoding: 'utf8' });
  if (add.status !== 0) return `ip netns does not work here (${(add.stderr || '').trim()})`;
  spawnSync('ip', ['netns', 'del', name]);
  return null;
}

export interface ScenarioRun {
  code: number;
  stderr: string;
  /** What the capturer printed on stdout (OUT.pcap.stdout). */
  capturerStdout: string;
  sidecar: Sidecar | null;
}

export interface Sidecar {
  knobs: { paths: number; bytes: number; SIGNAL: number };
  path_list: Array<{ path: number; client: string; server: string }>;
  client: { address: string; port: number; sent_bytes: number };
  server: { address: string; received_bytes: number };
  capture: { packets: number };
}

/**
 * scripts/mptcp-scenario.sh OUT paths bytes, with `env` knobs; CAPTURE_CMD runs in the capturing
 * namespace with $OUT set and must end by itself.
 */
export function runScenario(out: string, paths: number, bytes: number, env: Record<string, string>): Promise<ScenarioRun> {
  return new Promise((resolve) => {
    execFile(scenarioScript, [out, String(paths), String(bytes)], { cwd: repoRoot, env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 1 << 26 }, (err, _stdout, stderr) => {
      const sidecarPath = out.replace(/\.pcap$/, '.json');
      const stdoutPath = `${out}.stdout`;
      resolve({
        code: err ? Number((err as { code?: unknown }).code ?? 1) : 0,
        stderr,
        capturerStdout: existsSync(stdoutPath) ? readFileSync(stdoutPath, 'utf8') : '',
        sidecar: existsSync(sidecarPath) ? (JSON.parse(readFileSync(sidecarPath, 'utf8')) as Sidecar) : null,
      });
    });
  });
}
