/**
 * Wires the ClusterTopology reconciler into the controller plumbing (controller-runtime's
 * `SetupWithManager`): informers, sources with their handlers and predicates, the controller, the
 * manager with leader election and health endpoints, and a separate `/metrics` server when the
 * metrics port differs from the health port.
 *
 * Watches:
 * - ClusterTopology: spec changes (generation), deletion and finalizer changes, mapped to the
 *   resource and to the others that select some of its pods (claims.ts: a deletion or a selector
 *   change can hand them shared pods). Status writes (our own) are filtered out; the
 *   reconciler's requeueAfter drives polling.
 * - Pod: changes that can alter membership or addressing (members.ts `memberRelevantChange`),
 *   mapped with `enqueueMapped` to the ClusterTopologies in the pod's namespace whose selector
 *   matches the pod — before and after the change, so a pod whose labels stop matching is dropped.
 *
 * Under leader election (the default) the sidecar pool and the reconciler act only with the
 * manager's leadership grant: every Control call carries the fencing token and ends with the
 * leadership (../sidecars/call-authority.ts).
 */
import type { KubeConfig, KubernetesObject, V1Pod } from '@kubernetes/client-node';
import type { Registry } from 'prom-client';
import type winston from 'winston';
import { ANNOTATIONS, API_VERSION, KIND, PLURAL } from '../../api/constants.js';
import type { ClusterTopology } from '../../api/types.js';
import { Controller } from '../controller/controller.js';
import type { Request } from '../controller/reconcile.js';
import { EventRecorder } from '../controller/event-recorder.js';
import { startHealthServer, type HealthCheck, type HealthServer } from '../controller/health.js';
import { defaultIdentity, kubernetesLeaseStore, type LeadershipGrant } from '../controller/leader-election.js';
import { Manager } from '../controller/manager.js';
import { StatusWriter } from '../controller/status-writer.js';
import { ControllerMetrics } from '../controller/metrics.js';
import { ResourceInformer, type ResourceEvent, type ResourceType } from '../controller/informer.js';
import { InformerSource, enqueueMapped, type EventHandler, type Predicate } from '../controller/source.js';
import { trimMetadata, trimPod } from '../cache-trim.js';
import type { OperatorConfig } from '../config.js';
import { memberRelevantChange, topologiesSelecting } from './members.js';
import { topologiesSharingPods } from './claims.js';
import { OperatorMetrics } from '../operator-metrics.js';
import { TopologyReconciler } from './reconciler.js';
import { SidecarPool } from '../sidecars/pool.js';
import { leaderAuthorizer } from '../sidecars/call-authority.js';
import { PLAINTEXT_TRANSPORT, type SidecarTransport } from '../sidecars/tls.js';
import { SidecarTokens } from '../sidecars/token.js';
import { apiSecretStore } from '../sidecars/secret-store.js';
import { OperatorKeyStore } from '../sidecars/operator-key.js';
import { MemberCredentials } from '../sidecars/member-credentials.js';

/** The ClusterTopology resource for informers. */
export const CLUSTER_TOPOLOGY_RESOURCE: ResourceType = { apiVersion: API_VERSION, kind: KIND, plural: PLURAL, namespaced: true };
/** The Pod resource for informers. */
export const POD_RESOURCE: ResourceType = { apiVersion: 'v1', kind: 'Pod', plural: 'pods', namespaced: true };
/** Name of the controller in logs and metric labels. */
export const CONTROLLER_NAME = 'clustertopology';
/**
 * New Events allowed at once per ClusterTopology. client-go's 25 is sized for objects that emit a
 * few Events in their life; a switch emits about six (started, each step, commit, result), so 64
 * keeps ten switches in a burst visible before the 1-per-5-minutes refill applies.
 */
export const EVENT_BURST_PER_OBJECT = 64;

