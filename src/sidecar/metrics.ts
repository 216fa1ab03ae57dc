/**
 * The sidecar's metrics: per-epoch counters kept as plain numbers on the hot path, exported both
 * through `Control.GetMetrics` and as Prometheus text on `/metrics`.
 *
 * Prometheus metrics read the live figures at scrape time (`collect`), so a message costs a few
 * integer increments, and the series of an epoch disappear when its overlay closes (labels
 * `epoch` and `topology` stay bounded: at most three epochs live at once). Process CPU and memory
 * come from prom-client's default metrics, registered once per process (see `processRegistry`).
 */
import client from 'prom-client';
import type { OverlayKind } from '../overlays/types.js';
import { LatencyWindow } from './latency-window.js';
import type { LinkStats, PeerTransport } from './peer-transport.js';
import type { CoreEpoch } from '../member/member-core.js';
import type { EpochRole } from '../member/switch-engine.js';
import { BUFFER_KINDS, type BufferBudget } from '../member/buffer-budget.js';
import type { MalformedReason } from './refusals.js';
import { GAP_REASONS, type GapReason } from '../member/app-events.js';
import { uncaughtErrors } from './last-resort.js';

/** Monotonic figures of one epoch's overlay on this sidecar. */
export class EpochStats {
  bytesIn = 0;
  bytesOut = 0;
  messagesIn = 0;
  messagesOut = 0;
  /** Application messages dropped as already delivered (sidecar de-dup across epochs). */
  duplicatesDropped = 0;
  delivered = 0;
  neighborLoss = 0;
  sendFailures = 0;
  readonly deliveryLatency = new LatencyWindow();
}

/** One live overlay as metrics see it. */
export interface EpochView {
  readonly epoch: number;
  readonly kind: OverlayKind;
  readonly role: EpochRole;
  readonly activeViewSize: number;
  readonly passiveViewSize: number;
  readonly connections: number;
  readonly overlayDuplicates: number;
  readonly links: readonly LinkStats[];
  readonly stats: EpochStats;
}

/** The metrics view of one live epoch of `rt`, as this sidecar plays `role` in it. */
export function epochView(rt: CoreEpoch<EpochStats>, role: EpochRole, transport: Pick<PeerTransport, 'connections' | 'linkStats'>): EpochView {
  const views = rt.overlay.views();
  return {
    epoch: rt.epoch,
    kind: rt.kind,
    role,
    activeViewSize: views.active.length,
    passiveViewSize: views.passive.length,
    connections: transport.connections(rt.epoch),
    overlayDuplicates: rt.overlay.counters().duplicatesDropped,
    links: transport.linkStats(rt.epoch),
    stats: rt.stats,
  };
}

/** What the node exposes to metrics. */
export interface MetricsSource {
  epochs(): readonly EpochView[];
  readonly unauthenticated: number;
  readonly malformed: ReadonlyMap<MalformedReason, number>;
  /** Control calls refused by fencing, by reason (fencing.ts). */
  readonly fence: { refused(): ReadonlyMap<string, number> };
  readonly refusedDials: number;
  readonly budget: BufferBudget;
  readonly appDelivered: number;
  readonly appDuplicates: number;
  /** GAP deliveries handed to the app, by reason (docs/delivery.md). */
  readonly gaps: ReadonlyMap<GapReason, number>;
  /** The delivery contract's own figures: repair requests sent, channels tracked, bytes retained for repair. */
  delivery(): { readonly repairRequests: number; readonly channels: number; readonly retainedBytes: number };
}

/** Prometheus metric names, for tests and dashboards. */
export const METRIC_PREFIX = 'topology_sidecar_';

type Labels = { epoch: string; topology: string };

function labelsOf(v: EpochView): Labels {
  return { epoch: String(v.epoch), topology: v.kind };
}

/**
 * How often the event-loop delay probe wakes the loop, in ms. prom-client's default (10 ms) is a
 * timer firing 100 times a second in every sidecar, idle or not (and 20 of them in a packed fleet
 * process); stalls that matter to a sidecar last far longer than 100 ms.
 */
export const EVENT_LOOP_PROBE_MS = 100;

let shared: client.Registry | undefined;

/**
 * Process-wide metrics (CPU, memory, heap, event-loop delay), created on first use. They describe
 * the process, not a sidecar, so several sidecars packed into one fleet process share one set of
 * collectors, and one event-loop probe, instead of each starting its own.
 */
export function processRegistry(): client.Registry {
  if (!shared) {
    shared = new client.Registry();
    client.collectDefaultMetrics({ register: shared, prefix: METRIC_PREFIX, eventLoopMonitoringPrecision: EVENT_LOOP_PROBE_MS });
    new client.Counter({
      name: METRIC_PREFIX + 'uncaught_errors_total',
      help: 'Errors the last-resort handler caught (uncaughtException, unhandledRejection) instead of exiting: 0 unless there is a bug.',
      registers: [shared],
      collect() {
        this.reset();
        this.inc(uncaughtErrors.count);
      },
    });
  }
  return shared;
}

