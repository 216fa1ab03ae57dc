// Original file: proto/topology/v1/overlay.proto

import type { Long } from '@grpc/proto-loader';

export interface SendReply {
  'id'?: (string);
  'epoch'?: (number | string | Long);
  'session'?: (string);
  'seq'?: (number | string | Long);
}

export interface SendReply__Output {
  'id': (string);
  'epoch': (number);
  'session': (string);
  'seq': (number);
}
