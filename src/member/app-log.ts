/**
 * The delivery log: what this sidecar session hands its app, numbered by a cursor, kept for a
 * bounded time so that no subscriber misses anything it could be given and none gets anything
 * twice (docs/delivery.md, "Subscribe").
 *
 * Every event (a message or a GAP) is appended with the next cursor. Each Subscribe stream is a
 * reader with its own position: a slow reader simply lags, an app that was away resumes after the
 * last cursor it processed, and an app that subscribes afresh starts with what no reader was
 * given yet (what arrived while none was subscribed). The log keeps at most `maxBytes` and
 * `maxEvents`; an event it drops before some reader got it becomes, for that reader, a GAP
 * (SUBSCRIBER_LAGGED) naming the messages by channel and seq from a compact index of what was
 * dropped (a dropped GAP passes on the ranges it named). A reader resuming from another session (the sidecar restarted) gets
 * SIDECAR_RESTARTED first. Pure: no IO, no clock.
 */
import type { AppEvent, GapNotice, GapRange } from './app-events.js';
import type { SessionId } from './session.js';

/** Default bytes the log holds (`--subscriber-buffer-bytes`). Wild guess: 8 MiB, 16 of the largest payloads. */
export const DEFAULT_APP_LOG_BYTES = 8 << 20;
/** Default events the log holds whatever their size. Wild guess. */
export const DEFAULT_APP_LOG_EVENTS = 50_000;
/** Dropped messages remembered by channel and seq, so a lagging reader's GAP can name them. */
export const DROPPED_INDEX_ENTRIES = 200_000;

/** An event with its position in the log. */
export interface LoggedEvent {
  readonly cursor: number;
  readonly event: AppEvent;
}

/** One reader (a Subscribe stream): the next cursor it reads, and a GAP to give it first. */
export interface LogReader {
  position: number;
  pending: GapNotice | undefined;
  /** The events this reader is handed (its topics, App API v2); the others it passes over. Absent: all. */
  wants?: (e: AppEvent) => boolean;
}

interface Entry {
  readonly cursor: number;
  readonly event: AppEvent;
  readonly bytes: number;
}

interface Dropped {
  readonly cursor: number;
  readonly range: GapRange;
}

/** See the file comment. */
export class AppLog {
  private readonly entries: Entry[] = [];
  private head = 0;
  private bytes = 0;
  private nextCursor = 1;
  /** Highest cursor any reader was given. */
  private claimed = 0;
  private readonly dropped: Dropped[] = [];
  private droppedHead = 0;
  /** Events dropped before any reader got them, counted. */
  droppedUnread = 0;

  constructor(
    readonly session: SessionId,
    private readonly maxBytes: number = DEFAULT_APP_LOG_BYTES,
    private readonly maxEvents: number = DEFAULT_APP_LOG_EVENTS,
  ) {}

  /** Appends `event` (counted as `bytes`) and returns its cursor. */
  append(event: AppEvent, bytes: number): number {
    const cursor = this.nextCursor++;
    this.entries.push({ cursor, event, bytes });
    this.bytes += bytes;
    while (this.head < this.entries.length - 1 && (this.bytes > this.maxBytes || this.entries.length - this.head > this.maxEvents)) this.drop();
    return cursor;
  }

  /**
   * A reader for a new Subscribe stream. `resume` is the app's last processed delivery: the
   * reader continues after it in this session, or starts with SIDECAR_RESTARTED when the session
   * is another. Without it the reader starts after everything some reader was already given.
   */
  open(resume?: { readonly session: SessionId; readonly after: number }): LogReader {
    if (resume === undefined || resume.session === '') return { position: this.claimed + 1, pending: undefined };
    if (resume.session !== this.session)
      return {
        position: 1,
        pending: {
          reason: 'SIDECAR_RESTARTED',
          count: 0,
          ranges: [],
          detail: `this sidecar restarted: session ${resume.session} ended, ${this.session} began`,
        },
      };
    return { position: Math.min(Math.max(1, resume.after + 1), this.nextCursor), pending: undefined };
  }