/**
 * Predicate: ClusterTopology changes the reconciler must see (not its own status writes): the
 * spec, deletion, finalizers, and the control annotation (abort, retry, promote requests).
 */
export function topologyChanged(): Predicate<KubernetesObject> {
  return (event) => {
    if (event.type !== 'update' || event.oldObject === undefined) return true;
    const a = event.oldObject.metadata ?? {};
    const b = event.object.metadata ?? {};
    return (
      a.generation !== b.generation ||
      a.annotations?.[ANNOTATIONS.control] !== b.annotations?.[ANNOTATIONS.control] ||
      String(a.deletionTimestamp ?? '') !== String(b.deletionTimestamp ?? '') ||
      JSON.stringify(a.finalizers ?? []) !== JSON.stringify(b.finalizers ?? [])
    );
  };
}

/**
 * Handler: a ClusterTopology event → itself, and the others of its namespace that select a pod it
 * selects or selected (claims.ts): its deletion or a selector change can hand them shared pods.
 */
export function topologyToTopologies(topologies: ResourceInformer<KubernetesObject>, pods: ResourceInformer<V1Pod>): EventHandler<KubernetesObject> {
  return (event: ResourceEvent<KubernetesObject>) => {
    const t = event.object as unknown as ClusterTopology;
    const ns = t.metadata?.namespace ?? '';
    const keys = new Map<string, { namespace: string; name: string }>([[`${ns}/${t.metadata?.name ?? ''}`, { namespace: ns, name: t.metadata?.name ?? '' }]]);
    const before = event.oldObject as unknown as ClusterTopology | undefined;
    for (const r of topologiesSharingPods(t, before, pods.list(ns), topologies.list(ns) as unknown as ClusterTopology[]))
      keys.set(`${r.namespace}/${r.name}`, r);
    return keys.values();
  };
}

/** Handler: a Pod event → the ClusterTopologies selecting the pod before or after the change. */
export function podToTopologies(topologies: ResourceInformer<KubernetesObject>): EventHandler<V1Pod> {
  const map = (pod: V1Pod) => topologiesSelecting(pod, topologies.list(pod.metadata?.namespace) as unknown as ClusterTopology[]);
  const now = enqueueMapped<V1Pod>(map);
  return (event: ResourceEvent<V1Pod>) => {
    const keys = new Map<string, { namespace: string; name: string }>();
    for (const r of now(event)) keys.set(`${r.namespace}/${r.name}`, r);
    if (event.oldObject !== undefined) for (const r of map(event.oldObject)) keys.set(`${r.namespace}/${r.name}`, r);
    return keys.values();
  };
}

/** A wired operator replica. */
export interface OperatorReplica {
  manager: Manager;
  /** Starts the manager (and the metrics server). */
  start(): Promise<void>;
  /** Graceful stop: controllers, lease, informers, servers, sidecar channels. */
  stop(): Promise<void>;
}

/**
 * Builds one operator replica from its configuration. `readyChecks` gate `/readyz` beside the
 * informers' sync (main.ts adds the injection webhook's, so a replica is Ready, and in its Service's
 * endpoints, only once it can serve admission).
 */
