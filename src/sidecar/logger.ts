/**
 * Winston JSON logs: one line per event, always carrying the pod name, so a fleet's interleaved
 * output (or a log pipeline) can be read per member. Callers add `epoch` where one applies.
 */
import winston from 'winston';

/** A structured logger. */
export type Logger = winston.Logger;

/** Log levels the sidecar accepts for `--log-level`. */
export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;

/** Creates the sidecar's logger, writing JSON to stderr (stdout stays free for tools). */
export function createLogger(pod: string, level: string = 'info'): Logger {
  return winston.createLogger({
    level,
    defaultMeta: { pod },
    format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
    transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'debug'] })],
  });
}

/** A logger that discards everything (unit tests, in-process fleets that do not want the noise). */
export function silentLogger(): Logger {
  return winston.createLogger({ silent: true, transports: [new winston.transports.Console({ silent: true })] });
}
