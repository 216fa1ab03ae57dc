/**
 * Drives a phased switch across members through their Control APIs: prepare everywhere, wait
 * until the new overlay is connected, route in steps (the CRD's `rollout.steps`: the first X% of
 * members, then more), commit; or abort and route back. The operator reuses this module; the
 * loopback fleet's tests and benchmark drive it directly.
 *
 * Members that fail a call (dead, unreachable) are reported, not retried: the caller decides
 * (the operator rolls back or proceeds per its policy). `maxFailures` says how many a switch
 * tolerates before it stops and reports failure.
 */
import { connected, incompleteMeshMembers } from '../overlays/components.js';
import type { OverlayKind } from '../overlays/types.js';
import { ControlClient, type CallResult, type ControlClientOptions, type SidecarState } from '../rpc/control-client.js';
import { TOPOLOGY_OF_KIND, kindOfTopology } from '../rpc/overlay-params.js';
import type { OverlayParams } from '../rpc/generated/topology/v1/OverlayParams.js';

/** Default rollout steps: route everyone at once. */
export const DEFAULT_STEPS: readonly number[] = [100];
/** How long to wait for the new overlay to connect all members (ms). */
export const DEFAULT_CONVERGE_TIMEOUT_MS = 30_000;
/** Deadline of each Control call (ms): generous, a loaded node may answer slowly and a retry costs more. */
export const DEFAULT_ORCHESTRATOR_CALL_TIMEOUT_MS = 15_000;
/** Shortest interval between convergence polls (ms). */
export const CONVERGE_POLL_MS = 50;
/**
 * Poll interval per member (ms): a poll costs every member a GetState and the orchestrator a reply
 * from each, so a large fleet is polled less often (200 members: every 200 ms) lest the polling
 * itself slow the convergence it waits for.
 */
export const CONVERGE_POLL_MS_PER_MEMBER = 1;

/**
 * The members routing over the new epoch after a step of `percent`%: the first ceil(n·p/100) in
 * the given (stable) order, so each step is a superset of the previous one. Pure.
 */
export function membersForStep(members: readonly string[], percent: number): string[] {
  const p = Math.min(100, Math.max(0, percent));
  return members.slice(0, Math.ceil((members.length * p) / 100));
}

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

/** What to switch to. */
export interface SwitchSpec {
  readonly epoch: number;
  readonly kind: OverlayKind;
  readonly params?: OverlayParams;
  /** Ready members, in rollout order. */
  readonly members: readonly string[];
  readonly seed?: number;
  /** Rollout steps in percent, ascending, ending at 100. */
  readonly steps?: readonly number[];
  /** Wait for the new overlay to connect every live member before routing (default true). */
  readonly waitConverged?: boolean;
  readonly convergeTimeoutMs?: number;
  /** Members that may fail calls before the switch stops (default 0). */
  readonly maxFailures?: number;
  /** Called after each route step (e.g. probes, latency checks); false stops the switch. */
  readonly verifyStep?: (percent: number) => Promise<boolean>;
}

/** What happened. */
export interface SwitchReport {
  readonly ok: boolean;
  readonly epoch: number;
  readonly kind: OverlayKind;
  readonly error?: string;
  readonly failedMembers: string[];
  readonly timingsMs: { prepare: number; converge: number; route: number[]; commit: number; total: number };
}

/**
 * How the orchestrator's Control clients reach sidecars that serve TLS: credentials and channel
 * options (say, the server name their shared certificate is issued for). Token and deadline are
 * the constructor's own arguments.
 */
export type OrchestratorClientOptions = Pick<ControlClientOptions, 'credentials' | 'channelOptions'>;

/** Orchestrates switches over a set of sidecars. */
export class SwitchOrchestrator {
  private readonly clients = new Map<string, ControlClient>();

