// Original file: proto/topology/v1/control.proto

import type { OverlayMetrics as _topology_v1_OverlayMetrics, OverlayMetrics__Output as _topology_v1_OverlayMetrics__Output } from '../../topology/v1/OverlayMetrics.js';
import type { Long } from '@grpc/proto-loader';

export interface SidecarMetrics {
  'pod'?: (string);
  'self'?: (string);
  'overlays'?: (_topology_v1_OverlayMetrics)[];
  'unauthenticatedTotal'?: (number | string | Long);
  'malformedTotal'?: (number | string | Long);
  'appDeliveredTotal'?: (number | string | Long);
  'appDuplicatesTotal'?: (number | string | Long);
  'cpuSeconds'?: (number | string);
  'rssBytes'?: (number | string | Long);
  'heapUsedBytes'?: (number | string | Long);
  'malformedByReason'?: ({[key: string]: number | string | Long});
  'uncaughtErrorsTotal'?: (number | string | Long);
  'refusedDialsTotal'?: (number | string | Long);
  'bufferedBytes'?: ({[key: string]: number | string | Long});
  'bufferRefusals'?: ({[key: string]: number | string | Long});
  'fencingRefusedTotal'?: (number | string | Long);
}

export interface SidecarMetrics__Output {
  'pod': (string);
  'self': (string);
  'overlays': (_topology_v1_OverlayMetrics__Output)[];
  'unauthenticatedTotal': (number);
  'malformedTotal': (number);
  'appDeliveredTotal': (number);
  'appDuplicatesTotal': (number);
  'cpuSeconds': (number);
  'rssBytes': (number);
  'heapUsedBytes': (number);
  'malformedByReason': ({[key: string]: number});
  'uncaughtErrorsTotal': (number);
  'refusedDialsTotal': (number);
  'bufferedBytes': ({[key: string]: number});
  'bufferRefusals': ({[key: string]: number});
  'fencingRefusedTotal': (number);
}
