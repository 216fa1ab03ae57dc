/**
 * The `topology-test-echo` image: a tiny HTTP echo + grpc.health.v1 server, so the node agent's
 * probes and pod networking can be tested without depending on the sidecar.
 *
 * Listens on $TOPOLOGY_POD_IP (set by the node agent; else 127.0.0.1):
 *   HTTP  $HTTP_PORT (8080): GET /healthz → 200 "ok" (503 once /fail was requested);
 *         GET /fail → makes /healthz fail and gRPC report NOT_SERVING; GET /env/<NAME> → the
 *         variable's value; GET /file?path=<p> → the file's content; anything else → JSON with the
 *         pod name and IP.
 *   gRPC  $GRPC_PORT (9090): grpc.health.v1.Health/Check → SERVING.
 * Exits 0 on SIGTERM after closing both servers.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import * as grpc from '@grpc/grpc-js';
import { healthServiceDefinition, type HealthCheckRequest, type HealthCheckResponse } from './grpc-health.js';
import { createLogger } from './logger.js';

const log = createLogger('echo-server');
const host = process.env.TOPOLOGY_POD_IP || '127.0.0.1';
const httpPort = Number(process.env.HTTP_PORT ?? 8080);
const grpcPort = Number(process.env.GRPC_PORT ?? 9090);
let healthy = true;

const http = createServer((req, res) => {
  const url = new URL(req.url ?? '/', `http://${host}`);
  if (url.pathname === '/healthz') {
    res.writeHead(healthy ? 200 : 503).end(healthy ? 'ok' : 'failing');
  } else if (url.pathname === '/fail') {
    healthy = false;
    res.writeHead(200).end('now failing');
  } else if (url.pathname.startsWith('/env/')) {
    const v = process.env[url.pathname.slice(5)];
    res.writeHead(v === undefined ? 404 : 200).end(v ?? '');
  } else if (url.pathname === '/file') {
    try {
      res.writeHead(200).end(readFileSync(url.searchParams.get('path') ?? '', 'utf8'));
    } catch (err) {
      res.writeHead(404).end((err as Error).message);
    }
  } else {
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ pod: process.env.TOPOLOGY_POD_NAME, ip: host, path: url.pathname, args: process.argv.slice(2) }));
  }
});

const server = new grpc.Server();
server.addService(healthServiceDefinition, {
  Check: (_call: grpc.ServerUnaryCall<HealthCheckRequest, HealthCheckResponse>, cb: grpc.sendUnaryData<HealthCheckResponse>) =>
    cb(null, { status: healthy ? 1 : 2 }),
});

http.listen(httpPort, host, () => log.info('http listening', { host, port: httpPort }));
server.bindAsync(`${host}:${grpcPort}`, grpc.ServerCredentials.createInsecure(), (err) => {
  if (err) {
    log.error('grpc bind failed', { error: err.message });
    process.exit(1);
  }
  log.info('grpc listening', { host, port: grpcPort });
});

process.on('SIGTERM', () => {
  log.info('SIGTERM: shutting down');
  http.close();
  server.tryShutdown(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
});
