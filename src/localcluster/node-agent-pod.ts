/**
 * One pod on the local node: prepares its volumes and environment, runs its init containers one
 * after another and then its containers (ContainerRunner), and keeps its status in the API in step
 * with what its processes do.
 *
 * On disk (under the agent's state dir):
 *   pods/<namespace>_<name>_<uid>/   volumes and per-container roots (node-agent-volumes.ts);
 *                                    removed when the pod is gone
 *   logs/<namespace>_<name>_<uid>/<container>.log   stdout+stderr, kept until the cluster is
 *                                    removed; the pod's annotation `topology.foundation.dev/log-dir`
 *                                    points there (`kubectl logs` needs a kubelet API we do not serve)
 *
 * Status writes are coalesced: any number of changes within a tick become one merge patch of
 * `status`, and only one patch is in flight at a time.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { PatchStrategy, setHeaderOptions, type CoreV1Api, type V1Container, type V1Pod, type V1PodCondition } from '@kubernetes/client-node';
import type { Logger } from './logger.js';
import { ContainerRunner, type BackoffConfig, type ContainerSnapshot } from './node-agent-container.js';
import { containerEnv, expandVars, type ConfigSource, type PodRuntimeFacts } from './node-agent-env.js';
import { localArgv, lookupImage, type ImageMap, type ImagePlaceholders } from './node-agent-images.js';
import { buildPodStatus, strategicStatusPatch } from './node-agent-status.js';
import { containerRoot, materialiseVolumes, refreshVolumes, rewriteMountPaths, type TokenSource, type VolumeContext } from './node-agent-volumes.js';
import { CLUSTER_TAG_ENV } from './cluster-state.js';

/**
 * How often a running pod's Secret and ConfigMap volumes are brought up to date: 10 s. The kubelet
 * takes up to its sync period plus its cache TTL (about a minute); shorter here so tests of a
 * rotation need not wait that long.
 */
export const VOLUME_REFRESH_MS = 10_000;

/** A native sidecar's least grace period once the app containers have used up the pod's: the kubelet's 2 s (kuberuntime). */
export const SIDECAR_MIN_GRACE_MS = 2_000;

/** The annotation naming the directory of a pod's container log files. */
export const LOG_DIR_ANNOTATION = 'topology.foundation.dev/log-dir';

/** What every pod worker shares with the agent. */
export interface PodEnvironment {
  core: CoreV1Api;
  images: ImageMap;
  placeholders: ImagePlaceholders;
  stateDir: string;
  nodeName: string;
  hostIP: string;
  clusterId: string;
  apiserver: { host: string; port: string };
  caCertPem: string;
  source: ConfigSource & TokenSource;
  backoff: BackoffConfig;
  log: Logger;
}

