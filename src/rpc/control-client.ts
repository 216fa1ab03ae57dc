/**
 * A typed, promise-based client of one sidecar's Control service, carrying the cluster token and
 * a deadline on every call. The operator and the loopback fleet's Control helpers both use it.
 * Results are a union, so a caller driving hundreds of members handles refusals per member
 * without try/catch around each.
 */
import type { MemberDetails } from './member-tags.js';
import * as grpc from '@grpc/grpc-js';
import { loadProto } from './proto.js';
import { tokenMetadata } from './auth.js';
import { FENCED_METHODS, FENCING_METADATA_KEY, withFencingToken, type FencingToken } from './fencing.js';
import type { ControlSigner } from './control-credential.js';
import type { ControlClient as GeneratedControlClient } from './generated/topology/v1/Control.js';
import type { SidecarState__Output } from './generated/topology/v1/SidecarState.js';
import type { SidecarMetrics__Output } from './generated/topology/v1/SidecarMetrics.js';
import type { SwitchReply__Output } from './generated/topology/v1/SwitchReply.js';
import type { ProbeReply__Output } from './generated/topology/v1/ProbeReply.js';
import type { PrepareRequest } from './generated/topology/v1/PrepareRequest.js';
import type { SetMembersReply__Output } from './generated/topology/v1/SetMembersReply.js';

export type {
  SidecarState__Output as SidecarState,
  SidecarMetrics__Output as SidecarMetrics,
  SwitchReply__Output as SwitchReply,
  ProbeReply__Output as ProbeReply,
  PrepareRequest,
};

/** Default deadline of a Control call (ms). */
export const DEFAULT_CALL_TIMEOUT_MS = 5_000;

/**
 * Encoded requests by request object. A fan-out sends one request object to every member (a
 * Prepare, a SetMembers: each carries the whole member list), so it is encoded once instead of once
 * per member: at 2,000 members that was 100 MB of protobuf encoding per Prepare round and 300 MB
 * per member-list push, seconds of the operator's one thread (bench:operator --scenario members).
 * grpc-js copies the bytes into each call's own frame, so sharing them is safe.
 */
const encodedRequests = new WeakMap<object, Buffer>();

type ControlConstructor = ReturnType<typeof loadProto>['topology']['v1']['Control'];
let memoizingControl: ControlConstructor | undefined;

/** The Control client class whose request serializers reuse {@link encodedRequests}. */
function controlConstructor(): ControlConstructor {
  if (memoizingControl !== undefined) return memoizingControl;
  const definition: Record<string, grpc.MethodDefinition<object, unknown>> = {};
  for (const [name, m] of Object.entries(loadProto().topology.v1.Control.service as grpc.ServiceDefinition<grpc.UntypedServiceImplementation>)) {
    const method = m as grpc.MethodDefinition<object, unknown>;
    definition[name] = {
      ...method,
      requestSerialize: (req: object): Buffer => {
        let bytes = encodedRequests.get(req);
        if (bytes === undefined) {
          bytes = method.requestSerialize(req);
          encodedRequests.set(req, bytes);
        }
        return bytes;
      },
    };
  }
  memoizingControl = grpc.makeGenericClientConstructor(definition, 'topology.v1.Control') as unknown as ControlConstructor;
  return memoizingControl;
}

/**
 * SetMembers requests by member list (the same arrays in one fan-out give the same object), with
 * copies of what they were built from: an array changed in place since builds a new request.
 */
const membersRequests = new WeakMap<
  readonly string[],
  { members: readonly string[]; info: readonly MemberDetails[] | undefined; infoItems: readonly MemberDetails[]; request: object }
>();

function sameItems<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Outcome of one call: the reply, or the gRPC status and message. */
export type CallResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly code: grpc.status; readonly message: string };

/**
 * Channel options that make a TLS channel verify the server's certificate against `serverName`
 * (and send it as SNI and `:authority`) instead of the dialed address. Sidecars are dialed by pod
 * IP, while certificates (cert-manager's) are issued for DNS names: Peer channels and any TLS
 * Control client use this so one certificate for, say, `topology-sidecar.<ns>.svc` serves all.
 */
