/**
 * Liveness, readiness and startup probes for local processes: httpGet, tcpSocket, grpc
 * (grpc.health.v1, see grpc-health.ts) and exec, with the kubelet's defaults (timeout 1 s, period
 * 10 s, success threshold 1, failure threshold 3) applied in `probeTiming`.
 *
 * Probes target the pod IP (or `host` if given); a named port is resolved from the container's
 * ports. An exec probe runs its command as a local process with the container's environment and
 * mount-path rewriting (done by the caller).
 */
import { spawn } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import type { IntOrString, V1ContainerPort, V1Probe } from '@kubernetes/client-node';
import { checkHealth, type HealthProber } from './grpc-health.js';

/** The outcome of one probe. */
export type ProbeResult = { ok: true } | { ok: false; message: string };

/** Where and how a probe runs. */
export interface ProbeTarget {
  podIP: string;
  ports: V1ContainerPort[];
  env: Record<string, string>;
  cwd: string;
  /** Rewrites container paths in exec probe commands to local paths. */
  rewrite: (s: string) => string;
  /** Kept channels for grpc probes (one per container); without it every grpc probe dials afresh. */
  grpc?: HealthProber;
}

/** The probe's timing with Kubernetes defaults filled in (all in milliseconds / counts). */
export interface ProbeTiming {
  initialDelayMs: number;
  periodMs: number;
  timeoutMs: number;
  successThreshold: number;
  failureThreshold: number;
}

/** Applies the kubelet defaults: initialDelay 0, period 10 s, timeout 1 s, thresholds 1 and 3. */
export function probeTiming(p: V1Probe): ProbeTiming {
  return {
    initialDelayMs: (p.initialDelaySeconds ?? 0) * 1000,
    periodMs: (p.periodSeconds ?? 10) * 1000,
    timeoutMs: (p.timeoutSeconds ?? 1) * 1000,
    successThreshold: p.successThreshold ?? 1,
    failureThreshold: p.failureThreshold ?? 3,
  };
}

/** Resolves a numeric or named container port. */
export function resolvePort(port: IntOrString, ports: V1ContainerPort[]): number {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  const found = ports.find((p) => p.name === port);
  if (found === undefined) throw new Error(`named port "${port}" is not declared by the container`);
  return found.containerPort;
}

function httpProbe(url: string, headers: Record<string, string>, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const req = (url.startsWith('https:') ? httpsRequest : httpRequest)(url, { headers, timeout: timeoutMs, rejectUnauthorized: false }, (res) => {
      res.resume();
      const code = res.statusCode ?? 0;
      resolve(code >= 200 && code < 400 ? { ok: true } : { ok: false, message: `HTTP probe failed with statuscode: ${code}` });
    });
    req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    req.on('error', (err) => resolve({ ok: false, message: `Get "${url}": ${err.message}` }));
    req.end();
  });
}

function tcpProbe(host: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const sock = connect({ host, port });
    const timer = setTimeout(() => {
      sock.destroy();
      resolve({ ok: false, message: `dial tcp ${host}:${port}: i/o timeout` });
    }, timeoutMs);
    sock.once('connect', () => {
      clearTimeout(timer);
      sock.destroy();
      resolve({ ok: true });
    });
    sock.once('error', (err) => {
      clearTimeout(timer);
      resolve({ ok: false, message: `dial tcp ${host}:${port}: ${err.message}` });
    });
  });
}

function execProbe(command: string[], target: ProbeTarget, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const [exe, ...args] = command.map(target.rewrite);
    if (exe === undefined) return resolve({ ok: false, message: 'exec probe has an empty command' });
    let output = '';
    const child = spawn(exe, args, { env: target.env, cwd: target.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (b: Buffer) => (output = (output + b.toString()).slice(-500)));
    child.stderr.on('data', (b: Buffer) => (output = (output + b.toString()).slice(-500)));
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ ok: false, message: `exec ${exe}: ${err.message}` });
    });
    child.on('close', (code, sig) => {
      clearTimeout(timer);
      resolve(code === 0 ? { ok: true } : { ok: false, message: `command ${exe} exited with ${code ?? sig}: ${output.trim()}` });
    });
  });
}

/** Runs one probe once. */
export async function runProbe(probe: V1Probe, target: ProbeTarget): Promise<ProbeResult> {
  const { timeoutMs } = probeTiming(probe);
  try {
    if (probe.httpGet) {
      const h = probe.httpGet;
      const scheme = (h.scheme ?? 'HTTP').toLowerCase();
      const host = h.host || target.podIP;
      const path = h.path ?? '/';
      const headers: Record<string, string> = { 'User-Agent': 'kube-probe/1.34' };
      for (const x of h.httpHeaders ?? []) headers[x.name] = x.value;
      return await httpProbe(`${scheme}://${host}:${resolvePort(h.port, target.ports)}${path.startsWith('/') ? path : `/${path}`}`, headers, timeoutMs);
    }
    if (probe.tcpSocket) return await tcpProbe(probe.tcpSocket.host || target.podIP, resolvePort(probe.tcpSocket.port, target.ports), timeoutMs);
    if (probe.grpc) {
      const address = `${target.podIP}:${probe.grpc.port}`;
      const service = probe.grpc.service ?? '';
      const status = await (target.grpc !== undefined ? target.grpc.check(address, service, timeoutMs) : checkHealth(address, service, timeoutMs));
      return status === 'SERVING' ? { ok: true } : { ok: false, message: `service unhealthy (responded with "${status}")` };
    }
    if (probe.exec) return await execProbe(probe.exec.command ?? [], target, timeoutMs);
    return { ok: false, message: 'probe has no handler (httpGet, tcpSocket, grpc or exec)' };
  } catch (err) {
    return { ok: false, message: (err as Error).message };
  }
}
