/**
 * The plugin installs without a source checkout: `npm pack` of the built tree gives a tarball with
 * the compiled programs, the protos and its production dependencies bundled (bundleDependencies:
 * the tree `npm ci` made, with the project's undici override — a registry resolution would pick an
 * undici that needs Node 22), and `npm install -g --offline` of it into a fresh prefix gives
 * working `kubectl-topology` and `kubectl_complete-topology` executables.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { packageRoot } from '../../../src/paths.js';

interface PackEntry {
  filename: string;
  files: { path: string }[];
  bundled: string[];
}

interface PackageJson {
  version: string;
  bin: Record<string, string>;
  dependencies: Record<string, string>;
}

const npm = (args: string[], cwd: string): { code: number; stdout: string; stderr: string } => {
  const r = spawnSync('npm', args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_update_notifier: 'false' } });
  return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
};

describe('npm package: kubectl-topology without a source checkout', function () {
  this.timeout(180_000);
  let dir: string;
  let pack: PackEntry;
  const pkg = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as PackageJson;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'npm-package-'));
    // The tree is already built (the tests run from it); prepack's tsc would only rebuild it.
    const r = npm(['pack', '--ignore-scripts', '--json', '--pack-destination', dir], packageRoot());
    expect(r.code, r.stderr).to.equal(0);
    pack = (JSON.parse(r.stdout) as PackEntry[])[0]!;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('packs the compiled programs, their type declarations, the protos and the production dependencies; no tests, sources or maps', () => {
    const paths = pack.files.map((f) => f.path);
    for (const [name, file] of Object.entries(pkg.bin)) expect(paths, name).to.include(file);
    expect(paths).to.include.members(['package.json', 'proto/topology/v1/control.proto', 'proto/grpc/health/v1/health.proto', 'docs/plugin.md']);
    const own = paths.filter((p) => !p.startsWith('node_modules/'));
    expect(
      own.filter((p) => p.startsWith('dist/test/') || p.startsWith('src/') || p.endsWith('.map') || (p.endsWith('.ts') && !p.endsWith('.d.ts'))),
    ).to.deep.equal([]);
    // The client's types ship with it (topology-operator/client is typed for apps outside the package).
    expect(paths).to.include('dist/src/client/index.d.ts');
    expect(pack.bundled).to.include.members(Object.keys(pkg.dependencies));
    expect(pack.bundled.filter((b) => ['mocha', 'chai', 'typescript', 'eslint'].includes(b))).to.deep.equal([], 'no dev dependency');
  });

  it('npm install -g --offline of the tarball gives working kubectl-topology and kubectl_complete-topology', () => {
    const prefix = join(dir, 'prefix');
    const r = npm(['install', '-g', '--offline', '--no-audit', '--no-fund', '--prefix', prefix, join(dir, pack.filename)], dir);
    expect(r.code, r.stderr).to.equal(0);
    const bin = join(prefix, 'bin');
    expect(readdirSync(bin).sort()).to.deep.equal(Object.keys(pkg.bin).sort());
    const run = (name: string, args: string[]): { code: number; stdout: string; stderr: string } => {
      // From a directory outside the checkout, with only the installed bin/ and node on PATH.
      const p = spawnSync(join(bin, name), args, {
        cwd: dir,
        encoding: 'utf8',
        env: { PATH: `${bin}:${join(process.execPath, '..')}:/usr/bin:/bin`, HOME: dir },
      });
      return { code: p.status ?? 1, stdout: p.stdout, stderr: p.stderr };
    };
    const version = run('kubectl-topology', ['version']);
    expect(version, version.stderr).to.deep.include({ code: 0, stdout: `kubectl-topology ${pkg.version}\n` });
    const help = run('kubectl-topology', ['--help']);
    expect(help.code, help.stderr).to.equal(0);
    expect(help.stdout).to.match(/^kubectl-topology: inspect and drive ClusterTopology resources/);
    const sim = run('kubectl-topology', ['simulate', '--nodes', '10', '--topology', 'HyParView', '-o', 'json']);
    expect(sim.code, sim.stderr).to.equal(0);
    expect((JSON.parse(sim.stdout) as { nodes: number }).nodes).to.equal(10);
    const completion = run('kubectl_complete-topology', ['pro']);
    expect(completion.stdout).to.equal('promote\n:4\n');
  });
});
