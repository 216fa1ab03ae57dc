// Original file: proto/topology/v1/overlay.proto

import type { DeliveryKind as _topology_v1_DeliveryKind, DeliveryKind__Output as _topology_v1_DeliveryKind__Output } from '../../topology/v1/DeliveryKind.js';
import type { Gap as _topology_v1_Gap, Gap__Output as _topology_v1_Gap__Output } from '../../topology/v1/Gap.js';
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
  'kind'?: (_topology_v1_DeliveryKind);
  'cursor'?: (number | string | Long);
  'session'?: (string);
  'originSession'?: (string);
  'seq'?: (number | string | Long);
  'gap'?: (_topology_v1_Gap | null);
  'topic'?: (string);
  'requestId'?: (string);
  'deadlineMs'?: (number | string);
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
  'kind': (_topology_v1_DeliveryKind__Output);
  'cursor': (number);
  'session': (string);
  'originSession': (string);
  'seq': (number);
  'gap': (_topology_v1_Gap__Output | null);
  'topic': (string);
  'requestId': (string);
  'deadlineMs': (number);
}
