/**
 * The Node object and its heartbeats, as a kubelet keeps them: the Node is created (or its status
 * refreshed) at start with capacity, allocatable, addresses and a Ready condition; a Lease in
 * `kube-node-lease` is renewed every 10 s (the node lifecycle controller treats a renewed lease as
 * a heartbeat, so the node never goes NotReady while the agent runs); the conditions are
 * re-posted every 60 s.
 *
 * Capacity is advertised, not enforced (pods are plain processes): cpu defaults to 32 and pods to
 * 250 so charts with ordinary requests schedule on a small machine; memory is the machine's.
 */
import { arch, cpus, hostname, release, totalmem } from 'node:os';
import { PatchStrategy, setHeaderOptions, type CoordinationV1Api, type CoreV1Api, type V1Node, type V1NodeCondition } from '@kubernetes/client-node';
import type { Logger } from './logger.js';
import { isNotFound } from './node-agent-pod.js';

/** Node registration settings. */
export interface NodeRegistration {
  name: string;
  hostIP: string;
  kubeletVersion: string;
  cpu: string;
  memory: string;
  pods: string;
}

/** Defaults for the advertised capacity (see the file comment). */
export function defaultCapacity(): { cpu: string; memory: string; pods: string } {
  return { cpu: String(Math.max(32, cpus().length)), memory: `${Math.floor(totalmem() / 1024)}Ki`, pods: '250' };
}

function conditions(now: Date): V1NodeCondition[] {
  const c = (type: string, status: string, reason: string, message: string): V1NodeCondition =>
    ({ type, status, reason, message, lastHeartbeatTime: now, lastTransitionTime: now }) as V1NodeCondition;
  return [
    c('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'local node agent has sufficient memory available'),
    c('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'local node agent has no disk pressure'),
    c('PIDPressure', 'False', 'KubeletHasSufficientPID', 'local node agent has sufficient PID available'),
    c('Ready', 'True', 'KubeletReady', 'local node agent is posting ready status'),
  ];
}

/** The Node object the agent registers. */
export function nodeObject(r: NodeRegistration): V1Node {
  const resources = { cpu: r.cpu, memory: r.memory, pods: r.pods, 'ephemeral-storage': '100Gi' };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: r.name,
      labels: {
        'kubernetes.io/hostname': r.name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': arch() === 'x64' ? 'amd64' : arch(),
        'topology.foundation.dev/local-node': 'true',
      },
    },
    spec: {},
    status: {
      capacity: resources,
      allocatable: resources,
      conditions: conditions(new Date()),
      addresses: [
        { type: 'InternalIP', address: r.hostIP },
        { type: 'Hostname', address: r.name },
      ],
      nodeInfo: {
        machineID: hostname(),
        systemUUID: hostname(),
        bootID: '',
        kernelVersion: release(),
        osImage: 'local processes (topology-operator node agent)',
        containerRuntimeVersion: 'local-process://1',
        kubeletVersion: r.kubeletVersion,
        kubeProxyVersion: '',
        operatingSystem: 'linux',
        architecture: arch() === 'x64' ? 'amd64' : arch(),
      },
      daemonEndpoints: { kubeletEndpoint: { Port: 0 } },
    },
  } as V1Node;
}

function microTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** Keeps the Node registered and its lease renewed until `stop`. */
export class NodeHeartbeat {
  private timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly core: CoreV1Api,
    private readonly coordination: CoordinationV1Api,
    private readonly reg: NodeRegistration,
    private readonly log: Logger,
  ) {}

  /** Registers the node (or refreshes its status) and starts the heartbeats. */
  async start(): Promise<void> {
    const node = nodeObject(this.reg);
    try {
      await this.core.createNode({ body: node });
      this.log.info('node registered', { node: this.reg.name });
    } catch (err) {
      if ((err as { code?: number }).code !== 409) throw err;
      this.log.info('node exists; refreshing its status', { node: this.reg.name });
    }
    // Status is a subresource: set it explicitly (create may ignore it).
    await this.postStatus(true);
    await this.renewLease();
    this.timers.push(setInterval(() => void this.renewLease().catch((e: Error) => this.log.warn('lease renewal failed', { error: e.message })), 10_000));
    this.timers.push(
      setInterval(() => void this.postStatus(false).catch((e: Error) => this.log.warn('node status update failed', { error: e.message })), 60_000),
    );
  }

  /** Stops heartbeating (the node controller will mark the node NotReady after its grace period). */
  stop(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
  }

  private async postStatus(full: boolean): Promise<void> {
    const status = full ? nodeObject(this.reg).status : { conditions: conditions(new Date()) };
    await this.core.patchNodeStatus({ name: this.reg.name, body: { status } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
  }

  private async renewLease(): Promise<void> {
    const ns = 'kube-node-lease';
    const now = microTime(new Date());
    try {
      await this.coordination.patchNamespacedLease(
        { name: this.reg.name, namespace: ns, body: { spec: { renewTime: now, holderIdentity: this.reg.name, leaseDurationSeconds: 40 } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    } catch (err) {
      if (!isNotFound(err)) throw err;
      await this.coordination.createNamespacedLease({
        namespace: ns,
        body: {
          metadata: { name: this.reg.name, namespace: ns },
          spec: { holderIdentity: this.reg.name, leaseDurationSeconds: 40, renewTime: now as unknown as Date },
        },
      });
    }
  }
}
