// Original file: proto/topology/v1/control.proto


export interface NeighborMetrics {
  'peer'?: (string);
  'rttEwmaMs'?: (number | string);
  'rttP99Ms'?: (number | string);
  'queueLength'?: (number);
}

export interface NeighborMetrics__Output {
  'peer': (string);
  'rttEwmaMs': (number);
  'rttP99Ms': (number);
  'queueLength': (number);
}
