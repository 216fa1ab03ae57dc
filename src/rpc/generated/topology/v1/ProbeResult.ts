// Original file: proto/topology/v1/control.proto


export interface ProbeResult {
  'id'?: (string);
  'ackedBy'?: (string)[];
  'missing'?: (string)[];
  'maxLatencyMs'?: (number | string);
}

export interface ProbeResult__Output {
  'id': (string);
  'ackedBy': (string)[];
  'missing': (string)[];
  'maxLatencyMs': (number);
}