/** What the metrics say of the credentials in use (rotation progress; never a secret). */
export interface CredentialFigures {
  /** Fingerprint of the Peer token sent (see `ClusterToken.sentFingerprint`); undefined without a token. */
  readonly peerSentFingerprint: string | undefined;
  /** Peer tokens accepted (2 during a rotation). */
  readonly peerAccepted: number;
  /** Control public keys accepted; 0 in shared-token mode. */
  readonly controlAccepted: number;
}

/** The sidecar's metrics and the process-wide ones, labelled with the pod, on a fresh registry. */
export function createRegistry(source: MetricsSource, pod: string, credentials?: () => CredentialFigures): client.Registry {
  const registry = new client.Registry();
  if (credentials !== undefined) {
    new client.Gauge({
      name: METRIC_PREFIX + 'peer_token_sent_info',
      help: 'Always 1; `fingerprint` is the first 8 hex digits of the SHA-256 of the Peer token this sidecar sends (which token a pod uses during a rotation).',
      labelNames: ['fingerprint'],
      registers: [registry],
      collect() {
        this.reset();
        const f = credentials().peerSentFingerprint;
        if (f !== undefined) this.set({ fingerprint: f }, 1);
      },
    });
    new client.Gauge({
      name: METRIC_PREFIX + 'credentials_accepted',
      help: 'Tokens accepted now, by credential (peer: Peer tokens; control: the operator Control public keys); 2 while a rotation is half done.',
      labelNames: ['credential'],
      registers: [registry],
      collect() {
        this.reset();
        const c = credentials();
        this.set({ credential: 'peer' }, c.peerAccepted);
        this.set({ credential: 'control' }, c.controlAccepted);
      },
    });
  }

  const gauge = (name: string, help: string, value: (v: EpochView) => number): void => {
    new client.Gauge({
      name: METRIC_PREFIX + name,
      help,
      labelNames: ['epoch', 'topology'],
      registers: [registry],
      collect() {
        this.reset();
        for (const v of source.epochs()) this.set(labelsOf(v), value(v));
      },
    });
  };
  const counter = (name: string, help: string, value: (v: EpochView) => number): void => {
    new client.Counter({
      name: METRIC_PREFIX + name,
      help,
      labelNames: ['epoch', 'topology'],
      registers: [registry],
      collect() {
        this.reset();
        for (const v of source.epochs()) this.inc(labelsOf(v), value(v));
      },
    });
  };

  gauge('active_view_size', 'Neighbours in the active view of the overlay.', (v) => v.activeViewSize);
  gauge('passive_view_size', 'Backup candidates in the passive view of the overlay.', (v) => v.passiveViewSize);
  gauge('connections', 'Open Peer links of the overlay.', (v) => v.connections);
  gauge('queue_length_frames', 'Frames waiting in the send queues of the overlay.', (v) => v.links.reduce((n, l) => n + l.queueLength, 0));
  gauge('max_queue_length_frames', 'Frames waiting in the fullest send queue of the overlay.', (v) => v.links.reduce((n, l) => Math.max(n, l.queueLength), 0));
  gauge(
    'delivery_latency_p50_seconds',
    'Median origin-to-delivery latency of application messages (recent window).',
    (v) => v.stats.deliveryLatency.quantile(0.5) / 1000,
  );
  gauge(
    'delivery_latency_p99_seconds',
    '99th percentile origin-to-delivery latency of application messages (recent window).',
    (v) => v.stats.deliveryLatency.quantile(0.99) / 1000,
  );
  counter('received_bytes_total', 'Bytes received on the overlay.', (v) => v.stats.bytesIn);
  counter('sent_bytes_total', 'Bytes sent on the overlay.', (v) => v.stats.bytesOut);
  counter('received_messages_total', 'Overlay messages received.', (v) => v.stats.messagesIn);
  counter('sent_messages_total', 'Overlay messages sent.', (v) => v.stats.messagesOut);
  counter(
    'duplicates_dropped_total',
    'Application messages dropped as duplicates (overlay and sidecar de-dup).',
    (v) => v.stats.duplicatesDropped + v.overlayDuplicates,
  );
  counter('delivered_messages_total', 'Application messages delivered to the app.', (v) => v.stats.delivered);
  counter('neighbor_loss_total', 'Neighbours lost (neighborDown events).', (v) => v.stats.neighborLoss);
  counter('send_failures_total', 'Frames refused by a full send queue.', (v) => v.stats.sendFailures);

  new client.Gauge({
    name: METRIC_PREFIX + 'neighbor_rtt_ewma_seconds',
    help: 'EWMA of the ping round-trip time to each neighbour.',
    labelNames: ['epoch', 'topology', 'peer'],
    registers: [registry],
    collect() {
      this.reset();
      for (const v of source.epochs()) for (const l of v.links) this.set({ ...labelsOf(v), peer: l.peer }, l.rttEwmaMs / 1000);
    },
  });
  new client.Gauge({
    name: METRIC_PREFIX + 'neighbor_rtt_p99_seconds',
    help: '99th percentile of recent ping round-trip times to each neighbour.',
    labelNames: ['epoch', 'topology', 'peer'],
    registers: [registry],
    collect() {
      this.reset();
      for (const v of source.epochs()) for (const l of v.links) this.set({ ...labelsOf(v), peer: l.peer }, l.rttP99Ms / 1000);
    },
  });
  new client.Counter({
    name: METRIC_PREFIX + 'unauthenticated_requests_total',
    help: 'Peer and Control calls refused for a missing or wrong cluster token.',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(source.unauthenticated);
    },
  });
  new client.Counter({
    name: METRIC_PREFIX + 'malformed_messages_total',
    help: 'Frames and calls refused as malformed or oversized, by reason.',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [reason, n] of source.malformed) this.inc({ reason }, n);
    },
  });
  new client.Counter({
    name: METRIC_PREFIX + 'fencing_refused_total',
    help: 'Control calls refused by fencing: older-generation, other-holder, unfenced (after a fenced leader) or malformed x-topology-fencing metadata.',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [reason, n] of source.fence.refused()) this.inc({ reason }, n);
    },
  });
  new client.Counter({
    name: METRIC_PREFIX + 'refused_dials_total',
    help: "Dials refused: the address was not learned from this sidecar's membership (no credential was sent).",
    registers: [registry],
    collect() {
      this.reset();
      this.inc(source.refusedDials);
    },
  });
  new client.Gauge({
    name: METRIC_PREFIX + 'buffered_bytes',
    help: 'Bytes buffered now, by kind: link-queue (Peer send queues), future-frames (frames of epochs not yet prepared), subscriber (deliveries a slow app has not read).',
    labelNames: ['kind'],
    registers: [registry],
    collect() {
      this.reset();
      for (const kind of BUFFER_KINDS) this.set({ kind }, source.budget.bytes(kind));
    },
  });
  new client.Gauge({
    name: METRIC_PREFIX + 'buffer_limit_bytes',
    help: 'Byte limit of each buffer kind, and of all together (kind="total").',
    labelNames: ['kind'],
    registers: [registry],
    collect() {
      this.reset();
      for (const kind of BUFFER_KINDS) this.set({ kind }, source.budget.limits.kindBytes[kind]);
      this.set({ kind: 'total' }, source.budget.limits.totalBytes);
    },
  });
  new client.Counter({
    name: METRIC_PREFIX + 'buffer_refusals_total',
    help: 'Inputs refused because a buffer was full, by kind (a link send failed, a peer link refused, a subscriber cut off).',
    labelNames: ['kind'],
    registers: [registry],
    collect() {
      this.reset();
      for (const kind of BUFFER_KINDS) this.inc({ kind }, source.budget.refusals(kind));
    },
  });
  new client.Counter({
    name: METRIC_PREFIX + 'app_delivered_total',
    help: 'Application messages delivered to the app, all epochs.',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(source.appDelivered);
    },
  });
  new client.Counter({
    name: METRIC_PREFIX + 'app_duplicates_dropped_total',
    help: 'Application messages that arrived again (over either epoch) and were not delivered twice.',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(source.appDuplicates);
    },
  });
  new client.Counter({
    name: METRIC_PREFIX + 'app_gaps_total',
    help: 'GAP deliveries handed to the app (messages lost and told), by reason (docs/delivery.md).',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      this.reset();
      for (const reason of GAP_REASONS) this.inc({ reason }, source.gaps.get(reason) ?? 0);
    },
  });
  new client.Counter({
    name: METRIC_PREFIX + 'repair_requests_total',
    help: 'Requests to an origin to repeat messages this sidecar missed (member.nack).',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(source.delivery().repairRequests);
    },
  });
  new client.Gauge({
    name: METRIC_PREFIX + 'delivery_channels',
    help: 'Channels (origin session x broadcasts or sends here) the delivery ledger tracks: what de-dup memory is proportional to.',
    registers: [registry],
    collect() {
      this.set(source.delivery().channels);
    },
  });
  new client.Gauge({
    name: METRIC_PREFIX + 'retained_bytes',
    help: "Bytes of this sidecar's own sent messages kept for repair (at most 16 MiB, 30 s).",
    registers: [registry],
    collect() {
      this.set(source.delivery().retainedBytes);
    },
  });
  const merged = client.Registry.merge([processRegistry(), registry]);
  merged.setDefaultLabels({ pod });
  return merged;
}
