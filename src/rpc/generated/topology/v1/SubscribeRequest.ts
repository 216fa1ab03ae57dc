// Original file: proto/topology/v1/overlay.proto

import type { Long } from '@grpc/proto-loader';

export interface SubscribeRequest {
  'resumeSession'?: (string);
  'resumeAfter'?: (number | string | Long);
  'topics'?: (string)[];
}

export interface SubscribeRequest__Output {
  'resumeSession': (string);
  'resumeAfter': (number);
  'topics': (string)[];
}
