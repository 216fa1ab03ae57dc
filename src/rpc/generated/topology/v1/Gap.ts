// Original file: proto/topology/v1/overlay.proto

import type { GapReason as _topology_v1_GapReason, GapReason__Output as _topology_v1_GapReason__Output } from '../../topology/v1/GapReason.js';
import type { GapRange as _topology_v1_GapRange, GapRange__Output as _topology_v1_GapRange__Output } from '../../topology/v1/GapRange.js';
import type { Long } from '@grpc/proto-loader';

export interface Gap {
  'reason'?: (_topology_v1_GapReason);
  'count'?: (number | string | Long);
  'ranges'?: (_topology_v1_GapRange)[];
  'detail'?: (string);
}

export interface Gap__Output {
  'reason': (_topology_v1_GapReason__Output);
  'count': (number);
  'ranges': (_topology_v1_GapRange__Output)[];
  'detail': (string);
}
