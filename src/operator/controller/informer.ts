/**
 * A typed, self-healing informer: client-node's `ListWatch` (the machinery behind `makeInformer`)
 * for one resource, over all namespaces or a list of them, with label/field selectors.
 *
 * Why a wrapper:
 * - client-node's informer emits `error` and **stops** when a list or watch fails with anything but
 *   410 Gone or a client timeout (an API server restart, a network blip, an RBAC hiccup). Here
 *   every such stop is logged, counted (`topology_operator_informer_restarts_total`) and followed
 *   by a restart after an exponential backoff (client-go reflector's: 800 ms doubling to 30 s,
 *   reset once a restart lists and connects successfully).
 * - `hasSynced()` tells the controller when the first list has landed in the cache, so workers do
 *   not reconcile against an empty cache.
 * - Events carry the previous object on update (kept from this wrapper's own view), which
 *   predicates such as "generation changed" need.
 * - One `ListWatch` per namespace when a namespace list is given; the cache is their union.
 * - Cached objects always carry `apiVersion` and `kind` (list items arrive without them).
 * - An optional `transform` trims each object before it is cached (client-go's
 *   `SetTransform`): most of a Pod, and every object's `managedFields`, is never read by a
 *   controller, yet a cache of thousands of them would hold it all.
 */
