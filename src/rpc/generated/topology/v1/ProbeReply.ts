// Original file: proto/topology/v1/control.proto

import type { ProbeResult as _topology_v1_ProbeResult, ProbeResult__Output as _topology_v1_ProbeResult__Output } from '../../topology/v1/ProbeResult.js';
import type { Long } from '@grpc/proto-loader';

export interface ProbeReply {
  'epoch'?: (number | string | Long);
  'probes'?: (_topology_v1_ProbeResult)[];
  'complete'?: (boolean);
}

export interface ProbeReply__Output {
  'epoch': (number);
  'probes': (_topology_v1_ProbeResult__Output)[];
  'complete': (boolean);
}
