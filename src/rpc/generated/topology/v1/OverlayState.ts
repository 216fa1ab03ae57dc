// Original file: proto/topology/v1/control.proto

import type { Topology as _topology_v1_Topology, Topology__Output as _topology_v1_Topology__Output } from '../../topology/v1/Topology.js';
import type { Long } from '@grpc/proto-loader';

export interface OverlayState {
  'epoch'?: (number | string | Long);
  'topology'?: (_topology_v1_Topology);
  'role'?: (string);
  'activeView'?: (string)[];
  'passiveView'?: (string)[];
  'members'?: (string)[];
  'connections'?: (number);
}

export interface OverlayState__Output {
  'epoch': (number);
  'topology': (_topology_v1_Topology__Output);
  'role': (string);
  'activeView': (string)[];
  'passiveView': (string)[];
  'members': (string)[];
  'connections': (number);
}
