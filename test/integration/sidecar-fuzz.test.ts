// Property-based fuzzing of real sidecar processes over gRPC on loopback (issue #13, item 8).
//
// Five sidecars: four form an overlay that the operator's own reconcile pass switches (FullMesh,
// then PubSub, so epoch 1 is retired and late frames are exercised), the fifth stands outside it
// and takes the authenticated Control cases (which legitimately stage and commit epochs of
// garbage, so they must not be aimed at the overlay the last checks rely on). Thousands of
// generated cases then go at them over reused connections, in batches:
// - Overlay API (the app's side, no credential): Send/Broadcast/Members/Subscribe with arbitrary
//   destinations (empty, whitespace, newlines, "::::", huge ports, non-members, a recording
//   listener), payloads around and above every size limit, undecodable bytes.
// - Control (with the fleet token, or a wrong one): every call with arbitrary epochs (0, 2^53 - 1,
//   2^64 - 1, huge jumps, and epochs near the target's own), topologies outside the enum, member,
//   contact and server lists with bad addresses, duplicates and thousands of entries, parameters
//   outside the CRD's ranges, probe counts and timeouts, undecodable bytes.
// - Peer (`Peer/Link` streams as another sidecar opens them): arbitrary metadata and frames of
//   every overlay's vocabulary and none, with missing and oversized fields, huge lists, bad
//   addresses, impossible numbers, other, future and huge epochs, frames above the frame limit,
//   bytes that are no frame.
// Properties, each with its own minimal counterexample when it fails: replies are OK or an
// allowed refusal with details (never INTERNAL or UNKNOWN); what must be refused is refused with
// the right code; every refusal of bad input is counted; no case takes a sidecar down (a sidecar
// that dies is restarted so shrinking can go on, and the crash is recorded with its stack). Then
// memory stays bounded under a flood of future-epoch frames and behind a subscriber that never
// reads, and after everything every sidecar is alive, serving, under the memory bound, has counted
// its refusals and no uncaught error, the listener named only by the app was never dialed, and
// the overlay still switches and delivers an app broadcast to every member exactly once.
//
// Seeded: FUZZ_SEED (default 1313) is printed with every failure; FUZZ_SCALE multiplies the runs.
import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import fc from 'fast-check';
import { FuzzFleet, type SidecarCounters } from './support/fuzz-fleet.js';
import { RecordingListener } from './support/recording-listener.js';
import { RawClient, codeName } from './support/raw-grpc.js';
import { quietAddress, type AddressContext } from './support/fuzz-addresses.js';
import { assertFuzz, caseCounts, fuzzSeed, stringifyCase } from './support/fuzz-property.js';
import { ANY, expectationViolation, mustBeCounted, statusRuleViolation, type CaseOutcome, type Expectation, type Rule } from './support/fuzz-expectations.js';
import {
  GRPC_RECEIVE_LIMIT,
  expectOverlay,
  limitPayloadArb,
  overlayCaseArb,
  runOverlayCases,
  smallPayloadArb,
  type OverlayCase,
} from './support/overlay-fuzz.js';
import { ControlTracker, UNREASONABLE_EPOCH_JUMP, controlCaseArb, runControlCases, type ControlCase, type ControlResult } from './support/control-fuzz.js';
import { countedLowerBound, peerRunArb, planStream, runStreams, type EpochView, type PeerTarget } from './support/peer-fuzz.js';
import { bytes, double, encodeFields, varint } from './support/proto-wire.js';
import { expectBroadcastReachesAll } from './support/broadcast.js';
import { waitUntil } from '../../src/fleet/app-traffic.js';
import { EPOCH_KEY, FROM_KEY, LINK_METHOD } from '../../src/sidecar/peer-frames.js';
import { tokenMetadata } from '../../src/rpc/auth.js';

/** Members of the overlay. */
const OVERLAY_SIZE = 4;
/** Index of the sidecar outside the overlay: the Control target. */
const CONTROL_TARGET = OVERLAY_SIZE;
/**
 * Most a sidecar's process may hold resident (bytes), however it is attacked. An idle sidecar
 * holds ~66 MiB (measured: a PubSub member of four here, Node 20); the byte bounds issue #13 asks for (per link, per
 * not-yet-prepared epoch, per subscriber) leave room under this. Wild guess for the bound.
 */
