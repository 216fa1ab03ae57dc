// Original file: proto/topology/v1/control.proto

import type { Long } from '@grpc/proto-loader';

export interface ProbeRequest {
  'epoch'?: (number | string | Long);
  'count'?: (number);
  'timeoutMs'?: (number);
  'expect'?: (string)[];
}

export interface ProbeRequest__Output {
  'epoch': (number);
  'count': (number);
  'timeoutMs': (number);
  'expect': (string)[];
}
