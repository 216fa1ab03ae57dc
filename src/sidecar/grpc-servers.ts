/**
 * Assembles the sidecar's gRPC servers: Peer + Control + Health on the pod address, Overlay on
 * loopback, and optionally a plaintext Health-only server for the kubelet's probe. Here, in one place, every Peer and Control call is authenticated (refusals counted),
 * every request deserializer is wrapped so undecodable or oversized input is refused and counted
 * instead of reaching a handler, and server limits are set.
 *
 * A wrapped deserializer never throws (grpc-js would answer any throw with `INTERNAL: Error
 * deserializing request`): it returns a {@link RefusedInput}, and {@link refusingMarked} answers
 * the call with its status, RESOURCE_EXHAUSTED naming the size and the limit
 * (`Broadcast request of 8388621 bytes exceeds the limit of 4194304 bytes`) or INVALID_ARGUMENT.
 */
import * as grpc from '@grpc/grpc-js';
import type { ClusterToken } from '../rpc/cluster-token.js';
import { loadProto } from '../rpc/proto.js';
import { checkToken, grpcError, unauthenticatedError, type AuthResult, type TokenAcceptor } from '../rpc/auth.js';
import type { ControlVerifier } from '../rpc/control-credential.js';
import { controlHandlers } from './control-service.js';
import { fencedHandlers } from './fencing.js';
import { overlayHandlers } from './app-service.js';
import type { SidecarNode } from './sidecar-node.js';
import type { OutgoingFrame } from './peer-frames.js';
import type { PeerTransport } from './peer-transport.js';
import type { PeerHandlers } from '../rpc/generated/topology/v1/Peer.js';
import type { HealthHandlers } from '../rpc/generated/grpc/health/v1/Health.js';
import type { Logger } from './logger.js';
import { RefusedInput, isRefused, type MalformedReason } from './refusals.js';

/** Largest request accepted by Control and Overlay (bytes); Peer frames have their own limit. */
export const MAX_REQUEST_BYTES = 4 << 20;
/** gRPC's own receive limit: above every service's limit, so ours (which count) trigger first. */
const GRPC_RECEIVE_LIMIT = 16 << 20;

/** The sidecar's health, as Health and /readyz report it. */
export interface HealthSource {
  /** Serving at all (process up, servers bound). */
  live(): boolean;
  /** Ready for traffic: an overlay is routed. */
  ready(): boolean;
}

type AnyHandler = (...args: never[]) => void;

/**
 * The Peer service as `transport` speaks it: frames are decoded by its guarded deserializer, and
 * what its streams write is encoded by `encodeFrame` (overlay frames arrive already encoded).
 * `transport` is a getter because a transport learns its NodeId only once the server is bound.
 */
export function peerServiceDefinition(transport: () => PeerTransport): grpc.ServiceDefinition {
  const frameType = loadProto().topology.v1.PeerFrame;
  const out: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const [name, method] of Object.entries(loadProto().topology.v1.Peer.service)) {
    out[name] = {
      ...method,
      requestDeserialize: (buf: Buffer) => transport().decodeFrame(buf, frameType.deserialize),
      // Whatever acceptStream's stream writes: it is typed ServerDuplexStream<_, OutgoingFrame>.
      responseSerialize: (frame: unknown) => transport().encodeFrame(frame as OutgoingFrame),
    };
  }
  return out as grpc.ServiceDefinition;
}

/**
 * Wraps every request deserializer of `service` to enforce `limit` and count refusals: an
 * oversized or undecodable request becomes a {@link RefusedInput} that {@link refusingMarked}
 * turns into the call's status.
 */
function guardedDefinition(service: grpc.ServiceDefinition, limit: number, count: (reason: MalformedReason) => void): grpc.ServiceDefinition {
  const out: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const [name, method] of Object.entries(service)) {
    const label = method.path.slice(method.path.lastIndexOf('/') + 1);
    out[name] = {
      ...method,
      requestDeserialize: (buf: Buffer) => {
        if (buf.length > limit) {
          count('oversized');
          return new RefusedInput(grpc.status.RESOURCE_EXHAUSTED, `${label} request of ${buf.length} bytes exceeds the limit of ${limit} bytes`);
        }
        try {
          return method.requestDeserialize(buf);
        } catch (err) {
          count('undecodable');
          return new RefusedInput(grpc.status.INVALID_ARGUMENT, `${label} request of ${buf.length} bytes does not decode: ${(err as Error).message}`);
        }
      },
    };
  }
  return out as grpc.ServiceDefinition;
}

