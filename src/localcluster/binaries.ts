/**
 * Makes sure the control-plane binaries exist, building them on first use.
 *
 * Why: tests, `npm run cluster:up` and the demo all need the same kube-apiserver, etcd,
 * controller manager, scheduler and helm; building them is minutes of work done once per machine
 * by hack/build-control-plane.sh (idempotent, locked against concurrent builds). This module runs
 * that script with its progress streamed to our stderr and returns the bin directory.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../paths.js';
import { binDir } from './cluster-paths.js';

/** Names of the binaries a complete build holds. */
export const CONTROL_PLANE_BINARIES = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'helm'] as const;

/** True when every binary is already in the versioned cache (no build needed). */
export function binariesPresent(dir: string = binDir()): boolean {
  return existsSync(join(dir, '..', '.complete')) && CONTROL_PLANE_BINARIES.every((b) => existsSync(join(dir, b)));
}

/**
 * Returns the bin directory, running the build script if needed. Progress goes to `progress`
 * (default: our stderr). Rejects with the script's own message (e.g. "Go is not installed ...").
 */
export async function ensureBinaries(progress: NodeJS.WritableStream = process.stderr): Promise<string> {
  const dir = binDir();
  if (binariesPresent(dir)) return dir;
  const script = join(packageRoot(), 'hack', 'build-control-plane.sh');
  progress.write(`building the local control plane into ${dir} (first use on this machine; takes minutes)\n`);
  return await new Promise<string>((resolve, reject) => {
    const child = spawn('bash', [script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let tail = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => {
      progress.write(b);
      tail = (tail + b.toString()).slice(-2000);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const last = out.trim().split('\n').pop() ?? '';
      if (code === 0 && last !== '' && binariesPresent(last)) resolve(last);
      else reject(new Error(`building the control plane failed (exit ${code}): ${tail.trim().split('\n').slice(-4).join('\n')}`));
    });
  });
}
