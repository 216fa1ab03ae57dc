#!/usr/bin/env node
// Generates the TypeScript types of proto/ into src/rpc/generated (`npm run gen:proto`), or
// checks that the committed ones match the .proto files (`npm run check:proto`, run in CI and by a
// unit test). Plain JavaScript on purpose: it must run before the TypeScript build, whose input it
// produces.
//
// proto-loader-gen-types writes extensionless relative imports; our ESM build (NodeNext) needs the
// `.js` suffix, so every generated file is post-processed the same way in both modes.
import { execFileSync } from 'node:child_process';
import process from 'node:process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const outDir = join(root, 'src', 'rpc', 'generated');

/** The .proto files, relative to proto/. */
export const PROTO_FILES = ['topology/v1/control.proto', 'topology/v1/peer.proto', 'topology/v1/overlay.proto', 'grpc/health/v1/health.proto'];

/** Must match LOADER_OPTIONS in proto-loader-options.ts: the generated types describe what the loader returns. */
export const GEN_ARGS = ['--longs=Number', '--enums=String', '--defaults', '--oneofs', '--grpcLib=@grpc/grpc-js'];

function listFiles(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...listFiles(p));
    else out.push(p);
  }
  return out.sort();
}

/** Runs the generator into `dir` and adds `.js` to relative imports. */
export function generate(dir) {
  const bin = join(root, 'node_modules', '@grpc', 'proto-loader', 'build', 'bin', 'proto-loader-gen-types.js');
  execFileSync(process.execPath, [bin, ...GEN_ARGS, '-I', 'proto', '-O', dir, ...PROTO_FILES], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  for (const file of listFiles(dir)) {
    if (!file.endsWith('.ts')) continue;
    const text = readFileSync(file, 'utf8').replace(/from '(\.{1,2}\/[^']+?)(?<!\.js)'/g, "from '$1.js'");
    writeFileSync(file, text);
  }
}

/** Differences between the committed types and freshly generated ones; empty when in sync. */
export function drift() {
  const tmp = mkdtempSync(join(tmpdir(), 'proto-check-'));
  try {
    generate(tmp);
    const fresh = new Map(listFiles(tmp).map((f) => [relative(tmp, f), readFileSync(f, 'utf8')]));
    const committed = new Map(listFiles(outDir).map((f) => [relative(outDir, f), readFileSync(f, 'utf8')]));
    const problems = [];
    for (const [name, text] of fresh) {
      if (!committed.has(name)) problems.push(`missing: ${name}`);
      else if (committed.get(name) !== text) problems.push(`differs: ${name}`);
    }
    for (const name of committed.keys()) if (!fresh.has(name)) problems.push(`stale: ${name}`);
    return problems;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--check')) {
    const problems = drift();
    if (problems.length > 0) {
      process.stderr.write(`generated proto types drifted from proto/ (run npm run gen:proto):\n  ${problems.join('\n  ')}\n`);
      process.exit(1);
    }
    process.stdout.write('generated proto types are in sync with proto/\n');
  } else {
    rmSync(outDir, { recursive: true, force: true });
    generate(outDir);
    process.stdout.write(`generated ${listFiles(outDir).length} files into ${relative(root, outDir)}\n`);
  }
}
