#!/usr/bin/env node
/**
 * `topology-demo` (image topology-demo): runs {@link DemoApp} next to a sidecar. Environment:
 *   TOPOLOGY_APP_ADDRESS  the sidecar's Overlay API (default 127.0.0.1:7947)
 *   STATS_ADDRESS         host:port of GET /stats and /healthz (default 0.0.0.0:8090)
 *   HEARTBEAT_MS          heartbeat broadcast period (default 1000)
 *   POD_NAME              name in logs and heartbeats (default: the hostname)
 * Logs are JSON lines on stdout. SIGTERM/SIGINT stop it cleanly (exit 0).
 */
import { hostname } from 'node:os';
import { DemoApp } from './app.js';

function positiveInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) {
    process.stderr.write(`topology-demo: ${name} must be a positive integer, got "${raw}"\n`);
    process.exit(2);
  }
  return n;
}

const name = process.env.POD_NAME ?? hostname();
const log = (line: Record<string, unknown>): void => {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), app: 'topology-demo', name, ...line })}\n`);
};
const app = new DemoApp({
  name,
  appAddress: process.env.TOPOLOGY_APP_ADDRESS ?? '127.0.0.1:7947',
  statsAddress: process.env.STATS_ADDRESS ?? '0.0.0.0:8090',
  heartbeatMs: positiveInt('HEARTBEAT_MS', 1000),
  membersEveryMs: 5000,
  logEveryMs: positiveInt('LOG_EVERY_MS', 5000),
  log,
});

let stopping = false;
for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.on(sig, () => {
    if (stopping) return;
    stopping = true;
    log({ msg: 'stopping', signal: sig, ...app.summary() });
    void app.stop().then(() => process.exit(0));
  });
}

app.start().catch((err: Error) => {
  log({ msg: 'failed to start', error: err.message });
  process.exit(1);
});
