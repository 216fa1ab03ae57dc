/**
 * The sidecar as an executor of overlay outputs: the overlays are IO-less state machines
 * (`handle(input, now) → outputs`), and this carries out what one epoch's overlay asks — send over
 * the Peer transport, disconnect, set timers, deliver — and feeds back what happens at once (a
 * full queue or a refused dial becomes `sendFailed`, a timer that fires becomes a `timer` input). The simulator runs
 * the same outputs; only the executor differs.
 */
import type { AnyOverlay, OverlayMessage, OverlayTimer } from '../overlays/index.js';
import type { AppMessage, OverlayInput, OverlayKind, NodeId } from '../overlays/types.js';
import type { PeerTransport } from './peer-transport.js';
import type { EpochStats } from './metrics.js';
import { carriesAppTraffic } from './wire-codec.js';
import type { Logger } from './logger.js';

/** One epoch's overlay as this sidecar runs it: the overlay, its figures, its pending timers, its drain. */
export interface EpochRuntime {
  readonly epoch: number;
  readonly kind: OverlayKind;
  readonly overlay: AnyOverlay;
  readonly stats: EpochStats;
  readonly timers: Set<NodeJS.Timeout>;
  drainStartedAt: number | undefined;
  lastTrafficAt: number;
  closed: boolean;
}

/** What the executor needs from the sidecar node it runs for. */
export interface ExecutorHost {
  readonly transport: PeerTransport;
  readonly logger: Logger;
  /** Counts an input the overlay refused (it threw). */
  countMalformed(reason: 'overlay-rejected'): void;
  /** Hands an application message the overlay delivered to the app (de-dup and Subscribe streams). */
  deliver(rt: EpochRuntime, message: AppMessage, hops: number): void;
}

/** Runs the overlays of one sidecar node; see the file comment. */
export class OverlayExecutor {
  constructor(private readonly host: ExecutorHost) {}

  /** Feeds one input and carries out the outputs, breadth-first (an output may produce inputs). */
  run(rt: EpochRuntime, first: OverlayInput<OverlayMessage, OverlayTimer>): void {
    const pending: OverlayInput<OverlayMessage, OverlayTimer>[] = [first];
    // A full queue is reported once per peer per run: an overlay that answers sendFailed by
    // sending to the same peer again must not spin.
    let failedPeers: Set<NodeId> | undefined;
    while (pending.length > 0 && !rt.closed) {
      const input = pending.shift() as OverlayInput<OverlayMessage, OverlayTimer>;
      let outputs;
      try {
        outputs = rt.overlay.handle(input, Date.now());
      } catch (err) {
        this.host.countMalformed('overlay-rejected');
        this.host.logger.warn('overlay threw on input', { epoch: rt.epoch, input: input.kind, error: (err as Error).message });
        continue;
      }
      for (const out of outputs) {
        switch (out.kind) {
          case 'send': {
            // A full queue and a refused dial (a peer not learned from the membership) are both a send failure to the overlay.
            const outcome = this.host.transport.send(rt.epoch, out.to, out.message);
            if (outcome !== 'queued') {
              rt.stats.sendFailures++;
              failedPeers ??= new Set();
              if (!failedPeers.has(out.to)) {
                failedPeers.add(out.to);
                pending.push({ kind: 'sendFailed', peer: out.to, message: out.message });
              }
            } else {
              rt.stats.messagesOut++;
              if (carriesAppTraffic(out.message)) rt.lastTrafficAt = Date.now();
            }
            break;
          }
          case 'disconnect':
            this.host.transport.disconnect(rt.epoch, out.peer);
            break;
          case 'timer': {
            const handle = setTimeout(
              () => {
                rt.timers.delete(handle);
                if (!rt.closed) this.run(rt, { kind: 'timer', timer: out.timer });
              },
              Math.max(0, out.afterMs),
            );
            rt.timers.add(handle);
            break;
          }
          case 'deliver':
            this.host.deliver(rt, out.message, out.hops);
            break;
          case 'neighborUp':
            // A neighbour has a link before the first message needs it (make before break).
            this.host.transport.connect(rt.epoch, out.peer);
            break;
          case 'neighborDown':
            rt.stats.neighborLoss++;
            break;
        }
      }
    }
  }
}
