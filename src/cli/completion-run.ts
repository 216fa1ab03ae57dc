/**
 * Answers one completion request (`kubectl-topology __complete ...`, or kubectl calling
 * `kubectl_complete-topology ...`) against the real kubeconfig and API server: ClusterTopology
 * names for resource commands, context names for `--context`. Never fails loudly: a shell is
 * waiting, so an unreachable cluster gives no names rather than an error or a hang.
 */
import { complete, formatCompletion, type ContextSource, type NameSource } from './completion.js';
import { loadKubeConfig, resolveNamespace, topologyClient } from './kube-client.js';

/** How long completion waits for the API server's list. Wild guess: a Tab press feels broken after ~2 s. */
export const COMPLETION_LIST_TIMEOUT_MS = 2000;

/** ClusterTopology names in the namespace the flags select (or every namespace with -A). */
export const clusterNames: NameSource = async (connection) => {
  const kc = loadKubeConfig(connection);
  const client = topologyClient(kc, resolveNamespace(kc, connection));
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('completion: list timed out')), COMPLETION_LIST_TIMEOUT_MS);
  });
  try {
    const items = await Promise.race([client.list(connection.allNamespaces === true), timeout]);
    return [...new Set(items.map((t) => t.metadata?.name ?? '').filter((n) => n !== ''))].sort();
  } finally {
    clearTimeout(timer);
  }
};

/** Context names of the kubeconfig (`--kubeconfig` honoured). */
export const kubeconfigContexts: ContextSource = (connection) => {
  try {
    return loadKubeConfig({ ...(connection.kubeconfig !== undefined ? { kubeconfig: connection.kubeconfig } : {}) })
      .getContexts()
      .map((c) => c.name);
  } catch {
    return [];
  }
};

/** Completes `words` and returns the protocol text (candidates, then `:<directive>`). */
export async function completionOutput(words: readonly string[]): Promise<string> {
  return formatCompletion(await complete(words, clusterNames, kubeconfigContexts));
}
