/**
 * The local cluster's lifecycle from the command line (`cluster:build`, `cluster:up`,
 * `cluster:down`): a second, named cluster is started next to the shared one, reused when already
 * up, detected as stale after a simulated crash and cleaned up, and stopped exactly. Also: the
 * build fails at once, with advice, where there is no Go.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { buildRoot, packageRoot } from '../../src/paths.js';
import { clusterDir } from '../../src/localcluster/cluster-paths.js';
import { isAlive, readState } from '../../src/localcluster/cluster-state.js';
import { getCluster, runCommand } from './support/cluster.js';
import { skipWhenExternalCluster } from './support/local-cluster-only.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env, timeoutMs = 180_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, stdout, stderr, ms: Date.now() - t0 });
    });
  });
}

const cli = (args: string[]): Promise<Run> => run(process.execPath, [join(buildRoot(), 'src', 'localcluster', 'cli.js'), ...args]);

// Only where the local control plane is in use (with $KUBECONFIG nothing is built or started,
// so the suite is skipped).
describe('local cluster lifecycle (cluster:up / cluster:down)', function () {
  this.timeout(180_000);
  before(function () {
    skipWhenExternalCluster(this, 'it starts, crashes and stops a second local cluster of its own next to the shared one');
  });

  const name = `e2e-cli-${process.pid}`;

  before(async () => {
    await getCluster(); // binaries are built by the shared harness first
  });

  after(async () => {
    if (existsSync(clusterDir(name))) await cli(['down', '--name', name]);
  });

  it('fails at once without Go, saying what to install or how to use an existing cluster', async () => {
    const cache = await mkdtemp(join(tmpdir(), 'no-go-'));
    const path = join(cache, 'path');
    try {
      await run('mkdir', [path]);
      await symlink('/usr/bin/dirname', join(path, 'dirname'));
      const r = await run(
        '/bin/bash',
        [join(packageRoot(), 'hack', 'build-control-plane.sh')],
        { PATH: path, HOME: cache, TOPOLOGY_CACHE_DIR: join(cache, 'c') },
        10_000,
      );
      expect(r.code).to.not.equal(0);
      expect(r.ms).to.be.lessThan(5000);
      expect(r.stderr).to.match(/Go is not installed/);
      expect(r.stderr).to.include('KUBECONFIG');
    } finally {
      await rm(cache, { recursive: true, force: true });
    }
  });

  it('cluster:build is idempotent: a second run returns the bin directory in seconds', async () => {
    const r = await run('/bin/bash', [join(packageRoot(), 'hack', 'build-control-plane.sh')]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.ms).to.be.lessThan(5000);
    expect(existsSync(join(r.stdout.trim(), 'kube-apiserver'))).to.equal(true);
  });

  it('up starts a cluster and prints its kubeconfig; kubectl works with it', async () => {
    const r = await cli(['up', '--name', name]);
    expect(r.code, r.stderr).to.equal(0);
    const kubeconfig = join(clusterDir(name), 'kubeconfig');
    expect(r.stdout).to.include(`export KUBECONFIG=${kubeconfig}`);
    process.stderr.write(`      [measure] warm cluster:up in ${(r.ms / 1000).toFixed(1)} s\n`);
    const ns = await runCommand('kubectl', ['get', 'ns', 'default', '-o', 'name'], kubeconfig);
    expect(ns.stdout.trim()).to.equal('namespace/default');
    const again = await cli(['up', '--name', name]);
    expect(again.code).to.equal(0);
    expect(again.stderr).to.include('already running');
    expect(again.ms).to.be.lessThan(5000);
  });

  it('detects a crashed cluster as stale and replaces it on the next up', async () => {
    const before = readState(clusterDir(name))!;
    // Simulate a crash: the apiserver dies.
    const apiserver = before.processes.find((p) => p.role === 'kube-apiserver')!;
    process.kill(apiserver.pid, 'SIGKILL');
    const status = await cli(['status', '--name', name]);
    expect(status.code).to.equal(1);
    const r = await cli(['up', '--name', name]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stderr).to.include('cleaning up stale cluster');
    for (const p of before.processes) expect(isAlive(p), `${p.role} of the crashed cluster`).to.equal(false);
    const after = readState(clusterDir(name))!;
    expect(after.id).to.not.equal(before.id);
    expect(after.processes.every(isAlive)).to.equal(true);
  });

  it('down stops exactly the recorded processes and removes the cluster directory', async () => {
    const state = readState(clusterDir(name))!;
    const r = await cli(['down', '--name', name]);
    expect(r.code, r.stderr).to.equal(0);
    for (const p of state.processes) expect(isAlive(p), p.role).to.equal(false);
    expect(existsSync(clusterDir(name))).to.equal(false);
    // The shared cluster is untouched.
    const shared = await getCluster();
    expect((await shared.kubectl(['get', 'ns', 'default', '-o', 'name'])).stdout.trim()).to.equal('namespace/default');
  });
});
