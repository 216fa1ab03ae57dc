/**
 * The local node agent: a kubelet stand-in that runs pods as local processes.
 *
 * Why: there is no container runtime on the machines this project is tested on, yet the operator
 * must be tested against real Deployments, StatefulSets, Pods, probes and deletions. The agent
 * registers a Node (node-agent-node.ts), watches the Pods bound to it (`spec.nodeName=<node>`,
 * list+watch plus a 5 s resync, level-based like a controller), and for each one:
 *   - allocates a pod IP on loopback (node-agent-ip-pool.ts) and runs a PodWorker
 *     (node-agent-pod.ts), which runs the containers whose images it knows (node-agent-images.ts);
 *   - when the pod is being deleted: stops its processes (SIGTERM, SIGKILL after the pod's grace
 *     period) and then deletes it with gracePeriodSeconds=0, as the kubelet does, so the deletion
 *     completes; releases the IP.
 * Stopping the agent stops every pod process (pods stay in the API, as with a stopped kubelet).
 */
import { readFileSync } from 'node:fs';
import { CoordinationV1Api, CoreV1Api, KubeConfig, ListWatch, Watch, type V1Pod } from '@kubernetes/client-node';
import { buildRoot, packageRoot } from '../paths.js';
import type { Logger } from './logger.js';
import { KUBELET_BACKOFF, type BackoffConfig } from './node-agent-container.js';
import type { ConfigSource } from './node-agent-env.js';
import { loadImageMap, type ImageMap } from './node-agent-images.js';
import { IpPool } from './node-agent-ip-pool.js';
import { defaultCapacity, NodeHeartbeat } from './node-agent-node.js';
import { isNotFound, PodWorker, podKey } from './node-agent-pod.js';
import type { TokenSource } from './node-agent-volumes.js';

/** Node agent settings; defaults in brackets. */
export interface NodeAgentOptions {
  kubeConfig: KubeConfig;
  /** Node name ["local-node"]. */
  nodeName?: string;
  /** Directory for pod volumes and logs. */
  stateDir: string;
  /** Tags pod processes for cleanup after a crash (CLUSTER_TAG_ENV) ["local"]. */
  clusterId?: string;
  /** Images the agent can run [loadImageMap()]. */
  images?: ImageMap;
  /** Restart back-off [the kubelet's: 10 s doubling to 300 s]. */
  backoff?: BackoffConfig;
  /** Second octet N of the pod IPs 127.N.x.y, unique per cluster on a machine [0]. */
  podNetwork?: number;
  /** Kubernetes version reported as kubeletVersion ["v1.34.0"]. */
  kubeletVersion?: string;
  log: Logger;
}

/** A running node agent; see the file comment. */
export class NodeAgent {
  private readonly core: CoreV1Api;
  private readonly nodeName: string;
  private readonly ips: IpPool;
  private readonly workers = new Map<string, PodWorker>();
  private readonly finishing = new Set<string>();
  private heartbeat: NodeHeartbeat | undefined;
  private informer: ListWatch<V1Pod> | undefined;
  private resync: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly images: ImageMap;
  private readonly log: Logger;

  constructor(private readonly opts: NodeAgentOptions) {
    this.core = opts.kubeConfig.makeApiClient(CoreV1Api);
    this.nodeName = opts.nodeName ?? 'local-node';
    this.images = opts.images ?? loadImageMap();
    this.ips = new IpPool(opts.podNetwork ?? 0);
    this.log = opts.log;
  }

  /** Registers the node and starts running its pods. */
  async start(): Promise<void> {
    const kc = this.opts.kubeConfig;
    this.heartbeat = new NodeHeartbeat(
      this.core,
      kc.makeApiClient(CoordinationV1Api),
      {
        name: this.nodeName,
        hostIP: '127.0.0.1',
        kubeletVersion: this.opts.kubeletVersion ?? 'v1.34.0',
        ...defaultCapacity(),
      },
      this.log,
    );
    await this.heartbeat.start();
    const fieldSelector = `spec.nodeName=${this.nodeName}`;
    // ListWatch doubles its reconnect delay on every reconnect (up to 30 s) and never resets it while
    // running: cap it at 1 s so a watch the apiserver closes after its timeout resumes at once.
    const informer = new ListWatch<V1Pod>(
      '/api/v1/pods',
      new Watch(kc),
      () => this.core.listPodForAllNamespaces({ fieldSelector }),
      false,
      undefined,
      fieldSelector,
      {
        delayFn: (ms: number) => new Promise<void>((r) => setTimeout(r, Math.min(ms, 1000))),
      },
    );
    this.informer = informer;
    informer.on('add', (p) => this.reconcile(p));
    informer.on('update', (p) => this.reconcile(p));
    informer.on('delete', (p) => void this.gone(p));
    informer.on('error', (err) => {
      if (this.stopped) return;
      this.log.warn('pod watch failed; restarting in 1 s', { error: String((err as Error | undefined)?.message ?? err) });
      setTimeout(() => void informer.start().catch(() => undefined), 1000);
    });
    await informer.start();
    this.resync = setInterval(() => {
      for (const p of informer.list()) this.reconcile(p);
    }, 5000);
    this.log.info('node agent running', { node: this.nodeName, images: Object.keys(this.images) });
  }

