/**
 * The app's view of the delivery log: events as overlay.proto's `Delivery`, and the bytes each is
 * counted as while the log holds it (the byte budget's `subscriber` kind).
 */
import type { AppEvent, GapNotice } from '../member/app-events.js';
import type { LoggedEvent } from '../member/app-log.js';
import type { Delivery } from '../rpc/generated/topology/v1/Delivery.js';
import type { Gap } from '../rpc/generated/topology/v1/Gap.js';

/** Bytes an event is counted as beyond its payload and strings (object and gRPC framing overhead). Wild guess. */
export const DELIVERY_OVERHEAD_BYTES = 256;

/** Bytes one event is counted as while the delivery log holds it. */
export function appEventBytes(e: AppEvent): number {
  if (e.kind === 'gap') return DELIVERY_OVERHEAD_BYTES + e.gap.detail.length * 2 + e.gap.ranges.length * 128;
  const m = e.message;
  return (
    DELIVERY_OVERHEAD_BYTES +
    m.payload.byteLength +
    2 * (m.id.length + m.origin.length + (m.to?.length ?? 0) + (m.session?.length ?? 0) + (m.topic?.length ?? 0) + (m.requestId?.length ?? 0))
  );
}

/** `Delivery` of a logged event, for the app of sidecar session `session` (read at `now`, for GAPs made when a reader lags). */
export function toDelivery(logged: LoggedEvent, session: string, now: number): Delivery {
  const e = logged.event;
  if (e.kind === 'gap')
    return {
      kind: 'DELIVERY_KIND_GAP',
      cursor: logged.cursor,
      session,
      deliveredAtMs: Number.isFinite(e.deliveredAt) ? e.deliveredAt : now,
      gap: toGap(e.gap),
    };
  const m = e.message;
  return {
    kind: 'DELIVERY_KIND_MESSAGE',
    id: m.id,
    origin: m.origin,
    to: m.to ?? '',
    payload: Buffer.from(m.payload.buffer, m.payload.byteOffset, m.payload.byteLength),
    sentAtMs: m.sentAt,
    deliveredAtMs: e.deliveredAt,
    hops: e.hops,
    epoch: e.epoch,
    cursor: logged.cursor,
    session,
    originSession: m.session ?? '',
    seq: m.seq ?? 0,
    topic: m.topic ?? '',
    // An acknowledged send's id is the sidecars' business: the app sees a plain message.
    ...(m.requestId !== undefined && m.ack !== true ? { requestId: m.requestId, deadlineMs: m.deadlineAt ?? 0 } : {}),
  };
}

function toGap(g: GapNotice): Gap {
  return {
    reason: `GAP_REASON_${g.reason}`,
    count: g.count,
    ranges: g.ranges.map((r) => ({ origin: r.origin, originSession: r.session, direct: r.direct, fromSeq: r.fromSeq, toSeq: r.toSeq })),
    detail: g.detail,
  };
}
