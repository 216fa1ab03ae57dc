/**
 * The fault matrix in the simulator (issue #14): members running the real {@link MemberCore}
 * over src/overlays/sim's network, switching live through all four topologies under steady app
 * traffic, while one kind of fault (or all of them, `mixed`) hits them; then every delivery is
 * audited against the contract (delivery-audit.ts). Deterministic: one seed, one run.
 *
 * The harness plays the operator (prepare → route → commit on every live member, a restarted
 * member caught up to the current epochs, crashed members dropped from the member list after a
 * readiness delay) and the apps (each subscribed to its sidecar's delivery log, fast, slow, or
 * absent for a while, resuming after a sidecar restart with its last session and cursor).
 *
 * Timeline (virtual ms): epoch 1 (FullMesh) at 0; traffic from {@link TRAFFIC_START_MS} to
 * {@link TRAFFIC_END_MS}; switches to HyParView, ClientServer, PubSub and back to FullMesh every
 * {@link SWITCH_EVERY_MS}; faults between {@link FAULT_START_MS} and {@link FAULT_END_MS}; then
 * {@link SETTLE_MS} of quiet for repair, marks and GAPs before the audit.
 */
import { Simulator } from '../../overlays/sim/simulator.js';
import { SeededRandom } from '../../overlays/random.js';
import type { NodeId, OverlayKind } from '../../overlays/types.js';
import type { CoreTimer, EpochSpec } from '../member-core.js';
import type { LogReader } from '../app-log.js';
import { messageId, sessionStartedAt } from '../session.js';
import { CoreNode, type EpochFrame } from './core-node.js';
import { auditContract, type AcceptedSend, type AuditedReceiver, type ContractAudit, type ReceivedEvent } from '../delivery-audit.js';

/** The scenarios, one fault kind each, then all together. */
export const FAULT_SCENARIOS = [
  'baseline',
  'member-crash',
  'sidecar-restart',
  'link-loss',
  'partition',
  'delay-reorder',
  'slow-subscriber',
  'absent-subscriber',
  'full-queues',
  'mixed',
] as const;

/** One of {@link FAULT_SCENARIOS}. */
export type FaultScenario = (typeof FAULT_SCENARIOS)[number];

export const TRAFFIC_START_MS = 1_000;
export const SWITCH_EVERY_MS = 6_000;
export const FAULT_START_MS = 6_500;
export const FAULT_END_MS = 16_500;
export const TRAFFIC_END_MS = 26_000;
export const SETTLE_MS = 20_000;
/** Readiness delay: how long after a crash the operator's member list drops the member. */
export const MEMBER_DROP_MS = 2_000;
/** How often every member's overlays are offered the member list again (the sidecar's MEMBERS_REFRESH_MS). */
export const REFRESH_MS = 2_000;
/** The switch order after FullMesh: every topology, and back. */
export const SWITCH_ORDER: readonly OverlayKind[] = ['HyParView', 'ClientServer', 'PubSub', 'FullMesh'];

/** Options of {@link runFaultScenario}. */
export interface FaultRunOptions {
  readonly scenario: FaultScenario;
  readonly nodes: number;
  readonly seed: number;
  /** App messages per second, all members together (half broadcasts, half sends). Default 40. */
  readonly ratePerSecond?: number;
}

/** One row of the fault matrix. */
export interface FaultRow extends Pick<ContractAudit, 'accepted' | 'expected' | 'delivered' | 'lost' | 'duplicated' | 'contractViolations' | 'lostByReason'> {
  readonly scenario: FaultScenario;
  readonly members: number;
  /** What was injected, counted (e.g. "50 crashed"). */
  readonly faults: string;
  readonly switches: number;
  readonly gaps: number;
  readonly examples: readonly string[];
  readonly virtualSeconds: number;
  readonly events: number;
}

/** One app: how it reads its sidecar's delivery log. */
interface App {
  mode: 'fast' | 'slow' | 'absent';
  absentUntil: number;
  reader: LogReader | undefined;
  session: string;
  cursor: number;
  /** Everything the app read, in order, for the audit. */
  readonly events: ReceivedEvent[];
  /** Start of the sidecar session of its first Subscribe (docs/delivery.md: the guarantee begins there). */
  promisedFrom: number | undefined;
}

