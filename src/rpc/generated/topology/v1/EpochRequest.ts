// Original file: proto/topology/v1/control.proto

import type { Long } from '@grpc/proto-loader';

export interface EpochRequest {
  'epoch'?: (number | string | Long);
}

export interface EpochRequest__Output {
  'epoch': (number);
}
