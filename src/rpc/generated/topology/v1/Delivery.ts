// Original file: proto/topology/v1/overlay.proto

import type { Long } from '@grpc/proto-loader';

export interface Delivery {
  'id'?: (string);
  'origin'?: (string);
  'to'?: (string);
  'payload'?: (Buffer | Uint8Array | string);
  'sentAtMs'?: (number | string);
  'deliveredAtMs'?: (number | string);
  'hops'?: (number);
  'epoch'?: (number | string | Long);
}

export interface Delivery__Output {
  'id': (string);
  'origin': (string);
  'to': (string);
  'payload': (Buffer);
  'sentAtMs': (number);
  'deliveredAtMs': (number);
  'hops': (number);
  'epoch': (number);
}