/**
 * Wraps unary and server-streaming handlers so a request the guarded deserializer refused is
 * answered with the refusal's status instead of reaching the handler (bidi Peer streams get
 * their refused frames in the stream; peer-link.ts ends it).
 */
function refusingMarked<H extends grpc.UntypedServiceImplementation>(handlers: H): H {
  const out: Record<string, AnyHandler> = {};
  for (const [name, handler] of Object.entries(handlers)) {
    out[name] = ((call: grpc.ServerUnaryCall<unknown, unknown>, callback?: grpc.sendUnaryData<unknown>) => {
      const request: unknown = call.request;
      if (isRefused(request)) {
        const err = grpcError(request.code, request.details);
        if (typeof callback === 'function') callback(err);
        else (call as unknown as grpc.ServerWritableStream<unknown, unknown>).emit('error', err);
        return;
      }
      (handler as (c: unknown, cb?: unknown) => void)(call, callback);
    }) as AnyHandler;
  }
  return out as unknown as H;
}

/** Checks a call's metadata for method `name`. */
type MetadataCheck = (metadata: grpc.Metadata, name: string) => AuthResult;

/** A bearer-token check (Peer; Control in shared-token mode). */
function bearer(token: TokenAcceptor | undefined): MetadataCheck {
  return (metadata) => checkToken(metadata, token);
}

/** Wraps handlers so a call that `check` refuses gets UNAUTHENTICATED (and is counted). */
function authenticated<H extends grpc.UntypedServiceImplementation>(handlers: H, check: MetadataCheck, onRefused: () => void): H {
  const out: Record<string, AnyHandler> = {};
  for (const [name, handler] of Object.entries(handlers)) {
    out[name] = ((call: grpc.ServerUnaryCall<unknown, unknown>, callback?: grpc.sendUnaryData<unknown>) => {
      const auth = check(call.metadata, name);
      if (!auth.ok) {
        onRefused();
        const err = unauthenticatedError(auth.reason);
        if (typeof callback === 'function') callback(err);
        else (call as unknown as grpc.ServerDuplexStream<unknown, unknown>).emit('error', err);
        return;
      }
      (handler as (c: unknown, cb?: unknown) => void)(call, callback);
    }) as AnyHandler;
  }
  return out as unknown as H;
}

function healthHandlers(health: HealthSource): HealthHandlers {
  const status = (service: string): 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN' => {
    if (service === '' || service === 'topology.v1.Peer' || service === 'topology.v1.Control') return health.live() ? 'SERVING' : 'NOT_SERVING';
    if (service === 'topology.v1.Overlay' || service === 'readiness') return health.ready() ? 'SERVING' : 'NOT_SERVING';
    return 'SERVICE_UNKNOWN';
  };
  return {
    Check(call, callback) {
      callback(null, { status: status(call.request.service) });
    },
    Watch(call) {
      let last = '';
      const tick = (): void => {
        const s = status(call.request.service);
        if (s !== last) {
          last = s;
          call.write({ status: s });
        }
      };
      tick();
      const timer = setInterval(tick, 1000);
      call.on('cancelled', () => clearInterval(timer));
      call.on('close', () => clearInterval(timer));
    },
  };
}

/** Control's check: a signature for this sidecar by the operator's key, or (shared-token mode) the Peer token. */
function controlCheck(o: Pick<ServerOptions, 'controlVerifier' | 'token' | 'node'>): MetadataCheck {
  const verifier = o.controlVerifier;
  if (verifier === undefined) return bearer(o.token);
  return (metadata, name) => verifier.check(metadata, name, o.node.self);
}

/** Both servers, bound. */
export interface SidecarServers {
  readonly peer: grpc.Server;
  readonly app: grpc.Server;
  /** The plaintext Health-only server (`--health-port`), when there is one. */
  readonly health: grpc.Server | undefined;
  readonly peerPort: number;
  readonly appPort: number;
  /** Port of {@link health}; 0 when there is none. */
  readonly healthPort: number;
}

