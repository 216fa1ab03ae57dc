/**
 * The public surface of the generic controller plumbing (controller-runtime's roles, in
 * TypeScript): reconcile contract, work queue and rate limiters, controller, informers and
 * sources, leader election, events, status writes, metrics and health endpoints.
 */
export { systemClock, type Clock, type Timer } from './clock.js';
export { FakeClock } from './fake-clock.js';
export { apiStatusCode, isConflict, isNotFound } from './api-errors.js';
export { TerminalError, isTerminalError, requestKey, parseRequestKey, type Reconciler, type Request, type Result } from './reconcile.js';
export {
  BucketRateLimiter,
  ItemExponentialFailureRateLimiter,
  MaxOfRateLimiter,
  defaultControllerRateLimiter,
  type ControllerRateLimiterOptions,
  type RateLimiter,
} from './rate-limiter.js';
export { WorkQueue, type WorkQueueMetrics, type WorkQueueOptions } from './work-queue.js';
export { Controller, applyOutcome, outcomeOf, type ControllerOptions, type ReconcileOutcome } from './controller.js';
export { ResourceInformer, resourcePath, type ResourceEvent, type ResourceInformerOptions, type ResourceType } from './informer.js';
export {
  ChannelSource,
  InformerSource,
  enqueueForObject,
  enqueueForOwner,
  enqueueMapped,
  generationChanged,
  resourceVersionChanged,
  type EventHandler,
  type Predicate,
  type Source,
} from './source.js';
export {
  LeaderElector,
  decideLeadership,
  defaultIdentity,
  kubernetesLeaseStore,
  nextRecord,
  observe,
  releasedRecord,
  type LeaderDecision,
  type LeaderElectorOptions,
  type LeaseRecord,
  type LeaseStore,
  type ObservedLease,
} from './leader-election.js';
export { EventRecorder, REPORTING_CONTROLLER, referenceTo, type EventInput, type EventRecorderOptions, type EventType } from './event-recorder.js';
export { StatusWriter, mergePatchFrom, type CustomResource, type CustomResourceRef, type StatusMutation, type StatusWriterOptions } from './status-writer.js';
export { ControllerMetrics, METRIC_PREFIX, type ReconcileResultLabel } from './metrics.js';
export { startHealthServer, type HealthCheck, type HealthServer, type HealthServerOptions } from './health.js';
export { defaultLogger, silentLogger } from './log.js';
export { Manager, type ManagedInformer, type ManagerExit, type ManagerOptions } from './manager.js';
