/**
 * topology-operator/client: the typed TypeScript client of the Overlay API, the app's API to its
 * own sidecar (proto/topology/v1/overlay.proto; docs/app-api.md has every call with an example).
 *
 *     const client = await connect('127.0.0.1:7947');
 *     for await (const d of client.subscribe({ topics: ['orders'] })) if (d.kind === 'message') ...
 */
export { connect, DEFAULT_ATTEMPT_TIMEOUT_MS, DEFAULT_CONNECT_TIMEOUT_MS, type ConnectOptions } from './connect.js';
export {
  TopologyClient,
  DEFAULT_ACK_TIMEOUT_MS,
  DEFAULT_CALL_DEADLINE_MS,
  DEADLINE_GRACE_MS,
  type BroadcastOptions,
  type QueryOptions,
  type RequestOptions,
  type SendOptions,
  type WatchMembersOptions,
} from './topology-client.js';
export type { SubscribeOptions } from './subscription.js';
export type { CallOptions } from './unary-call.js';
export { backoffDelayMs, DEFAULT_BACKOFF, type BackoffPolicy } from './backoff.js';
export {
  TopologyError,
  InvalidArgumentError,
  NotFoundError,
  DeadlineExceededError,
  UnavailableError,
  ResourceExhaustedError,
  FailedPreconditionError,
  UnimplementedError,
  CancelledError,
  type TopologyErrorCode,
} from './errors.js';
export type * from './types.js';
