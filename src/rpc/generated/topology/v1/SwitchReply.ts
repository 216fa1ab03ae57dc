// Original file: proto/topology/v1/control.proto

import type { Long } from '@grpc/proto-loader';

export interface SwitchReply {
  'activeEpoch'?: (number | string | Long);
  'stagedEpoch'?: (number | string | Long);
  'routeEpoch'?: (number | string | Long);
  'changed'?: (boolean);
}

export interface SwitchReply__Output {
  'activeEpoch': (number);
  'stagedEpoch': (number);
  'routeEpoch': (number);
  'changed': (boolean);
}