import { KubeConfig, KubernetesObjectApi, ListWatch, Watch, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
import type winston from 'winston';
import { systemClock, type Clock, type Timer } from './clock.js';
import { defaultLogger, errorMessage } from './log.js';
import type { ControllerMetrics } from './metrics.js';

/** Identifies a resource type: what the list and watch URLs are made of. */
export interface ResourceType {
  /** "v1" for the core group, else "group/version". */
  apiVersion: string;
  /** The kind, e.g. "ConfigMap". */
  kind: string;
  /** The plural resource name in URLs, e.g. "configmaps". */
  plural: string;
  /** Whether objects live in namespaces. */
  namespaced: boolean;
}

/** One change seen by the informer. `oldObject` is set on updates when the previous state is known. */
export interface ResourceEvent<T extends KubernetesObject> {
  type: 'add' | 'update' | 'delete';
  object: T;
  oldObject?: T;
}

/** Restart backoff of client-go's reflector: initial delay. */
export const DEFAULT_RESTART_BASE_MS = 800;
/** Restart backoff of client-go's reflector: cap. */
export const DEFAULT_RESTART_MAX_MS = 30_000;

/** Options of {@link ResourceInformer}. */
export interface ResourceInformerOptions<T extends KubernetesObject = KubernetesObject> {
  kubeConfig: KubeConfig;
  resource: ResourceType;
  /** Namespaces to watch. Defaults to all namespaces (one cluster-wide watch). Ignored for cluster-scoped resources. */
  namespaces?: string[];
  /** Server-side label filter, e.g. "app=chat". Defaults to none. */
  labelSelector?: string;
  /** Server-side field filter, e.g. "metadata.name=x". Defaults to none. */
  fieldSelector?: string;
  /** First restart delay after an error. Defaults to 800 ms; doubles per consecutive failure. */
  restartBaseMs?: number;
  /** Longest restart delay. Defaults to 30,000 ms. */
  restartMaxMs?: number;
  /** Called once per restart. Defaults to none. */
  onRestart?: (resource: string, error: unknown) => void;
  /** Counts restarts in `topology_operator_informer_restarts_total{resource}`. Defaults to none. */
  metrics?: ControllerMetrics;
  /** Time source of the restart backoff. Defaults to the system clock. */
  clock?: Clock;
  /** Defaults to the shared JSON logger. */
  logger?: winston.Logger;
  /** The watch client (tests inject faults through it). Defaults to `new Watch(kubeConfig)`. */
  watch?: Watch;
  /**
   * Trims an object before it is cached and emitted (list items and watch events alike); it may
   * modify the object in place. Must keep `metadata.name`, `namespace` and `resourceVersion`.
   * Defaults to none.
   */
  transform?: (object: T) => T;
  /**
   * Lists one namespace (undefined: all) with the selectors applied. Defaults to
   * `KubernetesObjectApi.list(apiVersion, kind, namespace, ..., fieldSelector, labelSelector)`.
   */
  list?: (namespace: string | undefined) => Promise<KubernetesListObject<T>>;
}

/** Per-namespace (or cluster-wide) list+watch loop with restart bookkeeping. */
interface Shard<T extends KubernetesObject> {
  readonly namespace: string | undefined;
  readonly listWatch: ListWatch<T>;
  synced: boolean;
  failures: number;
  restartTimer: Timer | undefined;
  /** Incremented per start so an error from an old attempt is recognised. */
  attempt: number;
  erroredAttempt: number;
}

/** Watches one resource type, keeps a cache, emits events, and restarts itself after errors. */
export class ResourceInformer<T extends KubernetesObject> {
  private readonly shards: Shard<T>[];
  private readonly listeners = new Set<(event: ResourceEvent<T>) => void>();
  private readonly lastSeen = new Map<string, T>();
  private readonly clock: Clock;
  private readonly logger: winston.Logger;
  private readonly name: string;
  private running = false;
  private users = 0;
  private startPromise: Promise<void> | undefined;
  private restartCount = 0;
  private readonly syncWaiters: Array<() => void> = [];

  constructor(private readonly options: ResourceInformerOptions<T>) {
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? defaultLogger();
    const { resource } = options;
    this.name = `${resource.plural}.${resource.apiVersion}`;
    const transform = options.transform;
    const baseWatch = options.watch ?? new Watch(options.kubeConfig);
    const watch = transform === undefined ? baseWatch : transformingWatch(baseWatch, transform);
    const objects = options.list === undefined ? KubernetesObjectApi.makeApiClient(options.kubeConfig) : undefined;
    const namespaces: Array<string | undefined> =
      resource.namespaced && options.namespaces !== undefined && options.namespaces.length > 0 ? [...new Set(options.namespaces)] : [undefined];
    this.shards = namespaces.map((namespace) => {
      const listRaw = (): Promise<KubernetesListObject<T>> =>
        options.list !== undefined
          ? options.list(namespace)
          : (objects as KubernetesObjectApi).list<T>(
              resource.apiVersion,
              resource.kind,
              namespace,
              undefined,
              undefined,
              undefined,
              options.fieldSelector,
              options.labelSelector,
            );
      const list =
        transform === undefined
          ? listRaw
          : async (): Promise<KubernetesListObject<T>> => {
              const got = await listRaw();
              got.items = got.items.map(transform);
              return got;
            };
      const listWatch = new ListWatch<T>(resourcePath(resource, namespace), watch, list, false, options.labelSelector, options.fieldSelector);
      const shard: Shard<T> = { namespace, listWatch, synced: false, failures: 0, restartTimer: undefined, attempt: 0, erroredAttempt: -1 };
      listWatch.on('add', (obj) => this.emit('add', obj));
      listWatch.on('update', (obj) => this.emit('update', obj));
      listWatch.on('delete', (obj) => this.emit('delete', obj));
      listWatch.on('error', (err: unknown) => this.onError(shard, err));
      return shard;
    });
  }

  /** Subscribes to events; returns the unsubscribe function. */
  onEvent(listener: (event: ResourceEvent<T>) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Starts listing and watching; resolves after the first attempt of every shard. An informer is
   * shared (a manager and several sources may start it): each `start` must be paired with a
   * `stop`, and it really stops when the last user stops.
   */
  async start(): Promise<void> {
    this.users++;
    if (this.startPromise === undefined) {
      this.running = true;
      this.startPromise = Promise.all(this.shards.map((shard) => this.startShard(shard))).then(() => undefined);
    }
    await this.startPromise;
  }

  /** Releases one `start`; the last one stops watching and cancels pending restarts (the cache keeps its contents). */
  async stop(): Promise<void> {
    if (this.users === 0) return;
    this.users--;
    if (this.users > 0) return;
    this.startPromise = undefined;
    this.running = false;
    for (const shard of this.shards) {
      shard.restartTimer?.cancel();
      shard.restartTimer = undefined;
      await shard.listWatch.stop();
    }
    for (const wake of this.syncWaiters.splice(0)) wake();
  }

  /** Whether every namespace's initial list has landed in the cache. */
  hasSynced(): boolean {
    return this.shards.every((s) => s.synced);
  }

  /** Resolves once synced (or stopped); rejects after `timeoutMs` (defaults to 60,000 ms). */
  waitForSync(timeoutMs = 60_000): Promise<void> {
    if (this.hasSynced()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = this.clock.setTimer(timeoutMs, () => reject(new Error(`informer ${this.name}: cache not synced after ${timeoutMs} ms`)));
      this.syncWaiters.push(() => {
        timer.cancel();
        resolve();
      });
    });
  }

  /** How many times a shard was restarted after an error. */
  restarts(): number {
    return this.restartCount;
  }

  /** The cached object, or undefined. */
  get(name: string, namespace?: string): T | undefined {
    for (const shard of this.shards) {
      if (shard.namespace !== undefined && shard.namespace !== (namespace ?? '')) continue;
      const obj = shard.listWatch.get(name, namespace);
      if (obj !== undefined) return obj;
    }
    return undefined;
  }

  /** Cached objects, of one namespace or all. */
  list(namespace?: string): T[] {
    return this.shards.flatMap((shard) =>
      shard.namespace !== undefined && namespace !== undefined && shard.namespace !== namespace ? [] : [...shard.listWatch.list(namespace)],
    );
  }

  private async startShard(shard: Shard<T>): Promise<void> {
    const attempt = ++shard.attempt;
    shard.restartTimer = undefined;
    try {
      await shard.listWatch.start();
    } catch (err) {
      // `start` reports list/watch failures through `error`; a throw (e.g. bad credentials) is the same.
      this.onError(shard, err);
      return;
    }
    // `start` resolves after listing and connecting the watch, or right after emitting `error`.
    if (!this.running || shard.erroredAttempt === attempt) return;
    shard.failures = 0;
    if (!shard.synced) {
      shard.synced = true;
      if (this.hasSynced()) {
        this.logger.info('informer synced', { resource: this.name, objects: this.list().length });
        for (const wake of this.syncWaiters.splice(0)) wake();
      }
    }
  }

  private onError(shard: Shard<T>, err: unknown): void {
    shard.erroredAttempt = shard.attempt;
    if (!this.running || shard.restartTimer !== undefined) return;
    const delay = Math.min((this.options.restartBaseMs ?? DEFAULT_RESTART_BASE_MS) * 2 ** shard.failures, this.options.restartMaxMs ?? DEFAULT_RESTART_MAX_MS);
    shard.failures++;
    this.restartCount++;
    this.options.metrics?.informerRestarts.inc({ resource: this.name });
    this.options.onRestart?.(this.name, err);
    this.logger.warn('informer stopped with an error; restarting', {
      resource: this.name,
      namespace: shard.namespace ?? '',
      error: errorMessage(err),
      delayMs: delay,
      restarts: this.restartCount,
    });
    shard.restartTimer = this.clock.setTimer(delay, () => {
      if (!this.running) return;
      void this.startShard(shard);
    });
  }

  private emit(type: ResourceEvent<T>['type'], object: T): void {
    // List items come without apiVersion/kind; fill them in (the cache holds this same object)
    // so that references built from cached objects, e.g. an Event's `regarding`, are complete.
    object.apiVersion ??= this.options.resource.apiVersion;
    object.kind ??= this.options.resource.kind;
    const key = `${object.metadata?.namespace ?? ''}/${object.metadata?.name ?? ''}`;
    const oldObject = this.lastSeen.get(key);
    if (type === 'delete') this.lastSeen.delete(key);
    else this.lastSeen.set(key, object);
    const event: ResourceEvent<T> = type === 'update' && oldObject !== undefined ? { type, object, oldObject } : { type, object };
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (err) {
        this.logger.error('informer event listener threw', { resource: this.name, error: errorMessage(err) });
      }
    }
  }
}

/** `inner` with every watched object passed through `transform` before the callback sees it. */
function transformingWatch<T extends KubernetesObject>(inner: Watch, transform: (object: T) => T): Watch {
  const w = Object.create(inner) as Watch;
  w.watch = (path, params, callback, done) =>
    inner.watch(
      path,
      params,
      (phase: string, apiObj: unknown, watchObj?: unknown) => {
        // BOOKMARK and ERROR carry no resource to cache (ERROR's object is a Status).
        const obj =
          (phase === 'ADDED' || phase === 'MODIFIED' || phase === 'DELETED') && typeof apiObj === 'object' && apiObj !== null ? transform(apiObj as T) : apiObj;
        callback(phase, obj, watchObj);
      },
      done,
    );
  return w;
}

/** The list/watch URL path of a resource, cluster-wide or in one namespace. */
export function resourcePath(resource: ResourceType, namespace?: string): string {
  const root = resource.apiVersion.includes('/') ? `/apis/${resource.apiVersion}` : `/api/${resource.apiVersion}`;
  return resource.namespaced && namespace !== undefined
    ? `${root}/namespaces/${encodeURIComponent(namespace)}/${resource.plural}`
    : `${root}/${resource.plural}`;
}
