/**
 * `npm run krew:release -- --tag vX.Y.Z [--out DIR]`: the krew release of kubectl-topology. Builds
 * the archive krew downloads — the npm package (`npm pack`: compiled programs, protos, production
 * dependencies bundled) re-tarred with the two executables' mode set to 0755, since krew keeps the
 * archive's modes and does not chmod the bin, while npm's tarball leaves that to `npm install` —
 * and renders deploy/krew/cluster-topology.yaml with `{{ .TagName }}` and `{{ .Sha256 }}` filled
 * in. Attach the archive to the GitHub release of the tag, then submit the rendered manifest to the
 * krew index (docs/plugin.md "krew").
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { packageRoot } from '../paths.js';

/** The plugin's name in the krew index (`topology` is taken there by an unrelated plugin). */
export const KREW_PLUGIN_NAME = 'cluster-topology';
/** The manifest template, relative to the package root. */
export const KREW_MANIFEST = join('deploy', 'krew', `${KREW_PLUGIN_NAME}.yaml`);
/** Executables of the archive, relative to its root (npm's tarball puts everything under package/). */
export const KREW_EXECUTABLES = ['package/dist/src/cli/main.js', 'package/dist/src/cli/kubectl-complete.js'] as const;
/** Mode of the executables in the archive. */
const EXECUTABLE_MODE = 0o755;
/** A release tag: krew wants a semantic version with the leading v (its index validation). */
const TAG_PATTERN = /^v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;

/** The archive's file name for `tag`, the one the manifest's uri names. */
export const krewArchiveName = (tag: string): string => `kubectl-${KREW_PLUGIN_NAME}-${tag}.tar.gz`;

/** Fills the manifest template's `{{ .TagName }}` and `{{ .Sha256 }}`. */
export function renderKrewManifest(template: string, tag: string, sha256: string): string {
  if (!TAG_PATTERN.test(tag)) throw new Error(`--tag must be a version tag such as v0.1.0, got "${tag}"`);
  if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error(`sha256 must be 64 lowercase hex digits, got "${sha256}"`);
  return template.replaceAll('{{ .TagName }}', tag).replaceAll('{{ .Sha256 }}', sha256);
}

/** A built archive. */
export interface KrewArchive {
  path: string;
  sha256: string;
}

/**
 * Packs the built tree (run `tsc` first; prepack is skipped so nothing is rebuilt here) and writes
 * the krew archive for `tag` into `outDir`.
 */
export function buildKrewArchive(root: string, tag: string, outDir: string): KrewArchive {
  const work = mkdtempSync(join(tmpdir(), 'krew-release-'));
  try {
    const packed = JSON.parse(execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: root, encoding: 'utf8' })) as {
      filename: string;
    }[];
    const tree = join(work, 'tree');
    mkdirSync(tree);
    execFileSync('tar', ['-xzf', join(work, packed[0]!.filename), '-C', tree]);
    for (const exe of KREW_EXECUTABLES) chmodSync(join(tree, exe), EXECUTABLE_MODE);
    mkdirSync(outDir, { recursive: true });
    const path = join(outDir, krewArchiveName(tag));
    // Reproducible: sorted names, fixed owner and time (npm's own tarballs use 1985-10-26).
    execFileSync('tar', [
      '--sort=name',
      '--owner=0',
      '--group=0',
      '--numeric-owner',
      '--mtime=1985-10-26T08:15:00Z',
      '-I',
      'gzip -n',
      '-cf',
      path,
      '-C',
      tree,
      'package',
    ]);
    return { path, sha256: createHash('sha256').update(readFileSync(path)).digest('hex') };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({ options: { tag: { type: 'string' }, out: { type: 'string', default: 'dist-krew' } } });
  if (values.tag === undefined) throw new Error('usage: npm run krew:release -- --tag vX.Y.Z [--out DIR]');
  const root = packageRoot();
  const archive = buildKrewArchive(root, values.tag, values.out);
  const manifest = renderKrewManifest(readFileSync(join(root, KREW_MANIFEST), 'utf8'), values.tag, archive.sha256);
  const manifestPath = join(values.out, `${KREW_PLUGIN_NAME}.yaml`);
  writeFileSync(manifestPath, manifest);
  console.log(`wrote ${archive.path} (sha256 ${archive.sha256}) and ${manifestPath}`);
}
