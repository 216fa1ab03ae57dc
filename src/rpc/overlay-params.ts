/**
 * Maps overlay parameters across the wire, both ways, in one place: the resource's resolved spec
 * to the Control API's topology enum and parameters (the operator's side), and those back to the
 * overlay engine's names and options (the sidecar's side). Unset proto fields stay unset, so the
 * overlays' own documented defaults apply.
 */
import type { ResolvedSpec } from '../api/types.js';
import type { OverlayKind } from '../overlays/types.js';
import type { OverlayOptions } from '../overlays/index.js';
import type { Topology__Output } from './generated/topology/v1/Topology.js';
import type { OverlayParams, OverlayParams__Output } from './generated/topology/v1/OverlayParams.js';

/** Proto enum name of each overlay kind. */
export const TOPOLOGY_OF_KIND: Readonly<Record<OverlayKind, Exclude<Topology__Output, 'TOPOLOGY_UNSPECIFIED'>>> = {
  FullMesh: 'FULL_MESH',
  HyParView: 'HYPAR_VIEW',
  ClientServer: 'CLIENT_SERVER',
  PubSub: 'PUB_SUB',
};

/** Overlay kind of a proto enum value, or undefined for an unknown or unspecified one. */
export function kindOfTopology(t: Topology__Output | string | number | undefined): OverlayKind | undefined {
  for (const [kind, name] of Object.entries(TOPOLOGY_OF_KIND)) if (name === t) return kind as OverlayKind;
  return undefined;
}

/** The overlay-specific part of {@link OverlayOptions}. */
export type OverlayParamOptions = Pick<OverlayOptions, 'hyParView' | 'pubSub' | 'clientServer'>;

function defined(o: Record<string, number | string[] | undefined>): Record<string, number | string[]> {
  const out: Record<string, number | string[]> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out;
}

/**
 * Overlay options from the proto parameters. ClientServer's `servers` count takes the first N of
 * the member list, in the operator's order (the CRD's "first N ordinals").
 */
export function overlayParamOptions(params: OverlayParams__Output | null | undefined): OverlayParamOptions {
  const out: { -readonly [K in keyof OverlayParamOptions]: OverlayParamOptions[K] } = {};
  const h = params?.hyparview;
  if (h) {
    out.hyParView = defined({
      activeViewSize: h.activeViewSize,
      passiveViewSize: h.passiveViewSize,
      activeRandomWalkLength: h.activeRandomWalkLength,
      passiveRandomWalkLength: h.passiveRandomWalkLength,
      shuffleIntervalMs: h.shuffleIntervalMs,
      shuffleActive: h.shuffleActive,
      shufflePassive: h.shufflePassive,
    }) as OverlayParamOptions['hyParView'];
  }
  const p = params?.pubsub;
  if (p) {
    out.pubSub = defined({
      lazyPushDelayMs: p.lazyPushDelayMs,
      graftTimeoutMs: p.graftTimeoutMs,
      optimizationThreshold: p.optimizationThreshold,
    }) as OverlayParamOptions['pubSub'];
  }
  const c = params?.clientServer;
  if (c && c.serverIds.length > 0) out.clientServer = { servers: [...c.serverIds] };
  else if (c?.servers !== undefined) out.clientServer = { defaultServerCount: c.servers };
  return out;
}

/** The Control API's overlay parameters from the resolved spec (unset proto fields keep the overlays' defaults). */
export function overlayParams(spec: ResolvedSpec, kind: OverlayKind, servers: readonly string[] | undefined): OverlayParams {
  const h = spec.overlays.hyParView;
  const p = spec.overlays.pubSub;
  const params: OverlayParams = {
    hyparview: {
      activeViewSize: h.activeViewSize,
      passiveViewSize: h.passiveViewSize,
      activeRandomWalkLength: h.activeRandomWalkLength,
      passiveRandomWalkLength: h.passiveRandomWalkLength,
      shuffleIntervalMs: h.shuffleIntervalSeconds * 1000,
      shuffleActive: h.shuffleActive,
      shufflePassive: h.shufflePassive,
    },
    pubsub: { lazyPushDelayMs: p.lazyPushDelayMs, graftTimeoutMs: p.graftTimeoutMs, optimizationThreshold: p.optimizationThreshold },
  };
  if (kind === 'ClientServer')
    params.clientServer = servers !== undefined && servers.length > 0 ? { serverIds: [...servers] } : { servers: spec.overlays.clientServer.servers };
  return params;
}