export function buildOperator(
  config: OperatorConfig,
  kubeConfig: KubeConfig,
  registry: Registry,
  logger: winston.Logger,
  transport: SidecarTransport = PLAINTEXT_TRANSPORT,
  readyChecks: HealthCheck[] = [],
): OperatorReplica {
  const controllerMetrics = new ControllerMetrics(registry);
  const metrics = new OperatorMetrics(registry);
  const namespaces = config.namespaces.length > 0 ? { namespaces: [...config.namespaces] } : {};
  // The caches keep only what the operator reads (cache-trim.ts).
  const topologies = new ResourceInformer<KubernetesObject>({
    kubeConfig,
    resource: CLUSTER_TOPOLOGY_RESOURCE,
    metrics: controllerMetrics,
    logger,
    transform: trimMetadata,
    ...namespaces,
  });
  const pods = new ResourceInformer<V1Pod>({ kubeConfig, resource: POD_RESOURCE, metrics: controllerMetrics, logger, transform: trimPod, ...namespaces });
  // Every resource's calls carry its own Control credential (pool.withCredential): the pool itself has none.
  // Under leader election every Control call asks the manager's grant first (the manager is
  // created below; nothing calls these before it starts).
  const leadership = (): LeadershipGrant | undefined => manager.leadership();
  const authorize = config.leaderElect
    ? leaderAuthorizer({ grant: leadership, raiseGeneration: (generation) => manager.raiseGeneration(generation) })
    : undefined;
  const pool = new SidecarPool({
    token: undefined,
    concurrency: config.sidecarConcurrency,
    timeoutMs: config.sidecarTimeoutMs,
    metrics,
    transport,
    ...(authorize !== undefined ? { authorize } : {}),
  });
  const secrets = apiSecretStore(kubeConfig);
  const tokens = new SidecarTokens((namespace, name) => secrets.get(namespace, name));
  const credentials = new MemberCredentials(new OperatorKeyStore(secrets, config.credentialsNamespace, config.credentialsSecret), secrets);
  // A verification's news enqueues its resource through the controller, created below.
  let enqueue: (request: Request) => void = () => undefined;
  const reconciler = new TopologyReconciler({
    statusWriter: new StatusWriter({ kubeConfig, logger }),
    recorder: new EventRecorder({ kubeConfig, reportingInstance: config.identity, metrics: controllerMetrics, logger, spamBurst: EVENT_BURST_PER_OBJECT }),
    pods,
    topologies: { list: (namespace) => topologies.list(namespace) as unknown as ClusterTopology[] },
    pool,
    tokens,
    credentials,
    metrics,
    logger,
    wake: (request) => enqueue(request),
    ...(config.leaderElect ? { leadership } : {}),
  });
  const controller = new Controller({
    name: CONTROLLER_NAME,
    reconciler: reconciler.reconcile,
    concurrency: config.concurrency,
    metrics: controllerMetrics,
    logger,
    sources: [
      new InformerSource<KubernetesObject>({ informer: topologies, handler: topologyToTopologies(topologies, pods), predicates: [topologyChanged()] }),
      new InformerSource<V1Pod>({
        informer: pods,
        handler: podToTopologies(topologies),
        predicates: [(e) => e.type !== 'update' || memberRelevantChange(e.oldObject, e.object)],
      }),
    ],
  });
  enqueue = (request) => controller.enqueue(request);
  const manager = new Manager({
    controllers: [controller],
    informers: [topologies, pods],
    registry,
    metrics: controllerMetrics,
    logger,
    health: { port: config.healthPort, host: config.bindAddress },
    readyChecks,
    ...(config.leaderElect
      ? {
          leaderElection: {
            store: kubernetesLeaseStore(kubeConfig, config.leaseNamespace, config.leaseName),
            identity: defaultIdentity(config.identity),
            leaseDurationMs: config.leaseDurationMs,
            renewDeadlineMs: config.renewDeadlineMs,
            retryPeriodMs: config.retryPeriodMs,
          },
        }
      : {}),
  });
  let metricsServer: HealthServer | undefined;
  const sweep = setInterval(() => {
    pool.sweep();
    tokens.sweep();
    credentials.sweep();
  }, 60_000);
  sweep.unref();
  return {
    manager,
    async start() {
      if (config.metricsPort !== config.healthPort || config.healthPort === 0) {
        metricsServer = await startHealthServer({ registry, port: config.metricsPort, host: config.bindAddress });
        logger.info('metrics server listening', { port: metricsServer.port });
      }
      await manager.start();
      logger.info('health server listening', { port: manager.healthPort() });
    },
    async stop() {
      clearInterval(sweep);
      await manager.stop();
      await metricsServer?.close();
      pool.close();
    },
  };
}
