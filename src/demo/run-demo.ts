/**
 * `npm run demo`: the whole story on this machine, in about two minutes.
 *
 *   1. the local control plane (built on first use, with progress) — src/localcluster
 *   2. the operator, installed with the Helm chart (helm/topology-operator)
 *   3. the demo app (src/demo/main.ts) as an 8-replica StatefulSet whose sidecars come from the
 *      chart's `topology-operator.sidecar` named template
 *   4. an Auto-mode ClusterTopology (short evaluation interval and cooldown): 8 members → FullMesh
 *   5. scale to 30: the rule engine picks HyParView and the phased switch runs, shown live
 *      (a table redrawn in place on a terminal, one line per change otherwise)
 *   6. `kubectl describe` of the resource and one demo app's /stats
 * then tears down what it started, or leaves it running with `--keep`.
 *
 *   npm run demo                      # all of the above, then clean up
 *   npm run demo -- --keep            # keep the cluster (prints how to use and stop it)
 *   npm run demo -- --replicas 40 --timeout 10m
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { ClusterTopology } from '../api/types.js';
import { parseDuration } from '../cli/args.js';
import { LiveView } from '../cli/live-view.js';
import { isSettled, switchInFlight } from '../cli/view.js';
import { runningCluster, startCluster, stopCluster } from '../localcluster/control-plane.js';
import { clusterTopologyJson, operatorChartDir, writeAppChart } from './app-chart.js';
import { mustRun as run, waitUntil } from './shell.js';

/** Name of the demo's local cluster (`npm run cluster:down -- --name demo` stops a kept one). */
export const DEMO_CLUSTER = 'demo';
const OPERATOR_NS = 'topology-system';
const APP_NS = 'demo';
const RELEASE = 'topology-operator';
const APP = 'chat';

interface Options {
  keep: boolean;
  startReplicas: number;
  replicas: number;
  timeoutSeconds: number;
}

const USAGE = `usage: npm run demo -- [--keep] [--start N] [--replicas N] [--timeout 5m]
  --keep          leave the cluster, operator and demo app running
  --start N       initial replicas (default 8: below smallClusterMaxNodes 10 → FullMesh)
  --replicas N    replicas after scaling (default 30: above largeClusterMinNodes 20 → HyParView)
  --timeout D     give up on a stage after D (default 5m)`;

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      keep: { type: 'boolean' },
      start: { type: 'string' },
      replicas: { type: 'string' },
      timeout: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const int = (v: string | undefined, d: number, name: string): number => {
    if (v === undefined) return d;
    if (!/^\d+$/.test(v) || Number(v) < 1) throw new Error(`--${name} must be a positive integer, got "${v}"`);
    return Number(v);
  };
  const timeout = values.timeout === undefined ? 300 : parseDuration(values.timeout);
  if (timeout === undefined) throw new Error(`--timeout must be a duration such as 5m, got "${values.timeout}"`);
  return { keep: values.keep === true, startReplicas: int(values.start, 8, 'start'), replicas: int(values.replicas, 30, 'replicas'), timeoutSeconds: timeout };
}

const BOLD = '\u001b[1m';
const PLAIN = '\u001b[0m';
/** A stage heading: bold on a terminal, plain in logs. */
const say = (line: string): void => void process.stdout.write(process.stdout.isTTY ? `\n${BOLD}==> ${line}${PLAIN}\n` : `\n==> ${line}\n`);

function clusterTopology(): string {
  return clusterTopologyJson(APP, {
    selector: { matchLabels: { app: APP } },
    mode: 'Auto',
    workload: 'Balanced',
    // Quick for a demo (defaults: 60 s and 300 s): evaluate every 5 s, switch again after 10 s.
    autoSwitch: { evaluationIntervalSeconds: 5, cooldownSeconds: 10 },
    rollout: { steps: [25, 50, 100], stepVerificationSeconds: 3, progressDeadlineSeconds: 90, autoRollback: true },
  });
}