  /** Level-based handling of one pod: start it, or finish its deletion. */
  private reconcile(pod: V1Pod): void {
    if (this.stopped || pod.spec?.nodeName !== this.nodeName) return;
    const key = podKey(pod);
    const worker = this.workers.get(key);
    if (pod.metadata?.deletionTimestamp) {
      void this.finish(pod, worker);
      return;
    }
    if (worker) {
      worker.update(pod);
      return;
    }
    if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return;
    const previousIP = pod.status?.podIP;
    // hostNetwork pods share the node's address, as in a real cluster.
    const ip = pod.spec?.hostNetwork ? '127.0.0.1' : previousIP && this.ips.reserve(previousIP) ? previousIP : this.ips.allocate();
    const w = new PodWorker(pod, ip, {
      core: this.core,
      images: this.images,
      placeholders: { node: process.execPath, buildRoot: buildRoot(), packageRoot: packageRoot() },
      stateDir: this.opts.stateDir,
      nodeName: this.nodeName,
      hostIP: '127.0.0.1',
      clusterId: this.opts.clusterId ?? 'local',
      apiserver: apiserverAddress(this.opts.kubeConfig),
      caCertPem: clusterCa(this.opts.kubeConfig),
      source: this.source(),
      backoff: this.opts.backoff ?? KUBELET_BACKOFF,
      log: this.log,
    });
    this.workers.set(key, w);
    this.log.info('starting pod', { pod: `${pod.metadata?.namespace}/${pod.metadata?.name}`, podIP: ip });
    w.start().catch((err: Error) => this.log.error('pod start failed', { pod: key, error: err.message }));
  }

  /** Stops a deleted pod's processes, then completes the deletion (grace period 0). */
  private async finish(pod: V1Pod, worker: PodWorker | undefined): Promise<void> {
    const key = podKey(pod);
    if (this.finishing.has(key)) return;
    this.finishing.add(key);
    try {
      const grace = pod.metadata?.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
      if (worker) {
        worker.update(pod);
        await worker.terminate(grace);
      }
      try {
        await this.core.deleteNamespacedPod({
          name: pod.metadata!.name!,
          namespace: pod.metadata!.namespace!,
          gracePeriodSeconds: 0,
          body: { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata!.uid! } },
        });
      } catch (err) {
        if (!isNotFound(err) && (err as { code?: number }).code !== 409) throw err;
      }
      this.forget(key, worker);
      this.log.info('pod deleted', { pod: `${pod.metadata?.namespace}/${pod.metadata?.name}` });
    } catch (err) {
      this.log.warn('finishing pod deletion failed; will retry on resync', { pod: key, error: (err as Error).message });
    } finally {
      this.finishing.delete(key);
    }
  }

  /** The pod disappeared from the API (force deletion): stop whatever still runs. */
  private async gone(pod: V1Pod): Promise<void> {
    const key = podKey(pod);
    const worker = this.workers.get(key);
    if (!worker || this.finishing.has(key)) return;
    this.finishing.add(key);
    try {
      await worker.terminate(pod.spec?.terminationGracePeriodSeconds ?? 30);
      this.forget(key, worker);
    } finally {
      this.finishing.delete(key);
    }
  }

  private forget(key: string, worker: PodWorker | undefined): void {
    if (!worker) return;
    worker.cleanup();
    this.ips.release(worker.podIP);
    this.workers.delete(key);
  }

  /** Stops watching and stops every pod process (each with its own grace period, capped at `maxGraceMs`). */
  async stop(maxGraceMs = 10_000): Promise<void> {
    this.stopped = true;
    if (this.resync) clearInterval(this.resync);
    this.heartbeat?.stop();
    await this.informer?.stop();
    await Promise.all([...this.workers.values()].map((w) => w.terminate(Math.min(30, maxGraceMs / 1000)).catch(() => undefined)));
  }

  private source(): ConfigSource & TokenSource {
    const core = this.core;
    const decode = (d: Record<string, string> | undefined): Record<string, string> =>
      Object.fromEntries(Object.entries(d ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
    return {
      async secret(namespace, name) {
        try {
          const s = await core.readNamespacedSecret({ name, namespace });
          return { ...decode(s.data), ...(s.stringData ?? {}) };
        } catch (err) {
          if (isNotFound(err)) return undefined;
          throw err;
        }
      },
      async configMap(namespace, name) {
        try {
          const c = await core.readNamespacedConfigMap({ name, namespace });
          return {
            ...(c.data ?? {}),
            ...Object.fromEntries(Object.entries(c.binaryData ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')])),
          };
        } catch (err) {
          if (isNotFound(err)) return undefined;
          throw err;
        }
      },
      async serviceAccountToken(pod, audience, expirationSeconds) {
        const res = await core.createNamespacedServiceAccountToken({
          name: pod.spec?.serviceAccountName || 'default',
          namespace: pod.metadata!.namespace!,
          body: {
            spec: {
              audiences: audience ? [audience] : [],
              expirationSeconds: expirationSeconds ?? 3607,
              boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata!.name!, uid: pod.metadata!.uid! },
            },
          },
        });
        return res.status?.token ?? '';
      },
    };
  }
}

/** host/port of the apiserver the agent talks to: what pods get as KUBERNETES_SERVICE_HOST/PORT. */
export function apiserverAddress(kc: KubeConfig): { host: string; port: string } {
  const url = new URL(kc.getCurrentCluster()?.server ?? 'https://127.0.0.1:6443');
  return { host: url.hostname, port: url.port || '443' };
}

function clusterCa(kc: KubeConfig): string {
  const c = kc.getCurrentCluster();
  if (c?.caData) return Buffer.from(c.caData, 'base64').toString('utf8');
  if (c?.caFile) return readFileSync(c.caFile, 'utf8');
  return '';
}
