/**
 * What the demo and the docs generator (run-demo.ts, plugin-docs.ts) both do against their local
 * cluster: run a program with the cluster's KUBECONFIG and collect its output, and poll until a
 * condition holds.
 */
import { spawn } from 'node:child_process';

/** A finished program: exit code and output. */
export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `cmd` with KUBECONFIG set, `input` on stdin; resolves when it exits, whatever the code. */
export function runWithKubeconfig(cmd: string, args: string[], kubeconfig: string, input?: string): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, KUBECONFIG: kubeconfig }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

/** Like {@link runWithKubeconfig}, and rejects with the program's stderr on a non-zero exit; resolves with stdout. */
export async function mustRun(cmd: string, args: string[], kubeconfig: string, input?: string): Promise<string> {
  const r = await runWithKubeconfig(cmd, args, kubeconfig, input);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.code}): ${r.stderr.trim() || r.stdout.trim()}`);
  return r.stdout;
}

/** How often {@link waitUntil} checks. */
const POLL_MS = 1000;

/** Polls `check` until it returns a value (errors count as "not yet"); rejects after `timeoutSeconds`, with the last error. */
export async function waitUntil<T>(what: string, timeoutSeconds: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutSeconds}s waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
