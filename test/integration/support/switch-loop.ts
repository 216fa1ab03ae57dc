/**
 * Keeps a switch in progress: switches the fleet with the operator's own reconcile pass
 * (src/fleet/fleet-operator.ts) from one topology to the next of a cycle, one switch after the
 * other, until stopped. The fault matrix runs its faults under it, so every fault meets members
 * that are preparing, routing, committing or rolling back. A switch that fails or rolls back (a
 * member lost mid-switch is the canary's signal) is recorded and the loop goes on with the next.
 */
import { inFlight } from '../../../src/api/status.js';
import type { FleetOperator, FleetSwitchReport } from '../../../src/fleet/fleet-operator.js';
import type { OverlayKind } from '../../../src/overlays/types.js';

/** Longest one switch of the loop may take before it is reported as timed out and the next begins (ms). Wild guess: three progress deadlines of a loaded machine. */
export const SWITCH_LOOP_TIMEOUT_MS = 60_000;

/** See the file comment. */
export class SwitchLoop {
  readonly reports: FleetSwitchReport[] = [];
  private stopping = false;
  private running: Promise<void> | undefined;
  private failure: unknown;

  constructor(
    private readonly operator: FleetOperator,
    private readonly cycle: readonly OverlayKind[],
  ) {}

  /** Starts switching; returns at once. */
  start(): this {
    this.stopping = false;
    this.running = this.loop().catch((err: unknown) => {
      this.failure = err;
    });
    return this;
  }

  /** True while a switch is between Preparing and its end. */
  inProgress(): boolean {
    return inFlight(this.operator.status) !== undefined;
  }

  /** Lets the switch in flight end, stops, and returns every switch's report; rethrows what the loop threw. */
  async stop(): Promise<FleetSwitchReport[]> {
    this.stopping = true;
    await this.running;
    if (this.failure !== undefined) throw this.failure;
    return this.reports;
  }

  private async loop(): Promise<void> {
    for (let i = 0; !this.stopping; i++) {
      const next = this.cycle[i % this.cycle.length] as OverlayKind;
      // Switching to the committed topology starts no rollout: take the next one.
      if (next === this.operator.status.currentTopology) continue;
      this.reports.push(await this.operator.switchTo(next, { timeoutMs: SWITCH_LOOP_TIMEOUT_MS }));
    }
  }
}

/** `FullMesh→HyParView ok, …` for a report line. */
export function describeSwitches(reports: readonly FleetSwitchReport[]): string {
  return reports.map((r) => `${r.kind} ${r.result}${r.ok ? '' : ` (${r.reason.slice(0, 80)})`}`).join(', ');
}
