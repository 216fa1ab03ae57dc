/**
 * The sidecar process's last resort: an `uncaughtException` or `unhandledRejection` is logged
 * (structured, with the stack) and counted instead of ending the process. Every input a peer, the
 * operator or the app can send is validated where it enters (peer-address.ts, wire-codec.ts,
 * control-requests.ts, app-service.ts), so reaching this handler means a bug, not an attack; one
 * member going down for it would take its share of the overlay with it, and a bug that a crafted
 * frame can trigger would take down every member it reaches.
 *
 * Not masking bugs: the count is exported (`topology_sidecar_uncaught_errors_total`, and
 * `uncaught_errors_total` in Control GetMetrics), and the integration tests that attack real
 * sidecar processes assert it stays 0. Installed by the executables only (main.ts, the fleet's
 * fleet-host.ts), never by a library import, so unit tests still fail on an uncaught error.
 */
import type { Logger } from './logger.js';

/** The process-wide count of errors the last-resort handler caught (one per process, whatever the sidecars in it). */
export const uncaughtErrors = { count: 0 };

let installed = false;

/** Installs the handlers once per process; `logger` gets one error line per caught error. */
export function installLastResort(logger: Logger): void {
  if (installed) return;
  installed = true;
  const caught = (kind: 'uncaughtException' | 'unhandledRejection', err: unknown): void => {
    uncaughtErrors.count++;
    const error = err instanceof Error ? { error: err.message, stack: err.stack } : { error: String(err) };
    try {
      logger.error(`${kind} caught by the last-resort handler; the sidecar keeps running (this is a bug: please report it)`, {
        kind,
        uncaughtErrors: uncaughtErrors.count,
        ...error,
      });
    } catch {
      // Logging itself failed: the count still says it happened.
    }
  };
  process.on('uncaughtException', (err) => caught('uncaughtException', err));
  process.on('unhandledRejection', (reason) => caught('unhandledRejection', reason));
}
