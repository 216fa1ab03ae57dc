/**
 * Structured JSON logs for the local control plane tooling and the node agent.
 *
 * Why a helper: every process here (cluster CLI, node agent, echo fixture) logs the same way —
 * one JSON object per line on stderr, with a `component` field — so the per-process log files in a
 * cluster directory can be read and filtered with the same tools.
 */
import winston from 'winston';

/** A winston logger writing JSON lines to stderr, tagged with the component name. */
export function createLogger(component: string, level: string = process.env.LOG_LEVEL ?? 'info'): winston.Logger {
  return winston.createLogger({
    level,
    defaultMeta: { component },
    format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
    transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'] })],
  });
}

/** The logger type, re-exported so callers don't import winston just for it. */
export type Logger = winston.Logger;