export function tlsServerNameOptions(serverName: string): grpc.ChannelOptions {
  return { 'grpc.ssl_target_name_override': serverName, 'grpc.default_authority': serverName };
}

/** Options of {@link ControlClient}. */
export interface ControlClientOptions {
  /** Bearer token (`authorization: Bearer`): shared-token mode, and the test fleet. */
  readonly token?: string | undefined;
  /** Signs every call for this sidecar's address (managed credentials; src/rpc/control-credential.ts). */
  readonly signer?: ControlSigner;
  /** Default: insecure (plaintext). */
  readonly credentials?: grpc.ChannelCredentials;
  /**
   * Extra gRPC channel options, merged over the client's reconnect backoff; e.g.
   * {@link tlsServerNameOptions} when the sidecars' certificate names a Service, not the pod IP.
   */
  readonly channelOptions?: grpc.ChannelOptions;
  readonly timeoutMs?: number;
  /** Asked before every call; default: every call is made, unfenced. */
  readonly authorize?: CallAuthorizer;
}

type Callback<T> = (err: grpc.ServiceError | null, value?: T) => void;
type Invoke<Req, Res> = (req: Req, md: grpc.Metadata, opts: grpc.CallOptions, cb: Callback<Res>) => grpc.ClientUnaryCall;

/**
 * What one call may carry and how long it may run, decided just before it is made: the leader's
 * fencing token, how long its leadership still lasts, and a signal that aborts when it is lost
 * (src/operator/sidecars/call-authority.ts). A caller without leader election has none.
 */
export interface CallAuthority {
  /** Sent as `x-topology-fencing` (src/rpc/fencing.ts). */
  readonly fencing?: FencingToken;
  /** A state-changing call ({@link FENCED_METHODS}) gets no deadline later than this many ms from now. */
  readonly remainingMs?: number;
  /** Cancels the call while in flight when it aborts. */
  readonly signal?: AbortSignal;
  /** Told the token a sidecar reports obeying (GetState; undefined: none), so a leader behind it can catch up. */
  readonly sawObeyed?: (obeyed: FencingToken | undefined) => void;
}

/** Decides each call: the authority to make it with, or why it is not made at all. */
export type CallAuthorizer = () => CallAuthority | { readonly refused: string };

/** Control client of one sidecar (`address` = its peer address, `host:port`). */
export class ControlClient {
  private readonly client: GeneratedControlClient;
  private readonly token: string | undefined;
  private readonly signer: ControlSigner | undefined;
  private readonly timeoutMs: number;
  private readonly authorize: CallAuthorizer | undefined;

  constructor(
    readonly address: string,
    options: ControlClientOptions = {},
  ) {
    const Ctor = controlConstructor();
    this.client = new Ctor(address, options.credentials ?? grpc.credentials.createInsecure(), {
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 1000,
      ...options.channelOptions,
    });
    this.token = options.token;
    this.signer = options.signer;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    this.authorize = options.authorize;
  }

  /** The sidecar's state; `viewsOnly` leaves out member lists and passive views (cheap polls). */
  getState(viewsOnly = false): Promise<CallResult<SidecarState__Output>> {
    return this.call(
      'GetState',
      this.client.GetState.bind(this.client) as Invoke<object, SidecarState__Output>,
      viewsOnly ? { viewsOnly: true } : {},
      this.timeoutMs,
      (s, authority) => authority.sawObeyed?.(s.fencingHolder === '' ? undefined : { generation: s.fencingGeneration, holder: s.fencingHolder }),
    );
  }

  getMetrics(): Promise<CallResult<SidecarMetrics__Output>> {
    return this.call('GetMetrics', this.client.GetMetrics.bind(this.client) as Invoke<object, SidecarMetrics__Output>, {});
  }

  /** Stages an epoch; pass the same `req` object to every member of a fan-out and it is encoded once. */
  prepare(req: PrepareRequest): Promise<CallResult<SwitchReply__Output>> {
    return this.call('Prepare', this.client.Prepare.bind(this.client) as Invoke<PrepareRequest, SwitchReply__Output>, req);
  }

