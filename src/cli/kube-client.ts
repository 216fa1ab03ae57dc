/**
 * The plugin's connection to the API server: a KubeConfig chosen by kubectl's rules
 * (`--kubeconfig`, else `$KUBECONFIG`, else `~/.kube/config`, else in-cluster), the `--context`
 * override, the namespace (`-n`, else the context's, else `default`) and the few ClusterTopology
 * calls the commands need (get, merge patch of the spec or of annotations). The plugin never writes status.
 */
import { ApiException, CustomObjectsApi, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { GROUP, PLURAL, VERSION } from '../api/constants.js';
import type { ClusterTopology, ClusterTopologySpec } from '../api/types.js';
import type { ConnectionFlags } from './args.js';

/** A failure to report to the user as is (exit code 1), without a stack trace. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** What the commands use to read and change ClusterTopologies in one namespace. */
export interface TopologyClient {
  readonly namespace: string;
  get(name: string): Promise<ClusterTopology>;
  /** Lists in the namespace, or in every namespace with `all`. */
  list(all: boolean): Promise<ClusterTopology[]>;
  /** JSON merge patch (RFC 7386) of `spec`. */
  patchSpec(name: string, spec: Partial<ClusterTopologySpec>): Promise<ClusterTopology>;
  /** JSON merge patch of `metadata.annotations` (the control annotation). */
  patchAnnotations(name: string, annotations: Record<string, string>): Promise<ClusterTopology>;
}

/**
 * Loads the kubeconfig the way kubectl does and applies `--context`: `--kubeconfig`, else
 * `$KUBECONFIG`, else the in-cluster service account when running in a pod (its files prefixed by
 * `$TOPOLOGY_VOLUME_ROOT` on the local node agent, empty elsewhere), else `~/.kube/config`.
 */
export function loadKubeConfig(flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env): KubeConfig {
  const kc = new KubeConfig();
  if (flags.kubeconfig !== undefined) kc.loadFromFile(flags.kubeconfig);
  else if (!env.KUBECONFIG && env.KUBERNETES_SERVICE_HOST) kc.loadFromCluster(env.TOPOLOGY_VOLUME_ROOT ?? '');
  else kc.loadFromDefault();
  if (flags.context !== undefined) {
    if (kc.getContextObject(flags.context) === null) {
      throw new CliError(
        `context "${flags.context}" does not exist in the kubeconfig (have: ${
          kc
            .getContexts()
            .map((c) => c.name)
            .join(', ') || 'none'
        })`,
      );
    }
    kc.setCurrentContext(flags.context);
  }
  if (kc.getCurrentCluster() === null) throw new CliError('no cluster configured: pass --kubeconfig, set $KUBECONFIG or run inside a pod');
  return kc;
}

/** `-n`, else the current context's namespace, else `default`. */
export function resolveNamespace(kc: KubeConfig, flags: ConnectionFlags): string {
  if (flags.namespace !== undefined) return flags.namespace;
  const ctx = kc.getContextObject(kc.getCurrentContext());
  return ctx?.namespace ?? 'default';
}

/** Turns an API failure into a one-line message that names the resource. */
export function describeApiError(err: unknown, what: string): CliError {
  if (err instanceof ApiException) {
    const code = err.code;
    let reason: string;
    try {
      const body = (typeof err.body === 'string' ? JSON.parse(err.body) : err.body) as { message?: string } | undefined;
      reason = body?.message ?? '';
    } catch {
      reason = String(err.body);
    }
    if (code === 404 && reason.includes('the server could not find the requested resource')) {
      return new CliError(`${what}: the ClusterTopology CRD is not installed (helm install the topology-operator chart, or kubectl apply -f deploy/crds/)`);
    }
    if (code === 404) return new CliError(`${what} not found`);
    if (code === 403) return new CliError(`${what}: forbidden: ${reason}`);
    if (code === 422) return new CliError(`${what}: rejected by the API server: ${reason}`);
    return new CliError(`${what}: API error ${code}: ${reason}`);
  }
  const e = err as Error & { code?: string; cause?: { code?: string } };
  const netCode = e.code ?? e.cause?.code;
  if (netCode === 'ECONNREFUSED' || netCode === 'ENOTFOUND') return new CliError(`${what}: cannot reach the API server (${netCode}); is the cluster running?`);
  return new CliError(`${what}: ${e.message}`);
}

/** A {@link TopologyClient} over client-node's CustomObjectsApi. */
export function topologyClient(kc: KubeConfig, namespace: string): TopologyClient {
  const api = kc.makeApiClient(CustomObjectsApi);
  const base = { group: GROUP, version: VERSION, namespace, plural: PLURAL };
  return {
    namespace,
    async get(name) {
      try {
        return (await api.getNamespacedCustomObject({ ...base, name })) as ClusterTopology;
      } catch (err) {
        throw describeApiError(err, `clustertopology "${name}" in namespace "${namespace}"`);
      }
    },
    async list(all) {
      try {
        const res = (
          all ? await api.listClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL }) : await api.listNamespacedCustomObject(base)
        ) as { items: ClusterTopology[] };
        return res.items;
      } catch (err) {
        throw describeApiError(err, `list clustertopologies${all ? ' in all namespaces' : ` in namespace "${namespace}"`}`);
      }
    },
    async patchSpec(name, spec) {
      return patch(name, { spec });
    },
    async patchAnnotations(name, annotations) {
      return patch(name, { metadata: { annotations } });
    },
  };

  async function patch(name: string, body: object): Promise<ClusterTopology> {
    try {
      return (await api.patchNamespacedCustomObject({ ...base, name, body }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch))) as ClusterTopology;
    } catch (err) {
      throw describeApiError(err, `clustertopology "${name}" in namespace "${namespace}"`);
    }
  }
}