/** A pod's unique directory name. */
export function podKey(pod: V1Pod): string {
  return `${pod.metadata?.namespace}_${pod.metadata?.name}_${pod.metadata?.uid}`;
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Runs one pod; see the file comment. */
export class PodWorker {
  private readonly podDir: string;
  private readonly logDir: string;
  private readonly startTime = new Date();
  private readonly init: ContainerRunner[] = [];
  private readonly containers: ContainerRunner[] = [];
  private blocked: { reason: string; message: string } | undefined;
  private terminating = false;
  private sidecarsStopping = false;
  private conditions: V1PodCondition[] | undefined;
  private flushScheduled = false;
  private flushing: Promise<void> | undefined;
  private dirty = false;
  private refreshTimer: NodeJS.Timeout | undefined;
  private readonly log: Logger;

  constructor(
    private pod: V1Pod,
    readonly podIP: string,
    private readonly env: PodEnvironment,
  ) {
    this.podDir = join(env.stateDir, 'pods', podKey(pod));
    this.logDir = join(env.stateDir, 'logs', podKey(pod));
    this.log = env.log.child({ pod: `${pod.metadata?.namespace}/${pod.metadata?.name}`, podIP });
  }

  /** The latest pod object seen (for grace periods and status conditions); a readiness gate that changed recomputes Ready. */
  update(pod: V1Pod): void {
    const gates = (p: V1Pod): string =>
      JSON.stringify((p.spec?.readinessGates ?? []).map((g) => p.status?.conditions?.find((c) => c.type === g.conditionType)?.status ?? ''));
    const gatesChanged = gates(pod) !== gates(this.pod);
    this.pod = pod;
    if (gatesChanged && this.conditions !== undefined) this.changed();
  }

  get isTerminating(): boolean {
    return this.terminating;
  }

  /** Prepares and starts the pod; returns when its containers were launched (or it is blocked). */
  async start(): Promise<void> {
    mkdirSync(this.logDir, { recursive: true });
    await this.annotateLogDir();
    const spec = this.pod.spec!;
    const all = [...(spec.initContainers ?? []), ...spec.containers];
    const unknown = all.filter((c) => lookupImage(this.env.images, c.image ?? '') === undefined);
    if (unknown.length > 0) {
      const known = Object.keys(this.env.images).join(', ');
      this.block(
        'ErrImagePull',
        `image "${unknown[0]!.image}" is not known to the local node agent (known: ${known}); map it to a local command with $TOPOLOGY_NODE_AGENT_IMAGES`,
      );
      return;
    }
    // Volumes and environment may wait for Secrets/ConfigMaps that appear later: retry.
    let volumes: Map<string, string> | undefined;
    while (!this.terminating) {
      try {
        volumes = await materialiseVolumes(this.volumeContext());
        break;
      } catch (err) {
        this.block('CreateContainerConfigError', (err as Error).message);
        await delay(2000);
      }
    }
    if (volumes === undefined || this.terminating) return;
    for (const c of spec.initContainers ?? []) {
      const runner = await this.runner(c, volumes, c.restartPolicy === 'Always' ? 'Always' : spec.restartPolicy === 'Never' ? 'Never' : 'OnFailure');
      if (runner === undefined || this.terminating) return;
      this.init.push(runner);
      runner.start();
      // A restartable init container (native sidecar) only needs to have started (its startup
      // probe passed, when it has one: the kubelet's rule); others must succeed.
      const ok = await this.waitFor(() => {
        const s = runner.snapshot();
        if (c.restartPolicy === 'Always') return s.started ? true : undefined;
        if (s.done) return s.state.terminated?.exitCode === 0;
        return undefined;
      });
      if (!ok) return;
    }
    for (const c of spec.containers) {
      const runner = await this.runner(c, volumes, (spec.restartPolicy ?? 'Always') as 'Always' | 'OnFailure' | 'Never');
      if (runner === undefined) return;
      this.containers.push(runner);
    }
    if (this.terminating) return; // deleted while preparing: nothing may start now
    this.blocked = undefined;
    for (const r of this.containers) r.start();
    this.changed();
    this.refreshTimer = setInterval(() => void this.refreshVolumes(), VOLUME_REFRESH_MS);
    this.refreshTimer.unref();
  }

  /** One refresh of the Secret/ConfigMap volumes (see node-agent-volumes.ts); failures wait for the next. */
  private async refreshVolumes(): Promise<void> {
    if (this.terminating) return;
    try {
      const changed = await refreshVolumes(this.volumeContext());
      if (changed > 0) this.log.info('volumes refreshed', { files: changed });
    } catch (err) {
      this.log.debug('volume refresh failed; retrying at the next one', { error: (err as Error).message });
    }
  }

  private waitFor(check: () => boolean | undefined): Promise<boolean> {
    return new Promise((resolve) => {
      const poll = (): void => {
        if (this.terminating) return resolve(false);
        const v = check();
        if (v !== undefined) return resolve(v);
        setTimeout(poll, 100);
      };
      poll();
    });
  }

  /** What materialising and refreshing this pod's volumes needs. */
  private volumeContext(): VolumeContext {
    return { pod: this.pod, facts: this.facts(), source: this.env.source, podDir: this.podDir, stateDir: this.env.stateDir, caCertPem: this.env.caCertPem };
  }

  private facts(): PodRuntimeFacts {
    return { podIP: this.podIP, hostIP: this.env.hostIP, nodeName: this.env.nodeName };
  }

  private async runner(c: V1Container, volumes: Map<string, string>, policy: 'Always' | 'OnFailure' | 'Never'): Promise<ContainerRunner | undefined> {
    const entry = lookupImage(this.env.images, c.image ?? '')!;
    let built: { argv: string[]; env: Record<string, string>; root: string; rewrite: (s: string) => string } | undefined;
    while (!this.terminating) {
      try {
        const { root, mounts } = containerRoot(this.podDir, c, volumes);
        const rewrite = (s: string): string => rewriteMountPaths(s, mounts);
        const meta = this.pod.metadata!;
        const base: Record<string, string> = {
          PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
          HOME: root,
          HOSTNAME: this.pod.spec?.hostname ?? meta.name ?? '',
          KUBERNETES_SERVICE_HOST: this.env.apiserver.host,
          KUBERNETES_SERVICE_PORT: this.env.apiserver.port,
          KUBERNETES_SERVICE_PORT_HTTPS: this.env.apiserver.port,
          KUBERNETES_PORT: `tcp://${this.env.apiserver.host}:${this.env.apiserver.port}`,
          TOPOLOGY_POD_IP: this.podIP,
          TOPOLOGY_POD_NAME: meta.name ?? '',
          TOPOLOGY_POD_NAMESPACE: meta.namespace ?? '',
          TOPOLOGY_VOLUME_ROOT: root,
          [CLUSTER_TAG_ENV]: this.env.clusterId,
        };
        const env = await containerEnv(this.pod, c, this.facts(), this.env.source, base);
        for (const k of Object.keys(env)) env[k] = rewrite(env[k]!);
        const expand = (xs: string[] | undefined): string[] | undefined => xs?.map((x) => rewrite(expandVars(x, env)));
        const argv = localArgv(entry, expand(c.command), expand(c.args), this.env.placeholders);
        built = { argv, env, root, rewrite };
        break;
      } catch (err) {
        this.block('CreateContainerConfigError', `container ${c.name}: ${(err as Error).message}`);
        await delay(2000);
      }
    }
    if (built === undefined) return undefined;
    return new ContainerRunner(
      {
        name: c.name,
        image: c.image ?? '',
        argv: built.argv,
        env: built.env,
        cwd: c.workingDir ? built.rewrite(c.workingDir) : built.root,
        logFile: join(this.logDir, `${c.name}.log`),
        ports: c.ports ?? [],
        restartPolicy: policy,
        readinessProbe: c.readinessProbe,
        livenessProbe: c.livenessProbe,
        startupProbe: c.startupProbe,
        terminationGraceSeconds: this.pod.spec?.terminationGracePeriodSeconds ?? 30,
        podIP: this.podIP,
        rewrite: built.rewrite,
      },
      this.log,
      () => this.changed(),
      this.env.backoff,
    );
  }

  /**
   * The kubelet's rule for a pod whose app containers all finished for good (restartPolicy Never
   * or OnFailure, e.g. a Job): its native sidecars are stopped, in reverse order, so the pod can
   * complete.
   */
  private stopSidecarsWhenAppsDone(): void {
    if (this.sidecarsStopping || this.terminating || this.containers.length === 0 || this.init.length === 0) return;
    if (!this.containers.every((r) => r.snapshot().done)) return;
    this.sidecarsStopping = true;
    const grace = (this.pod.spec?.terminationGracePeriodSeconds ?? 30) * 1000;
    void (async () => {
      for (const r of [...this.init].reverse()) await r.stop(grace);
    })();
  }

  private block(reason: string, message: string): void {
    if (this.blocked?.reason !== reason || this.blocked.message !== message) this.log.warn('pod cannot start', { reason, detail: message });
    this.blocked = { reason, message };
    this.changed();
  }

  /** Snapshots of the app containers (for tests and diagnostics). */
  snapshots(): ContainerSnapshot[] {
    return this.containers.map((r) => r.snapshot());
  }

  /**
   * Stops every container (SIGTERM, SIGKILL after `graceSeconds`) and writes the final status. As
   * the kubelet does: the app containers first, then the native sidecars one by one in reverse
   * order, each with what is left of the grace period but at least {@link SIDECAR_MIN_GRACE_MS}.
   */
  async terminate(graceSeconds: number): Promise<void> {
    this.terminating = true;
    clearInterval(this.refreshTimer);
    const deadline = Date.now() + graceSeconds * 1000;
    await Promise.all(this.containers.map((r) => r.stop(graceSeconds * 1000)));
    for (const r of [...this.init].reverse()) await r.stop(Math.max(deadline - Date.now(), SIDECAR_MIN_GRACE_MS));
    this.changed();
    await this.flushNow();
  }

  /** Removes the pod's working directory (volumes, roots); logs stay. */
  cleanup(): void {
    rmSync(this.podDir, { recursive: true, force: true });
  }

  private changed(): void {
    this.dirty = true;
    this.stopSidecarsWhenAppsDone();
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setTimeout(() => {
      this.flushScheduled = false;
      void this.flushNow();
    }, 50);
  }

  private async flushNow(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (!this.dirty) return;
    this.dirty = false;
    this.flushing = this.writeStatus().finally(() => (this.flushing = undefined));
    await this.flushing;
  }

  private async writeStatus(): Promise<void> {
    const spec = this.pod.spec!;
    const status = buildPodStatus({
      podIP: this.podIP,
      hostIP: this.env.hostIP,
      startTime: this.startTime,
      init: this.init.map((r) => r.snapshot()),
      initCount: spec.initContainers?.length ?? 0,
      initRestartable: (spec.initContainers ?? []).map((c) => c.restartPolicy === 'Always'),
      containers: this.containers.map((r) => r.snapshot()),
      ...(this.blocked ? { blocked: { ...this.blocked, containers: spec.containers.map((c) => ({ name: c.name, image: c.image ?? '' })) } } : {}),
      previous: this.conditions,
      readinessGates: (spec.readinessGates ?? []).map((g) => g.conditionType),
      podConditions: this.pod.status?.conditions ?? [],
    });
    this.conditions = status.conditions;
    try {
      // A strategic merge patch, as the kubelet sends: conditions merge by type, so a readiness
      // gate's condition that another controller set is left alone.
      await this.env.core.patchNamespacedPodStatus(
        { name: this.pod.metadata!.name!, namespace: this.pod.metadata!.namespace!, body: { status: strategicStatusPatch(status) } },
        setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
      );
    } catch (err) {
      if (isNotFound(err)) return;
      this.log.warn('pod status update failed; retrying', { error: (err as Error).message });
      this.dirty = true;
      setTimeout(() => void this.flushNow(), 1000);
    }
  }

  private async annotateLogDir(): Promise<void> {
    try {
      await this.env.core.patchNamespacedPod(
        {
          name: this.pod.metadata!.name!,
          namespace: this.pod.metadata!.namespace!,
          body: { metadata: { annotations: { [LOG_DIR_ANNOTATION]: this.logDir } } },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    } catch (err) {
      if (!isNotFound(err)) this.log.warn('could not annotate the pod with its log directory', { error: (err as Error).message });
    }
  }
}

/** True for an API error with HTTP status 404. */
export function isNotFound(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: number }).code === 404;
}
