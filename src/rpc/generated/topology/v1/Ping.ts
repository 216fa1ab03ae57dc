// Original file: proto/topology/v1/peer.proto

import type { Long } from '@grpc/proto-loader';

export interface Ping {
  'nonce'?: (number | string | Long);
  'sentAtMs'?: (number | string);
}

export interface Ping__Output {
  'nonce': (number);
  'sentAtMs': (number);
}
