/**
 * The cluster a bench runs against, chosen as the e2e harness chooses (test/e2e/support/cluster.ts):
 * `$KUBECONFIG` when set (nothing is started or stopped; the node-agent images such as
 * `topology-sidecar` only run on the local cluster, so pods need real images there), otherwise a
 * local cluster of its own (src/localcluster), started here and stopped by {@link BenchCluster.stop}.
 *
 * It returns the harness's {@link TestCluster} handle (test/e2e/support/cluster-handle.ts), so the
 * e2e fixtures (operator-harness.ts: StatefulSets, operator processes, waits) work unchanged. It
 * does not import the harness module itself (cluster.ts): that one registers mocha hooks and a
 * SIGINT handler that exits the process, which would skip the bench's own clean-up.
 */
import { startCluster, stopCluster } from '../../src/localcluster/control-plane.js';
import { makeCluster, type TestCluster } from '../../test/e2e/support/cluster-handle.js';

/** A cluster for a bench, and how to let go of it. */
export interface BenchCluster {
  cluster: TestCluster;
  /** Stops the local cluster this bench started (nothing for $KUBECONFIG). Idempotent. */
  stop(): Promise<void>;
}

/** `$KUBECONFIG`'s cluster, or a local cluster named `name` owned by this process. */
export async function acquireCluster(name: string, progress: (line: string) => void): Promise<BenchCluster> {
  const external = process.env.KUBECONFIG;
  if (external) {
    progress(`using the existing cluster from KUBECONFIG=${external} (pods need real topology-sidecar/topology-demo images there)`);
    return { cluster: makeCluster(external, '', false), stop: async () => undefined };
  }
  progress(`starting local cluster "${name}"`);
  const state = await startCluster({ name, ownerPid: process.pid, progress });
  let stopped = false;
  return {
    cluster: makeCluster(state.kubeconfig, state.binDir, true, state.nodeName),
    async stop() {
      if (stopped) return;
      stopped = true;
      progress(`stopping local cluster "${name}"`);
      await stopCluster(name);
    },
  };
}
