/**
 * A handle on a Kubernetes cluster for tests and benchmarks: run the real kubectl and helm against
 * it, get a client-node KubeConfig. Free of side effects (unlike cluster.ts, which registers mocha
 * root hooks and a SIGINT handler when loaded), so a benchmark can use it too
 * (bench/support/bench-cluster.ts).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';

/** Result of running kubectl or helm. */
export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Options for kubectl/helm runs. */
export interface CommandOptions {
  /** Written to the command's stdin. */
  input?: string;
  /** Resolve with the result instead of rejecting when the exit code is not 0. */
  allowFail?: boolean;
  /** Kill the command after this long (default 120 s). */
  timeoutMs?: number;
}

/** The cluster e2e tests and benchmarks run against (see test/e2e/support/cluster.ts for the e2e one). */
export interface TestCluster {
  kubeconfig: string;
  binDir: string;
  local: boolean;
  nodeName?: string;
  kubectl(args: string[], options?: CommandOptions): Promise<CommandResult>;
  helm(args: string[], options?: CommandOptions): Promise<CommandResult>;
  kubeConfig(): KubeConfig;
}

/** Runs a command with KUBECONFIG set; see CommandOptions. */
export function runCommand(command: string, args: string[], kubeconfig: string, options: CommandOptions = {}): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { ...process.env, KUBECONFIG: kubeconfig }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`${command} could not be run: ${err.message}`, { cause: err }));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const result = { code: code ?? (signal ? 128 : 1), stdout, stderr };
      if (result.code !== 0 && !options.allowFail) {
        reject(new Error(`${command} ${args.join(' ')} exited with ${code ?? signal}: ${stderr.trim() || stdout.trim()}`));
      } else resolve(result);
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

/** The handle of the cluster whose admin kubeconfig is `kubeconfig` (helm from `binDir` when built there). */
export function makeCluster(kubeconfig: string, binDir: string, local: boolean, nodeName?: string): TestCluster {
  const helmPath = binDir !== '' && existsSync(join(binDir, 'helm')) ? join(binDir, 'helm') : 'helm';
  return {
    kubeconfig,
    binDir,
    local,
    ...(nodeName !== undefined ? { nodeName } : {}),
    kubectl: (args, options) => runCommand('kubectl', args, kubeconfig, options),
    helm: (args, options) => runCommand(helmPath, args, kubeconfig, options),
    kubeConfig: () => {
      const kc = new KubeConfig();
      kc.loadFromFile(kubeconfig);
      return kc;
    },
  };
}
