/**
 * The default winston logger of the controller plumbing: JSON lines on stderr, level from
 * `LOG_LEVEL` (defaults to "info"). Every component takes a `logger` option so the operator can pass
 * its own (with its own default metadata) and tests can pass a silent or capturing one.
 */
import winston from 'winston';

let shared: winston.Logger | undefined;

/** The process-wide default logger, created on first use. */
export function defaultLogger(): winston.Logger {
  shared ??= winston.createLogger({
    level: process.env['LOG_LEVEL'] ?? 'info',
    format: winston.format.combine(winston.format.timestamp(), winston.format.errors({ stack: true }), winston.format.json()),
    transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'] })],
  });
  return shared;
}

/** A logger that drops everything (for tests that assert on behaviour, not on logs). */
export function silentLogger(): winston.Logger {
  return winston.createLogger({ silent: true, transports: [new winston.transports.Console()] });
}

/** A message for any thrown value. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
