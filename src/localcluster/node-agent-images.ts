/**
 * Which "images" the node agent can run, and as what local command.
 *
 * There is no container runtime here: an image name is a key into a mapping to a local argv. The
 * mapping stands in for the image's ENTRYPOINT (`command`) and CMD (`args`). Lookup accepts the
 * image with or without registry, tag or digest: `ghcr.io/acme/topology-sidecar:0.1.0`,
 * `topology-sidecar:latest` and `topology-sidecar` all find the entry `topology-sidecar`.
 *
 * Placeholders in commands: `${node}` (this Node.js executable), `${buildRoot}` (the compiled
 * JavaScript tree the agent itself runs from, so dist/ or a helper's own build directory),
 * `${packageRoot}` (the repository). Extra or overriding entries come from the JSON file named by
 * $TOPOLOGY_NODE_AGENT_IMAGES (same shape as DEFAULT_IMAGES).
 */
import { readFileSync } from 'node:fs';
import { SIDECAR_NODE_FLAGS } from '../sidecar/node-flags.js';

/** How to run one image locally. */
export interface ImageEntry {
  /** Replaces the image ENTRYPOINT: argv[0] and fixed arguments. */
  command: string[];
  /** Replaces the image CMD: used when the container gives neither `command` nor `args`. */
  args?: string[];
  /**
   * In-image executables a container's `command` may name (by path or basename), mapped to local
   * argv: lets a pod spec say `command: [/usr/local/bin/topology-sidecar, --flag]`.
   */
  executables?: Record<string, string[]>;
}

/** Image name (no registry, tag or digest) → how to run it. */
export type ImageMap = Record<string, ImageEntry>;

/**
 * The default images: our own executables, plus two test fixtures: `topology-test-echo` (HTTP
 * echo + gRPC health server, echo-server.ts) and `topology-test-shell` (`/bin/sh -c <args>`, for
 * exit codes, exec probes and files).
 */
export const DEFAULT_IMAGES: ImageMap = {
  'topology-sidecar': {
    command: ['${node}', ...SIDECAR_NODE_FLAGS, '${buildRoot}/src/sidecar/main.js'],
    executables: { 'topology-sidecar': ['${node}', ...SIDECAR_NODE_FLAGS, '${buildRoot}/src/sidecar/main.js'] },
  },
  'topology-operator': {
    command: ['${node}', '${buildRoot}/src/operator/main.js'],
    executables: {
      'topology-operator': ['${node}', '${buildRoot}/src/operator/main.js'],
      // The operator image also ships the kubectl plugin (deploy/docker/operator.Dockerfile); the chart's helm test runs it.
      'kubectl-topology': ['${node}', '${buildRoot}/src/cli/main.js'],
    },
  },
  'topology-demo': {
    command: ['${node}', '${buildRoot}/src/demo/main.js'],
    executables: { 'topology-demo': ['${node}', '${buildRoot}/src/demo/main.js'] },
  },
  'topology-test-shell': { command: ['/bin/sh', '-c'], args: ['sleep infinity'] },
  'topology-test-echo': {
    command: ['${node}', '${buildRoot}/src/localcluster/echo-server.js'],
    executables: { 'topology-test-echo': ['${node}', '${buildRoot}/src/localcluster/echo-server.js'] },
  },
};

/** Values substituted for placeholders in image commands. */
export interface ImagePlaceholders {
  node: string;
  buildRoot: string;
  packageRoot: string;
}

/** Strips registry/repository path, tag and digest: `ghcr.io/a/b:1@sha256:..` → `b`. */
export function imageBaseName(image: string): string {
  const noDigest = image.split('@')[0] ?? image;
  const lastSlash = noDigest.lastIndexOf('/');
  const last = noDigest.slice(lastSlash + 1);
  const colon = last.indexOf(':');
  return colon >= 0 ? last.slice(0, colon) : last;
}

/** Finds the entry for an image: exact reference first, then without tag/digest, then base name. */
export function lookupImage(images: ImageMap, image: string): ImageEntry | undefined {
  const noDigest = image.split('@')[0] ?? image;
  const noTag = noDigest.replace(/:[^/:]+$/, '');
  return images[image] ?? images[noDigest] ?? images[noTag] ?? images[imageBaseName(image)];
}

function substitute(s: string, p: ImagePlaceholders): string {
  return s.replaceAll('${node}', p.node).replaceAll('${buildRoot}', p.buildRoot).replaceAll('${packageRoot}', p.packageRoot);
}

/**
 * The local argv for a container, following Kubernetes' entrypoint rules with the mapping as the
 * image: no command/args → entry.command + entry.args; args only → entry.command + args;
 * command given → its first element resolved through `executables` (else run as is) + the rest + args.
 */
export function localArgv(entry: ImageEntry, command: string[] | undefined, args: string[] | undefined, p: ImagePlaceholders): string[] {
  let argv: string[];
  if (command !== undefined && command.length > 0) {
    const [exe, ...rest] = command as [string, ...string[]];
    const mapped = entry.executables?.[exe] ?? entry.executables?.[exe.slice(exe.lastIndexOf('/') + 1)];
    argv = [...(mapped ?? [exe]), ...rest, ...(args ?? [])];
  } else {
    argv = [...entry.command, ...(args ?? entry.args ?? [])];
  }
  return argv.map((a) => substitute(a, p));
}

/** The default map merged with $TOPOLOGY_NODE_AGENT_IMAGES (or `file`), later entries winning. */
export function loadImageMap(file: string | undefined = process.env.TOPOLOGY_NODE_AGENT_IMAGES): ImageMap {
  if (!file) return { ...DEFAULT_IMAGES };
  const extra = JSON.parse(readFileSync(file, 'utf8')) as ImageMap;
  for (const [name, e] of Object.entries(extra)) {
    if (!Array.isArray(e.command) || e.command.length === 0) throw new Error(`image map ${file}: entry "${name}" needs a non-empty "command" array`);
  }
  return { ...DEFAULT_IMAGES, ...extra };
}
