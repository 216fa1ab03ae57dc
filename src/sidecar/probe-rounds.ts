/**
 * Probe rounds (`Control.Probe`): the prober broadcasts ids prefixed {@link PROBE_PREFIX} over one
 * epoch; receivers never hand them to the app and acknowledge straight over a Peer link with a
 * {@link PROBE_ACK_TYPE} message, so a probe measures the epoch's broadcast tree regardless of how
 * an overlay routes point-to-point. This module keeps the prober's side: the probes in flight, the
 * acknowledgements as they arrive, and the outcome once every expected member answered or the
 * time ran out. Sending the broadcasts and the acknowledgements is the sidecar node's.
 */
import type { NodeId, WireMessage } from '../overlays/types.js';

import { PROBE_ACK_TYPE, PROBE_PREFIX } from '../member/member-core.js';

export { PROBE_ACK_TYPE, PROBE_PREFIX };

/** Result of a probe round. */
export interface ProbeOutcome {
  readonly epoch: number;
  readonly probes: { id: string; ackedBy: string[]; missing: string[]; maxLatencyMs: number }[];
  readonly complete: boolean;
}

interface ProbeWait {
  readonly sentAt: number;
  readonly acked: Map<string, number>;
}

/** The probes this member sent and is waiting on. */
export class ProbeRounds {
  private readonly probes = new Map<string, ProbeWait>();
  private probeSeq = 0;

  /** `self` and `bootId` make probe ids unique across members and across restarts of one. */
  constructor(
    private readonly self: NodeId,
    private readonly bootId: string,
  ) {}

  /** A fresh probe id, waiting for acknowledgements from now on. */
  start(): string {
    const id = `${PROBE_PREFIX}${this.self}/${this.bootId}-${++this.probeSeq}`;
    this.probes.set(id, { sentAt: Date.now(), acked: new Map() });
    return id;
  }

  /** Records `from`'s acknowledgement (a {@link PROBE_ACK_TYPE} message); the first one counts. */
  onAck(from: NodeId, message: WireMessage): void {
    if (message.id === undefined) return;
    const wait = this.probes.get(message.id);
    if (wait !== undefined && !wait.acked.has(from)) wait.acked.set(from, Date.now());
  }

  /** Resolves when all of `expected` acknowledged every probe of `ids`, or after `timeoutMs`; forgets those probes. */
  async collect(epoch: number, ids: readonly string[], expected: readonly NodeId[], timeoutMs: number): Promise<ProbeOutcome> {
    const deadline = Date.now() + timeoutMs;
    const done = (): boolean => ids.every((id) => expected.every((m) => this.probes.get(id)?.acked.has(m)));
    while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const probes = ids.map((id) => {
      const w = this.probes.get(id) as ProbeWait;
      this.probes.delete(id);
      const ackedBy = [...w.acked.keys()];
      const latencies = [...w.acked.values()].map((t) => t - w.sentAt);
      return { id, ackedBy, missing: expected.filter((m) => !w.acked.has(m)), maxLatencyMs: latencies.length > 0 ? Math.max(...latencies) : 0 };
    });
    return { epoch, probes, complete: probes.every((p) => p.missing.length === 0) };
  }
}
