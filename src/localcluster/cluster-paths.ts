/**
 * Where the local control plane lives on disk: one cache root outside the repository, holding
 * versioned binary directories (built once per machine) and one directory per running cluster.
 *
 *   <cache>/k8s-<v>-etcd-<v>-helm-<v>/bin/   binaries (hack/build-control-plane.sh)
 *   <cache>/clusters/<name>/                  certificates, kubeconfig, etcd data, logs, state.json
 *
 * <cache> is $TOPOLOGY_CACHE_DIR, else $XDG_CACHE_HOME/topology-operator, else
 * ~/.cache/topology-operator — the same rule as the build script.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../paths.js';

/** The pinned versions from hack/versions.env (the one place they are bumped). */
export interface ControlPlaneVersions {
  kubernetes: string;
  etcd: string;
  helm: string;
}

/** Reads hack/versions.env so TypeScript and the build script never disagree on versions. */
export function controlPlaneVersions(): ControlPlaneVersions {
  const text = readFileSync(join(packageRoot(), 'hack', 'versions.env'), 'utf8');
  const value = (key: string): string => {
    const m = new RegExp(`^${key}=(\\S+)`, 'm').exec(text);
    if (m?.[1] === undefined) throw new Error(`hack/versions.env does not set ${key}`);
    return m[1];
  };
  return { kubernetes: value('KUBERNETES_VERSION'), etcd: value('ETCD_VERSION'), helm: value('HELM_VERSION') };
}

/** The cache root shared by binaries and clusters. */
export function cacheRoot(): string {
  if (process.env.TOPOLOGY_CACHE_DIR) return process.env.TOPOLOGY_CACHE_DIR;
  const xdg = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(xdg, 'topology-operator');
}

/** The versioned binary directory the build script fills. */
export function binDir(v: ControlPlaneVersions = controlPlaneVersions()): string {
  return join(cacheRoot(), `k8s-${v.kubernetes}-etcd-${v.etcd}-helm-${v.helm}`, 'bin');
}

/** Parent of all cluster directories. */
export function clustersRoot(): string {
  return join(cacheRoot(), 'clusters');
}

/** The directory of one named cluster; its admin kubeconfig is `<dir>/kubeconfig`. */
export function clusterDir(name: string): string {
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(name)) throw new Error(`cluster name "${name}" must be lowercase letters, digits and dashes`);
  return join(clustersRoot(), name);
}