async function demo(o: Options): Promise<void> {
  const t0 = Date.now();
  say('Local control plane (kube-apiserver, etcd, controller manager, scheduler, node agent)');
  const state = await startCluster({ name: DEMO_CLUSTER, progress: (l) => process.stdout.write(`    ${l}\n`) });
  const kc = state.kubeconfig;
  const helm = join(state.binDir, 'helm');
  const kubectl = (args: string[], input?: string): Promise<string> => run('kubectl', args, kc, input);

  say(`Operator: helm install ${RELEASE} helm/topology-operator -n ${OPERATOR_NS}`);
  await kubectl(['create', 'namespace', APP_NS, '--dry-run=client', '-o', 'yaml']).then((y) => kubectl(['apply', '-f', '-'], y));
  await run(
    helm,
    ['upgrade', '--install', RELEASE, operatorChartDir(), '-n', OPERATOR_NS, '--create-namespace', '--wait', '--timeout', `${o.timeoutSeconds}s`],
    kc,
  );
  process.stdout.write(await kubectl(['get', 'pods', '-n', OPERATOR_NS, '-o', 'wide']));

  // First the resource: the operator creates its credentials Secret (chat-sidecar-credentials),
  // which the members' sidecars mount.
  say(`ClusterTopology ${APP} (mode Auto); the operator creates its credentials Secret ${APP}-sidecar-credentials`);
  await kubectl(['apply', '-n', APP_NS, '-f', '-'], clusterTopology());
  await waitUntil(`Secret ${APP_NS}/${APP}-sidecar-credentials`, o.timeoutSeconds, async () =>
    (await kubectl(['get', 'secrets', '-n', APP_NS, '-o', 'name'])).includes(`secret/${APP}-sidecar-credentials`) ? true : undefined,
  );

  say(`Demo app: ${o.startReplicas} replicas of topology-demo + topology-sidecar (named template topology-operator.sidecar)`);
  const chartDir = writeAppChart(mkdtempSync(join(tmpdir(), 'topology-demo-chart-')));
  try {
    await run(
      helm,
      [
        'upgrade',
        '--install',
        APP,
        chartDir,
        '-n',
        APP_NS,
        '--set',
        `name=${APP}`,
        '--set',
        `replicas=${o.startReplicas}`,
        '--set',
        'appImage=topology-demo:0.1.0',
        '--set',
        'sidecar.appHost=$(POD_IP)',
        '--set',
        `sidecar.topology=${APP}`,
        '--wait',
        '--timeout',
        `${o.timeoutSeconds}s`,
      ],
      kc,
    );
  } finally {
    rmSync(chartDir, { recursive: true, force: true });
  }
  process.stdout.write(await kubectl(['get', 'pods', '-n', APP_NS, '-l', `app=${APP}`]));

  const get = async (): Promise<ClusterTopology> => JSON.parse(await kubectl(['get', 'ctopo', APP, '-n', APP_NS, '-o', 'json'])) as ClusterTopology;
  const follow = async (title: string, done: (ct: ClusterTopology) => boolean): Promise<ClusterTopology> => {
    const view = new LiveView(process.stdout, title);
    const ct = await waitUntil(title, o.timeoutSeconds, async () => {
      const c = await get();
      view.update(c);
      return done(c) ? c : undefined;
    });
    view.done();
    return ct;
  };

  say(`ClusterTopology ${APP} (mode Auto): ${o.startReplicas} members`);
  const first = await follow(`clustertopology ${APP_NS}/${APP}`, (ct) => isSettled(ct) && ct.status?.members?.ready === o.startReplicas);
  process.stdout.write(`    running ${first.status?.currentTopology} on ${first.status?.members?.ready} members (epoch ${first.status?.epoch})\n`);

  say(`Scale to ${o.replicas} replicas: watch the rule engine switch and the phased rollout`);
  await kubectl(['scale', 'statefulset', APP, '-n', APP_NS, `--replicas=${o.replicas}`]);
  const before = first.status?.currentTopology;
  // Done once the new overlay is committed and nothing is in flight; all members ready is the
  // usual end, but a pod that cannot start must not hold the demo (the status says so: Degraded).
  const after = await follow(
    `clustertopology ${APP_NS}/${APP}`,
    (ct) =>
      ct.status?.currentTopology !== undefined &&
      ct.status.currentTopology !== before &&
      switchInFlight(ct) === undefined &&
      (isSettled(ct) || ct.status.phase === 'Degraded'),
  );
  const m = after.status?.members;
  process.stdout.write(
    `    ${before} → ${after.status?.currentTopology} on ${m?.ready}/${m?.total} members (epoch ${after.status?.epoch})${m && m.ready < m.total ? ` — ${m.total - m.ready} pods not ready: kubectl -n ${APP_NS} get pods` : ''}\n`,
  );

  say(`kubectl describe clustertopology ${APP} -n ${APP_NS}`);
  process.stdout.write(await kubectl(['describe', 'clustertopology', APP, '-n', APP_NS]));

  say('What one app saw (GET /stats of a demo app: heartbeats per origin, deliveries per epoch, duplicates)');
  const ip = (await kubectl(['get', 'pod', `${APP}-0`, '-n', APP_NS, '-o', 'jsonpath={.status.podIP}'])).trim();
  try {
    const res = await fetch(`http://${ip}:8090/stats`, { signal: AbortSignal.timeout(5000) });
    const s = (await res.json()) as {
      received: number;
      duplicates: number;
      byEpoch: Record<string, number>;
      byOrigin: Record<string, number>;
      members: string[];
    };
    process.stdout.write(
      `    ${APP}-0: received ${s.received} heartbeats from ${Object.keys(s.byOrigin).length} members, ${s.duplicates} duplicates, per epoch ${JSON.stringify(s.byEpoch)}, ${s.members.length} members known\n`,
    );
  } catch (err) {
    process.stdout.write(`    (could not read /stats at ${ip}:8090: ${(err as Error).message})\n`);
  }
  process.stdout.write(`\ndemo finished in ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
}

async function main(): Promise<number> {
  let o: Options;
  try {
    o = parseOptions(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`error: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const preexisting = runningCluster(DEMO_CLUSTER) !== undefined;
  let interrupted = false;
  const cleanup = async (): Promise<void> => {
    if (o.keep || preexisting) {
      const s = runningCluster(DEMO_CLUSTER);
      if (s) {
        process.stdout.write(
          `\nLeft running${preexisting && !o.keep ? ' (the demo cluster was already running before)' : ''}:\n  export KUBECONFIG=${s.kubeconfig}\n  node dist/src/cli/main.js watch ${APP} -n ${APP_NS} --follow    # kubectl topology watch\n  kubectl -n ${APP_NS} scale statefulset ${APP} --replicas=8\n  npm run cluster:down -- --name ${DEMO_CLUSTER}                  # stop it\n`,
        );
      }
      return;
    }
    process.stdout.write('\ntearing down the demo cluster...\n');
    await stopCluster(DEMO_CLUSTER);
  };
  process.once('SIGINT', () => {
    interrupted = true;
    void cleanup().then(() => process.exit(130));
  });
  try {
    await demo(o);
    return 0;
  } catch (err) {
    if (interrupted) return 130;
    process.stderr.write(`\ndemo failed: ${(err as Error).message}\n`);
    return 1;
  } finally {
    if (!interrupted) await cleanup();
  }
}

void main().then((code) => process.exit(code));
