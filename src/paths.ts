/**
 * Locations inside the installed package, independent of where the compiled code lives
 * (`dist/`, a helper's own build directory, or a container image).
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cachedRoot: string | undefined;

/** The directory holding this project's package.json: found by walking up from this module. */
export function packageRoot(): string {
  if (cachedRoot !== undefined) return cachedRoot;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'proto'))) return (cachedRoot = dir);
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the package root (a directory with package.json and proto/) above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

/** The directory of compiled JavaScript this module belongs to (e.g. `<root>/dist`). */
export function buildRoot(): string {
  // This file compiles to <buildRoot>/src/paths.js.
  return dirname(dirname(fileURLToPath(import.meta.url)));
}
