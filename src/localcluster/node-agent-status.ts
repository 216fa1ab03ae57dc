/**
 * Pod status from container snapshots: a pure function, so the rules that decide what
 * `kubectl get pods` shows are in one place and unit-tested.
 *
 * Phase (as the kubelet computes it): Pending until every container has started at least once
 * (or an init container is still to finish); Succeeded / Failed when every container is done for
 * good (all exit 0 → Succeeded); otherwise Running. Conditions: PodScheduled,
 * PodReadyToStartContainers (the pod IP exists), Initialized (init containers done),
 * ContainersReady (every container ready) and Ready (containers ready and every readiness gate's
 * condition True: `spec.readinessGates`, whose conditions other controllers set).
 *
 * Native sidecars (init containers with `restartPolicy: Always`) count as the kubelet counts them:
 * an init container that is done once it has started (not exited), whose exits never fail the pod
 * (it is restarted), and whose readiness is part of the pod's Ready.
 */
import type { V1ContainerStatus, V1PodCondition, V1PodStatus } from '@kubernetes/client-node';
import type { ContainerSnapshot } from './node-agent-container.js';

/** Everything the status depends on. */
export interface PodStatusInput {
  podIP: string;
  hostIP: string;
  startTime: Date;
  /** Snapshots of init containers, in order; those not yet created are absent. */
  init: ContainerSnapshot[];
  initCount: number;
  /** Per init container (index-aligned with the spec): true for a native sidecar (`restartPolicy: Always`). */
  initRestartable?: readonly boolean[];
  containers: ContainerSnapshot[];
  /** Waiting reason/message for every app container while the pod cannot start (e.g. ErrImagePull). */
  blocked?: { reason: string; message: string; containers: { name: string; image: string }[] };
  /** Previous conditions, to keep lastTransitionTime stable when a status does not change. */
  previous?: V1PodCondition[];
  /** `spec.readinessGates` condition types, and the pod's conditions as last read (where others set them). */
  readinessGates?: readonly string[];
  podConditions?: readonly V1PodCondition[];
}

function toStatus(s: ContainerSnapshot): V1ContainerStatus {
  return {
    name: s.name,
    image: s.image,
    imageID: `local://${s.image}`,
    containerID: s.pid !== undefined ? `local-process://${s.pid}` : undefined,
    state: s.state,
    lastState: s.lastState,
    ready: s.ready,
    started: s.started,
    restartCount: s.restartCount,
  } as V1ContainerStatus;
}

function hasExitedZero(s: ContainerSnapshot): boolean {
  return s.done && s.state.terminated?.exitCode === 0;
}

/**
 * `status` as the body of a strategic merge patch that replaces what it describes: conditions and
 * container statuses merge by key (a readiness gate's condition another controller set is left
 * alone), so every field this agent owns but left unset is sent as null (deleted) instead of
 * omitted (kept): a condition's reason, a container state it left, a containerID or pod IP it has
 * no more.
 */
export function strategicStatusPatch(status: V1PodStatus): Record<string, unknown> {
  const state = (s: V1ContainerStatus['state']): Record<string, unknown> => ({ waiting: null, running: null, terminated: null, ...(s ?? {}) });
  const containers = (list: V1ContainerStatus[] | undefined): Record<string, unknown>[] | undefined =>
    list?.map((c) => ({ ...c, containerID: c.containerID ?? null, state: state(c.state), lastState: state(c.lastState) }));
  return {
    ...status,
    podIP: status.podIP ?? null,
    conditions: status.conditions?.map((c) => ({ ...c, reason: c.reason ?? null, message: c.message ?? null })),
    initContainerStatuses: containers(status.initContainerStatuses),
    containerStatuses: containers(status.containerStatuses),
  };
}

/** Computes the pod's status (see the file comment). */
export function buildPodStatus(input: PodStatusInput): V1PodStatus {
  const sidecar = (i: number): boolean => input.initRestartable?.[i] === true;
  const initDone = input.init.length === input.initCount && input.init.every((s, i) => (sidecar(i) ? s.started : hasExitedZero(s)));
  const initFailed = input.init.some((s, i) => !sidecar(i) && s.done && !hasExitedZero(s));
  const sidecarsReady = input.init.every((s, i) => !sidecar(i) || s.ready);
  const containerStatuses: V1ContainerStatus[] = input.blocked
    ? input.blocked.containers.map((c) => ({
        name: c.name,
        image: c.image,
        imageID: '',
        ready: false,
        started: false,
        restartCount: 0,
        state: { waiting: { reason: input.blocked!.reason, message: input.blocked!.message } },
      }))
    : input.containers.map(toStatus);
  const all = input.containers;
  const started =
    all.length > 0 &&
    all.every((s) => s.state.running !== undefined || s.state.terminated !== undefined || s.restartCount > 0 || s.lastState.terminated !== undefined);
  const allDone = all.length > 0 && all.every((s) => s.done);
  let phase: string;
  if (initFailed) phase = 'Failed';
  else if (input.blocked || !initDone || !started) phase = 'Pending';
  else if (allDone) phase = all.every(hasExitedZero) ? 'Succeeded' : 'Failed';
  else phase = 'Running';
  const containersReady = !input.blocked && initDone && sidecarsReady && all.length > 0 && all.every((s) => s.ready);
  const gatesOpen = (input.readinessGates ?? []).every((g) => input.podConditions?.some((c) => c.type === g && c.status === 'True') === true);
  const ready = containersReady && gatesOpen;
  const now = new Date();
  const condition = (type: string, ok: boolean, reason?: string): V1PodCondition => {
    const status = ok ? 'True' : 'False';
    const prev = input.previous?.find((c) => c.type === type);
    const since = prev && prev.status === status && prev.lastTransitionTime ? prev.lastTransitionTime : now;
    return { type, status, lastTransitionTime: since, ...(ok || !reason ? {} : { reason }) } as V1PodCondition;
  };
  const ips = input.podIP ? [{ ip: input.podIP }] : [];
  return {
    phase,
    conditions: [
      condition('PodReadyToStartContainers', input.podIP !== ''),
      condition('Initialized', initDone, 'ContainersNotInitialized'),
      condition('Ready', ready, containersReady ? 'ReadinessGatesNotReady' : 'ContainersNotReady'),
      condition('ContainersReady', containersReady, 'ContainersNotReady'),
      condition('PodScheduled', true),
    ],
    hostIP: input.hostIP,
    hostIPs: [{ ip: input.hostIP }],
    podIP: input.podIP || undefined,
    podIPs: ips,
    startTime: input.startTime,
    initContainerStatuses: input.init.map(toStatus),
    containerStatuses,
    // No qosClass: the API server computes it at creation and it is immutable; a merge patch
    // without the key leaves it alone (a constant BestEffort was rejected for pods with resources).
  } as V1PodStatus;
}