/** Runs one scenario; see the file comment. */
export function runFaultScenario(o: FaultRunOptions): FaultRow {
  const s = o.scenario;
  const all = (x: FaultScenario): boolean => s === x || s === 'mixed';
  const random = new SeededRandom(o.seed).fork(`faults/${s}`);
  const rate = o.ratePerSecond ?? 40;
  let refuseRate = 0;
  const ids = Array.from({ length: o.nodes }, (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:7070`);
  const apps = new Map<NodeId, App>();
  const slowLog = 200;
  const sim: Simulator<EpochFrame, CoreTimer> = new Simulator<EpochFrame, CoreTimer>(
    {
      seed: o.seed,
      idleFailureDetectMs: 3_000,
      ...(all('delay-reorder') ? { latency: { kind: 'lognormal', medianMs: 5, sigma: 1.5, maxMs: 1_500 }, fifo: false } : {}),
    },
    (id, r) =>
      new CoreNode({
        id,
        startedAt: sim.now,
        announce: sim.now > 0,
        random: r,
        appLogEvents: apps.get(id)?.mode === 'fast' ? 1_000_000 : slowLog,
        refuseRate: () => refuseRate,
        onEvent: (node) => onAppEvent(node),
      }),
  );
  const node = (id: NodeId): CoreNode | undefined => sim.node(id) as CoreNode | undefined;

  // ---- apps ----
  const pick = (share: number): Set<NodeId> => {
    const set = new Set<NodeId>();
    for (const id of ids.slice(1)) if (random.float() < share) set.add(id);
    return set;
  };
  const slow = all('slow-subscriber') ? pick(s === 'mixed' ? 0.05 : 0.1) : new Set<NodeId>();
  const absent = all('absent-subscriber') ? pick(s === 'mixed' ? 0.05 : 0.1) : new Set<NodeId>();
  for (const id of ids)
    apps.set(id, {
      mode: slow.has(id) ? 'slow' : absent.has(id) ? 'absent' : 'fast',
      absentUntil: FAULT_END_MS,
      reader: undefined,
      session: '',
      cursor: 0,
      events: [],
      promisedFrom: undefined,
    });
  const read = (id: NodeId, max: number): void => {
    const app = apps.get(id) as App;
    const n = node(id);
    if (n === undefined) return;
    if (app.reader === undefined) {
      if (app.mode === 'absent' && sim.now < app.absentUntil) return;
      app.reader = n.log.open(app.session === '' ? undefined : { session: app.session, after: app.cursor });
      app.session = n.log.session;
      app.promisedFrom ??= sessionStartedAt(n.log.session);
    }
    const session = n.log.session;
    for (const { cursor, event } of n.log.read(app.reader, max)) {
      app.cursor = cursor;
      if (event.kind === 'gap') {
        const ranges = event.gap.ranges.map((r) => ({ origin: r.origin, originSession: r.session, direct: r.direct, fromSeq: r.fromSeq, toSeq: r.toSeq }));
        app.events.push({ kind: 'gap', reason: event.gap.reason, ranges, session, cursor, deliveredAt: sim.now });
      } else {
        const m = event.message;
        app.events.push({
          kind: 'message',
          id: m.id,
          origin: m.origin,
          originSession: m.session ?? '',
          seq: m.seq ?? 0,
          direct: m.to !== undefined,
          sentAt: m.sentAt,
          session,
          cursor,
        });
      }
    }
  };
  const onAppEvent = (id: NodeId): void => {
    const app = apps.get(id);
    if (app !== undefined && app.mode === 'fast') read(id, Number.MAX_SAFE_INTEGER);
  };
  const pollSlowApps = (): void => {
    for (const [id, app] of apps) {
      if (app.mode === 'slow') read(id, 1);
      else if (app.mode === 'absent') read(id, Number.MAX_SAFE_INTEGER);
    }
    if (sim.now < TRAFFIC_END_MS + SETTLE_MS) sim.schedule(100, pollSlowApps);
  };

  // ---- the operator ----
  let epoch = 0;
  let active: EpochSpec | undefined;
  let staged: EpochSpec | undefined;
  let routedToStaged = false;
  let switches = 0;
  const dead = new Set<NodeId>();
  const listed = (): NodeId[] => ids.filter((id) => !dead.has(id));
  const alive = (): NodeId[] => sim.aliveNodes();
  const spec = (kind: OverlayKind): EpochSpec => ({ epoch: ++epoch, kind, params: {}, members: listed(), contacts: [], seed: o.seed ^ epoch });
  const callAll = (make: () => Parameters<CoreNode['call']>[0], who: readonly NodeId[] = alive()): void => {
    const input = make();
    for (const id of who) sim.command(id, (n, now) => (n as CoreNode).call(input, now));
  };
  const catchUp = (id: NodeId): void => {
    const one = [id];
    if (active !== undefined) {
      const a = active;
      callAll(() => ({ kind: 'prepare', spec: { ...a, members: listed() } }), one);
      callAll(() => ({ kind: 'commit', epoch: a.epoch }), one);
    }
    if (staged !== undefined) {
      const st = staged;
      callAll(() => ({ kind: 'prepare', spec: { ...st, members: listed() } }), one);
      if (routedToStaged) callAll(() => ({ kind: 'route', epoch: st.epoch }), one);
    }
  };
  const switchTo = (kind: OverlayKind): void => {
    const next = spec(kind);
    staged = next;
    routedToStaged = false;
    callAll(() => ({ kind: 'prepare', spec: next }));
    sim.schedule(800, () => {
      routedToStaged = true;
      callAll(() => ({ kind: 'route', epoch: next.epoch }));
    });
    sim.schedule(2_000, () => {
      callAll(() => ({ kind: 'commit', epoch: next.epoch }));
      active = next;
      staged = undefined;
      routedToStaged = false;
      switches++;
    });
  };
  const refresh = (): void => {
    callAll(() => ({ kind: 'refresh' }));
    if (sim.now < TRAFFIC_END_MS + SETTLE_MS) sim.schedule(REFRESH_MS, refresh);
  };

  // ---- traffic ----
  const accepted: AcceptedSend[] = [];
  const sendOne = (): void => {
    const live = alive();
    const from = live[random.int(live.length)] as NodeId;
    const broadcast = random.float() < 0.5;
    let to: NodeId | undefined;
    if (!broadcast) {
      to = live[random.int(live.length)] as NodeId;
      if (to === from) to = undefined;
    }
    const n = node(from) as CoreNode;
    n.lastSend = undefined;
    sim.command(from, (x, now) => (x as CoreNode).call({ kind: 'appSend', to, payload: new Uint8Array(8) }, now));
    const r = n.lastSend as { ok: boolean; session?: string; seq?: number } | undefined;
    if (r?.ok === true) {
      const session = r.session as string;
      const seq = r.seq as number;
      const id = messageId(from, session, to === undefined ? 'b' : 'd', seq);
      accepted.push({ id, origin: from, session, seq, to, requestedAt: sim.now, repliedAt: sim.now, acceptedAt: sim.now });
    }
  };
  const traffic = (): void => {
    sendOne();
    if (sim.now < TRAFFIC_END_MS) sim.schedule(1000 / rate, traffic);
  };

  // ---- faults ----
  const faults: string[] = [];
  const victims = (share: number): NodeId[] => ids.slice(1).filter(() => random.float() < share);
  if (all('member-crash')) {
    const v = victims(s === 'mixed' ? 0.02 : 0.05);
    faults.push(`${v.length} crashed`);
    sim.schedule(FAULT_START_MS + 1_000, () => {
      for (const id of v) {
        sim.crash(id);
        dead.add(id);
      }
    });
    sim.schedule(FAULT_START_MS + 1_000 + MEMBER_DROP_MS, () => callAll(() => ({ kind: 'members', members: listed() })));
  }
  if (all('sidecar-restart')) {
    const v = victims(s === 'mixed' ? 0.02 : 0.05).filter((id) => !dead.has(id));
    faults.push(`${v.length} restarted`);
    sim.schedule(FAULT_START_MS + 3_000, () => {
      for (const id of v) if (sim.isAlive(id)) sim.crash(id);
    });
    sim.schedule(FAULT_START_MS + 4_500, () => {
      for (const id of v) {
        if (dead.has(id) || sim.isAlive(id)) continue;
        sim.recover(id, []);
        const app = apps.get(id) as App;
        app.reader = undefined;
        callAll(() => ({ kind: 'members', members: listed() }), [id]);
        catchUp(id);
      }
    });
  }
  if (all('link-loss')) {
    const loss = s === 'mixed' ? 0.005 : 0.02;
    faults.push(`${loss * 100}% frames lost for ${(FAULT_END_MS - FAULT_START_MS) / 1000} s`);
    sim.schedule(FAULT_START_MS, () => sim.setLossRate(loss));
    sim.schedule(FAULT_END_MS, () => sim.setLossRate(0));
  }
  if (all('partition')) {
    const ms = s === 'mixed' ? 3_000 : 5_000;
    faults.push(`halves cut apart for ${ms / 1000} s`);
    sim.schedule(FAULT_START_MS + 2_000, () => sim.partition([ids.slice(0, Math.floor(ids.length / 2))]));
    sim.schedule(FAULT_START_MS + 2_000 + ms, () => sim.heal());
  }
  if (all('delay-reorder')) faults.push('lognormal latency (median 5 ms, σ 1.5, ≤ 1.5 s), links not FIFO');
  if (all('slow-subscriber')) faults.push(`${slow.size} apps read 10/s, log of ${slowLog}`);
  if (all('absent-subscriber')) faults.push(`${absent.size} apps unsubscribed until ${FAULT_END_MS / 1000} s, log of ${slowLog}`);
  if (all('full-queues')) {
    const share = s === 'mixed' ? 0.005 : 0.02;
    faults.push(`${share * 100}% of sends refused (full queue)`);
    sim.schedule(FAULT_START_MS, () => (refuseRate = share));
    sim.schedule(FAULT_END_MS, () => (refuseRate = 0));
  }
  if (faults.length === 0) faults.push('none');

  // ---- run ----
  for (const id of ids) sim.addNode(id);
  active = spec('FullMesh');
  const first = active;
  callAll(() => ({ kind: 'members', members: ids }));
  callAll(() => ({ kind: 'prepare', spec: first }));
  callAll(() => ({ kind: 'commit', epoch: first.epoch }));
  sim.schedule(TRAFFIC_START_MS, traffic);
  sim.schedule(REFRESH_MS, refresh);
  sim.schedule(100, pollSlowApps);
  SWITCH_ORDER.forEach((kind, i) => sim.schedule(TRAFFIC_START_MS + (i + 1) * SWITCH_EVERY_MS - 2_000, () => switchTo(kind)));
  sim.runFor(TRAFFIC_END_MS + SETTLE_MS);
  for (const id of ids) read(id, Number.MAX_SAFE_INTEGER);

  const receivers: AuditedReceiver[] = [];
  let gaps = 0;
  for (const id of ids) {
    if (dead.has(id)) continue;
    const app = apps.get(id) as App;
    receivers.push({ member: id, events: app.events, ...(app.promisedFrom !== undefined ? { promisedFrom: app.promisedFrom } : {}) });
    // SIDECAR_RESTARTED tells of the app's own sidecar, not of lost ranges: not counted as a GAP of the matrix.
    for (const e of app.events) if (e.kind === 'gap' && e.reason !== 'SIDECAR_RESTARTED') gaps++;
  }
  const a = auditContract(accepted, receivers);
  return {
    scenario: s,
    members: o.nodes,
    faults: faults.join('; '),
    switches,
    gaps,
    accepted: a.accepted,
    expected: a.expected,
    delivered: a.delivered,
    lost: a.lost,
    duplicated: a.duplicated,
    contractViolations: a.contractViolations,
    lostByReason: a.lostByReason,
    examples: a.examples.slice(0, Number(process.env.FAULT_EXAMPLES ?? 5)),
    virtualSeconds: sim.now / 1000,
    events: sim.stats().events,
  };
}
