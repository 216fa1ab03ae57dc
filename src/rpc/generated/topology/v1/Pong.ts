// Original file: proto/topology/v1/peer.proto

import type { Long } from '@grpc/proto-loader';

export interface Pong {
  'nonce'?: (number | string | Long);
  'sentAtMs'?: (number | string);
}

export interface Pong__Output {
  'nonce': (number);
  'sentAtMs': (number);
}
