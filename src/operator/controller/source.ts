/**
 * Sources, handlers and predicates: how the outside world becomes reconcile keys
 * (controller-runtime's `source`, `handler` and `predicate` packages).
 *
 * - A **source** produces events: {@link InformerSource} from a watched resource, {@link
 *   ChannelSource} from anything else (a timer, a sidecar push).
 * - A **handler** maps one event to the requests it concerns: the object itself
 *   ({@link enqueueForObject}), its owner ({@link enqueueForOwner}), or any injected mapping
 *   ({@link enqueueMapped}, e.g. a Pod → the ClusterTopologies whose selector matches it).
 * - A **predicate** filters events before the handler (e.g. {@link generationChanged}).
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import type { ResourceEvent, ResourceInformer } from './informer.js';
import { requestKey, type Request } from './reconcile.js';
import type { WorkQueue } from './work-queue.js';

/** Something that feeds keys into a controller's queue. */
export interface Source {
  /** Begins delivering keys to `queue`; resolves once started (not necessarily synced). */
  start(queue: WorkQueue): Promise<void>;
  /** Whether the source's initial state has been delivered (informer caches listed). */
  hasSynced(): boolean;
  /** Stops delivering keys. */
  stop(): Promise<void>;
}

/** Maps one resource event to the requests it concerns. */
export type EventHandler<T extends KubernetesObject> = (event: ResourceEvent<T>) => Iterable<Request>;

/** Decides whether an event should reach the handler at all. */
export type Predicate<T extends KubernetesObject> = (event: ResourceEvent<T>) => boolean;

/** Handler: the object itself (the primary resource of a controller). */
export function enqueueForObject<T extends KubernetesObject>(): EventHandler<T> {
  return (event) => {
    const name = event.object.metadata?.name;
    return name === undefined ? [] : [{ namespace: event.object.metadata?.namespace ?? '', name }];
  };
}

/** Handler: the controlling owner of the object when it has the given kind (owned resources). */
export function enqueueForOwner<T extends KubernetesObject>(ownerApiVersion: string, ownerKind: string): EventHandler<T> {
  return (event) => {
    const owner = event.object.metadata?.ownerReferences?.find(
      (ref) => ref.controller === true && ref.kind === ownerKind && ref.apiVersion === ownerApiVersion,
    );
    return owner === undefined ? [] : [{ namespace: event.object.metadata?.namespace ?? '', name: owner.name }];
  };
}

/** Handler: an injected mapping from an object to requests (e.g. a Pod → matching ClusterTopologies). */
export function enqueueMapped<T extends KubernetesObject>(map: (object: T) => Iterable<Request>): EventHandler<T> {
  return (event) => map(event.object);
}

/** Predicate: updates only when `metadata.generation` changed (spec edits, not status writes). */
export function generationChanged<T extends KubernetesObject>(): Predicate<T> {
  return (event) => event.type !== 'update' || event.oldObject === undefined || event.oldObject.metadata?.generation !== event.object.metadata?.generation;
}

/** Predicate: updates only when `metadata.resourceVersion` changed (drops resync no-ops). */
export function resourceVersionChanged<T extends KubernetesObject>(): Predicate<T> {
  return (event) =>
    event.type !== 'update' || event.oldObject === undefined || event.oldObject.metadata?.resourceVersion !== event.object.metadata?.resourceVersion;
}

/** Options of {@link InformerSource}. */
export interface InformerSourceOptions<T extends KubernetesObject> {
  /** The watched resource; the source starts it (shared: it keeps running while other users remain). */
  informer: ResourceInformer<T>;
  /** Event → requests. Defaults to {@link enqueueForObject}. */
  handler?: EventHandler<T>;
  /** All must pass for an event to reach the handler. Defaults to none. */
  predicates?: Predicate<T>[];
}

/** A source backed by a {@link ResourceInformer}: its events, filtered and mapped to keys. */
export class InformerSource<T extends KubernetesObject> implements Source {
  private readonly informer: ResourceInformer<T>;
  private readonly handler: EventHandler<T>;
  private readonly predicates: readonly Predicate<T>[];
  private unsubscribe: (() => void) | undefined;

  constructor(options: InformerSourceOptions<T>) {
    this.informer = options.informer;
    this.handler = options.handler ?? enqueueForObject<T>();
    this.predicates = options.predicates ?? [];
  }

  async start(queue: WorkQueue): Promise<void> {
    this.unsubscribe?.();
    const deliver = (event: ResourceEvent<T>): void => {
      if (!this.predicates.every((p) => p(event))) return;
      for (const request of this.handler(event)) queue.add(requestKey(request));
    };
    this.unsubscribe = this.informer.onEvent(deliver);
    // An informer shared with others may already be running (e.g. started before this replica won
    // leader election): replay its cache as adds, as client-go does for a late event handler.
    for (const object of this.informer.list()) deliver({ type: 'add', object });
    await this.informer.start();
  }

  hasSynced(): boolean {
    return this.informer.hasSynced();
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    await this.informer.stop();
  }
}

/** A source fed by the program itself (controller-runtime's `source.Channel`): `trigger(request)`. */
export class ChannelSource implements Source {
  private queue: WorkQueue | undefined;
  private readonly pending: string[] = [];

  async start(queue: WorkQueue): Promise<void> {
    this.queue = queue;
    for (const key of this.pending.splice(0)) queue.add(key);
  }

  hasSynced(): boolean {
    return true;
  }

  async stop(): Promise<void> {
    this.queue = undefined;
  }

  /** Enqueues `request` (buffered until the source is started). */
  trigger(request: Request): void {
    const key = requestKey(request);
    if (this.queue === undefined) this.pending.push(key);
    else this.queue.add(key);
  }
}
