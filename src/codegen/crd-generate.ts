/**
 * `npm run gen:crd`: writes the CRD YAML from the TypeScript schema into `deploy/crds/`.
 *
 * A script rather than a build step so the generated YAML is committed, reviewed in diffs, and
 * installable with plain `kubectl apply -f` without building anything.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageRoot } from '../paths.js';
import { CRD_FILE, renderCrdYaml } from '../api/crd.js';

/** Writes the CRD file under `root` and returns its path. */
export function writeCrd(root: string = packageRoot()): string {
  const path = join(root, CRD_FILE);
  writeFileSync(path, renderCrdYaml());
  return path;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  console.log(`wrote ${writeCrd()}`);
}
