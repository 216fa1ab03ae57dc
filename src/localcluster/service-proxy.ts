/**
 * The API server's way into Services on the local control plane: an HTTP CONNECT proxy on a Unix
 * socket, which kube-apiserver uses for its "cluster" egress (`--egress-selector-config-file`,
 * control-plane.ts). That egress carries what the API server itself sends into the cluster —
 * calls to admission webhooks and aggregated APIs through their Service — so with it a webhook
 * configured by `service:` works as on a real cluster, where kube-proxy routes the ClusterIP.
 *
 *   CONNECT <clusterIP>:<port>  → the Service with that ClusterIP (listed from the API), one of its
 *                                 Ready pods (service-endpoint.ts), a TCP connection to
 *                                 podIP:targetPort, then bytes both ways (TLS stays end to end:
 *                                 the API server verifies `<service>.<namespace>.svc` itself)
 *   CONNECT 127.x.y.z:<port>    → that loopback address as it is (a pod IP, e.g. pods/proxy)
 *   anything else               → 403: only loopback targets exist here
 *
 * Each CONNECT lists the Services and the chosen Service's pods afresh (two API calls): the API
 * server keeps its webhook connections alive, so CONNECTs are rare, and a fresh list means a pod
 * that is terminating is never chosen. It runs inside the node agent (node-agent-main.ts).
 */
import { randomInt } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { rmSync } from 'node:fs';
import type { Duplex } from 'node:stream';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { Logger } from './logger.js';
import { pickServiceEndpoint, type ServiceEndpoint } from './service-endpoint.js';

/** How long a CONNECT may take to reach its target before it is refused (the API server's webhook timeout is at most 30 s; 10 s a wild guess). */
export const CONNECT_TIMEOUT_MS = 10_000;
const LOOPBACK = /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

/** A running proxy. */
export interface ServiceProxy {
  close(): Promise<void>;
}

async function resolve(core: CoreV1Api, host: string, port: number): Promise<ServiceEndpoint> {
  if (LOOPBACK.test(host)) return { ip: host, port };
  const services = await core.listServiceForAllNamespaces();
  const service = services.items.find((s) => s.spec?.clusterIP === host || (s.spec?.clusterIPs ?? []).includes(host));
  if (service === undefined) return { error: `no Service has ClusterIP ${host}, and only loopback addresses are dialed here` };
  const selector = Object.entries(service.spec?.selector ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  if (selector === '') return { error: `Service ${service.metadata?.namespace}/${service.metadata?.name} has no selector` };
  const pods = await core.listNamespacedPod({ namespace: service.metadata!.namespace!, labelSelector: selector });
  return pickServiceEndpoint(service, pods.items, port, (n) => randomInt(n));
}

function refuse(socket: Duplex, code: number, reason: string): void {
  socket.end(`HTTP/1.1 ${code} ${code === 403 ? 'Forbidden' : 'Bad Gateway'}\r\ncontent-type: text/plain\r\n\r\n${reason}\n`);
}

/** Starts the proxy on the Unix socket `path` (replacing a stale socket file). */
export async function startServiceProxy(kubeConfig: KubeConfig, path: string, log: Logger): Promise<ServiceProxy> {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const server: Server = createServer((_req, res) => res.writeHead(405).end('only CONNECT\n'));
  server.on('connect', (req: IncomingMessage, client: Duplex, head: Buffer) => {
    const target = /^([^:]+):(\d+)$/.exec(req.url ?? '');
    if (target === null) return refuse(client, 403, `CONNECT needs host:port, got ${req.url ?? ''}`);
    const [, host, port] = target as unknown as [string, string, string];
    resolve(core, host, Number(port))
      .then((endpoint) => {
        if ('error' in endpoint) {
          log.info('service proxy refused a connection', { target: req.url, reason: endpoint.error });
          return refuse(client, LOOPBACK.test(host) ? 502 : 403, endpoint.error);
        }
        const upstream: Socket = connect({ host: endpoint.ip, port: endpoint.port, timeout: CONNECT_TIMEOUT_MS });
        upstream.once('connect', () => {
          upstream.setTimeout(0);
          client.write('HTTP/1.1 200 Connection established\r\n\r\n');
          if (head.length > 0) upstream.write(head);
          upstream.pipe(client);
          client.pipe(upstream);
        });
        const fail = (err: Error): void => {
          log.info('service proxy could not reach the endpoint', { target: req.url, endpoint: `${endpoint.ip}:${endpoint.port}`, error: err.message });
          if (client.writable) refuse(client, 502, `${endpoint.ip}:${endpoint.port}: ${err.message}`);
          upstream.destroy();
        };
        upstream.once('error', fail);
        upstream.once('timeout', () => fail(new Error(`no connection in ${CONNECT_TIMEOUT_MS} ms`)));
        client.once('error', () => upstream.destroy());
        client.once('close', () => upstream.destroy());
      })
      .catch((err: unknown) => refuse(client, 502, `cannot resolve ${req.url ?? ''}: ${(err as Error).message}`));
  });
  rmSync(path, { force: true });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(path, () => ok());
  });
  log.info('service proxy listening (the API server dials Services through it)', { socket: path });
  return {
    close: () =>
      new Promise<void>((ok) => {
        server.close(() => ok());
        server.closeAllConnections();
      }),
  };
}