const RSS_BOUND_BYTES = 256 << 20;
/** Bytes each memory attack sends: more than the bound, so a sidecar that holds them all is caught. */
const FLOOD_BYTES = 384 << 20;
/** Payload of each flood frame (bytes): well under the frame limit. */
const FLOOD_PAYLOAD_BYTES = 256 << 10;
const FLOOD_PAYLOAD = Buffer.alloc(FLOOD_PAYLOAD_BYTES, 1);
/** How long a sidecar may take to give memory back after an attack ends (ms): garbage is collected lazily. */
const RSS_SETTLE_MS = 15_000;
/** Most cases per run (a batch). */
const OVERLAY_BATCH = 16;
const CONTROL_BATCH = 12;
/** Runs per property, times FUZZ_SCALE. */
const RUNS = {
  overlayStatus: 40,
  overlayContract: 40,
  overlayRaw: 25,
  overlayLimits: 24,
  overlayCounted: 25,
  controlStatus: 50,
  controlAuth: 25,
  controlAddresses: 40,
  controlParams: 40,
  controlEpochs: 50,
  controlRaw: 25,
  controlCounted: 30,
  peerStatus: 60,
  peerMetadata: 40,
  peerRaw: 40,
  peerCounted: 40,
};

function runs(name: keyof typeof RUNS): number {
  const scale = Number(process.env.FUZZ_SCALE ?? '1');
  return Math.max(1, Math.round(RUNS[name] * (Number.isFinite(scale) && scale > 0 ? scale : 1)));
}

/** A value, short enough for a failure message. */
function show(v: unknown): string {
  const s = stringifyCase(v);
  return s.length > 400 ? `${s.slice(0, 400)}…` : s;
}

function outcomeText(o: CaseOutcome): string {
  return o === 'open' ? 'open' : o.code === grpc.status.OK ? 'OK' : `${codeName(o.code)}: ${o.details.slice(0, 160)}`;
}

/** One case of a batch as the properties judge it. */
interface Judged {
  readonly label: string;
  readonly outcome: CaseOutcome;
  readonly expectation: Expectation;
  /** Refusals of bad input the sidecar must have counted for this case, and why they are due. */
  readonly due: number;
  readonly dueFor?: string;
  /** A violation of `extraRule` found while running it (an unreasonable epoch jump accepted). */
  readonly extra?: string;
  readonly extraRule?: Rule;
}

/** A batch run against one sidecar. */
interface Batch {
  readonly target: number;
  readonly judged: readonly Judged[];
}

/** Throws the violations found in a batch, a few of them, each with its case. */
function failOn(violations: readonly string[]): void {
  if (violations.length > 0) throw new Error(`${violations.length} violation(s):\n${violations.slice(0, 4).join('\n')}`);
}

/** The status rule over a batch: OK (or a stream still open), or an allowed refusal with details. */
function statusViolations(b: Batch): string[] {
  return b.judged.flatMap((j) => {
    const v = statusRuleViolation(j.outcome, j.expectation);
    return v === undefined ? [] : [`${j.label} → ${v}`];
  });
}

/** The oracle's expectations from `rules` over a batch (with any violation found while running). */
function ruleViolations(b: Batch, rules: ReadonlySet<Rule>): string[] {
  return b.judged.flatMap((j) => {
    const v = expectationViolation(j.outcome, j.expectation, rules) ?? (j.extraRule !== undefined && rules.has(j.extraRule) ? j.extra : undefined);
    return v === undefined ? [] : [`${j.label} → ${v}`];
  });
}