  constructor(
    private readonly token: string | undefined,
    private readonly callTimeoutMs: number = DEFAULT_ORCHESTRATOR_CALL_TIMEOUT_MS,
    /** Default: plaintext, as sidecars without `--tls-cert` serve. */
    private readonly clientOptions: OrchestratorClientOptions = {},
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
  async each<T>(members: readonly string[], f: (c: ControlClient, m: string) => Promise<CallResult<T>>): Promise<{ failed: Map<string, string>; values: Map<string, T> }> {
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

  /** Prepare on every member. */
  prepare(spec: SwitchSpec, members: readonly string[] = spec.members): ReturnType<SwitchOrchestrator['each']> {
    return this.each(members, (c) => c.prepare({ epoch: spec.epoch, topology: TOPOLOGY_OF_KIND[spec.kind], params: spec.params ?? {}, members: [...spec.members], seed: spec.seed ?? 1 }));
  }

  /** Route `members` over `epoch`. */
  route(epoch: number, members: readonly string[]): ReturnType<SwitchOrchestrator['each']> {
    return this.each(members, (c) => c.route(epoch));
  }

  /** Commit `epoch` on `members`. */
  commit(epoch: number, members: readonly string[]): ReturnType<SwitchOrchestrator['each']> {
    return this.each(members, (c) => c.commit(epoch));
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
   * Waits until `epoch`'s overlay on the responsive members is formed ({@link overlayFormed}: a
   * connected graph, every link for a FullMesh). `kind` defaults to what the members report.
   * Returns the members that did not answer.
   */
  async waitConverged(epoch: number, members: readonly string[], timeoutMs: number, kind?: OverlayKind): Promise<{ ok: boolean; unresponsive: string[] }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { values, failed } = await this.each(members, (c) => c.getState(true));
      const live = members.filter((m) => values.has(m));
      const views = new Map<string, string[]>();
      let reported = kind;
      for (const [m, s] of values) {
        const o = s.overlays.find((x) => x.epoch === epoch);
        if (o === undefined) continue;
        views.set(m, o.activeView);
        reported ??= kindOfTopology(o.topology);
      }
      if (views.size === live.length && overlayFormed(reported, live, views)) return { ok: true, unresponsive: [...failed.keys()] };
      if (Date.now() > deadline) return { ok: false, unresponsive: [...failed.keys()] };
      await new Promise((r) => setTimeout(r, Math.max(CONVERGE_POLL_MS, members.length * CONVERGE_POLL_MS_PER_MEMBER)));
    }
  }

  /** The whole phased switch: prepare, converge, route in steps, commit. */
  async switchTo(spec: SwitchSpec): Promise<SwitchReport> {
    const t0 = Date.now();
    const failedMembers = new Set<string>();
    const maxFailures = spec.maxFailures ?? 0;
    const timings = { prepare: 0, converge: 0, route: [] as number[], commit: 0, total: 0 };
    const done = (ok: boolean, error?: string): SwitchReport => {
      timings.total = Date.now() - t0;
      return { ok, epoch: spec.epoch, kind: spec.kind, ...(error !== undefined ? { error } : {}), failedMembers: [...failedMembers], timingsMs: timings };
    };
    const note = (failed: Map<string, string>): string | undefined => {
      for (const m of failed.keys()) failedMembers.add(m);
      if (failedMembers.size > maxFailures) return `${failedMembers.size} members failed (more than ${maxFailures}): ${[...failed.entries()].slice(0, 3).map(([m, e]) => `${m}: ${e}`).join('; ')}`;
      return undefined;
    };
    const alive = (): string[] => spec.members.filter((m) => !failedMembers.has(m));

    let t = Date.now();
    let err = note((await this.prepare(spec)).failed);
    timings.prepare = Date.now() - t;
    if (err !== undefined) return done(false, err);

    if (spec.waitConverged ?? true) {
      t = Date.now();
      const c = await this.waitConverged(spec.epoch, alive(), spec.convergeTimeoutMs ?? DEFAULT_CONVERGE_TIMEOUT_MS, spec.kind);
      timings.converge = Date.now() - t;
      err = note(new Map(c.unresponsive.map((m) => [m, 'unresponsive'])));
      if (err !== undefined) return done(false, err);
      if (!c.ok) return done(false, `epoch ${spec.epoch} (${spec.kind}) did not connect all members within ${spec.convergeTimeoutMs ?? DEFAULT_CONVERGE_TIMEOUT_MS} ms`);
    }

    const routed = new Set<string>();
    for (const percent of spec.steps ?? DEFAULT_STEPS) {
      t = Date.now();
      const batch = membersForStep(spec.members, percent).filter((m) => !failedMembers.has(m) && !routed.has(m));
      for (const m of batch) routed.add(m);
      err = note((await this.route(spec.epoch, batch)).failed);
      timings.route.push(Date.now() - t);
      if (err !== undefined) return done(false, err);
      if (spec.verifyStep !== undefined && !(await spec.verifyStep(percent))) return done(false, `verification failed at step ${percent}%`);
    }
    // Whatever the steps said, everyone routes over the new epoch before commit.
    const rest = alive().filter((m) => !routed.has(m));
    if (rest.length > 0) {
      err = note((await this.route(spec.epoch, rest)).failed);
      if (err !== undefined) return done(false, err);
    }

    t = Date.now();
    err = note((await this.commit(spec.epoch, alive())).failed);
    timings.commit = Date.now() - t;
    if (err !== undefined) return done(false, err);
    return done(true);
  }

  /** Pushes the member list to `members`. */
  setMembers(list: readonly string[], members: readonly string[] = list): ReturnType<SwitchOrchestrator['each']> {
    return this.each(members, (c) => c.setMembers(list));
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }
}
