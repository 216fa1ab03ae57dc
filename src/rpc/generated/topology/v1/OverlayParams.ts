// Original file: proto/topology/v1/control.proto

import type { HyParViewParams as _topology_v1_HyParViewParams, HyParViewParams__Output as _topology_v1_HyParViewParams__Output } from '../../topology/v1/HyParViewParams.js';
import type { PubSubParams as _topology_v1_PubSubParams, PubSubParams__Output as _topology_v1_PubSubParams__Output } from '../../topology/v1/PubSubParams.js';
import type { ClientServerParams as _topology_v1_ClientServerParams, ClientServerParams__Output as _topology_v1_ClientServerParams__Output } from '../../topology/v1/ClientServerParams.js';

export interface OverlayParams {
  'hyparview'?: (_topology_v1_HyParViewParams | null);
  'pubsub'?: (_topology_v1_PubSubParams | null);
  'clientServer'?: (_topology_v1_ClientServerParams | null);
}

export interface OverlayParams__Output {
  'hyparview': (_topology_v1_HyParViewParams__Output | null);
  'pubsub': (_topology_v1_PubSubParams__Output | null);
  'clientServer': (_topology_v1_ClientServerParams__Output | null);
}
