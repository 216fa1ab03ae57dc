/**
 * A bare App API v2 client for the integration tests: the generated Overlay client, its unary
 * calls as promises (the error kept as a value, so a test asserts on the status), and streams
 * collected into arrays. Deliberately not the typed client of src/client (another branch): these
 * tests check the wire contract itself.
 */
import * as grpc from '@grpc/grpc-js';
import { loadProto } from '../../../src/rpc/proto.js';
import type { OverlayClient } from '../../../src/rpc/generated/topology/v1/Overlay.js';
import type { MembershipEvent__Output } from '../../../src/rpc/generated/topology/v1/MembershipEvent.js';
import type { Delivery__Output } from '../../../src/rpc/generated/topology/v1/Delivery.js';
import type { QueryResponse__Output } from '../../../src/rpc/generated/topology/v1/QueryResponse.js';
import { LoopbackFleet, type FleetOptions } from '../../../src/fleet/loopback-fleet.js';
import { FleetOperator, type FleetOperatorOptions } from '../../../src/fleet/fleet-operator.js';
import type { OverlayKind } from '../../../src/overlays/types.js';

/** A unary call's outcome: the reply, or the error's status and details. */
export type Outcome<T> =
  | { readonly ok: true; readonly value: T; readonly ms: number }
  | { readonly ok: false; readonly code: grpc.status; readonly details: string; readonly ms: number };

/** An Overlay client of the sidecar whose app address is `appAddress`. */
export function overlayClient(appAddress: string): OverlayClient {
  const Ctor = loadProto().topology.v1.Overlay;
  return new Ctor(appAddress, grpc.credentials.createInsecure());
}

/** Runs a unary call of `client` and resolves with its outcome (never rejects). */
export function unary<Req, Res>(
  call: (req: Req, options: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res?: Res) => void) => unknown,
  req: Req,
  deadlineMs = 20_000,
): Promise<Outcome<Res>> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    call(req, { deadline: t0 + deadlineMs }, (err, res) => {
      if (err || res === undefined) resolve({ ok: false, code: err?.code ?? grpc.status.UNKNOWN, details: err?.details ?? 'no reply', ms: Date.now() - t0 });
      else resolve({ ok: true, value: res, ms: Date.now() - t0 });
    });
  });
}

/** A server stream being collected: what arrived, and how it ended. */
export interface Collected<T> {
  readonly items: T[];
  ended: { readonly code: grpc.status; readonly details: string } | undefined;
  readonly stream: grpc.ClientReadableStream<T>;
  /** Resolves when the stream ended (OK or not). */
  readonly done: Promise<void>;
}

/** Collects the items of `stream`. */
export function collect<T>(stream: grpc.ClientReadableStream<T>): Collected<T> {
  let finish: () => void = () => undefined;
  const c: Collected<T> = { items: [], ended: undefined, stream, done: new Promise<void>((r) => (finish = r)) };
  stream.on('data', (d: T) => c.items.push(d));
  stream.on('error', (err: grpc.ServiceError) => {
    c.ended ??= { code: err.code, details: err.details };
    finish();
  });
  stream.on('status', (s: grpc.StatusObject) => {
    c.ended ??= { code: s.code, details: s.details };
    finish();
  });
  return c;
}

/** Opens WatchMembers on `client`. */
export function watchMembers(client: OverlayClient): Collected<MembershipEvent__Output> {
  return collect(client.WatchMembers({}));
}

/** Opens Subscribe on `client` (for `topics`) and resolves once the sidecar registered it. */
export async function subscribe(client: OverlayClient, topics: readonly string[] = []): Promise<Collected<Delivery__Output>> {
  const stream = client.Subscribe({ topics: [...topics] });
  const c = collect(stream);
  await new Promise<void>((resolve) => {
    stream.on('metadata', () => resolve());
    void c.done.then(() => resolve());
  });
  return c;
}

/** Opens Query on `client`. */
export function query(
  client: OverlayClient,
  req: { payload: Buffer; timeoutMs: number; topic?: string; tagFilter?: Record<string, string> },
): Collected<QueryResponse__Output> {
  return collect(client.Query(req));
}

/** A loopback fleet for the App API tests: its sidecars, the operator's reconcile pass over them, one Overlay client each, and the streams to cancel. */
export interface AppApiFleet {
  readonly fleet: LoopbackFleet;
  readonly operator: FleetOperator;
  readonly apps: OverlayClient[];
  readonly streams: { readonly stream: { cancel(): void } }[];
}

/** Starts `options.size` sidecars, switches them to `kind` through the operator's reconcile pass, and opens a client per member. */
export async function startAppApiFleet(
  options: FleetOptions,
  kind: OverlayKind,
  operatorOptions: Omit<FleetOperatorOptions, 'token'> = {},
): Promise<AppApiFleet> {
  const fleet = await LoopbackFleet.start(options);
  const operator = new FleetOperator(fleet.ids(), { token: fleet.token, ...operatorOptions });
  const f: AppApiFleet = { fleet, operator, apps: fleet.members.map((m) => overlayClient(m.appAddress)), streams: [] };
  const boot = await operator.switchTo(kind);
  if (!boot.ok) {
    await stopAppApiFleet(f);
    throw new Error(`the fleet did not form ${kind}: ${boot.reason}`);
  }
  return f;
}

/** Cancels the streams, closes the clients and the operator, and stops the sidecars. */
export async function stopAppApiFleet(f: AppApiFleet | undefined): Promise<void> {
  if (f === undefined) return;
  for (const s of f.streams) s.stream.cancel();
  for (const a of f.apps) a.close();
  f.operator.close();
  await f.fleet.stop();
}
