/**
 * Small helpers over `kubectl get pods -o json` for e2e tests: list pods by selector and tell
 * whether they are Running and Ready, without each test re-parsing the Pod shape.
 */
import type { V1Pod } from '@kubernetes/client-node';
import type { TestCluster } from './cluster.js';

/** Pods of `namespace` matching `selector` (label selector syntax). */
export async function listPods(cluster: TestCluster, namespace: string, selector: string): Promise<V1Pod[]> {
  const r = await cluster.kubectl(['get', 'pods', '-n', namespace, '-l', selector, '-o', 'json']);
  return (JSON.parse(r.stdout) as { items: V1Pod[] }).items;
}

/** True when the pod is Running, its Ready condition is True and it is not being deleted. */
export function isRunningAndReady(pod: V1Pod): boolean {
  return (
    pod.status?.phase === 'Running' && !pod.metadata?.deletionTimestamp && (pod.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True')
  );
}

/** Resolves with the pods once exactly `count` match and all are Running and Ready. */
export async function readyPods(cluster: TestCluster, namespace: string, selector: string, count: number): Promise<V1Pod[] | undefined> {
  const pods = (await listPods(cluster, namespace, selector)).filter((p) => !p.metadata?.deletionTimestamp);
  return pods.length === count && pods.every(isRunningAndReady) ? pods : undefined;
}
