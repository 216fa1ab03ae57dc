/**
 * The krew manifest deploy/krew/cluster-topology.yaml: parses, follows krew's index validation
 * (internal/index/validation of kubernetes-sigs/krew: apiVersion, kind, a safe name equal to the
 * file's, a one-line short description, a v-prefixed semantic version, 64-hex sha256, a bin and a
 * selector per platform), is not named `topology` (taken in the index), and its bin is the
 * package's kubectl-topology inside the archive `npm run krew:release` builds; that archive,
 * unpacked as krew does and linked as krew links it, runs as `kubectl cluster-topology`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { expect } from 'chai';
import { parse } from 'yaml';
import { buildKrewArchive, KREW_EXECUTABLES, KREW_MANIFEST, KREW_PLUGIN_NAME, krewArchiveName, renderKrewManifest } from '../../../src/codegen/krew-release.js';
import { packageRoot } from '../../../src/paths.js';

interface KrewPlatform {
  selector: { matchLabels: { os: string; arch: string } };
  uri: string;
  sha256: string;
  bin: string;
}
interface KrewPlugin {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: { version: string; shortDescription: string; homepage: string; caveats: string; platforms: KrewPlatform[] };
}

const TAG = 'v0.1.0';
const KUBECTL = '/usr/bin/kubectl';
const template = readFileSync(join(packageRoot(), KREW_MANIFEST), 'utf8');
const pkg = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string; bin: Record<string, string> };

/** krew's own checks of an index manifest (the ones that apply to a file). */
function validate(m: KrewPlugin, file: string): void {
  expect(m.apiVersion).to.equal('krew.googlecontainertools.github.com/v1alpha2');
  expect(m.kind).to.equal('Plugin');
  expect(m.metadata.name).to.match(/^[\w-]+$/);
  expect(m.metadata.name).to.equal(basename(file, '.yaml'));
  expect(m.spec.shortDescription).to.not.match(/[\r\n]/);
  expect(m.spec.version).to.match(/^v\d+\.\d+\.\d+/);
  expect(m.spec.platforms.length).to.be.greaterThan(0);
  for (const p of m.spec.platforms) {
    expect(p.sha256).to.match(/^[a-f0-9]{64}$/);
    expect(p.bin).to.not.equal('');
    expect(p.selector.matchLabels).to.have.keys('os', 'arch');
  }
}

describe('krew manifest cluster-topology', function () {
  this.timeout(120_000);

  it('is a template under a name the krew index does not use, whose uri carries {{ .TagName }}', () => {
    const m = parse(template) as KrewPlugin;
    expect(m.metadata.name).to.equal(KREW_PLUGIN_NAME);
    expect(m.metadata.name).to.not.equal('topology');
    expect(m.spec.version).to.equal('{{ .TagName }}');
    expect(m.spec.platforms.map((p) => `${p.selector.matchLabels.os}/${p.selector.matchLabels.arch}`)).to.deep.equal([
      'linux/amd64',
      'linux/arm64',
      'darwin/amd64',
      'darwin/arm64',
    ]);
    for (const p of m.spec.platforms) {
      expect(p.uri).to.equal(`https://github.com/foundation-dev/topology-operator/releases/download/{{ .TagName }}/${krewArchiveName('{{ .TagName }}')}`);
      expect(p.sha256).to.equal('{{ .Sha256 }}');
      // The bin is the package's kubectl-topology, where npm's tarball layout puts it.
      expect(p.bin).to.equal(`package/${pkg.bin['kubectl-topology']}`);
      expect(KREW_EXECUTABLES).to.include(p.bin);
    }
    expect(KREW_EXECUTABLES).to.include(`package/${pkg.bin['kubectl_complete-topology']}`);
    expect(m.spec.caveats).to.include('kubectl_complete-cluster_topology');
  });

  it('renders to a manifest krew validation accepts, and refuses a bad tag or checksum', () => {
    const sha = 'ab'.repeat(32);
    const m = parse(renderKrewManifest(template, TAG, sha)) as KrewPlugin;
    validate(m, KREW_MANIFEST);
    expect(m.spec.platforms[0]!.uri).to.equal(
      `https://github.com/foundation-dev/topology-operator/releases/download/${TAG}/kubectl-cluster-topology-${TAG}.tar.gz`,
    );
    expect(() => renderKrewManifest(template, '0.1.0', sha)).to.throw(/--tag must be a version tag such as v0.1.0, got "0.1.0"/);
    expect(() => renderKrewManifest(template, TAG, 'ABC')).to.throw(/sha256 must be 64 lowercase hex digits/);
  });

  it('the release archive, unpacked and linked as krew does, runs as kubectl cluster-topology', () => {
    const dir = mkdtempSync(join(tmpdir(), 'krew-manifest-'));
    try {
      const archive = buildKrewArchive(packageRoot(), TAG, join(dir, 'out'));
      expect(basename(archive.path)).to.equal(krewArchiveName(TAG));
      const again = buildKrewArchive(packageRoot(), TAG, join(dir, 'again'));
      expect(again.sha256, 'reproducible: the manifest pins one checksum').to.equal(archive.sha256);
      // krew's tar extraction takes directories and regular files only, and keeps their modes.
      const listing = spawnSync('tar', ['-tvzf', archive.path], { encoding: 'utf8' })
        .stdout.split('\n')
        .filter((l) => l !== '');
      expect(listing.filter((l) => !/^[-d]/.test(l))).to.deep.equal([]);
      const install = join(dir, 'store', KREW_PLUGIN_NAME, TAG);
      mkdirSync(install, { recursive: true });
      expect(spawnSync('tar', ['-xzf', archive.path, '-C', install]).status).to.equal(0);
      const m = parse(renderKrewManifest(template, TAG, archive.sha256)) as KrewPlugin;
      const bin = join(install, m.spec.platforms[0]!.bin);
      expect(statSync(bin).mode & 0o111, 'executable as unpacked').to.not.equal(0);
      // krew links kubectl-<name with - as _> in its bin directory.
      const krewBin = join(dir, 'bin');
      mkdirSync(krewBin);
      symlinkSync(bin, join(krewBin, 'kubectl-cluster_topology'));
      const env = { PATH: `${krewBin}:${join(process.execPath, '..')}:/usr/bin:/bin`, HOME: dir };
      const direct = spawnSync(join(krewBin, 'kubectl-cluster_topology'), ['version'], { encoding: 'utf8', env, cwd: dir });
      expect(direct.stdout, direct.stderr).to.equal(`kubectl-topology ${pkg.version}\n`);
      if (existsSync(KUBECTL)) {
        const viaKubectl = spawnSync(KUBECTL, ['cluster-topology', 'version'], { encoding: 'utf8', env, cwd: dir });
        expect(viaKubectl.stdout, viaKubectl.stderr).to.equal(`kubectl-topology ${pkg.version}\n`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
