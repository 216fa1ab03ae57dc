/**
 * The control annotation: how `abort`, `retry` and `promote` reach the operator without touching
 * `spec`, so that a GitOps controller writing Git's spec back (Argo CD self-heal, Flux) cannot undo
 * them. This is Argo Rollouts' answer too: its abort and promote write the resource's status, not
 * its spec. An annotation is used instead of status because a user's RBAC usually allows
 * `patch clustertopologies` but not `clustertopologies/status`, and because Argo CD resource
 * actions and `kubectl annotate` can write it.
 *
 * ```
 * metadata:
 *   annotations:
 *     topology.foundation.dev/control: action=abort,target-epoch=7,id=2026-12-02T06:00:00.123Z
 * ```
 *
 * The value is a comma-separated list of `key=value`: `action` (required: abort, retry or
 * promote), `target-epoch` (optional: the epoch of the switch it is meant for; a request for
 * another epoch is stale and ignored) and `id` (optional, free text: makes a repeated request a new
 * value). The operator consumes a value once: it records it in `status.lastControlRequest`, and a
 * value equal to the recorded one is not acted on again (level-based: every reconcile sees the
 * annotation, only a new value is a new request). The annotation stays where it is; nothing needs to
 * remove it.
 *
 * Shared by the operator (src/operator/rollout/control.ts), the kubectl plugin and the Argo CD
 * actions (deploy/argocd/actions/), which all write or read this one format.
 */
import { ANNOTATIONS } from './constants.js';

/** The annotation key. */
export const CONTROL_ANNOTATION = ANNOTATIONS.control;

/** What a control request asks for. */
export const CONTROL_ACTIONS = ['abort', 'retry', 'promote'] as const;
/** One of {@link CONTROL_ACTIONS}. */
export type ControlAction = (typeof CONTROL_ACTIONS)[number];

/**
 * Longest value the operator reads (characters): an annotation is bounded only by the 256 KiB of
 * all annotations together, and the value is copied into status. Three short fields fit in 200.
 */
export const MAX_CONTROL_VALUE_LENGTH = 256;

/** A parsed request. */
export interface ControlRequest {
  action: ControlAction;
  /** The epoch of the switch the request is meant for; absent: whatever switch it applies to now. */
  targetEpoch?: number;
  /** Free text that makes a repeated request a new value (the plugin writes the time). */
  id?: string;
}

/** The outcome of {@link parseControlRequest}: a request, or why the value is not one. */
export type ParsedControlRequest = { ok: true; request: ControlRequest } | { ok: false; message: string };

const KEYS = ['action', 'target-epoch', 'id'] as const;

/** Parses the annotation's value. Every problem is named, with the value it found. */
export function parseControlRequest(value: string): ParsedControlRequest {
  const where = `annotation ${CONTROL_ANNOTATION}`;
  if (value.length > MAX_CONTROL_VALUE_LENGTH)
    return { ok: false, message: `${where} is ${value.length} characters long; at most ${MAX_CONTROL_VALUE_LENGTH}` };
  const fields = new Map<string, string>();
  for (const part of value.split(',')) {
    const item = part.trim();
    if (item === '') continue;
    const eq = item.indexOf('=');
    if (eq <= 0) return { ok: false, message: `${where}: "${item}" is not key=value (expected action=abort|retry|promote[,target-epoch=N][,id=TEXT])` };
    const key = item.slice(0, eq).trim();
    if (!(KEYS as readonly string[]).includes(key)) return { ok: false, message: `${where}: unknown key "${key}" (known: ${KEYS.join(', ')})` };
    if (fields.has(key)) return { ok: false, message: `${where}: key "${key}" appears twice` };
    fields.set(key, item.slice(eq + 1).trim());
  }
  const action = fields.get('action');
  if (action === undefined) return { ok: false, message: `${where}: action is required (action=abort, action=retry or action=promote)` };
  if (!(CONTROL_ACTIONS as readonly string[]).includes(action))
    return { ok: false, message: `${where}: action "${action}" is not one of ${CONTROL_ACTIONS.join(', ')}` };
  const request: ControlRequest = { action: action as ControlAction };
  const epoch = fields.get('target-epoch');
  if (epoch !== undefined) {
    if (!/^[0-9]{1,15}$/.test(epoch)) return { ok: false, message: `${where}: target-epoch "${epoch}" is not a non-negative integer` };
    request.targetEpoch = Number(epoch);
  }
  const id = fields.get('id');
  if (id !== undefined && id !== '') request.id = id;
  return { ok: true, request };
}

/** Formats a request as the annotation's value (the inverse of {@link parseControlRequest}). */
export function formatControlRequest(request: ControlRequest): string {
  const parts = [`action=${request.action}`];
  if (request.targetEpoch !== undefined) parts.push(`target-epoch=${request.targetEpoch}`);
  if (request.id !== undefined) parts.push(`id=${request.id.replace(/,/g, ' ')}`);
  return parts.join(',');
}
