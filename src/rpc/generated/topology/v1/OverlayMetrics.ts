// Original file: proto/topology/v1/control.proto

import type { Topology as _topology_v1_Topology, Topology__Output as _topology_v1_Topology__Output } from '../../topology/v1/Topology.js';
import type { NeighborMetrics as _topology_v1_NeighborMetrics, NeighborMetrics__Output as _topology_v1_NeighborMetrics__Output } from '../../topology/v1/NeighborMetrics.js';
import type { Long } from '@grpc/proto-loader';

export interface OverlayMetrics {
  'epoch'?: (number | string | Long);
  'topology'?: (_topology_v1_Topology);
  'role'?: (string);
  'activeViewSize'?: (number);
  'passiveViewSize'?: (number);
  'connections'?: (number);
  'neighbors'?: (_topology_v1_NeighborMetrics)[];
  'bytesIn'?: (number | string | Long);
  'bytesOut'?: (number | string | Long);
  'messagesIn'?: (number | string | Long);
  'messagesOut'?: (number | string | Long);
  'queueLength'?: (number);
  'maxQueueLength'?: (number);
  'duplicatesDropped'?: (number | string | Long);
  'delivered'?: (number | string | Long);
  'deliveryLatencyP50Ms'?: (number | string);
  'deliveryLatencyP99Ms'?: (number | string);
  'neighborLossEvents'?: (number | string | Long);
  'sendFailures'?: (number | string | Long);
}

export interface OverlayMetrics__Output {
  'epoch': (number);
  'topology': (_topology_v1_Topology__Output);
  'role': (string);
  'activeViewSize': (number);
  'passiveViewSize': (number);
  'connections': (number);
  'neighbors': (_topology_v1_NeighborMetrics__Output)[];
  'bytesIn': (number);
  'bytesOut': (number);
  'messagesIn': (number);
  'messagesOut': (number);
  'queueLength': (number);
  'maxQueueLength': (number);
  'duplicatesDropped': (number);
  'delivered': (number);
  'deliveryLatencyP50Ms': (number);
  'deliveryLatencyP99Ms': (number);
  'neighborLossEvents': (number);
  'sendFailures': (number);
}
