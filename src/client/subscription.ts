/**
 * The Subscribe stream as an async iterator of typed deliveries, resuming where it left off.
 *
 * The iterator remembers the resume point (session, cursor) of the last delivery it handed to the
 * app. With `resubscribe`, a stream that breaks (the sidecar restarted, UNAVAILABLE, an OK end)
 * is reopened after a backoff from that point, so the app misses nothing and gets nothing twice
 * (docs/delivery.md, "Per call"); across a sidecar restart the first delivery is then a GAP with
 * `reset` (SIDECAR_RESTARTED). Without it, the error ends the iteration.
 */
import { toDelivery } from './decode.js';
import { backoffDelayMs, DEFAULT_BACKOFF, type BackoffPolicy } from './backoff.js';
import { TopologyError, toTopologyError } from './errors.js';
import { iterateStream } from './stream-iterator.js';
import { abortableSleep, callMetadata, type CallOptions } from './unary-call.js';
import type { OverlayClient } from '../rpc/generated/topology/v1/Overlay.js';
import type { ResumePoint, SubscriptionItem } from './types.js';

/** Options of `subscribe`. */
export interface SubscribeOptions extends Omit<CallOptions, 'deadlineMs'> {
  /** The broadcast topics wanted. Empty or absent: every broadcast. Point-to-point messages, requests and GAPs arrive whatever the topics. */
  readonly topics?: readonly string[];
  /** Start right after this delivery (what the app processed last), instead of with what no subscriber was given yet. */
  readonly resumeFrom?: ResumePoint;
  /** Reopen a broken stream from the last resume point, after a backoff (default false: the error ends the iteration). */
  readonly resubscribe?: boolean | { readonly backoff?: BackoffPolicy };
}

/** Status codes after which a resubscribing iterator reconnects; anything else is the app's to handle. */
const RESUBSCRIBE_ON: ReadonlySet<string> = new Set(['UNAVAILABLE', 'INTERNAL', 'UNKNOWN', 'RESOURCE_EXHAUSTED']);

/** A stream that ended OK: the sidecar closed it (shutting down); the resubscribing iterator reconnects. */
class StreamEnded extends Error {}

/** Subscribe to `client`'s deliveries. */
export async function* subscribeDeliveries(client: OverlayClient, options: SubscribeOptions = {}): AsyncGenerator<SubscriptionItem, void, undefined> {
  let resume = options.resumeFrom;
  const backoff = typeof options.resubscribe === 'object' ? (options.resubscribe.backoff ?? DEFAULT_BACKOFF) : DEFAULT_BACKOFF;
  let attempt = 0;
  for (;;) {
    const from = resume;
    const stream = iterateStream({
      call: 'Subscribe',
      signal: options.signal,
      open: () =>
        client.Subscribe(
          { resumeSession: from?.session ?? '', resumeAfter: from?.cursor ?? 0, topics: [...(options.topics ?? [])] },
          callMetadata({ waitForReady: options.waitForReady === true || attempt > 0 }),
        ),
      decode: toDelivery,
      onHeaders: (): SubscriptionItem => ({ kind: 'subscribed', resumedFrom: from }),
    });
    let error: Error;
    try {
      for await (const item of stream) {
        if (item.kind === 'subscribed') attempt = 0;
        else if (item.kind !== 'resubscribing') resume = { session: item.session, cursor: item.cursor };
        yield item;
      }
      error = new StreamEnded('the sidecar ended the stream');
    } catch (err) {
      error = toTopologyError(err, 'Subscribe');
    }
    const retry = options.resubscribe !== undefined && options.resubscribe !== false && (!(error instanceof TopologyError) || RESUBSCRIBE_ON.has(error.code));
    if (!retry) {
      if (error instanceof StreamEnded) return;
      throw error;
    }
    attempt++;
    yield { kind: 'resubscribing', error, attempt };
    await abortableSleep(backoffDelayMs(attempt, backoff), 'Subscribe', options.signal);
  }
}
