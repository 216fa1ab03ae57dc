/**
 * Pod volumes for local processes, which cannot see a container's mount paths.
 *
 * Layout under the pod's directory `<stateDir>/pods/<namespace>_<name>_<uid>/`:
 *   volumes/<volume>/            the materialised content (Secret/ConfigMap keys as files,
 *                                projected sources, downward API files, emptyDir; a
 *                                persistentVolumeClaim is a directory under
 *                                <stateDir>/claims/<namespace>/<claim> that outlives the pod;
 *                                hostPath is a link to the path itself)
 *   root/<container>/<mountPath> a symlink to the volume (or its subPath), so the container's
 *                                mount table exists as a tree rooted at root/<container>
 *
 * The container gets TOPOLOGY_VOLUME_ROOT=<pod dir>/root/<container>, and every occurrence of a
 * volumeMount's mountPath in its command, args and env values is rewritten to
 * $TOPOLOGY_VOLUME_ROOT<mountPath>. Code that hard-codes a path (e.g. the service-account token at
 * /var/run/secrets/kubernetes.io/serviceaccount) can prefix it with $TOPOLOGY_VOLUME_ROOT —
 * `KubeConfig.loadFromCluster(process.env.TOPOLOGY_VOLUME_ROOT)` does exactly that.
 * Content is written when the pod starts; Secret and ConfigMap content (plain or projected) is then
 * refreshed in place by {@link refreshVolumes}, as the kubelet does about a minute after an edit
 * (each changed file is replaced atomically: written aside, then renamed), so a rotated credential
 * reaches running containers without a restart. A source that disappeared keeps its last content.
 */
import { mkdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { V1Container, V1DownwardAPIVolumeFile, V1KeyToPath, V1Pod, V1Volume } from '@kubernetes/client-node';
import { fieldRefValue, resourceFieldValue, type ConfigSource, type PodRuntimeFacts } from './node-agent-env.js';

/** Mints service-account tokens for projected volumes (TokenRequest API). */
export interface TokenSource {
  serviceAccountToken(pod: V1Pod, audience: string | undefined, expirationSeconds: number | undefined): Promise<string>;
}

/** Inputs to materialising a pod's volumes. */
export interface VolumeContext {
  pod: V1Pod;
  facts: PodRuntimeFacts;
  source: ConfigSource & TokenSource;
  podDir: string;
  stateDir: string;
  caCertPem: string;
}

/** One container mount: the path the container expects and where it really is. */
export interface LocalMount {
  mountPath: string;
  localPath: string;
}

function writeItems(dir: string, data: Record<string, string>, items: V1KeyToPath[] | undefined, what: string, optional: boolean): void {
  mkdirSync(dir, { recursive: true });
  const list: V1KeyToPath[] = items && items.length > 0 ? items : Object.keys(data).map((k) => ({ key: k, path: k }));
  for (const item of list) {
    const value = data[item.key];
    if (value === undefined) {
      if (optional) continue;
      throw new Error(`${what} has no key "${item.key}"`);
    }
    const file = join(dir, item.path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, value, { mode: item.mode ?? 0o644 });
  }
}

function writeDownward(dir: string, files: V1DownwardAPIVolumeFile[], ctx: VolumeContext): void {
  mkdirSync(dir, { recursive: true });
  for (const f of files) {
    const value = f.fieldRef
      ? fieldRefValue(ctx.pod, f.fieldRef, ctx.facts)
      : f.resourceFieldRef
        ? resourceFieldValue(ctx.pod, f.resourceFieldRef, ctx.pod.spec?.containers[0]?.name ?? '')
        : '';
    const file = join(dir, f.path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, value);
  }
}

async function materialiseOne(v: V1Volume, dir: string, ctx: VolumeContext): Promise<string> {
  const ns = ctx.pod.metadata?.namespace ?? 'default';
  if (v.emptyDir) {
    mkdirSync(dir, { recursive: true });
  } else if (v.secret) {
    const data = await ctx.source.secret(ns, v.secret.secretName ?? '');
    if (data === undefined && !v.secret.optional) throw new Error(`secret "${v.secret.secretName}" not found`);
    writeItems(dir, data ?? {}, v.secret.items, `secret "${v.secret.secretName}"`, v.secret.optional ?? false);
  } else if (v.configMap) {
    const data = await ctx.source.configMap(ns, v.configMap.name ?? '');
    if (data === undefined && !v.configMap.optional) throw new Error(`configmap "${v.configMap.name}" not found`);
    writeItems(dir, data ?? {}, v.configMap.items, `configmap "${v.configMap.name}"`, v.configMap.optional ?? false);
  } else if (v.downwardAPI) {
    writeDownward(dir, v.downwardAPI.items ?? [], ctx);
  } else if (v.projected) {
    mkdirSync(dir, { recursive: true });
    for (const s of v.projected.sources ?? []) {
      if (s.secret) {
        const data = await ctx.source.secret(ns, s.secret.name ?? '');
        if (data === undefined && !s.secret.optional) throw new Error(`secret "${s.secret.name}" not found`);
        writeItems(dir, data ?? {}, s.secret.items, `secret "${s.secret.name}"`, s.secret.optional ?? false);
      } else if (s.configMap) {
        // kube-root-ca.crt is published by the controller manager; fall back to our CA if not yet.
        let data = await ctx.source.configMap(ns, s.configMap.name ?? '');
        if (data === undefined && s.configMap.name === 'kube-root-ca.crt') data = { 'ca.crt': ctx.caCertPem };
        if (data === undefined && !s.configMap.optional) throw new Error(`configmap "${s.configMap.name}" not found`);
        writeItems(dir, data ?? {}, s.configMap.items, `configmap "${s.configMap.name}"`, s.configMap.optional ?? false);
      } else if (s.downwardAPI) {
        writeDownward(dir, s.downwardAPI.items ?? [], ctx);
      } else if (s.serviceAccountToken) {
        const t = s.serviceAccountToken;
        const token = await ctx.source.serviceAccountToken(ctx.pod, t.audience, t.expirationSeconds);
        const file = join(dir, t.path);
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, token, { mode: 0o600 });
      }
    }
  } else if (v.persistentVolumeClaim) {
    const claimDir = join(ctx.stateDir, 'claims', ns, v.persistentVolumeClaim.claimName);
    mkdirSync(claimDir, { recursive: true });
    return claimDir;
  } else if (v.hostPath) {
    return v.hostPath.path;
  } else {
    throw new Error(
      `volume "${v.name}": unsupported volume type (supported: emptyDir, secret, configMap, downwardAPI, projected, persistentVolumeClaim, hostPath)`,
    );
  }
  return dir;
}

