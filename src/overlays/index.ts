/**
 * Public surface of the overlay engine: the four overlays behind one factory.
 *
 * The sidecar and the simulator create overlays only through {@link createOverlay}, so they never
 * depend on a particular overlay's class.
 */
import type { NodeId, Overlay, OverlayKind } from './types.js';
import type { Random } from './random.js';
import { FullMesh, type FullMeshMessage, type FullMeshTimer } from './full-mesh.js';
import { HyParView, type HyParViewConfig, type HyParViewMessage, type HyParViewTimer } from './hyparview.js';
import { ClientServer, type ClientServerConfig, type ClientServerMessage, type ClientServerTimer } from './client-server.js';
import { PubSub, type PubSubMessage, type PubSubTimer } from './pubsub.js';
import type { PlumtreeConfig } from './plumtree.js';

export * from './types.js';
export * from './random.js';
export * from './dedup.js';

/** Any overlay's wire message: the union the sidecar encodes on the Peer stream. */
export type OverlayMessage = FullMeshMessage | HyParViewMessage | ClientServerMessage | PubSubMessage;

/** Any overlay's timer. */
export type OverlayTimer = FullMeshTimer | HyParViewTimer | ClientServerTimer | PubSubTimer;

/** An overlay of any kind, as executors hold it. */
export type AnyOverlay = Overlay<OverlayMessage, OverlayTimer>;

/** What {@link createOverlay} needs: identity, a seeded random source, and per-overlay parameters. */
export interface OverlayOptions {
  readonly self: NodeId;
  readonly random: Random;
  /** HyParView parameters (also the membership layer of PubSub); unset fields take the defaults. */
  readonly hyParView?: Partial<HyParViewConfig>;
  /** Plumtree parameters for PubSub; unset fields take the defaults. */
  readonly pubSub?: Partial<PlumtreeConfig>;
  /** ClientServer parameters: which members serve. */
  readonly clientServer?: Partial<ClientServerConfig>;
}

/** Creates an overlay of `kind` for one member. */
export function createOverlay(kind: OverlayKind, options: OverlayOptions): AnyOverlay {
  switch (kind) {
    case 'FullMesh':
      return new FullMesh(options.self) as AnyOverlay;
    case 'HyParView':
      return new HyParView(options.self, options.random, options.hyParView) as AnyOverlay;
    case 'ClientServer':
      return new ClientServer(options.self, options.clientServer) as AnyOverlay;
    case 'PubSub':
      return new PubSub(options.self, options.random, options.hyParView, options.pubSub) as AnyOverlay;
  }
}
