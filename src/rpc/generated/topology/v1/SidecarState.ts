// Original file: proto/topology/v1/control.proto

import type { OverlayState as _topology_v1_OverlayState, OverlayState__Output as _topology_v1_OverlayState__Output } from '../../topology/v1/OverlayState.js';
import type { Long } from '@grpc/proto-loader';

export interface SidecarState {
  'pod'?: (string);
  'self'?: (string);
  'activeEpoch'?: (number | string | Long);
  'stagedEpoch'?: (number | string | Long);
  'routeEpoch'?: (number | string | Long);
  'overlays'?: (_topology_v1_OverlayState)[];
  'members'?: (string)[];
  'startedAtMs'?: (number | string);
  'fencingGeneration'?: (number | string | Long);
  'fencingHolder'?: (string);
  'tags'?: ({[key: string]: string});
  'memberInfoDigest'?: (string);
}

export interface SidecarState__Output {
  'pod': (string);
  'self': (string);
  'activeEpoch': (number);
  'stagedEpoch': (number);
  'routeEpoch': (number);
  'overlays': (_topology_v1_OverlayState__Output)[];
  'members': (string)[];
  'startedAtMs': (number);
  'fencingGeneration': (number);
  'fencingHolder': (string);
  'tags': ({[key: string]: string});
  'memberInfoDigest': (string);
}