/** Writes `value` to `file` if it differs, atomically (aside, then renamed); true if it changed. */
function replaceIfChanged(file: string, value: string, mode: number): boolean {
  let current: string | undefined;
  try {
    current = readFileSync(file, 'utf8');
  } catch {
    current = undefined;
  }
  if (current === value) return false;
  mkdirSync(dirname(file), { recursive: true });
  const aside = `${file}.refresh-${process.pid}`;
  writeFileSync(aside, value, { mode });
  renameSync(aside, file);
  return true;
}

function refreshItems(dir: string, data: Record<string, string> | undefined, items: V1KeyToPath[] | undefined): number {
  if (data === undefined) return 0;
  const list: V1KeyToPath[] = items && items.length > 0 ? items : Object.keys(data).map((k) => ({ key: k, path: k }));
  let changed = 0;
  for (const item of list) {
    const value = data[item.key];
    if (value !== undefined && replaceIfChanged(join(dir, item.path), value, item.mode ?? 0o644)) changed++;
  }
  return changed;
}

/**
 * Brings the files of the pod's Secret and ConfigMap volumes (plain or projected) up to date with
 * the API; returns how many files changed. Other volume types are left as they are.
 */
export async function refreshVolumes(ctx: VolumeContext): Promise<number> {
  const ns = ctx.pod.metadata?.namespace ?? 'default';
  let changed = 0;
  for (const v of ctx.pod.spec?.volumes ?? []) {
    const dir = join(ctx.podDir, 'volumes', v.name);
    if (v.secret) changed += refreshItems(dir, await ctx.source.secret(ns, v.secret.secretName ?? ''), v.secret.items);
    else if (v.configMap) changed += refreshItems(dir, await ctx.source.configMap(ns, v.configMap.name ?? ''), v.configMap.items);
    else if (v.projected) {
      for (const s of v.projected.sources ?? []) {
        if (s.secret) changed += refreshItems(dir, await ctx.source.secret(ns, s.secret.name ?? ''), s.secret.items);
        else if (s.configMap) changed += refreshItems(dir, await ctx.source.configMap(ns, s.configMap.name ?? ''), s.configMap.items);
      }
    }
  }
  return changed;
}

/** Materialises every volume of the pod; returns volume name → local directory. */
export async function materialiseVolumes(ctx: VolumeContext): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const v of ctx.pod.spec?.volumes ?? []) {
    out.set(v.name, await materialiseOne(v, join(ctx.podDir, 'volumes', v.name), ctx));
  }
  return out;
}

/** Builds root/<container> with a symlink per volumeMount; returns the root and the mounts. */
export function containerRoot(podDir: string, container: V1Container, volumes: Map<string, string>): { root: string; mounts: LocalMount[] } {
  const root = join(podDir, 'root', container.name);
  mkdirSync(root, { recursive: true });
  const mounts: LocalMount[] = [];
  for (const m of container.volumeMounts ?? []) {
    const vol = volumes.get(m.name);
    if (vol === undefined) throw new Error(`volumeMount "${m.name}" names no volume of the pod`);
    const target = m.subPath ? join(vol, m.subPath) : vol;
    const link = join(root, m.mountPath);
    mkdirSync(dirname(link), { recursive: true });
    try {
      symlinkSync(target, link);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    mounts.push({ mountPath: m.mountPath.replace(/\/+$/, ''), localPath: link });
  }
  return { root, mounts };
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Rewrites each mountPath occurring in `value` as a path (followed by `/`, end, or a character
 * that cannot continue a path segment) to its local path. Longest mount paths match first, and the
 * rewrite is one pass, so a rewritten path is never rewritten again.
 */
export function rewriteMountPaths(value: string, mounts: LocalMount[]): string {
  if (mounts.length === 0) return value;
  const sorted = [...mounts].sort((a, b) => b.mountPath.length - a.mountPath.length);
  const re = new RegExp(`(?<![\\w./-])(${sorted.map((m) => escapeRegExp(m.mountPath)).join('|')})(?=$|[/\\s:;,'"=)])`, 'g');
  return value.replace(re, (match) => sorted.find((m) => m.mountPath === match)?.localPath ?? match);
}
