// Original file: proto/topology/v1/peer.proto


export interface Hello {
  'from'?: (string);
  'pod'?: (string);
}

export interface Hello__Output {
  'from': (string);
  'pod': (string);
}
