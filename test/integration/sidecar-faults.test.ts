// The fault matrix on real sidecars (issue #14, item 4): 20 sidecar processes over loopback gRPC,
// steady app traffic (broadcasts and sends), a switch always in progress (the operator's own
// reconcile pass cycling through the topologies, src/fleet/fleet-operator.ts), and the faults a
// process really suffers, one kind per test and then all at once: a sidecar SIGKILLed and
// restarted on its address (its app reconnects and resumes with its last session and cursor), a
// sidecar frozen by SIGSTOP and thawed by SIGCONT, an app that disconnects and resumes, and an app
// too slow for the rate (its sidecar's delivery log overflows). Every delivery and every GAP each
// app got is audited against the delivery contract (src/member/delivery-audit.ts): 0 violations —
// no message accepted and neither delivered nor told, none delivered twice. A table of the
// results is printed at the end.
import { expect } from 'chai';
import { LoopbackFleet } from '../../src/fleet/loopback-fleet.js';
import { FleetOperator } from '../../src/fleet/fleet-operator.js';
import { AppClient, TrafficGenerator, waitUntil, type SentRecord } from '../../src/fleet/app-traffic.js';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { auditContract, type AcceptedSend, type AuditedReceiver, type ContractAudit } from '../../src/member/delivery-audit.js';
import { SeededRandom } from '../../src/overlays/random.js';
import type { OverlayKind } from '../../src/overlays/types.js';
import { SWITCH_LOOP_TIMEOUT_MS, SwitchLoop, describeSwitches } from './support/switch-loop.js';

/** Members: the issue asks for at least 20 real sidecar processes. */
const FLEET_SIZE = Number(process.env.FLEET_SIZE ?? 20);
/** App messages per second per member (half broadcast, half point-to-point), as the 12-switch test. */
const RATE = 5;
/** Seed of the traffic and of which members suffer the faults; set SEED to reproduce a run. */
const SEED = Number(process.env.SEED ?? 14);
/** The member whose app is too slow: its sidecar keeps the smallest delivery log the flag allows. */
const SLOW = FLEET_SIZE - 1;
/** `--subscriber-buffer-bytes` of the slow member: the least the sidecar accepts (twice the largest payload, config.ts). */
const SLOW_LOG_BYTES = 1 << 20;
/** Payload of the slow-receiver scenarios: ~120 deliveries fill the slow member's log, a few seconds of traffic. */
const LARGE_PAYLOAD_BYTES = 8 << 10;
/** Messages for the slow app accepted while it does not read: well over what its log and gRPC's flow-control window hold. */
const SLOW_BACKLOG = 300;
/** Messages the rest of the fleet sends while a member is frozen or an app is away: ~3 s at this rate. */
const FAULT_SPAN_MESSAGES = 300;
/**
 * Longest wait after the last send for every receiver to resolve every message (ms): the ledger
 * gives a missing message up within ~5 s and marks follow a quiet channel at 0.3/1.5/6 s
 * (src/member/delivery-ledger.ts, origin-log.ts), so 20 s covers both with room for a loaded machine.
 */
const SETTLE_MS = 20_000;
/** How long a restarted sidecar may take to serve, be taken back into the overlay and deliver again (ms). */
const REJOIN_MS = 45_000;
/** Operator Control calls give up after this (ms): a frozen member must fail a call, not stall every pass for the fleet default of 15 s. */
const CALL_TIMEOUT_MS = 5_000;
/** Switches that must have ended in each scenario: the faults meet one switch, and the next one starts over them. */
const MIN_SWITCHES = 2;
/** The topologies the switch loop cycles through: every kind, each switch to another. */
const CYCLE: OverlayKind[] = ['HyParView', 'ClientServer', 'PubSub', 'FullMesh'];

/** One row of the printed table. */
interface Row {
  scenario: string;
  faults: string;
  audit: ContractAudit;
  switches: string;
  sendErrors: number;
}

