// Original file: proto/topology/v1/overlay.proto

import type { Long } from '@grpc/proto-loader';

export interface MembersReply {
  'self'?: (string);
  'members'?: (string)[];
  'epoch'?: (number | string | Long);
}

export interface MembersReply__Output {
  'self': (string);
  'members': (string)[];
  'epoch': (number);
}