  route(epoch: number): Promise<CallResult<SwitchReply__Output>> {
    return this.call('Route', this.client.Route.bind(this.client) as Invoke<{ epoch: number }, SwitchReply__Output>, { epoch });
  }

  commit(epoch: number): Promise<CallResult<SwitchReply__Output>> {
    return this.call('Commit', this.client.Commit.bind(this.client) as Invoke<{ epoch: number }, SwitchReply__Output>, { epoch });
  }

  abort(epoch: number): Promise<CallResult<SwitchReply__Output>> {
    return this.call('Abort', this.client.Abort.bind(this.client) as Invoke<{ epoch: number }, SwitchReply__Output>, { epoch });
  }

  /** Probe broadcasts over `epoch`; the call's deadline stretches to cover the probe's own timeout. */
  probe(epoch: number, count: number, timeoutMs: number, expect: readonly string[] = []): Promise<CallResult<ProbeReply__Output>> {
    return this.call(
      'Probe',
      this.client.Probe.bind(this.client) as Invoke<object, ProbeReply__Output>,
      { epoch, count, timeoutMs, expect: [...expect] },
      timeoutMs + this.timeoutMs,
    );
  }

  /** Pushes the member list; calls with the same `members` and `memberInfo` arrays share one request (encoded once). */
  setMembers(members: readonly string[], memberInfo?: readonly MemberDetails[]): Promise<CallResult<SetMembersReply__Output>> {
    let cached = membersRequests.get(members);
    if (cached === undefined || cached.info !== memberInfo || !sameItems(cached.members, members) || !sameItems(cached.infoItems, memberInfo ?? [])) {
      const request =
        memberInfo === undefined || memberInfo.length === 0
          ? { members: [...members] }
          : { members: [...members], memberInfo: memberInfo.map((m) => ({ address: m.address, pod: m.pod, tags: { ...m.tags } })) };
      cached = { members: [...members], info: memberInfo, infoItems: [...(memberInfo ?? [])], request };
      membersRequests.set(members, cached);
    }
    const request = cached.request;
    return this.call('SetMembers', this.client.SetMembers.bind(this.client) as Invoke<object, SetMembersReply__Output>, request);
  }

  close(): void {
    this.client.close();
  }

  private call<Req, Res>(
    method: string,
    invoke: Invoke<Req, Res>,
    req: Req,
    timeoutMs = this.timeoutMs,
    onReply?: (value: Res, authority: CallAuthority) => void,
  ): Promise<CallResult<Res>> {
    const authority = this.authorize?.() ?? {};
    if ('refused' in authority) return Promise.resolve(notSent(method, authority.refused));
    const { signal } = authority;
    if (signal?.aborted) return Promise.resolve(notSent(method, 'cancelled before it was sent'));
    const ms = authority.remainingMs !== undefined && FENCED_METHODS.has(method) ? Math.min(timeoutMs, authority.remainingMs) : timeoutMs;
    return new Promise((resolve) => {
      const metadata = withFencingToken(tokenMetadata(this.token), authority.fencing);
      if (this.signer !== undefined) {
        const fencing = metadata.get(FENCING_METADATA_KEY)[0];
        for (const [k, v] of this.signer.sign(method, this.address, typeof fencing === 'string' ? fencing : undefined)) metadata.set(k, v);
      }
      let done = false;
      const cancel = (): void => call.cancel();
      const call = invoke(req, metadata, { deadline: Date.now() + ms }, (err, value) => {
        done = true;
        signal?.removeEventListener('abort', cancel);
        if (err) resolve({ ok: false, code: err.code ?? grpc.status.UNKNOWN, message: err.details || err.message });
        else {
          onReply?.(value as Res, authority);
          resolve({ ok: true, value: value as Res });
        }
      });
      if (!done) signal?.addEventListener('abort', cancel, { once: true });
    });
  }
}

/** The result of a call that was never sent: CANCELLED, saying why. */
function notSent<T>(method: string, why: string): CallResult<T> {
  return { ok: false, code: grpc.status.CANCELLED, message: `${method} not sent: ${why}` };
}
