/**
 * A loopback fleet of real sidecars joined in a FullMesh (by the operator's own planner, as the
 * other integration suites do), with one app client (src/client) connected to each: what the app
 * API suites (TypeScript client, Python example) run against.
 */
import { expect } from 'chai';
import { connect, type SubscribeOptions, type SubscriptionItem, type TopologyClient } from '../../../src/client/index.js';
import { FleetOperator } from '../../../src/fleet/fleet-operator.js';
import { LoopbackFleet } from '../../../src/fleet/loopback-fleet.js';
import { waitUntil } from '../../../src/fleet/app-traffic.js';

/** A fleet, its operator and one connected client per member. */
export interface AppClientFleet {
  readonly fleet: LoopbackFleet;
  readonly operator: FleetOperator;
  readonly clients: TopologyClient[];
  stop(): Promise<void>;
}

/** Options of {@link startAppClientFleet}. */
export interface AppClientFleetOptions {
  /** Extra sidecar flags of member `index` (say, `--tag zone=z1`). */
  readonly memberArgs?: (index: number) => readonly string[];
  /** `spec.memberTags` and the pod labels they read (FleetOperatorOptions). */
  readonly memberTags?: string[];
  readonly podLabels?: (index: number) => Record<string, string>;
}

/** Starts `size` sidecars, switches them to FullMesh and connects a client to each. */
export async function startAppClientFleet(size: number, options: AppClientFleetOptions = {}): Promise<AppClientFleet> {
  const token = `app-client-${process.pid}`;
  const fleet = await LoopbackFleet.start({ size, token, ...(options.memberArgs !== undefined ? { memberArgs: options.memberArgs } : {}) });
  const operator = new FleetOperator(fleet.ids(), {
    token,
    rollout: { steps: [100], stepVerificationSeconds: 1, progressDeadlineSeconds: 60 },
    ...(options.memberTags !== undefined ? { memberTags: options.memberTags } : {}),
    ...(options.podLabels !== undefined ? { podLabels: options.podLabels } : {}),
  });
  const clients: TopologyClient[] = [];
  const stop = async (): Promise<void> => {
    for (const c of clients) c.close();
    operator.close();
    await fleet.stop();
  };
  try {
    const boot = await operator.switchTo('FullMesh');
    expect(boot.ok, boot.reason).to.equal(true);
    for (const m of fleet.members) clients.push(await connect(m.appAddress, { timeoutMs: 20_000 }));
    await waitUntil(
      'every member lists every member',
      async () => (await Promise.all(clients.map((c) => c.members()))).every((r) => r.members.length === size),
      20_000,
      100,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { fleet, operator, clients, stop };
}

/** A subscription read in the background into `items`, until `stop()`. */
export class Collector {
  readonly items: SubscriptionItem[] = [];
  private readonly abort = new AbortController();
  private readonly done: Promise<unknown>;
  /** The error the subscription ended with (other than the stop). */
  error: unknown;

  constructor(client: TopologyClient, options: Omit<SubscribeOptions, 'signal'> = {}) {
    this.done = (async () => {
      try {
        for await (const item of client.subscribe({ ...options, signal: this.abort.signal })) this.items.push(item);
      } catch (err) {
        if (!this.abort.signal.aborted) this.error = err;
      }
    })();
  }

  /** Waits until the sidecar registered the stream. */
  async subscribed(timeoutMs = 10_000): Promise<this> {
    await waitUntil('subscribed', () => this.error !== undefined || this.items.some((i) => i.kind === 'subscribed'), timeoutMs, 20);
    if (this.error !== undefined) throw this.error;
    return this;
  }

  /** The payloads (UTF-8) of message deliveries so far. */
  payloads(): string[] {
    return this.items.flatMap((i) => (i.kind === 'message' ? [i.payload.toString('utf8')] : []));
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.done;
  }
}
