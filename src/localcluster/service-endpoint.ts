/**
 * Which pod a connection to a Service's ClusterIP goes to, the way kube-proxy decides it: the
 * Service port with that number, its targetPort (a number, or a container port name looked up in
 * the pod's containers and native-sidecar init containers), and one of the Service's Ready,
 * non-terminating pods, chosen by the caller's random pick (kube-proxy's iptables mode picks
 * uniformly at random per connection). Pure: the caller lists the Service and its pods.
 *
 * Why this exists: the local control plane has no kube-proxy, and its pods' loopback IPs
 * (127.N.x.y) cannot even be written into EndpointSlices (the API server refuses loopback
 * addresses there), so the API server's own Service calls (admission webhooks) go through the
 * service proxy (service-proxy.ts), which asks this.
 */
import type { V1Pod, V1Service } from '@kubernetes/client-node';

/** Where to connect, or why there is nowhere. */
export type ServiceEndpoint = { readonly ip: string; readonly port: number } | { readonly error: string };

function isReady(pod: V1Pod): boolean {
  return (
    pod.metadata?.deletionTimestamp === undefined &&
    pod.status?.phase === 'Running' &&
    pod.status.podIP !== undefined &&
    (pod.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True')
  );
}

function containerPort(pod: V1Pod, name: string): number | undefined {
  const containers = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always')];
  for (const c of containers) for (const p of c.ports ?? []) if (p.name === name && (p.protocol ?? 'TCP') === 'TCP') return p.containerPort;
  return undefined;
}

/**
 * The endpoint for a connection to `service` on `port`; `pods` are the pods its selector matches,
 * `pick(n)` returns an index below n.
 */
export function pickServiceEndpoint(service: V1Service, pods: readonly V1Pod[], port: number, pick: (n: number) => number): ServiceEndpoint {
  const name = `${service.metadata?.namespace ?? ''}/${service.metadata?.name ?? ''}`;
  const servicePort = (service.spec?.ports ?? []).find((p) => p.port === port && (p.protocol ?? 'TCP') === 'TCP');
  if (servicePort === undefined) return { error: `Service ${name} has no TCP port ${port}` };
  const target = servicePort.targetPort ?? servicePort.port;
  const candidates: { ip: string; port: number }[] = [];
  for (const pod of pods) {
    if (!isReady(pod)) continue;
    const p = typeof target === 'number' ? target : /^\d+$/.test(target) ? Number(target) : containerPort(pod, target);
    if (p !== undefined) candidates.push({ ip: pod.status!.podIP!, port: p });
  }
  if (candidates.length === 0) return { error: `Service ${name} has no Ready endpoint for port ${port}` };
  return candidates[pick(candidates.length)]!;
}
