/**
 * What the sidecar node takes from Control and gives to the app: the shapes shared by the node
 * (sidecar-node.ts) and the services that translate the protos (control-service.ts,
 * app-service.ts).
 */
import type * as grpc from '@grpc/grpc-js';
import type { NodeId, OverlayKind } from '../overlays/types.js';
import type { OverlayParamOptions } from '../rpc/overlay-params.js';
import type { MalformedReason } from './refusals.js';

/** What Prepare needs to form an overlay. */
export interface PrepareSpec {
  readonly epoch: number;
  readonly kind: OverlayKind;
  readonly params: OverlayParamOptions;
  readonly members: readonly NodeId[];
  readonly contacts: readonly NodeId[];
  readonly seed: number;
}

/** Outcome of an app send. */
export type AppSendResult =
  | { readonly ok: true; readonly id: string; readonly epoch: number; readonly session: string; readonly seq: number }
  | { readonly ok: false; readonly code: grpc.status; readonly reason: string; readonly counted?: MalformedReason };
