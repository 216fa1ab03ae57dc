/**
 * The `topology-operator` executable as a process: bad flags exit with code 2 and say what is
 * wrong; `--help` exits 0; against the test cluster it becomes leader, serves its probes and
 * metrics, and on SIGTERM stops gracefully (exit 0) and releases its Lease so a standby would take
 * over at once. Without member pods (no sidecars needed): a resource selecting no pod is Ready
 * (reason NoMembers), and one naming a missing token Secret is Stalled until the Secret exists.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { expect } from 'chai';
import { buildRoot } from '../../src/paths.js';
import { createTestNamespace, deleteTestNamespace, getCluster, type TestCluster } from './support/cluster.js';
import { skipWhenExternalCluster } from './support/local-cluster-only.js';
import { waitFor } from './support/wait.js';
import { OperatorProcess, conditionOf, dumpLogs, eventsOf, installCrd, readStatus, topologyManifest } from './fixtures/operator-harness.js';

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(buildRoot(), 'src/operator/main.js'), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, KUBECONFIG: '/nonexistent/kubeconfig' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('e2e operator: the topology-operator executable', function () {
  this.timeout(60_000);

  const bad: Array<[string[], RegExp]> = [
    [['--bogus'], /unknown flag --bogus/],
    [['--leader-elect', 'maybe'], /--leader-elect must be true or false/],
    [['--metrics-port', '70000'], /--metrics-port must be a port number/],
    [['--concurrency', '0'], /--concurrency must be a positive integer/],
    [['--namespaces', 'Not_A_Namespace'], /not a valid namespace name/],
    [['--lease-duration-ms', '1000', '--renew-deadline-ms', '2000'], /must be greater than --renew-deadline-ms/],
    [['--kubeconfig', '/nonexistent/kubeconfig'], /cannot load the cluster config/],
    [['--kubeconfig', '/dev/null'], /(no cluster configured|cannot load the cluster config)/],
    [['--token-file', '/nonexistent/token'], /unknown flag --token-file/],
    [['--credentials-secret', 'Bad_Name'], /--credentials-secret: "Bad_Name" is not a valid object name/],
  ];
  for (const [args, message] of bad) {
    it(`exits 2 with a clear message for ${args.join(' ')}`, async () => {
      const r = await run(args);
      expect(r.code).to.equal(2);
      expect(r.stderr).to.match(message);
      expect(r.stderr).to.contain('usage: topology-operator');
    });
  }

  it('prints the usage and exits 0 for --help', async () => {
    const r = await run(['--help']);
    expect(r.code).to.equal(0);
    expect(r.stdout).to.contain('--leader-elect');
  });

  describe('against the test cluster', () => {
    before(function () {
      skipWhenExternalCluster(this, 'it runs topology-operator processes from this machine against the local control plane');
    });

    let cluster: TestCluster;
    let ns: string;
    let op: OperatorProcess | undefined;

    before(async function () {
      this.timeout(240_000);
      cluster = await getCluster();
      await installCrd(cluster); // the ClusterTopology informer syncs (and /readyz passes) only with the CRD
      ns = await createTestNamespace('op-cli');
    });

    afterEach(function () {
      if (this.currentTest?.state === 'failed' && op !== undefined) dumpLogs([op]);
    });

    after(async () => {
      await op?.stop('SIGKILL');
      if (ns) await deleteTestNamespace(ns);
    });

    it('leads, serves /healthz /readyz /metrics, and on SIGTERM exits 0 and releases the Lease', async () => {
      op = await OperatorProcess.start('operator-cli', cluster.kubeconfig, ns);
      await waitFor('the replica leading', async () => /topology_operator_leader\{[^}]*\} 1\b/.test((await op!.get('/metrics')).body), { timeoutMs: 30_000 });
      expect((await op.get('/healthz')).status).to.equal(200);
      await waitFor('/readyz 200', async () => (await op!.get('/readyz')).status === 200, { timeoutMs: 30_000 });
      const metrics = (await op.get('/metrics')).body;
      expect(metrics).to.contain('topology_operator_workqueue_depth');
      expect(metrics).to.contain('process_cpu_seconds_total');
      const holder = async (): Promise<string> => {
        const r = await cluster.kubectl(['get', 'lease', 'topology-operator-lock', '-n', ns, '-o', 'jsonpath={.spec.holderIdentity}']);
        return r.stdout.trim();
      };
      expect(await holder()).to.match(/^operator-cli_/);
      const code = await op.stop('SIGTERM');
      expect(code).to.equal(0);
      expect(await holder()).to.equal('');
    });

    it('a resource selecting no pod is Ready (NoMembers); gets its own credentials Secret; a tokenSecretRef naming a missing or non-token Secret is Stalled until it exists', async function () {
      this.timeout(180_000);
      const kc = cluster.kubeConfig();
      op = await OperatorProcess.start('operator-cli-2', cluster.kubeconfig, ns, ['--leader-elect', 'false']);
      const apply = (name: string, tokenSecret?: string): Promise<unknown> =>
        cluster.kubectl(['apply', '-n', ns, '-f', '-'], {
          input: topologyManifest(name, {
            selector: { matchLabels: { app: `none-${name}` } },
            topology: 'HyParView',
            ...(tokenSecret !== undefined ? { sidecar: { tokenSecretRef: { name: tokenSecret } } } : {}),
          }),
        });
      await apply('empty');
      await apply('tokened', 'chat-token');
      const empty = await waitFor(
        'the empty resource Ready',
        async () => {
          const s = await readStatus(kc, ns, 'empty');
          return s.phase === 'Ready' ? s : undefined;
        },
        { timeoutMs: 60_000 },
      );
      expect(empty.conditions?.find((c) => c.type === 'Ready')).to.deep.include({ status: 'True', reason: 'NoMembers' });
      expect(conditionOf(empty, 'Reconciling')).to.equal('False');
      expect(conditionOf(empty, 'Stalled')).to.equal('False');
      expect(empty.members).to.deep.equal({ total: 0, ready: 0, onTarget: 0 });
      // Its managed credentials: a Secret of the operator's type, owned by the resource, holding a
      // Peer token and the Control public key (never the private key).
      const creds = JSON.parse((await cluster.kubectl(['get', 'secret', 'empty-sidecar-credentials', '-n', ns, '-o', 'json'])).stdout) as {
        type: string;
        data: Record<string, string>;
        metadata: { ownerReferences: Array<{ kind: string; name: string; controller: boolean }> };
      };
      expect(creds.type).to.equal('topology.foundation.dev/sidecar-credentials');
      expect(creds.metadata.ownerReferences).to.deep.include({
        ...creds.metadata.ownerReferences[0],
        kind: 'ClusterTopology',
        name: 'empty',
        controller: true,
      });
      expect(Object.keys(creds.data).sort()).to.deep.equal(['control-public-key', 'peer-token']);
      expect(Buffer.from(creds.data['control-public-key'] ?? '', 'base64').toString()).to.match(/^[A-Za-z0-9_-]{43}\n$/);

      const stalled = await waitFor(
        'the token resource Stalled',
        async () => {
          const s = await readStatus(kc, ns, 'tokened');
          return conditionOf(s, 'Stalled') === 'True' ? s : undefined;
        },
        { timeoutMs: 60_000 },
      );
      expect(stalled.conditions?.find((c) => c.type === 'Stalled')).to.deep.include({
        reason: 'SidecarTokenUnavailable',
        message: `Secret ${ns}/chat-token (spec.sidecar.tokenSecretRef) not found`,
      });
      expect(stalled.phase).to.equal('Pending');
      await waitFor(
        'a SidecarTokenUnavailable Event',
        async () => (await eventsOf(cluster, ns, 'tokened')).some((e) => e.reason === 'SidecarTokenUnavailable' && e.type === 'Warning'),
        { timeoutMs: 30_000 },
      );

      // A Secret of that name that is not a sidecar token (an ordinary Opaque one) is refused, not sent to the pods.
      await cluster.kubectl(['create', 'secret', 'generic', 'chat-token', '-n', ns, '--from-literal=token=db-password']);
      await cluster.kubectl(['patch', 'clustertopology', 'tokened', '-n', ns, '--type', 'merge', '-p', '{"spec":{"historyLimit":4}}']);
      await waitFor(
        'the token resource Stalled on the Secret type',
        async () => {
          const s = await readStatus(kc, ns, 'tokened');
          const c = s.conditions?.find((x) => x.type === 'Stalled');
          return c?.status === 'True' && c.message.includes('has type "Opaque"') ? s : undefined;
        },
        { timeoutMs: 60_000 },
      );

      // The right Secret appears: the next attempt (TOKEN_RETRY_SECONDS) finds it; a spec edit retries at once.
      await cluster.kubectl(['delete', 'secret', 'chat-token', '-n', ns]);
      await cluster.kubectl([
        'create',
        'secret',
        'generic',
        'chat-token',
        '-n',
        ns,
        '--type',
        'topology.foundation.dev/sidecar-token',
        '--from-literal=token=s3cret',
      ]);
      await cluster.kubectl(['patch', 'clustertopology', 'tokened', '-n', ns, '--type', 'merge', '-p', '{"spec":{"historyLimit":5}}']);
      const ready = await waitFor(
        'the token resource Ready',
        async () => {
          const s = await readStatus(kc, ns, 'tokened');
          return s.phase === 'Ready' && conditionOf(s, 'Stalled') === 'False' ? s : undefined;
        },
        { timeoutMs: 60_000 },
      );
      expect(ready.conditions?.find((c) => c.type === 'Ready')).to.deep.include({ status: 'True', reason: 'NoMembers' });
      expect(await op.stop('SIGTERM')).to.equal(0);
    });
  });
});
