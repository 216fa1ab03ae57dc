#!/usr/bin/env node
/**
 * `topology-operator`: the operator executable. Parses flags (config.ts; bad flags print the reason
 * and the usage and exit with code 2), loads the cluster config (in-cluster service account, or
 * `--kubeconfig`, or the default loading rules), and runs one replica
 * (reconciler-controller.ts) until SIGTERM/SIGINT: then controllers stop (in-flight reconciles
 * finish), the Lease is released so a standby takes over at once, and the process exits 0.
 * Losing the Lease exits 1 so Kubernetes restarts the replica as a fresh standby.
 */
// First: sets V8's heap flags before the large modules below are loaded (see heap-policy.ts).
import './heap-policy-init.js';
import { hostname } from 'node:os';
import { Registry, collectDefaultMetrics } from 'prom-client';
import winston from 'winston';
import { parseOperatorConfig, USAGE } from './config.js';
import { loadSidecarTransport, type SidecarTransport } from './sidecars/tls.js';
import { onCertificateChange } from '../rpc/tls-files.js';
import { PooledKubeConfig } from './controller/pooled-kube-config.js';
import { buildOperator } from './reconcile/reconciler-controller.js';
import { startInjectionWebhook, type InjectionWebhook } from './inject/webhook-server.js';
import { apiWebhookConfigStore } from './inject/webhook-cert-reconciler.js';
import { serviceDnsNames } from './inject/serving-cert.js';
import { apiSecretStore } from './sidecars/secret-store.js';

/**
 * How long the injection webhook keeps serving after SIGTERM: the EndpointSlice controller marks
 * the pod not ready and the API server's informer sees it within a second on an idle cluster;
 * 3 s leaves margin and stays far below the chart's terminationGracePeriodSeconds (30). Wild guess
 * (the same idea as kube-apiserver's --shutdown-delay-duration).
 */
export const WEBHOOK_DRAIN_MS = 3_000;

/** Exit code for invalid flags (the usage-error convention of getopt tools). */
export const EXIT_USAGE = 2;

function fatalUsage(message: string): never {
  process.stderr.write(`topology-operator: ${message}\n${USAGE}\n`);
  process.exit(EXIT_USAGE);
}

async function main(): Promise<void> {
  const parsed = parseOperatorConfig(process.argv.slice(2), process.env, hostname());
  if (!parsed.ok) {
    if (parsed.help) {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    }
    fatalUsage(parsed.error);
  }
  const config = parsed.config;
  const logger = winston.createLogger({
    level: config.logLevel,
    defaultMeta: { component: 'topology-operator', identity: config.identity },
    format: winston.format.combine(winston.format.timestamp(), winston.format.errors({ stack: true }), winston.format.json()),
    transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'] })],
  });

  let transport: SidecarTransport;
  try {
    transport = loadSidecarTransport(config.sidecarTls);
  } catch (err) {
    fatalUsage((err as Error).message);
  }

  const stopWatchingCertificate =
    transport.files !== undefined
      ? onCertificateChange(transport.files, (change) => {
          if ('error' in change) logger.error('sidecar TLS files changed and cannot be used', { error: change.error, certFile: config.sidecarTls?.certFile });
          else logger.info('sidecar TLS client certificate reloaded: new connections use it', { certFile: config.sidecarTls?.certFile, ...change.certificate });
        })
      : undefined;

  const kubeConfig = new PooledKubeConfig();
  try {
    if (config.kubeconfig !== undefined) kubeConfig.loadFromFile(config.kubeconfig);
    // In a pod: the service account (files under $TOPOLOGY_VOLUME_ROOT on the local node agent).
    else if (!process.env.KUBECONFIG && process.env.KUBERNETES_SERVICE_HOST) kubeConfig.loadFromCluster(process.env.TOPOLOGY_VOLUME_ROOT ?? '');
    else kubeConfig.loadFromDefault();
  } catch (err) {
    fatalUsage(`cannot load the cluster config${config.kubeconfig !== undefined ? ` from ${config.kubeconfig}` : ''}: ${(err as Error).message}`);
  }
  if (kubeConfig.getCurrentCluster() === null) fatalUsage('no cluster configured: run in a pod, set $KUBECONFIG, or pass --kubeconfig');
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  // Set once the webhook serves with a published certificate (below); gates /readyz when it is on.
  let webhookHandle: InjectionWebhook | undefined;
  const readyChecks = config.webhook === undefined ? [] : [{ name: 'injection-webhook', check: (): boolean => webhookHandle?.ready() ?? false }];
  const replica = buildOperator(config, kubeConfig, registry, logger, transport, readyChecks);
  try {
    await replica.start();
  } catch (err) {
    logger.error('operator failed to start', { error: (err as Error).message });
    process.exit(1);
  }
  // The webhook serves on every replica (not only the leader): the Service spreads the API server's calls.
  let webhook: Promise<InjectionWebhook> | undefined;
  if (config.webhook !== undefined) {
    const w = config.webhook;
    webhook = startInjectionWebhook({
      port: w.port,
      bindAddress: w.bindAddress ?? config.bindAddress,
      defaults: w.sidecarDefaults,
      cert: {
        namespace: config.credentialsNamespace,
        secretName: w.certSecret,
        dnsNames: [...serviceDnsNames(w.service, config.credentialsNamespace), ...w.extraSans],
        webhookConfiguration: w.configuration,
        managedExternally: w.certManagedExternally,
      },
      secrets: apiSecretStore(kubeConfig),
      configs: apiWebhookConfigStore(kubeConfig),
      logger,
      registry,
    });
    webhook.then(
      (w) => (webhookHandle = w),
      () => undefined,
    );
    webhook.catch((err: unknown) => {
      logger.error('sidecar injection webhook failed to start', { error: (err as Error).message, port: w.port });
      process.exit(1);
    });
  }
  logger.info('operator started', {
    namespaces: config.namespaces.length > 0 ? config.namespaces : 'all',
    leaderElect: config.leaderElect,
    lease: `${config.leaseNamespace}/${config.leaseName}`,
  });

  let stopping = false;
  let stoppingAt = 0;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    stoppingAt = Date.now();
    webhookHandle?.drain();
    logger.info('signal received, shutting down', { signal });
    void replica.stop();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  const exit = await replica.manager.done();
  if (!stopping) await replica.stop();
  stopWatchingCertificate?.();
  if (webhook !== undefined) {
    // Keep answering admission a little after SIGTERM (draining: each answer closes its
    // connection): calls already routed here still succeed while the Service stops sending more.
    const drain = stoppingAt + WEBHOOK_DRAIN_MS - Date.now();
    if (stopping && drain > 0) await new Promise((r) => setTimeout(r, drain));
    await (await webhook).stop();
  }
  logger.info('operator stopped', { reason: exit.reason });
  process.exit(exit.reason === 'stopped' ? 0 : 1);
}

void main();
