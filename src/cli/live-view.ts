/**
 * The live progress of a rollout in a terminal, shared by `kubectl topology watch`,
 * `switch --wait` and `npm run demo`: on a TTY a table redrawn in place (phase, topology, step,
 * members, epoch, message, elapsed time); otherwise one line per change, so logs and CI output
 * stay readable.
 */
import type { ClusterTopology } from '../api/types.js';
import { formatAge, renderTable } from './format.js';
import { WATCH_HEADERS, watchCells } from './view.js';

/** Where the view writes: a stream with an optional TTY flag (process.stdout fits). */
export interface ViewSink {
  write(text: string): unknown;
  isTTY?: boolean;
}

/** Renders successive observations of one ClusterTopology. */
export class LiveView {
  private drawnLines = 0;
  private lastKey = '';
  private readonly started: number;

  constructor(
    private readonly sink: ViewSink,
    private readonly title: string,
    now: number = Date.now(),
  ) {
    this.started = now;
  }

  /** Shows `ct` as observed at `now` (ms). Returns true when something changed. */
  update(ct: ClusterTopology, now: number = Date.now()): boolean {
    const cells = watchCells(ct);
    const key = cells.join('\u0000');
    const changed = key !== this.lastKey;
    this.lastKey = key;
    const elapsed = formatAge((now - this.started) / 1000);
    if (this.sink.isTTY === true) {
      const text = `${this.title}   (${elapsed})\n${renderTable(['ELAPSED', ...WATCH_HEADERS], [[elapsed, ...cells]])}\n`;
      if (this.drawnLines > 0) this.sink.write(`\u001b[${this.drawnLines}F\u001b[J`);
      this.sink.write(text);
      this.drawnLines = text.split('\n').length - 1;
    } else if (changed) {
      this.sink.write(`${new Date(now).toISOString()}  ${WATCH_HEADERS.map((h, i) => `${h.toLowerCase()}=${JSON.stringify(cells[i] ?? '')}`).join(' ')}\n`);
    }
    return changed;
  }

  /** Leaves the last drawing on screen and moves below it. */
  done(line?: string): void {
    if (line !== undefined) this.sink.write(`${line}\n`);
    this.drawnLines = 0;
  }
}
