/**
 * Typed errors of the app client: every failed call or stream rejects with a {@link TopologyError}
 * whose `code` names the gRPC status (a string union, so a `switch` is checked by the compiler),
 * and whose subclass lets an app `catch` the cases it handles (a deadline, an unreachable
 * sidecar, a refused field) with `instanceof`. The sidecar's message is kept as `details`; the
 * sidecar names the field it refused first (`Send.to "x": not a host:port address`), which
 * {@link InvalidArgumentError.field} extracts. What each call returns for what:
 * proto/topology/v1/overlay.proto and docs/app-api.md, "Errors".
 */
import * as grpc from '@grpc/grpc-js';

/** A gRPC status name: `DEADLINE_EXCEEDED`, `UNAVAILABLE`, ... (grpc.status's keys). */
export type TopologyErrorCode = keyof typeof grpc.status;

/** Anything a call of the app client failed with. */
export class TopologyError extends Error {
  override readonly name: string = 'TopologyError';
  constructor(
    /** The gRPC status, by name. */
    readonly code: TopologyErrorCode,
    /** The Overlay call that failed (`Send`, `Subscribe`, ...), or `connect`. */
    readonly call: string,
    /** The sidecar's (or gRPC's) own message. */
    readonly details: string,
    options?: { cause?: unknown },
  ) {
    super(`${call}: ${code}: ${details}`, options);
  }

  /** The numeric gRPC status. */
  get grpcCode(): grpc.status {
    return grpc.status[this.code];
  }
}

/** The request was refused as malformed; `field` names what (`Send.to`, `Broadcast.topic`), when the sidecar said. */
export class InvalidArgumentError extends TopologyError {
  override readonly name = 'InvalidArgumentError';
  /** The field the sidecar named first in its message (`Send.payload`), or undefined. */
  readonly field: string | undefined;
  constructor(call: string, details: string, options?: { cause?: unknown }) {
    super('INVALID_ARGUMENT', call, details, options);
    this.field = fieldOf(details);
  }
}

/** No such member, or (Respond) no such pending request. */
export class NotFoundError extends TopologyError {
  override readonly name = 'NotFoundError';
  constructor(call: string, details: string, options?: { cause?: unknown }) {
    super('NOT_FOUND', call, details, options);
  }
}

/** The deadline passed first: the call's own, or (Request, acknowledged Send) the answer's. */
export class DeadlineExceededError extends TopologyError {
  override readonly name = 'DeadlineExceededError';
  constructor(call: string, details: string, options?: { cause?: unknown }) {
    super('DEADLINE_EXCEEDED', call, details, options);
  }
}

/** The sidecar (or, for Request and acknowledged Send, the destination) cannot be reached now; retrying may help. */
export class UnavailableError extends TopologyError {
  override readonly name = 'UnavailableError';
  constructor(call: string, details: string, options?: { cause?: unknown }) {
    super('UNAVAILABLE', call, details, options);
  }
}

/** A limit was hit (payload size, number of streams); the message names it. */
export class ResourceExhaustedError extends TopologyError {
  override readonly name = 'ResourceExhaustedError';
  constructor(call: string, details: string, options?: { cause?: unknown }) {
    super('RESOURCE_EXHAUSTED', call, details, options);
  }
}

/** The call cannot succeed in the current state (say, no app is subscribed at the destination). */
export class FailedPreconditionError extends TopologyError {
  override readonly name = 'FailedPreconditionError';
  constructor(call: string, details: string, options?: { cause?: unknown }) {
    super('FAILED_PRECONDITION', call, details, options);
  }
}

/** The sidecar does not serve this call (an older sidecar than the client). */
export class UnimplementedError extends TopologyError {
  override readonly name = 'UnimplementedError';
  constructor(call: string, details: string, options?: { cause?: unknown }) {
    super('UNIMPLEMENTED', call, details, options);
  }
}

/** The call was cancelled: by the app's AbortSignal (`cause` is the signal's reason), or by gRPC. */
export class CancelledError extends TopologyError {
  override readonly name = 'CancelledError';
  constructor(call: string, details: string, options?: { cause?: unknown }) {
    super('CANCELLED', call, details, options);
  }
}

const SUBCLASSES: Partial<Record<TopologyErrorCode, new (call: string, details: string, options?: { cause?: unknown }) => TopologyError>> = {
  INVALID_ARGUMENT: InvalidArgumentError,
  NOT_FOUND: NotFoundError,
  DEADLINE_EXCEEDED: DeadlineExceededError,
  UNAVAILABLE: UnavailableError,
  RESOURCE_EXHAUSTED: ResourceExhaustedError,
  FAILED_PRECONDITION: FailedPreconditionError,
  UNIMPLEMENTED: UnimplementedError,
  CANCELLED: CancelledError,
};

/** The typed error for a gRPC status `code` with `details`, failing `call`. */
export function topologyError(code: grpc.status, call: string, details: string, cause?: unknown): TopologyError {
  const name = (grpc.status[code] as TopologyErrorCode | undefined) ?? 'UNKNOWN';
  const Sub = SUBCLASSES[name];
  const options = cause === undefined ? undefined : { cause };
  return Sub !== undefined ? new Sub(call, details, options) : new TopologyError(name, call, details, options);
}

/** What `err` (a grpc.ServiceError, a TopologyError, anything) is as a TopologyError of `call`. */
export function toTopologyError(err: unknown, call: string): TopologyError {
  if (err instanceof TopologyError) return err;
  if (isServiceError(err)) return topologyError(err.code, call, err.details || err.message, err);
  return new TopologyError('UNKNOWN', call, err instanceof Error ? err.message : String(err), { cause: err });
}

function isServiceError(err: unknown): err is grpc.ServiceError {
  return err instanceof Error && typeof (err as Partial<grpc.ServiceError>).code === 'number';
}

/** `Send.to`, `QueryRequest.tag_filter[zone]`: the first `Message.field` the sidecar's message names. */
const FIELD_PATTERN = /\b([A-Z][A-Za-z0-9]*\.[a-z_][A-Za-z0-9_]*(?:\[[^\]]*\])?(?:\.[a-z_][A-Za-z0-9_]*)*)/;

function fieldOf(details: string): string | undefined {
  return FIELD_PATTERN.exec(details)?.[1];
}
