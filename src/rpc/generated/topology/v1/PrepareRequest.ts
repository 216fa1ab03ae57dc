// Original file: proto/topology/v1/control.proto

import type { Topology as _topology_v1_Topology, Topology__Output as _topology_v1_Topology__Output } from '../../topology/v1/Topology.js';
import type { OverlayParams as _topology_v1_OverlayParams, OverlayParams__Output as _topology_v1_OverlayParams__Output } from '../../topology/v1/OverlayParams.js';
import type { Long } from '@grpc/proto-loader';

export interface PrepareRequest {
  'epoch'?: (number | string | Long);
  'topology'?: (_topology_v1_Topology);
  'params'?: (_topology_v1_OverlayParams | null);
  'members'?: (string)[];
  'contacts'?: (string)[];
  'seed'?: (number);
}

export interface PrepareRequest__Output {
  'epoch': (number);
  'topology': (_topology_v1_Topology__Output);
  'params': (_topology_v1_OverlayParams__Output | null);
  'members': (string)[];
  'contacts': (string)[];
  'seed': (number);
}
