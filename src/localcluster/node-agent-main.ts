/**
 * Entry point of the node agent process (started by `cluster up` and the e2e harness; can be run
 * by hand against any cluster you may register a Node in):
 *
 *   node <buildRoot>/src/localcluster/node-agent-main.js --kubeconfig=<file> [--node-name=local-node]
 *        [--state-dir=<dir>] [--cluster-id=<id>] [--images=<json>] [--restart-backoff-ms=10000]
 *        [--pod-network=N]   (pod IPs 127.N.1.1 upward)
 *        [--service-proxy-socket=<path>]  (the API server's way into Services: service-proxy.ts)
 *
 * SIGTERM/SIGINT stop every pod process (each with its grace period, capped at 10 s) and exit.
 */
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { controlPlaneVersions } from './cluster-paths.js';
import { createLogger } from './logger.js';
import { KUBELET_BACKOFF } from './node-agent-container.js';
import { loadImageMap } from './node-agent-images.js';
import { NodeAgent } from './node-agent.js';
import { startServiceProxy, type ServiceProxy } from './service-proxy.js';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      kubeconfig: { type: 'string', default: process.env.KUBECONFIG },
      'node-name': { type: 'string', default: 'local-node' },
      'state-dir': { type: 'string' },
      'cluster-id': { type: 'string', default: 'local' },
      images: { type: 'string', default: process.env.TOPOLOGY_NODE_AGENT_IMAGES },
      'restart-backoff-ms': { type: 'string', default: String(KUBELET_BACKOFF.baseMs) },
      'pod-network': { type: 'string', default: '0' },
      'service-proxy-socket': { type: 'string' },
    },
  });
  const log = createLogger('node-agent');
  const kc = new KubeConfig();
  if (values.kubeconfig) kc.loadFromFile(values.kubeconfig);
  else kc.loadFromDefault();
  const nodeName = values['node-name']!;
  const stateDir = values['state-dir'] ?? join(tmpdir(), `topology-node-agent-${nodeName}`);
  mkdirSync(stateDir, { recursive: true });
  const agent = new NodeAgent({
    kubeConfig: kc,
    nodeName,
    stateDir,
    clusterId: values['cluster-id']!,
    images: loadImageMap(values.images),
    backoff: { ...KUBELET_BACKOFF, baseMs: Number(values['restart-backoff-ms']) },
    podNetwork: Number(values['pod-network']),
    kubeletVersion: controlPlaneVersions().kubernetes,
    log,
  });
  const socket = values['service-proxy-socket'];
  const proxy: ServiceProxy | undefined = socket !== undefined ? await startServiceProxy(kc, socket, log) : undefined;
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info('stopping', { signal });
    void Promise.all([agent.stop(), proxy?.close()]).finally(() => process.exit(0));
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  await agent.start();
}

main().catch((err: Error) => {
  process.stderr.write(`${JSON.stringify({ level: 'error', component: 'node-agent', message: err.message, stack: err.stack })}\n`);
  process.exit(1);
});
