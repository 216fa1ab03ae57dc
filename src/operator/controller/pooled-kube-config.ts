/**
 * One connection pool per (cluster, user) for client-node API clients; see {@link PooledKubeConfig}.
 */
import { KubeConfig, type RequestContext } from '@kubernetes/client-node';

type Dispatcher = NonNullable<ReturnType<RequestContext['getDispatcher']>>;

/**
 * A KubeConfig whose API calls share one connection pool. client-node 2.0.1 gives every request a
 * new undici Agent (`applySecurityAuthentication` → `createDispatcher`), so each call opened a new
 * TCP + TLS connection and left it idle until undici's keep-alive timeout: with 1,000
 * ClusterTopologies that made a reconcile ~130 ms and the operator's RSS ~450 MiB
 * (bench/operator-resources.ts). Credentials travel as headers or as the agent's TLS options, which
 * are fixed for a (cluster, user) pair, so one dispatcher per pair is reused; the fresh one is closed.
 * Limitation: client certificates that change during the process's life (an exec plugin issuing
 * short-lived certs) would keep the first pool; tokens (headers) are unaffected.
 */
export class PooledKubeConfig extends KubeConfig {
  private readonly dispatchers = new Map<string, Dispatcher>();

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    const fresh = context.getDispatcher();
    if (fresh === undefined) return;
    const key = JSON.stringify([this.getCurrentCluster()?.name, this.getCurrentUser()?.name]);
    const shared = this.dispatchers.get(key);
    if (shared === undefined) {
      this.dispatchers.set(key, fresh);
      return;
    }
    void fresh.close();
    context.setDispatcher(shared);
  }
}
