/**
 * Writing a custom resource's status and finalizers safely.
 *
 * Status goes through the **status subresource** as a JSON merge patch
 * (`application/merge-patch+json`) computed from the status that was read to the status the
 * caller's mutation produced ({@link mergePatchFrom}: removed keys become `null`). The patch
 * carries `metadata.resourceVersion`, which the API server treats as a precondition: if the
 * object changed since it was read, the write fails with 409 Conflict and is retried — re-read,
 * re-apply the mutation, write — up to `maxAttempts` times (5, like client-go's
 * `retry.DefaultRetry`) with a pause starting at 10 ms (also DefaultRetry's) that doubles per retry.
 *
 * Finalizers are added/removed with a merge patch of `metadata.finalizers` carrying the same
 * resourceVersion precondition, so two writers cannot silently drop each other's finalizer.
 */
import { CustomObjectsApi, KubeConfig, PatchStrategy, setHeaderOptions, type KubernetesObject } from '@kubernetes/client-node';
import type winston from 'winston';
import { isConflict } from './api-errors.js';
import { systemClock, type Clock } from './clock.js';
import { defaultLogger } from './log.js';

/** Identifies one namespaced custom resource. */
export interface CustomResourceRef {
  group: string;
  version: string;
  plural: string;
  namespace: string;
  name: string;
}

/** A custom resource as read from the API server. */
export interface CustomResource<S = Record<string, unknown>> extends KubernetesObject {
  spec?: Record<string, unknown>;
  status?: S;
}

/** Merge patch turning `from` into `to` (RFC 7386): changed keys set, removed keys null, arrays replaced. */
export function mergePatchFrom(from: unknown, to: unknown): unknown {
  if (!isPlainObject(from) || !isPlainObject(to)) return to;
  const patch: Record<string, unknown> = {};
  for (const key of Object.keys(from)) {
    if (!(key in to) || to[key] === undefined) patch[key] = null;
  }
  for (const [key, value] of Object.entries(to)) {
    if (value === undefined) continue;
    const old = from[key];
    if (deepEqual(old, value)) continue;
    patch[key] = isPlainObject(old) && isPlainObject(value) ? mergePatchFrom(old, value) : value;
  }
  return patch;
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x) && !(x instanceof Date);
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Options of {@link StatusWriter}. */
export interface StatusWriterOptions {
  kubeConfig: KubeConfig;
  /** Attempts per write when the object keeps changing. Defaults to 5 (client-go DefaultRetry). */
  maxAttempts?: number;
  /** Pause before the first retry; doubles per retry. Defaults to 10 ms (client-go DefaultRetry). */
  backoffMs?: number;
  /** Recorded as `fieldManager`. Defaults to "topology-operator". */
  fieldManager?: string;
  /** Defaults to the system clock. */
  clock?: Clock;
  /** Defaults to the shared JSON logger. */
  logger?: winston.Logger;
}

/**
 * Computes the desired status from a fresh copy of the object: the new status, or undefined to
 * write nothing. Called again on every retry, so it must derive everything from its argument.
 */
export type StatusMutation<S> = (object: CustomResource<S>) => S | undefined | Promise<S | undefined>;

/** Status and finalizer writes with optimistic concurrency and retry on conflict. */
export class StatusWriter {
  private readonly api: CustomObjectsApi;
  private readonly maxAttempts: number;
  private readonly backoffMs: number;
  private readonly fieldManager: string;
  private readonly clock: Clock;
  private readonly logger: winston.Logger;
  private conflicts = 0;

  constructor(options: StatusWriterOptions) {
    this.api = options.kubeConfig.makeApiClient(CustomObjectsApi);
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 5);
    this.backoffMs = options.backoffMs ?? 10;
    this.fieldManager = options.fieldManager ?? 'topology-operator';
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? defaultLogger();
  }

  /** Conflicts retried so far (observability and tests). */
  conflictsRetried(): number {
    return this.conflicts;
  }

  /** Reads the object (main resource, so spec and status are both current). */
  async get<S>(ref: CustomResourceRef): Promise<CustomResource<S>> {
    return (await this.api.getNamespacedCustomObject({ ...ref })) as CustomResource<S>;
  }

  /**
   * Reads the object, applies `mutate` to it, and merge-patches the status subresource with the
   * difference; on 409 re-reads and re-applies. Returns the object as written (or as read when the
   * mutation asked for no change).
   *
   * `read`, an object the caller has just read, stands in for the first read: a reconciler that
   * read the resource to plan need not read it again to write (one API call fewer per reconcile).
   * The patch's resourceVersion precondition still catches any change since then (409, re-read).
   */
  async updateStatus<S>(ref: CustomResourceRef, mutate: StatusMutation<S>, read?: CustomResource<S>): Promise<CustomResource<S>> {
    let first = read;
    return this.retryOnConflict(ref, 'status', async () => {
      const current = first ?? (await this.get<S>(ref));
      first = undefined;
      const next = await mutate(structuredClone(current));
      if (next === undefined) return current;
      const statusPatch = mergePatchFrom(current.status ?? {}, next);
      if (isPlainObject(statusPatch) && Object.keys(statusPatch).length === 0) return current;
      const body = { metadata: { resourceVersion: current.metadata?.resourceVersion }, status: statusPatch };
      return (await this.api.patchNamespacedCustomObjectStatus(
        { ...ref, body, fieldManager: this.fieldManager },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      )) as CustomResource<S>;
    });
  }

  /** Adds `finalizer` unless present. Returns the object as written or read. `read` as for {@link updateStatus}. */
  async addFinalizer(ref: CustomResourceRef, finalizer: string, read?: CustomResource): Promise<CustomResource> {
    return this.editFinalizers(ref, (list) => (list.includes(finalizer) ? undefined : [...list, finalizer]), read);
  }

  /** Removes `finalizer` if present. Returns the object as written or read. */
  async removeFinalizer(ref: CustomResourceRef, finalizer: string): Promise<CustomResource> {
    return this.editFinalizers(ref, (list) => (list.includes(finalizer) ? list.filter((f) => f !== finalizer) : undefined));
  }

  private async editFinalizers(ref: CustomResourceRef, edit: (list: string[]) => string[] | undefined, read?: CustomResource): Promise<CustomResource> {
    let first = read;
    return this.retryOnConflict(ref, 'finalizers', async () => {
      const current = first ?? (await this.get<Record<string, unknown>>(ref));
      first = undefined;
      const next = edit(current.metadata?.finalizers ?? []);
      if (next === undefined) return current;
      const body = { metadata: { resourceVersion: current.metadata?.resourceVersion, finalizers: next.length === 0 ? null : next } };
      return (await this.api.patchNamespacedCustomObject(
        { ...ref, body, fieldManager: this.fieldManager },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      )) as CustomResource;
    });
  }

  private async retryOnConflict<T>(ref: CustomResourceRef, what: string, attempt: () => Promise<T>): Promise<T> {
    for (let i = 1; ; i++) {
      try {
        return await attempt();
      } catch (err) {
        if (!isConflict(err) || i >= this.maxAttempts) throw err;
        this.conflicts++;
        const delay = this.backoffMs * 2 ** (i - 1);
        this.logger.debug('conflict writing; re-reading and retrying', { what, object: `${ref.namespace}/${ref.name}`, attempt: i, delayMs: delay });
        await this.clock.sleep(delay);
      }
    }
  }
}
