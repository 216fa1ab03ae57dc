/**
 * The cluster a bench runs against, chosen as the e2e harness chooses (test/e2e/support/cluster.ts):
 * `$KUBECONFIG` when set (nothing is started or stopped; the node-agent images such as
 * `topology-sidecar` only run on the local cluster, so pods need real images there), otherwise a
 * local cluster of its own (src/localcluster), started here and stopped by {@link BenchCluster.stop}.
 *
 * It returns the harness's {@link TestCluster} shape, so the e2e fixtures (operator-harness.ts:
 * StatefulSets, operator processes, waits) work unchanged. It does not import the harness module
 * itself: that one registers mocha hooks and a SIGINT handler that exits the process, which would
 * skip the bench's own clean-up.
 */
import { spawn } from 'node:child_process';
import { KubeConfig } from '@kubernetes/client-node';
import { startCluster, stopCluster } from '../../src/localcluster/control-plane.js';
import type { CommandOptions, CommandResult, TestCluster } from '../../test/e2e/support/cluster.js';

/** A cluster for a bench, and how to let go of it. */
export interface BenchCluster {
  cluster: TestCluster;
  /** Stops the local cluster this bench started (nothing for $KUBECONFIG). Idempotent. */
  stop(): Promise<void>;
}

/** Runs `command` with KUBECONFIG set (the harness's runCommand semantics). */
export function runWithKubeconfig(command: string, args: string[], kubeconfig: string, options: CommandOptions = {}): Promise<CommandResult> {
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
      if (result.code !== 0 && !options.allowFail) reject(new Error(`${command} ${args.join(' ')} exited with ${code ?? signal}: ${stderr.trim() || stdout.trim()}`));
      else resolve(result);
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

function testCluster(kubeconfig: string, binDir: string, local: boolean, nodeName?: string): TestCluster {
  return {
    kubeconfig, binDir, local, ...(nodeName !== undefined ? { nodeName } : {}),
    kubectl: (args, options) => runWithKubeconfig('kubectl', args, kubeconfig, options),
    helm: (args, options) => runWithKubeconfig(binDir !== '' ? `${binDir}/helm` : 'helm', args, kubeconfig, options),
    kubeConfig: () => {
      const kc = new KubeConfig();
      kc.loadFromFile(kubeconfig);
      return kc;
    },
  };
}

/** `$KUBECONFIG`'s cluster, or a local cluster named `name` owned by this process. */
export async function acquireCluster(name: string, progress: (line: string) => void): Promise<BenchCluster> {
  const external = process.env.KUBECONFIG;
  if (external) {
    progress(`using the existing cluster from KUBECONFIG=${external} (pods need real topology-sidecar/topology-demo images there)`);
    return { cluster: testCluster(external, '', false), stop: async () => undefined };
  }
  progress(`starting local cluster "${name}"`);
  const state = await startCluster({ name, ownerPid: process.pid, progress });
  let stopped = false;
  return {
    cluster: testCluster(state.kubeconfig, state.binDir, true, state.nodeName),
    async stop() {
      if (stopped) return;
      stopped = true;
      progress(`stopping local cluster "${name}"`);
      await stopCluster(name);
    },
  };
}