describe('sidecar fault matrix under switching (integration)', function () {
  this.timeout(600_000);
  let fleet: LoopbackFleet;
  let operator: FleetOperator;
  let apps: AppClient[] = [];
  const frozen = new Set<number>();
  const rows: Row[] = [];
  const random = new SeededRandom(SEED);
  /** Members that may suffer a fault (any but the slow one), in a seeded order. */
  const victims: number[] = [];

  before(async () => {
    fleet = await LoopbackFleet.start({
      size: FLEET_SIZE,
      startTimeoutMs: 120_000,
      memberArgs: (i) => (i === SLOW ? ['--subscriber-buffer-bytes', String(SLOW_LOG_BYTES)] : []),
    });
    operator = new FleetOperator(fleet.ids(), {
      token: fleet.token,
      callTimeoutMs: CALL_TIMEOUT_MS,
      // Two steps, so that switches spend time half routed; the shortest health window.
      rollout: { steps: [50, 100], stepVerificationSeconds: 1, progressDeadlineSeconds: 30, autoRollback: true },
    });
    apps = fleet.members.map((m) => new AppClient(m.id, m.appAddress, { resubscribe: true }));
    await Promise.all(apps.map((a) => a.subscribe()));
    const boot = await operator.switchTo('FullMesh');
    expect(boot.ok, boot.reason).to.equal(true);
    const order = fleet.members.map((m) => m.index).filter((i) => i !== SLOW);
    while (order.length > 0) victims.push(order.splice(random.int(order.length), 1)[0] as number);
  });

  // A scenario that failed half-way must not fail the next ones: thaw, restart and re-admit what it left behind.
  beforeEach(async () => {
    for (const i of frozen) fleet.signal(i, 'SIGCONT');
    frozen.clear();
    for (const m of fleet.members) {
      if (m.proc.exited) await fleet.restart(m.index, REJOIN_MS);
      operator.setPodReady(m.id, true);
    }
    for (const a of apps) if (!a.subscribed) await a.subscribe();
    for (const a of apps) a.resumeReading();
  });

  after(async () => {
    for (const i of frozen) fleet.signal(i, 'SIGCONT');
    printTable(rows);
    for (const a of apps) a.close();
    operator?.close();
    await fleet?.stop();
  });

  /** Sends accepted since `marks` (per app). */
  const acceptedSince = (marks: readonly number[]): AcceptedSend[] =>
    apps.flatMap((a, i) => a.sent.slice(marks[i]).map((s: SentRecord) => ({ ...s, repliedAt: s.sentAt })));
  /** Every app as an audited receiver, its events before `marks` (per app) counted as history. */
  const receiversSince = (marks: readonly number[]): AuditedReceiver[] => apps.map((a, i) => ({ member: a.member, events: a.events, from: marks[i] ?? 0 }));
  /** Messages accepted since `marks` that are meant for member `i`. */
  const meantFor = (i: number, marks: readonly number[]): number =>
    acceptedSince(marks).filter((s) => (s.to === undefined ? s.origin !== apps[i]!.member : s.to === apps[i]!.member)).length;
  const sentSince = (marks: readonly number[]): number => apps.reduce((n, a, i) => n + a.sent.length - (marks[i] ?? 0), 0);

  /**
   * One scenario: traffic and the switch loop start; once a switch is in progress `inject` runs
   * the faults (and heals them) and says what they were; traffic goes on until every app sent
   * again, then stops; the audit waits until every receiver resolved every accepted message or
   * {@link SETTLE_MS} passed, and must find no violation.
   */
  async function scenario(name: string, seed: number, inject: () => Promise<string[]>, payloadBytes = 64): Promise<ContractAudit> {
    const sentMarks = apps.map((a) => a.sent.length);
    const eventMarks = apps.map((a) => a.events.length);
    const errorMarks = apps.map((a) => a.sendErrors);
    const switching = new SwitchLoop(operator, CYCLE).start();
    const traffic = new TrafficGenerator(apps, { ratePerMember: RATE, seed, payloadBytes });
    traffic.start();
    let faults: string[];
    try {
      await waitUntil('every app sending', () => apps.every((a, i) => a.sent.length - (sentMarks[i] ?? 0) >= 2), 20_000);
      await waitUntil('a switch in progress', () => switching.inProgress(), 30_000, 10);
      faults = await inject();
      const healed = apps.map((a) => a.sent.length);
      await waitUntil('every app sending after the faults healed', () => apps.every((a, i) => a.sent.length - (healed[i] ?? 0) >= 3), REJOIN_MS);
      await waitUntil(
        () => `${MIN_SWITCHES} switches ended under traffic (${describeSwitches(switching.reports)})`,
        () => switching.reports.length >= MIN_SWITCHES,
        SWITCH_LOOP_TIMEOUT_MS * MIN_SWITCHES,
      );
    } finally {
      await traffic.stop();
    }
    const [audit, reports] = await Promise.all([settle(sentMarks, eventMarks), switching.stop()]);
    const sendErrors = apps.reduce((n, a, i) => n + a.sendErrors - (errorMarks[i] ?? 0), 0);
    rows.push({ scenario: name, faults: faults.join('; '), audit, switches: describeSwitches(reports), sendErrors });
    console.log(
      `      ${name}: ${faults.join('; ')}\n      switches: ${describeSwitches(reports)}\n      ${JSON.stringify({ ...audit, examples: undefined, notes: undefined, sendErrors })}`,
    );
    for (const note of audit.notes.slice(0, 3)) console.log(`      ${note}`);
    if (audit.contractViolations > 0) {
      // Everything the audit read, to replay it offline (auditContract over the same records).
      const file = join(tmpdir(), `sidecar-faults-${name}-${process.pid}.json`);
      writeFileSync(file, JSON.stringify({ accepted: acceptedSince(sentMarks), receivers: receiversSince(eventMarks) }));
      console.log(`      audit input written to ${file}`);
    }
    expect(reports.length, 'switches during the scenario').to.be.at.least(MIN_SWITCHES);
    expect(audit.accepted).to.be.greaterThan(FLEET_SIZE * 5);
    expect(audit.contractViolations, `violations:\n${audit.examples.join('\n')}`).to.equal(0);
    return audit;
  }

  /** Audits until nothing is unresolved or {@link SETTLE_MS} passed; returns the audit either way. */
  async function settle(sentMarks: readonly number[], eventMarks: readonly number[]): Promise<ContractAudit> {
    const deadline = Date.now() + SETTLE_MS;
    for (;;) {
      const audit = auditContract(acceptedSince(sentMarks), receiversSince(eventMarks));
      if (audit.untold === 0 || Date.now() > deadline) return audit;
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** SIGKILL member `i`, restart it on its address, and wait until its app resumed and receives again. */
  async function killAndRestart(i: number): Promise<string> {
    const m = fleet.members[i]!;
    const app = apps[i]!;
    const mark = app.events.length;
    const before = m.proc.pid;
    await fleet.kill(i, 'SIGKILL');
    // The kubelet sees the container die and marks the pod NotReady until it serves again.
    operator.setPodReady(m.id, false);
    await fleet.restart(i, REJOIN_MS);
    operator.setPodReady(m.id, true);
    await waitUntil(
      `${m.pod}'s app resumed and was told SIDECAR_RESTARTED`,
      () => app.events.slice(mark).some((e) => e.kind === 'gap' && e.reason === 'SIDECAR_RESTARTED'),
      REJOIN_MS,
    );
    const session = app.resumePoint?.session;
    await waitUntil(
      `${m.pod} delivering again in its new session`,
      () => app.events.slice(mark).filter((e) => e.kind === 'message' && e.session === session).length >= 5,
      REJOIN_MS,
    );
    return `SIGKILL ${m.pod} (pid ${before}), restarted as pid ${fleet.members[i]!.proc.pid}`;
  }

  /** SIGSTOP member `i` while the others send {@link FAULT_SPAN_MESSAGES}, then SIGCONT. */
  async function freeze(i: number): Promise<string> {
    const m = fleet.members[i]!;
    const marks = apps.map((a) => a.sent.length);
    expect(fleet.signal(i, 'SIGSTOP')).to.equal(true);
    frozen.add(i);
    const t0 = Date.now();
    try {
      await waitUntil(`${FAULT_SPAN_MESSAGES} messages sent while ${m.pod} is frozen`, () => sentSince(marks) >= FAULT_SPAN_MESSAGES, 60_000);
    } finally {
      fleet.signal(i, 'SIGCONT');
      frozen.delete(i);
    }
    return `SIGSTOP ${m.pod} (pid ${m.proc.pid}) for ${Date.now() - t0} ms`;
  }

  /** App `i` disconnects while the others send {@link FAULT_SPAN_MESSAGES}, then resumes after its last cursor. */
  async function awayAndBack(i: number): Promise<string> {
    const app = apps[i]!;
    const marks = apps.map((a) => a.sent.length);
    app.disconnect();
    const at = app.resumePoint;
    await waitUntil(`${FAULT_SPAN_MESSAGES} messages sent while ${app.member}'s app is away`, () => sentSince(marks) >= FAULT_SPAN_MESSAGES, 60_000);
    const missed = meantFor(i, marks);
    const mark = app.events.length;
    await app.subscribe();
    await waitUntil(`${app.member}'s app receiving after it resumed`, () => app.events.length - mark >= 5, 30_000);
    return `app of ${fleet.members[i]!.pod} away for ${missed} of its messages, resumed after cursor ${at?.after ?? 0}`;
  }

  /** App `i` stops reading until {@link SLOW_BACKLOG} messages for it were accepted, then reads again and must be told it lagged. */
  async function slowReader(i: number): Promise<string> {
    const app = apps[i]!;
    const marks = apps.map((a) => a.sent.length);
    const mark = app.events.length;
    app.pauseReading();
    try {
      await waitUntil(`${SLOW_BACKLOG} messages for the slow app accepted`, () => meantFor(i, marks) >= SLOW_BACKLOG, 60_000);
    } finally {
      app.resumeReading();
    }
    await waitUntil(
      `${app.member}'s app told SUBSCRIBER_LAGGED`,
      () => app.events.slice(mark).some((e) => e.kind === 'gap' && e.reason === 'SUBSCRIBER_LAGGED'),
      30_000,
    );
    const lagged = app.events.slice(mark).filter((e) => e.kind === 'gap' && e.reason === 'SUBSCRIBER_LAGGED');
    const named = lagged.reduce((n, e) => n + (e.kind === 'gap' ? e.ranges.reduce((k, r) => k + (r.toSeq === 0 ? 0 : r.toSeq - r.fromSeq + 1), 0) : 0), 0);
    return `app of ${fleet.members[i]!.pod} paused for ${SLOW_BACKLOG} messages (log ${SLOW_LOG_BYTES} bytes): ${lagged.length} SUBSCRIBER_LAGGED naming ${named}`;
  }

  it(`a sidecar SIGKILLed and restarted on its address while switching (${FLEET_SIZE} processes)`, async () => {
    const audit = await scenario('sigkill-restart', SEED + 1, async () => [await killAndRestart(victims[0]!)]);
    expect(audit.lostByReason.SIDECAR_RESTARTED ?? 0, 'messages sent while it was down are told to its app').to.be.greaterThan(0);
  });

  it('a sidecar frozen by SIGSTOP for seconds, then SIGCONT, while switching', async () => {
    await scenario('sigstop-sigcont', SEED + 2, async () => [await freeze(victims[1]!)]);
  });

  it('an app that disconnects and resumes after its last cursor, while switching', async () => {
    const i = victims[2]!;
    const audit = await scenario('subscriber-away', SEED + 3, async () => [await awayAndBack(i)]);
    expect(apps[i]!.subscriptions).to.be.greaterThan(1);
    expect(audit.delivered).to.be.greaterThan(0);
  });

  it('an app too slow for the rate: its delivery log overflows and it is told SUBSCRIBER_LAGGED, while switching', async () => {
    const audit = await scenario('slow-receiver', SEED + 4, async () => [await slowReader(SLOW)], LARGE_PAYLOAD_BYTES);
    expect(audit.lostByReason.SUBSCRIBER_LAGGED ?? 0, 'the messages its log dropped are lost and told').to.be.greaterThan(0);
  });

  it('all four faults at once, while switching', async () => {
    await scenario(
      'mixed',
      SEED + 5,
      () => Promise.all([killAndRestart(victims[3]!), freeze(victims[4]!), awayAndBack(victims[5]!), slowReader(SLOW)]),
      LARGE_PAYLOAD_BYTES,
    );
  });
});

/** Prints the fault-matrix table (the columns) and what was told, per scenario. */
function printTable(rows: readonly Row[]): void {
  if (rows.length === 0) return;
  const head = ['scenario', 'members', 'faults', 'accepted', 'delivered', 'lost', 'duplicated', 'contractViolations'];
  const body = rows.map((r) => [
    r.scenario,
    String(FLEET_SIZE),
    String(r.faults.split('; ').length),
    String(r.audit.accepted),
    String(r.audit.delivered),
    String(r.audit.lost),
    String(r.audit.duplicated),
    String(r.audit.contractViolations),
  ]);
  const widths = head.map((h, c) => Math.max(h.length, ...body.map((b) => (b[c] as string).length)));
  const line = (cells: readonly string[]): string => `| ${cells.map((x, c) => x.padEnd(widths[c] as number)).join(' | ')} |`;
  const out = [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)];
  for (const r of rows)
    out.push(
      `${r.scenario}: expected ${r.audit.expected} deliveries; lost by reason ${JSON.stringify(r.audit.lostByReason)}; delivered after a GAP ${r.audit.deliveredAfterGap} ${JSON.stringify(r.audit.deliveredAfterGapByReason)}; ambiguous ${r.audit.ambiguous}; told before sent ${r.audit.toldBeforeSent}; unaccounted ${r.audit.unaccounted}; app send errors ${r.sendErrors}; faults: ${r.faults}; switches: ${r.switches}`,
    );
  console.log(`\n${out.join('\n')}\n`);
}
