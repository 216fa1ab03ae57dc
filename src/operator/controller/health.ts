/**
 * The operator's small HTTP endpoint for the kubelet and Prometheus:
 * - `/healthz` — liveness: 200 while every health check passes (the process is not wedged);
 * - `/readyz` — readiness: 200 once every readiness check passes (e.g. informer caches synced);
 * - `/metrics` — the prom-client registry in the Prometheus text format.
 * A failing check answers 503 with the names of the failing checks, one per line, like the
 * API server's own `/readyz?verbose`.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/** A named probe; it passes when it returns true (a throw counts as failing). */
export interface HealthCheck {
  name: string;
  check: () => boolean | Promise<boolean>;
}

/** Options of {@link startHealthServer}. */
export interface HealthServerOptions {
  /** Served at `/metrics`. */
  registry: Registry;
  /** Checks of `/healthz`. Defaults to none (always healthy while the server answers). */
  healthChecks?: HealthCheck[];
  /** Checks of `/readyz`. Defaults to none. */
  readyChecks?: HealthCheck[];
  /** Defaults to 8081 (kubebuilder's health probe port); 0 picks a free port. */
  port?: number;
  /** Defaults to "0.0.0.0" (reachable by the kubelet inside a pod); tests pass "127.0.0.1". */
  host?: string;
}

/** A running health server. */
export interface HealthServer {
  /** The port actually bound. */
  readonly port: number;
  close(): Promise<void>;
}

async function failing(checks: readonly HealthCheck[]): Promise<string[]> {
  const results = await Promise.all(
    checks.map(async (c) => {
      try {
        return (await c.check()) ? undefined : c.name;
      } catch {
        return c.name;
      }
    }),
  );
  return results.filter((r): r is string => r !== undefined);
}

/** Starts the server; resolves once it listens. */
export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const healthChecks = options.healthChecks ?? [];
  const readyChecks = options.readyChecks ?? [];
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const probe = async (checks: readonly HealthCheck[]): Promise<void> => {
      const bad = await failing(checks);
      res.writeHead(bad.length === 0 ? 200 : 503, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(bad.length === 0 ? 'ok\n' : bad.map((n) => `[-]${n} failed\n`).join(''));
    };
    const handle = async (): Promise<void> => {
      switch (path) {
        case '/healthz':
        case '/livez':
          return probe(healthChecks);
        case '/readyz':
          return probe(readyChecks);
        case '/metrics': {
          const body = await options.registry.metrics();
          res.writeHead(200, { 'content-type': options.registry.contentType });
          res.end(body);
          return;
        }
        default:
          res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
          res.end('not found\n');
      }
    };
    handle().catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`${String(err)}\n`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8081, options.host ?? '0.0.0.0', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
