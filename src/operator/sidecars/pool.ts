/**
 * The operator's connections to member sidecars: one cached Control client per address (gRPC
 * channels are expensive to set up and reconnect on their own), and a bounded-concurrency map so
 * that a reconcile over a thousand members never has a thousand calls in flight at once.
 *
 * Clients of addresses that were not used for a while are closed (a pod that left keeps no channel
 * open forever): every call marks its address used, and {@link SidecarPool.sweep} closes the rest.
 *
 * Each ClusterTopology has its own Control credential (a signer, or the shared token it names):
 * {@link SidecarPool.withCredential} gives a view of the same pool whose clients use it (clients
 * are cached per credential and address, so a rotated one gets a fresh client and the old one is
 * swept).
 *
 * Under leader election every client asks the pool's authorizer before each call, so a replica
 * whose leadership ended makes no call, and those in flight are cancelled (call-authority.ts).
 */
import * as grpc from '@grpc/grpc-js';
import { ControlClient, type CallAuthorizer, type CallResult } from '../../rpc/control-client.js';
import { FENCED_MARK } from '../../rpc/fencing.js';
import { PLAINTEXT_TRANSPORT, type SidecarTransport } from './tls.js';
import type { ControlCredential, ControlSigner } from '../../rpc/control-credential.js';
import type { OperatorMetrics } from '../operator-metrics.js';

/** Options of {@link SidecarPool}. */
export interface SidecarPoolOptions {
  /** Cluster token sent as `authorization: Bearer` (undefined: none). */
  token: string | undefined;
  /** Signs every call instead (a resource's managed Control credential, src/rpc/control-credential.ts). */
  signer?: ControlSigner | undefined;
  /** Calls in flight at once per {@link SidecarPool.each}. */
  concurrency: number;
  /** Deadline of each call (ms). */
  timeoutMs: number;
  metrics?: OperatorMetrics;
  /** TLS credentials and channel options (sidecar-tls.ts); default: plaintext. */
  transport?: SidecarTransport;
  /**
   * Asked before every call: the leader's fencing token and how long it may act
   * (call-authority.ts `leaderAuthorizer`). Default: none, calls go unfenced (no leader election).
   */
  authorize?: CallAuthorizer;
}

/** Idle time after which a client is closed by {@link SidecarPool.sweep}: 10 minutes. Wild guess. */
export const CLIENT_IDLE_MS = 10 * 60_000;

/**
 * Runs `f` over `items` with at most `limit` promises pending; results keep the input order.
 * `f` must not throw (Control calls resolve to a CallResult).
 */
export async function mapBounded<T, R>(items: readonly T[], limit: number, f: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await f(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
  return out;
}

/**
 * The `result` label of a call: `ok`; `cancelled` when it was not sent or was cut (no valid
 * leadership, call-authority.ts); `fenced` when the sidecar obeys a newer leader; else `error`.
 */
export function callOutcome(result: CallResult<unknown>): 'ok' | 'cancelled' | 'fenced' | 'error' {
  if (result.ok) return 'ok';
  if (result.code === grpc.status.CANCELLED) return 'cancelled';
  if (result.code === grpc.status.FAILED_PRECONDITION && result.message.includes(FENCED_MARK)) return 'fenced';
  return 'error';
}

/** Cached Control clients and bounded fan-out. */
export class SidecarPool {
  private readonly clients: Map<string, { client: ControlClient; usedAt: number }>;

  /** `shared`: the client cache of the pool this one is a {@link withToken} view of. */
  constructor(
    private readonly options: SidecarPoolOptions,
    shared?: Map<string, { client: ControlClient; usedAt: number }>,
  ) {
    this.clients = shared ?? new Map();
  }

  /** This pool, with `token` sent instead of the default (same clients cache, sweep and close). */
  withToken(token: string | undefined): SidecarPool {
    return token === this.options.token && this.options.signer === undefined
      ? this
      : new SidecarPool({ ...this.options, token, signer: undefined }, this.clients);
  }

  /**
   * This pool, authenticating with `credential`: a resource's signer (managed credentials) or its
   * shared bearer token; undefined: neither (the sidecars refuse, and say so).
   */
  withCredential(credential: ControlCredential | undefined): SidecarPool {
    if (credential?.kind === 'signed') {
      if (this.options.signer === credential.signer) return this;
      return new SidecarPool({ ...this.options, token: undefined, signer: credential.signer }, this.clients);
    }
    return this.withToken(credential?.token);
  }

  /** The cached client of `address` (for this pool's credential). */
  client(address: string): ControlClient {
    const { token, signer } = this.options;
    const key = signer !== undefined ? `${address} signed:${signer.publicKey}` : token === undefined ? address : `${address} ${token}`;
    let entry = this.clients.get(key);
    if (entry === undefined) {
      const transport = this.options.transport ?? PLAINTEXT_TRANSPORT;
      entry = {
        client: new ControlClient(address, {
          token,
          ...(signer !== undefined ? { signer } : {}),
          timeoutMs: this.options.timeoutMs,
          credentials: transport.credentials,
          channelOptions: transport.channelOptions,
          ...(this.options.authorize !== undefined ? { authorize: this.options.authorize } : {}),
        }),
        usedAt: Date.now(),
      };
      this.clients.set(key, entry);
    }
    entry.usedAt = Date.now();
    return entry.client;
  }

  /** Calls `f` on each address's client with bounded concurrency; failures are returned, not thrown. */
  each<T>(
    method: string,
    addresses: readonly string[],
    f: (client: ControlClient, address: string) => Promise<CallResult<T>>,
  ): Promise<Array<{ address: string; result: CallResult<T> }>> {
    return mapBounded(addresses, this.options.concurrency, async (address) => {
      const result = await f(this.client(address), address);
      this.options.metrics?.sidecarCalls.inc({ method, result: callOutcome(result) });
      return { address, result };
    });
  }

  /** Closes clients unused for {@link CLIENT_IDLE_MS}. */
  sweep(now = Date.now()): void {
    for (const [key, entry] of this.clients) {
      if (now - entry.usedAt > CLIENT_IDLE_MS) {
        entry.client.close();
        this.clients.delete(key);
      }
    }
  }

  /** Closes every client. */
  close(): void {
    for (const entry of this.clients.values()) entry.client.close();
    this.clients.clear();
  }
}