  /** Up to `max` events for `reader`, advancing it; a lag past what the log holds becomes a GAP first. */
  read(reader: LogReader, max: number): LoggedEvent[] {
    const out: LoggedEvent[] = [];
    if (reader.pending !== undefined) {
      out.push({ cursor: reader.position - 1, event: { kind: 'gap', gap: reader.pending, deliveredAt: NaN } });
      reader.pending = undefined;
    }
    const first = this.firstCursor();
    if (reader.position < first) {
      out.push({ cursor: first - 1, event: { kind: 'gap', gap: this.lagGap(reader.position, first - 1), deliveredAt: NaN } });
      reader.position = first;
    }
    let i = this.head + (reader.position - first);
    while (out.length < max && i < this.entries.length) {
      const e = this.entries[i++] as Entry;
      if (reader.wants === undefined || reader.wants(e.event)) out.push({ cursor: e.cursor, event: e.event });
      reader.position = e.cursor + 1;
    }
    if (reader.position - 1 > this.claimed) this.claimed = reader.position - 1;
    return out;
  }

  /** Drops the oldest events until at most `bytes` are held (the newest is always kept); readers that lag get a GAP. */
  shrink(bytes: number): void {
    while (this.head < this.entries.length - 1 && this.bytes > bytes) this.drop();
  }

  /** Whether `reader` has events (or a GAP) waiting. */
  hasMore(reader: LogReader): boolean {
    return reader.pending !== undefined || reader.position < this.nextCursor;
  }

  /** Bytes held now. */
  get heldBytes(): number {
    return this.bytes;
  }

  /** Events held now. */
  get heldEvents(): number {
    return this.entries.length - this.head;
  }

  /** The cursor the next event gets. */
  get next(): number {
    return this.nextCursor;
  }

  private firstCursor(): number {
    const e = this.entries[this.head];
    return e === undefined ? this.nextCursor : e.cursor;
  }

  private drop(): void {
    const e = this.entries[this.head++] as Entry;
    this.bytes -= e.bytes;
    if (e.cursor > this.claimed) this.droppedUnread++;
    // A dropped GAP passes on what it named: the reader that lags past it learns it from the lag's GAP.
    const ranges: readonly GapRange[] =
      e.event.kind === 'gap'
        ? e.event.gap.ranges
        : [
            {
              origin: e.event.message.origin,
              session: e.event.message.session ?? '',
              direct: e.event.message.to !== undefined,
              fromSeq: e.event.message.seq ?? 0,
              toSeq: e.event.message.seq ?? 0,
            },
          ];
    for (const range of ranges) {
      this.dropped.push({ cursor: e.cursor, range });
      if (this.dropped.length - this.droppedHead > DROPPED_INDEX_ENTRIES) this.droppedHead++;
    }
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries.splice(0, this.head);
      this.head = 0;
    }
    if (this.droppedHead > 1024 && this.droppedHead * 2 > this.dropped.length) {
      this.dropped.splice(0, this.droppedHead);
      this.droppedHead = 0;
    }
  }

  /** The GAP of a reader that missed cursors `from..to`, naming the messages the index still knows. */
  private lagGap(from: number, to: number): GapNotice {
    const ranges: GapRange[] = [];
    let named = 0;
    for (let i = this.droppedHead; i < this.dropped.length; i++) {
      const d = this.dropped[i] as Dropped;
      if (d.cursor < from || d.cursor > to) continue;
      named++;
      const last = ranges[ranges.length - 1];
      const r = d.range;
      if (
        last !== undefined &&
        last.toSeq !== 0 &&
        last.origin === r.origin &&
        last.session === r.session &&
        last.direct === r.direct &&
        last.toSeq + 1 === r.fromSeq
      )
        ranges[ranges.length - 1] = { ...last, toSeq: r.toSeq };
      else ranges.push(r);
    }
    const count = to - from + 1;
    return {
      reason: 'SUBSCRIBER_LAGGED',
      count,
      ranges,
      detail: `this subscriber fell ${count} deliveries behind what the log holds (cursors ${from}-${to}; ${named} messages named)`,
    };
  }
}
