/**
 * Low-level Control fan-out over fleet members, for tests that exercise the sidecars' own switch
 * rules (an abort mid-route, an older epoch refused) and for readiness checks: one cached client
 * per member, calls in parallel, failures returned per member. It is no switch engine: a whole
 * phased switch goes through the operator's planner and pass (fleet-operator.ts), as in
 * production.
 */
import { connected, incompleteMeshMembers } from '../overlays/components.js';
import type { OverlayKind } from '../overlays/types.js';
import { ControlClient, type CallResult, type ControlClientOptions, type SidecarState } from '../rpc/control-client.js';
import { TOPOLOGY_OF_KIND, kindOfTopology } from '../rpc/overlay-params.js';
import type { OverlayParams } from '../rpc/generated/topology/v1/OverlayParams.js';

/** Deadline of each Control call (ms): generous, a loaded node may answer slowly. */
export const FLEET_CONTROL_CALL_TIMEOUT_MS = 15_000;
/** Shortest interval between formation polls (ms). */
export const FORM_POLL_MS = 50;
/**
 * Poll interval per member (ms): a poll costs every member a GetState, so a large fleet is polled
 * less often (200 members: every 200 ms) lest the polling itself slow the formation it waits for.
 */
export const FORM_POLL_MS_PER_MEMBER = 1;

/**
 * True when the overlay `kind` over `members` is formed enough to carry traffic (make before
 * break). Gossip overlays and ClientServer need a connected graph; a FullMesh whose graph is merely
 * connected still has links being dialed (at 200 members for ~12 s after the graph connects), and
 * a broadcast routed over it waits in their queues: FullMesh needs every link. Pure.
 */
export function overlayFormed(kind: OverlayKind | undefined, members: readonly string[], activeViews: ReadonlyMap<string, readonly string[]>): boolean {
  if (kind === 'FullMesh') return incompleteMeshMembers(members, activeViews).length === 0;
  return connected(members, activeViews);
}

/** An epoch to prepare by hand. */
export interface PrepareSpec {
  readonly epoch: number;
  readonly kind: OverlayKind;
  readonly params?: OverlayParams;
  /** Ready members (the overlay's member list). */
  readonly members: readonly string[];
  readonly seed?: number;
}

/**
 * How the Control clients reach sidecars that serve TLS: credentials and channel options (say,
 * the server name their shared certificate is issued for).
 */
export type FleetControlClientOptions = Pick<ControlClientOptions, 'credentials' | 'channelOptions'>;

/** Per-member results of one fan-out. */
export interface FanOut<T> {
  failed: Map<string, string>;
  values: Map<string, T>;
}

/** Cached Control clients of fleet members and parallel calls over them. */
export class FleetControl {
  private readonly clients = new Map<string, ControlClient>();

  constructor(
    private readonly token: string | undefined,
    private readonly callTimeoutMs: number = FLEET_CONTROL_CALL_TIMEOUT_MS,
    /** Default: plaintext, as sidecars without `--tls-cert` serve. */
    private readonly clientOptions: FleetControlClientOptions = {},
  ) {}

  /** The (cached) Control client of `member`. */
  client(member: string): ControlClient {
    let c = this.clients.get(member);
    if (c === undefined) {
      c = new ControlClient(member, { ...this.clientOptions, token: this.token, timeoutMs: this.callTimeoutMs });
      this.clients.set(member, c);
    }
    return c;
  }

  /** Runs `f` on every member in parallel; returns the members whose call failed, with reasons. */
  async each<T>(members: readonly string[], f: (c: ControlClient, m: string) => Promise<CallResult<T>>): Promise<FanOut<T>> {
    const failed = new Map<string, string>();
    const values = new Map<string, T>();
    await Promise.all(
      members.map(async (m) => {
        const r = await f(this.client(m), m);
        if (r.ok) values.set(m, r.value);
        else failed.set(m, r.message);
      }),
    );
    return { failed, values };
  }

  /** Prepare on every member of `spec` (or of `members`). */
  prepare(spec: PrepareSpec, members: readonly string[] = spec.members): ReturnType<FleetControl['each']> {
    return this.each(members, (c) =>
      c.prepare({ epoch: spec.epoch, topology: TOPOLOGY_OF_KIND[spec.kind], params: spec.params ?? {}, members: [...spec.members], seed: spec.seed ?? 1 }),
    );
  }

  /** Route `members` over `epoch`. */
  route(epoch: number, members: readonly string[]): ReturnType<FleetControl['each']> {
    return this.each(members, (c) => c.route(epoch));
  }

  /** Rollback: route everyone back to `activeEpoch`, then abort `stagedEpoch`. */
  async abort(stagedEpoch: number, activeEpoch: number, members: readonly string[]): Promise<Map<string, string>> {
    const failed = new Map<string, string>();
    if (activeEpoch > 0) for (const [m, e] of (await this.route(activeEpoch, members)).failed) failed.set(m, e);
    for (const [m, e] of (await this.each(members, (c) => c.abort(stagedEpoch))).failed) failed.set(m, e);
    return failed;
  }

  /** States of `members` (failures omitted). */
  async states(members: readonly string[]): Promise<Map<string, SidecarState>> {
    return (await this.each(members, (c) => c.getState())).values;
  }

  /**
   * Waits until `epoch`'s overlay over `members` is formed ({@link overlayFormed}: a connected
   * graph, every link for a FullMesh); `kind` defaults to what the members report. Throws, naming
   * what was missing, when it is not formed within `timeoutMs`.
   */
  async waitFormed(epoch: number, members: readonly string[], timeoutMs: number, kind?: OverlayKind): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { values, failed } = await this.each(members, (c) => c.getState(true));
      const views = new Map<string, string[]>();
      let reported = kind;
      for (const [m, s] of values) {
        const o = s.overlays.find((x) => x.epoch === epoch);
        if (o === undefined) continue;
        views.set(m, o.activeView);
        reported ??= kindOfTopology(o.topology);
      }
      if (failed.size === 0 && views.size === members.length && overlayFormed(reported, members, views)) return;
      if (Date.now() > deadline) {
        throw new Error(
          `epoch ${epoch} (${reported ?? 'unknown kind'}) was not formed over ${members.length} members within ${timeoutMs} ms: ${failed.size} did not answer, ${members.length - views.size - failed.size} do not run it`,
        );
      }
      await new Promise((r) => setTimeout(r, Math.max(FORM_POLL_MS, members.length * FORM_POLL_MS_PER_MEMBER)));
    }
  }

  /** Pushes the member list to `members`. */
  setMembers(list: readonly string[], members: readonly string[] = list): ReturnType<FleetControl['each']> {
    return this.each(members, (c) => c.setMembers(list));
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }
}
