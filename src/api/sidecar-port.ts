/**
 * Where the operator dials a member's sidecar: `spec.sidecar.port`, unless the pod's
 * `topology.foundation.dev/sidecar-port` annotation overrides it (a pod that runs its sidecar on a
 * different port, e.g. during a sidecar upgrade). One function so the reconciler and the CLI agree.
 */
import { ANNOTATIONS } from './constants.js';
import type { ResolvedSpec } from './types.js';

/**
 * The sidecar port of a pod: the annotation when it is a whole number in 1..65535, otherwise the
 * spec's port (an unusable annotation is ignored rather than making the pod unreachable).
 */
export function sidecarPort(spec: ResolvedSpec, annotations: Readonly<Record<string, string>> | undefined): number {
  const raw = annotations?.[ANNOTATIONS.sidecarPort];
  if (raw !== undefined && /^\d{1,5}$/.test(raw.trim())) {
    const port = Number(raw.trim());
    if (port >= 1 && port <= 65535) return port;
  }
  return spec.sidecar.port;
}

/** The Peer/Control address `ip:port` of a pod (IPv6 addresses bracketed). */
export function sidecarAddress(podIP: string, port: number): string {
  return podIP.includes(':') ? `[${podIP}]:${port}` : `${podIP}:${port}`;
}