/** Options of {@link startServers}. */
export interface ServerOptions {
  readonly node: SidecarNode;
  /** The members' Peer token (also accepted on Control when there is no `controlVerifier`: shared-token mode). */
  readonly token: ClusterToken | undefined;
  /** The operator's Control public keys (`--control-public-key-file`): Control accepts only calls they signed for this sidecar. */
  readonly controlVerifier?: ControlVerifier;
  readonly peerAddress: string;
  /**
   * Address of a plaintext server that serves only grpc.health.v1 (`--health-port`): the kubelet's
   * gRPC probe speaks no TLS, so with TLS on this is where readiness is probed. Undefined: none.
   */
  readonly healthAddress?: string;
  readonly appAddress: string;
  readonly serverCredentials: grpc.ServerCredentials;
  readonly health: HealthSource;
  readonly logger: Logger;
}

function bind(server: grpc.Server, address: string, creds: grpc.ServerCredentials): Promise<number> {
  return new Promise((resolve, reject) => server.bindAsync(address, creds, (err, port) => (err ? reject(err) : resolve(port))));
}

/** Creates, wires and binds the sidecar's servers. */
export async function startServers(o: ServerOptions): Promise<SidecarServers> {
  const proto = loadProto();
  const count = (reason: MalformedReason): void => o.node.countMalformed(reason);
  const serverOptions: grpc.ServerOptions = {
    'grpc.max_receive_message_length': GRPC_RECEIVE_LIMIT,
    'grpc.keepalive_permit_without_calls': 1,
    'grpc.http2.min_ping_interval_without_data_ms': 5000,
  };
  const peer = new grpc.Server(serverOptions);
  const refused = (): void => {
    o.node.unauthenticated++;
  };
  const peerHandlers: PeerHandlers = { Link: (call) => o.node.transport.acceptStream(call) };
  peer.addService(
    peerServiceDefinition(() => o.node.transport),
    authenticated(peerHandlers, bearer(o.token), refused),
  );
  peer.addService(
    guardedDefinition(proto.topology.v1.Control.service, MAX_REQUEST_BYTES, count),
    authenticated(fencedHandlers(refusingMarked(controlHandlers(o.node)), o.node.fence), controlCheck(o), refused),
  );
  peer.addService(guardedDefinition(proto.grpc.health.v1.Health.service, MAX_REQUEST_BYTES, count), refusingMarked(healthHandlers(o.health)));
  const app = new grpc.Server(serverOptions);
  app.addService(guardedDefinition(proto.topology.v1.Overlay.service, MAX_REQUEST_BYTES, count), refusingMarked(overlayHandlers(o.node)));
  app.addService(guardedDefinition(proto.grpc.health.v1.Health.service, MAX_REQUEST_BYTES, count), refusingMarked(healthHandlers(o.health)));
  const peerPort = await bind(peer, o.peerAddress, o.serverCredentials);
  const appPort = await bind(app, o.appAddress, grpc.ServerCredentials.createInsecure());
  let health: grpc.Server | undefined;
  let healthPort = 0;
  if (o.healthAddress !== undefined) {
    health = new grpc.Server({ 'grpc.max_receive_message_length': MAX_REQUEST_BYTES });
    health.addService(guardedDefinition(proto.grpc.health.v1.Health.service, MAX_REQUEST_BYTES, count), refusingMarked(healthHandlers(o.health)));
    healthPort = await bind(health, o.healthAddress, grpc.ServerCredentials.createInsecure());
  }
  return { peer, app, health, peerPort, appPort, healthPort };
}

/** Stops both servers: waits up to `graceMs` for calls to finish, then forces. */
export async function stopServers(servers: SidecarServers, graceMs: number): Promise<void> {
  const stop = (s: grpc.Server): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => {
        s.forceShutdown();
        resolve();
      }, graceMs);
      s.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  await Promise.all([stop(servers.peer), stop(servers.app), ...(servers.health !== undefined ? [stop(servers.health)] : [])]);
}
