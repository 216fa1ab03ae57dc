// Original file: proto/topology/v1/overlay.proto

import type { Long } from '@grpc/proto-loader';

export interface GapRange {
  'origin'?: (string);
  'originSession'?: (string);
  'direct'?: (boolean);
  'fromSeq'?: (number | string | Long);
  'toSeq'?: (number | string | Long);
}

export interface GapRange__Output {
  'origin': (string);
  'originSession': (string);
  'direct': (boolean);
  'fromSeq': (number);
  'toSeq': (number);
}