describe('sidecar fuzz: Overlay, Control and Peer input against real sidecars (integration)', function () {
  // Generous: a failing property may shrink for a while (SHRINK_BUDGET_MS), restarting sidecars.
  this.timeout(20 * 60_000);
  let ff: FuzzFleet;
  let listener: RecordingListener;
  /** Raw clients of each member, by the pid they were made for (a restarted sidecar gets fresh channels). */
  const appClients = new Map<number, { pid: number; client: RawClient }>();
  const peerClients = new Map<number, { pid: number; client: RawClient }>();
  /** Uncaught errors last seen per process (pid), so a run fails only on a rise. */
  const uncaughtSeen = new Map<number, number>();
  /** Each member's counters when the fuzz began, and the pid they were read from. */
  const baseline = new Map<number, { pid: number; counters: SidecarCounters | undefined }>();
  /** What the Control target last reported: relative epochs and the jump rule. */
  const tracker = new ControlTracker();
  let controlPid = 0;
  const started = Date.now();

  const cachedClient = (cache: Map<number, { pid: number; client: RawClient }>, i: number, address: string): RawClient => {
    const pid = ff.pid(i);
    const c = cache.get(i);
    if (c !== undefined && c.pid === pid) return c.client;
    c?.client.close();
    const client = new RawClient(address);
    cache.set(i, { pid, client });
    return client;
  };
  const appClient = (i: number): RawClient => cachedClient(appClients, i, ff.members[i]!.appAddress);
  const peerClient = (i: number): RawClient => cachedClient(peerClients, i, ff.members[i]!.id);

  /** Restarts sidecars found dead before a run (an earlier case killed them late), so each run starts from a whole fleet. */
  async function healBefore(property: string): Promise<void> {
    for (const i of ff.exited()) await ff.recover(i, `found dead before a run of "${property}": a case before it killed it`);
  }

  /**
   * After a run on `target`: whether the sidecar went down (it is restarted, and the crash
   * recorded with its cause) or counted an uncaught error. The status properties fail on it; the
   * others skip the run (their own rule is what they report; the crash is reported by the status
   * property that meets it and by the last check).
   */
  async function judgeAlive(target: number, property: string, batch: unknown, onTrouble: 'fail' | 'skip'): Promise<boolean> {
    const down = await ff.downReason(target);
    if (down !== undefined) {
      const rec = await ff.recover(target, `${property}: after the batch ${show(batch)}`);
      if (onTrouble === 'skip') return false;
      // A crash in a timer may come from a case of an earlier batch (a dial delayed by CONNECT_GRACE_MS, say).
      const late = /Timeout\._onTimeout|listOnTimeout/.test(rec.logTail) ? ' It died in a timer: the case that caused it may be in an earlier batch.' : '';
      throw new Error(
        `${rec.pod} went down (${down}) after this batch; restarted.${late}\nCause: ${rec.signature}\nBatch: ${show(batch)}\n--- last lines of its log ---\n${rec.logTail}`,
      );
    }
    const c = await ff.counters(target);
    const pid = ff.pid(target);
    const before = uncaughtSeen.get(pid) ?? 0;
    if (c?.uncaught !== undefined && c.uncaught > before) {
      uncaughtSeen.set(pid, c.uncaught);
      if (onTrouble === 'skip') return false;
      throw new Error(`${ff.members[target]!.pod} counted ${c.uncaught - before} uncaught error(s) during this batch`);
    }
    return true;
  }

  async function refusalsOf(target: number): Promise<number> {
    const c = await ff.counters(target);
    if (c === undefined) throw new Error(`${ff.members[target]!.pod} did not serve /metrics`);
    return c.refusals;
  }

  /**
   * The three kinds of property every API gets, over batches that `exec` runs (after restarting
   * whatever an earlier case killed late) and judges.
   */
  function properties<R>(api: string, exec: (r: R) => Promise<Batch>, size: (r: R) => number, smaller: (r: R) => R[]) {
    const run = async (name: string, r: R, onTrouble: 'fail' | 'skip'): Promise<Batch | undefined> => {
      await healBefore(name);
      const b = await exec(r);
      return (await judgeAlive(b.target, name, r, onTrouble)) ? b : undefined;
    };
    return {
      /** Every reply OK or an allowed refusal with details, and the sidecar up and free of uncaught errors after each batch. */
      status: (what: string, arb: fc.Arbitrary<R>, numRuns: number) => {
        const name = `${api}: status (${what})`;
        return assertFuzz(name, arb, { numRuns, size, smaller }, async (r) => failOn(statusViolations((await run(name, r, 'fail')) as Batch)));
      },
      /** The oracle's expectations from `rules`. */
      rules: (what: string, rules: readonly Rule[], arb: fc.Arbitrary<R>, numRuns: number) => {
        const name = `${api}: ${what}`;
        return assertFuzz(name, arb, { numRuns, size, smaller }, async (r) => {
          const b = await run(name, r, 'skip');
          if (b !== undefined) failOn(ruleViolations(b, new Set(rules)));
        });
      },
      /** Every refusal of bad input counted. */
      counted: (arb: fc.Arbitrary<R>, numRuns: number, targetOf: (r: R) => number) => {
        const name = `${api}: counted`;
        return assertFuzz(name, arb, { numRuns, size, smaller }, async (r) => {
          const target = targetOf(r);
          await healBefore(name);
          const pid = ff.pid(target);
          const before = await refusalsOf(target);
          const b = await run(name, r, 'skip');
          if (b === undefined || ff.pid(target) !== pid) return;
          const after = await refusalsOf(b.target);
          const due = b.judged.reduce((n, j) => n + j.due, 0);
          if (after - before < due)
            throw new Error(
              `${due} refusal(s) of bad input, the refusal counters rose by ${after - before}:\n${b.judged
                .filter((j) => j.due > 0)
                .slice(0, 4)
                .map((j) => `${j.label} → ${outcomeText(j.outcome)}${j.dueFor !== undefined ? `; due for: ${j.dueFor}` : ''}`)
                .join('\n')}`,
            );
        });
      },
    };
  }

  /** Wall time of each test and hook, for the summary. */
  const durations: string[] = [];
  let setupMs = 0;
  afterEach(function () {
    const t = this.currentTest;
    if (t?.duration !== undefined) durations.push(`${(t.duration / 1000).toFixed(1).padStart(6)} s  ${t.title.slice(0, 90)}`);
  });

  before(async function () {
    this.timeout(5 * 60_000);
    const t0 = Date.now();
    ff = await FuzzFleet.start({ overlaySize: OVERLAY_SIZE, outsiders: 1, token: `fuzz-token-${fuzzSeed()}` });
    listener = await RecordingListener.start(`127.${ff.block()}.251.2`, ff.token);
    await ff.switchTo('FullMesh');
    await ff.switchTo('PubSub');
    await expectBroadcastReachesAll(ff.apps, 0, 'before the fuzz');
    for (const m of ff.members) baseline.set(m.index, { pid: ff.pid(m.index), counters: await ff.counters(m.index) });
    setupMs = Date.now() - t0;
  });

  after(async function () {
    this.timeout(60_000);
    for (const c of [...appClients.values(), ...peerClients.values()]) c.client.close();
    await listener?.stop();
    await ff?.stop();
    const total = [...caseCounts.values()].reduce((n, c) => n + c.cases, 0);
    const lines = [...caseCounts].map(
      ([name, c]) => `  ${String(c.cases).padStart(5)} cases in ${String(c.runs).padStart(3)} runs, ${(c.ms / 1000).toFixed(1).padStart(5)} s  ${name}`,
    );
    process.stdout.write(
      `\nfuzz (FUZZ_SEED=${fuzzSeed()}): ${total} cases in ${Math.round((Date.now() - started) / 1000)} s (setup ${(setupMs / 1000).toFixed(1)} s)\n${lines.join('\n')}\n` +
        `tests:\n${durations.join('\n')}\n`,
    );
  });

  describe('Overlay API (the app side, no credential)', () => {
    type Run = { target: number; cases: OverlayCase[] };
    const context = (): AddressContext => ({
      members: ff.overlayIds(),
      outsiders: [ff.members[CONTROL_TARGET]!.id],
      appAddresses: ff.members.map((m) => m.appAddress),
      block: ff.block(),
    });
    const runArb = (payload: fc.Arbitrary<number>, raw: boolean): fc.Arbitrary<Run> =>
      fc.record({
        target: fc.constantFrom(...ff.overlayIndices()),
        cases: fc.array(overlayCaseArb(context(), [listener.address], payload, raw), { minLength: 1, maxLength: OVERLAY_BATCH }),
      });
    const p = properties<Run>(
      'Overlay',
      async (r) => {
        const self = ff.members[r.target]!.id;
        const results = await runOverlayCases(appClient(r.target), r.cases);
        return {
          target: r.target,
          judged: results.map((x) => ({
            label: `${show(x.c)} at ${self}`,
            outcome: x.outcome,
            expectation: expectOverlay(x.c, self, ff.overlayIds()),
            due:
              x.requestBytes <= GRPC_RECEIVE_LIMIT && (mustBeCounted(x.outcome) || (x.outcome !== 'open' && x.outcome.code === grpc.status.NOT_FOUND)) ? 1 : 0,
          })),
        };
      },
      (r) => r.cases.length,
      (r) => (r.cases.length > 1 ? r.cases.map((c) => ({ target: r.target, cases: [c] })) : []),
    );

    it('answers every well-formed request OK or with an allowed refusal with details, never INTERNAL or UNKNOWN', () =>
      p.status('well-formed requests', runArb(smallPayloadArb, false), runs('overlayStatus')));

    it('takes a Send to another member, refuses one to anything else with NOT_FOUND or INVALID_ARGUMENT, and payloads above the limit', () =>
      p.rules('destinations and payloads', ['destination', 'size', 'accept'], runArb(smallPayloadArb, false), runs('overlayContract')));

    it('refuses undecodable requests with INVALID_ARGUMENT', () =>
      p.rules('undecodable requests', ['undecodable', 'accept', 'topic'], runArb(smallPayloadArb, true), runs('overlayRaw')));

    it('refuses requests at and above every size limit with RESOURCE_EXHAUSTED or INVALID_ARGUMENT, and takes those just under', () =>
      p.rules(
        'size limits',
        ['size', 'accept'],
        fc.record({
          target: fc.constantFrom(...ff.overlayIndices()),
          cases: fc.tuple(
            fc.oneof(
              fc.record({ call: fc.constant('Broadcast' as const), payload: limitPayloadArb }),
              fc.record({ call: fc.constant('Send' as const), to: fc.constantFrom(...ff.overlayIds()), payload: limitPayloadArb }),
            ),
          ),
        }),
        runs('overlayLimits'),
      ));

    it('counts every refusal of bad input', () =>
      p.counted(fc.oneof(runArb(smallPayloadArb, false), runArb(smallPayloadArb, true)), runs('overlayCounted'), (r) => r.target));

    it('never dials an address only the app named, nor sends it the token', () => {
      expect(
        listener.calls,
        `the recording listener ${listener.address} (named only in Overlay.Send) was dialed: ${JSON.stringify(listener.calls.slice(0, 3))}`,
      ).to.deep.equal([]);
    });
  });

  describe('Control (the operator side, with the fleet token or without)', () => {
    const context = (): AddressContext => ({
      members: [ff.members[CONTROL_TARGET]!.id],
      outsiders: [],
      appAddresses: ff.members.map((m) => m.appAddress),
      block: ff.block(),
    });
    const runArb = (raw: boolean): fc.Arbitrary<ControlCase[]> => fc.array(controlCaseArb(context(), raw), { minLength: 1, maxLength: CONTROL_BATCH });

    /**
     * The Control target's state at the start: a FullMesh of its own committed at epoch 1, so
     * member lists it is sent are dialed as on a member. Restored whenever it is restarted.
     */
    async function controlBaseline(index: number): Promise<void> {
      const self = ff.members[index]!.id;
      const c = ff.controlClient(index);
      for (const step of [
        () => c.prepare({ epoch: 1, topology: 'FULL_MESH', params: {}, members: [self], contacts: [], seed: 1 }),
        () => c.route(1),
        () => c.commit(1),
      ]) {
        const r = await step();
        if (!r.ok) throw new Error(`setting up ${ff.members[index]!.pod}: ${r.message}`);
      }
    }

    before(async function () {
      this.timeout(120_000);
      ff.outsiderSetup = controlBaseline;
      await ff.restart(CONTROL_TARGET);
    });

    // A target an earlier property bricked (it accepted an absurd epoch and refuses every later
    // Prepare) would only hide what the next property looks for: each starts from a usable one.
    beforeEach(async function () {
      this.timeout(120_000);
      await healBefore('Control');
      await sync();
      if (tracker.highest > UNREASONABLE_EPOCH_JUMP) {
        await ff.restart(CONTROL_TARGET);
        await sync();
      }
    });

    /**
     * Brings the tracker in line with the target (a restarted target starts over) and aborts what
     * an earlier run left staged, as the operator's rollback would: every run starts with nothing
     * staged, so a case does not depend on which cases ran before it.
     */
    async function sync(): Promise<void> {
      if (ff.pid(CONTROL_TARGET) !== controlPid) {
        controlPid = ff.pid(CONTROL_TARGET);
        tracker.reset();
      }
      const c = ff.controlClient(CONTROL_TARGET);
      let s = await c.getState(true);
      // Observed before the abort: a staged epoch is one the target prepared (even when the call
      // that prepared it failed), and relative epochs must count from it.
      if (s.ok) tracker.observe(s.value.activeEpoch, s.value.stagedEpoch);
      if (s.ok && s.value.stagedEpoch !== 0) {
        await c.abort(s.value.stagedEpoch);
        s = await c.getState(true);
        if (s.ok) tracker.observe(s.value.activeEpoch, s.value.stagedEpoch);
      }
    }

    const jump = (x: ControlResult): string | undefined => {
      const a = x.accepted;
      if (a === undefined || a.epoch <= a.highestBefore + UNREASONABLE_EPOCH_JUMP) return undefined;
      return `Prepare of epoch ${a.epoch} accepted: a jump of ${a.epoch - a.highestBefore} from epoch ${a.highestBefore}, after which the operator's next epochs are refused`;
    };
    const p = properties<ControlCase[]>(
      'Control',
      async (cases) => {
        await sync();
        const results = await runControlCases(peerClient(CONTROL_TARGET), ff.token, cases, tracker);
        return {
          target: CONTROL_TARGET,
          judged: results.map((x) => {
            const extra = jump(x);
            return {
              label: show(x.c),
              outcome: x.outcome,
              expectation: x.expectation,
              due: x.requestBytes <= GRPC_RECEIVE_LIMIT && mustBeCounted(x.outcome) ? 1 : 0,
              ...(extra !== undefined ? { extra, extraRule: 'epoch' as const } : {}),
            };
          }),
        };
      },
      (cs) => cs.length,
      (cs) => (cs.length > 1 ? cs.map((c) => [c]) : []),
    );

    it('answers every well-formed call OK or with an allowed refusal with details, never INTERNAL or UNKNOWN', () =>
      p.status('well-formed calls', runArb(false), runs('controlStatus')));

    it('refuses every call without the right token with UNAUTHENTICATED', () => p.rules('authentication', ['auth'], runArb(false), runs('controlAuth')));

    it('refuses member, contact and server lists with an entry that is no host:port, and takes valid ones', () =>
      p.rules('addresses', ['address', 'accept'], runArb(false), runs('controlAddresses')));

    it("refuses topologies outside the enum and overlay parameters outside the CRD's ranges", () =>
      p.rules('topologies and parameters', ['topology', 'params'], runArb(false), runs('controlParams')));

    it('refuses epoch 0 and epochs beyond 2^53 - 1, and accepts no unreasonable epoch jump', () =>
      p.rules('epochs', ['epoch'], runArb(false), runs('controlEpochs')));

    it('refuses undecodable and oversized requests with INVALID_ARGUMENT or RESOURCE_EXHAUSTED', () =>
      p.rules('undecodable and oversized requests', ['undecodable', 'size', 'auth'], runArb(true), runs('controlRaw')));

    it('counts every refusal of bad input', () => p.counted(fc.oneof(runArb(false), runArb(true)), runs('controlCounted'), () => CONTROL_TARGET));
  });

  describe('Peer (Link streams as another sidecar opens them)', () => {
    type Run = ReturnType<typeof peerRunArb> extends fc.Arbitrary<infer R> ? R : never;
    /** Peer targets: the overlay's members and the sidecar outside it. */
    const targets = (): number[] => [...ff.overlayIndices(), CONTROL_TARGET];
    const context = (): AddressContext => ({
      members: ff.overlayIds(),
      outsiders: [ff.members[CONTROL_TARGET]!.id],
      appAddresses: ff.members.map((m) => m.appAddress),
      block: ff.block(),
    });
    const runArb = (raw: boolean): fc.Arbitrary<Run> => peerRunArb(context(), targets().length, raw);

    /**
     * The sidecar outside the overlay runs ClientServer (active) and FullMesh (staged) of its own,
     * so Peer frames also meet the overlays the four members do not run. Restored whenever it is
     * restarted.
     */
    async function peerBaseline(index: number): Promise<void> {
      const self = ff.members[index]!.id;
      const others = [quietAddress(ff.block(), 1), quietAddress(ff.block(), 2)];
      const c = ff.controlClient(index);
      for (const step of [
        () => c.prepare({ epoch: 1, topology: 'CLIENT_SERVER', params: { clientServer: { servers: 1 } }, members: [self, ...others], contacts: [], seed: 1 }),
        () => c.route(1),
        () => c.commit(1),
        () => c.prepare({ epoch: 2, topology: 'FULL_MESH', params: {}, members: [self, ...others], contacts: [], seed: 2 }),
      ]) {
        const r = await step();
        if (!r.ok) throw new Error(`setting up ${ff.members[index]!.pod}: ${r.message}`);
      }
    }

    before(async function () {
      this.timeout(120_000);
      ff.outsiderSetup = peerBaseline;
      await ff.restart(CONTROL_TARGET);
    });

    /** Each target's epochs, by pid: Peer frames cannot change them, only a restart does. */
    const targetCache = new Map<number, PeerTarget>();
    async function target(i: number): Promise<PeerTarget> {
      const cached = targetCache.get(ff.pid(i));
      if (cached !== undefined) return cached;
      const s = await ff.controlClient(i).getState(true);
      if (!s.ok) throw new Error(`GetState of ${ff.members[i]!.pod} failed: ${s.message}`);
      const live = s.value.overlays.map((o) => o.epoch).filter((e) => e > 0);
      const highest = Math.max(s.value.activeEpoch, s.value.stagedEpoch, ...live, 0);
      let stale: number | undefined;
      for (let e = 1; e < highest; e++) if (!live.includes(e)) stale = e;
      const epochs: EpochView = { live, stale, highest };
      // The overlay's next epoch is the one the last check switches to; the outsider's are prepared by a last check of their own.
      const t = { id: ff.members[i]!.id, epochs, members: ff.overlayIds(), block: ff.block(), spareNextEpoch: i < OVERLAY_SIZE };
      targetCache.set(ff.pid(i), t);
      return t;
    }

    const p = properties<Run>(
      'Peer',
      async (r) => {
        const index = targets()[r.target] as number;
        const t = await target(index);
        const results = await runStreams(
          peerClient(index),
          r.streams.map((s) => planStream(s, t, ff.token)),
        );
        return {
          target: index,
          judged: results.map((x) => ({
            label: `${show(x.plan.spec)} at ${t.id}`,
            outcome: x.outcome,
            expectation: x.plan.end,
            due: countedLowerBound(x),
            ...(x.plan.reasons.length > 0 ? { dueFor: x.plan.reasons.slice(0, 3).join('; ') } : {}),
          })),
        };
      },
      (r) => r.streams.reduce((n, s) => n + 1 + s.frames.length, 0),
      (r) => {
        if (r.streams.length > 1) return r.streams.map((s) => ({ target: r.target, streams: [s] }));
        const s = r.streams[0];
        if (s === undefined || s.frames.length === 0) return [];
        const fewer = s.frames.length > 1 ? s.frames.map((f) => ({ target: r.target, streams: [{ ...s, frames: [f] }] })) : [];
        return [...fewer, { target: r.target, streams: [{ ...s, frames: [] }] }];
      },
    );

    it('stays up under decodable frames of any content, and ends no stream with INTERNAL, UNKNOWN or a missed deadline', () =>
      p.status('decodable frames', runArb(false), runs('peerStatus')));

    it('refuses a wrong token with UNAUTHENTICATED and bad Link metadata with INVALID_ARGUMENT', () =>
      p.rules('authentication and metadata', ['auth', 'metadata'], runArb(false), runs('peerMetadata')));

    it('refuses undecodable frames and frames above the frame limit with INVALID_ARGUMENT or RESOURCE_EXHAUSTED', () =>
      p.rules('undecodable and oversized frames', ['undecodable', 'size'], runArb(true), runs('peerRaw')));

    it('counts every refused frame and stream', () =>
      p.counted(fc.oneof(runArb(false), runArb(true)), runs('peerCounted'), (r) => targets()[r.target] as number));
  });

  describe('memory stays bounded in bytes', () => {
    /** An overlay message of `type` on `epoch` carrying an app message of `FLOOD_PAYLOAD_BYTES` from `origin` to `to` ('' for a broadcast). */
    function floodFrame(epoch: number, type: string, id: string, origin: string, to: string): Buffer {
      const app = [bytes(1, id), bytes(2, origin), bytes(3, to), bytes(4, FLOOD_PAYLOAD), double(5, Date.now())];
      return encodeFields([varint(1, epoch), bytes(3, [bytes(1, type), bytes(10, app), varint(11, 0)])]);
    }

    /** Sends `count` frames made by `frame(n)` on a Link stream of `epoch` to member `index`, with flow control; resolves with how the stream ended. */
    async function flood(index: number, epoch: number, from: string, count: number, frame: (n: number) => Buffer): Promise<CaseOutcome> {
      const md = tokenMetadata(ff.token);
      md.set(FROM_KEY, from);
      md.set(EPOCH_KEY, String(epoch));
      const stream = peerClient(index).bidi(LINK_METHOD, md, 120_000);
      for (let n = 0; n < count; n++) if (!(await stream.send(frame(n)))) break;
      stream.end();
      return stream.done;
    }

    async function expectRssSettles(index: number, what: string): Promise<void> {
      expect(await ff.downReason(index), `${ff.members[index]!.pod} after ${what}`).to.equal(undefined);
      let rss = ff.rss(index);
      try {
        await waitUntil(`RSS below ${RSS_BOUND_BYTES >> 20} MiB`, () => (rss = ff.rss(index)) < RSS_BOUND_BYTES, RSS_SETTLE_MS, 250);
      } catch {
        // The assertion below says what was held.
      }
      expect(rss, `${ff.members[index]!.pod} holds ${Math.round(rss / 2 ** 20)} MiB after ${what} (bound ${RSS_BOUND_BYTES >> 20} MiB)`).to.be.below(
        RSS_BOUND_BYTES,
      );
    }

    it(`holds less than ${RSS_BOUND_BYTES >> 20} MiB after ${FLOOD_BYTES >> 20} MiB of frames for epochs not prepared yet`, async () => {
      await healBefore('memory: future frames');
      const index = 1;
      const e = ff.epoch();
      // Never e + 1, which the last check switches to (held frames would be replayed into it):
      // e + 2 is an epoch a sidecar may hold frames for (its bytes must be bounded), the others
      // are beyond any window a sidecar could document (refused, or bounded just the same).
      const epochs = [e + 2, e + 2, e + 1000, 2 ** 40];
      const perStream = Math.ceil(FLOOD_BYTES / FLOOD_PAYLOAD_BYTES / epochs.length);
      const ends = await Promise.all(
        epochs.map((epoch, k) =>
          flood(index, epoch, quietAddress(ff.block(), 10 + k), perStream, (n) =>
            floodFrame(epoch, 'hyparview.gossip', `flood-future/${k}/${n}`, quietAddress(ff.block(), 10 + k), ''),
          ),
        ),
      );
      for (const end of ends) expect(statusRuleViolation(end, ANY), outcomeText(end)).to.equal(undefined);
      await expectRssSettles(index, 'the future-epoch flood');
    });

    it(`holds less than ${RSS_BOUND_BYTES >> 20} MiB while a subscriber that never reads is sent ${FLOOD_BYTES >> 20} MiB`, async () => {
      await healBefore('memory: slow subscriber');
      const index = 2;
      const self = ff.members[index]!.id;
      const stalled = appClient(index).serverStream('/topology.v1.Overlay/Subscribe', Buffer.alloc(0), new grpc.Metadata(), 300_000);
      stalled.pause();
      try {
        // From a member (its token, its NodeId), so a sidecar that only takes frames from its
        // members still delivers them; its real link to the target is the preferred stream of
        // the pair (see peer-link.ts), so this extra stream only adds frames.
        const origin = ff.members[0]!.id;
        const end = await flood(index, ff.epoch(), origin, Math.ceil(FLOOD_BYTES / FLOOD_PAYLOAD_BYTES), (n) =>
          floodFrame(ff.epoch(), 'hyparview.direct', `flood-direct/${n}`, origin, self),
        );
        expect(statusRuleViolation(end, ANY), outcomeText(end)).to.equal(undefined);
        await expectRssSettles(index, 'deliveries to a subscriber that never reads');
      } finally {
        stalled.cancel();
      }
    });
  });

  describe('after the fuzz', () => {
    it('no sidecar process ended', () => {
      // Grouped by cause (shrinking a case that kills repeats the crash).
      const byError = new Map<string, typeof ff.crashes>();
      for (const c of ff.crashes) byError.set(c.signature, [...(byError.get(c.signature) ?? []), c]);
      const groups = [...byError].map(
        ([error, cs]) => `${cs.length}× ${error}\n  first: ${cs[0]!.pod} during ${cs[0]!.context.slice(0, 600)}\n${cs[0]!.logTail}`,
      );
      expect(ff.crashes.length, `${ff.crashes.length} crash(es), ${byError.size} distinct:\n\n${groups.join('\n\n')}`).to.equal(0);
    });

    it(`every sidecar is alive, serves Health and GetState, and holds less than ${RSS_BOUND_BYTES >> 20} MiB`, async () => {
      const problems: string[] = [];
      for (const m of ff.members) {
        const down = await ff.downReason(m.index);
        if (down !== undefined) {
          problems.push(`${m.pod}: ${down}`);
          continue;
        }
        const s = await ff.controlClient(m.index).getState(true);
        if (!s.ok) problems.push(`${m.pod}: GetState ${codeName(s.code)} ${s.message}`);
        const rss = ff.rss(m.index);
        if (rss >= RSS_BOUND_BYTES) problems.push(`${m.pod}: holds ${Math.round(rss / 2 ** 20)} MiB`);
      }
      expect(problems, problems.join('\n')).to.deep.equal([]);
    });

    it('every sidecar counted refusals, and none counted an uncaught error', async () => {
      const problems: string[] = [];
      for (const m of ff.members) {
        const c = await ff.counters(m.index);
        if (c === undefined) {
          problems.push(`${m.pod}: no /metrics`);
          continue;
        }
        const b = baseline.get(m.index);
        const from = b !== undefined && b.pid === ff.pid(m.index) ? (b.counters?.refusals ?? 0) : 0;
        if (c.refusals <= from) problems.push(`${m.pod}: refusal counters did not rise (${from} → ${c.refusals})`);
        if (c.uncaught !== undefined && c.uncaught !== 0) problems.push(`${m.pod}: ${c.uncaught} uncaught error(s)`);
      }
      expect(problems, problems.join('\n')).to.deep.equal([]);
    });

    it('the sidecar outside the overlay still prepares and commits the epochs Peer frames were held for, and stays up', async () => {
      await healBefore('after the fuzz: outsider');
      const c = ff.controlClient(CONTROL_TARGET);
      const s = await c.getState(true);
      expect(s.ok, s.ok ? '' : s.message).to.equal(true);
      if (!s.ok) return;
      if (s.value.stagedEpoch !== 0) await c.abort(s.value.stagedEpoch);
      const self = ff.members[CONTROL_TARGET]!.id;
      const from = Math.max(s.value.activeEpoch, s.value.stagedEpoch);
      // The Peer cases' "future" streams reached up to three epochs past the highest.
      for (let epoch = from + 1; epoch <= from + 3; epoch++) {
        for (const step of [
          () => c.prepare({ epoch, topology: 'HYPAR_VIEW', params: {}, members: [self], contacts: [], seed: epoch }),
          () => c.commit(epoch),
        ]) {
          const r = await step();
          expect(r.ok, `epoch ${epoch}: ${r.ok ? '' : r.message}`).to.equal(true);
        }
      }
      const down = await ff.downReason(CONTROL_TARGET);
      if (down !== undefined) {
        const rec = await ff.recover(CONTROL_TARGET, 'after the fuzz: preparing the epochs Peer frames were held for');
        expect.fail(`${rec.pod} went down (${down}) replaying held frames: ${rec.signature}\n${rec.logTail}`);
      }
    });

    it('the overlay still switches, and an app broadcast then reaches every member exactly once', async () => {
      await healBefore('after the fuzz');
      await ff.switchTo('HyParView');
      await expectBroadcastReachesAll(ff.apps, 0, 'after the fuzz');
      await expectBroadcastReachesAll(ff.apps, OVERLAY_SIZE - 1, 'after the fuzz, from the last member');
    });
  });
});
