// Original file: proto/topology/v1/overlay.proto


export interface Member {
  'address'?: (string);
  'pod'?: (string);
  'tags'?: ({[key: string]: string});
}

export interface Member__Output {
  'address': (string);
  'pod': (string);
  'tags': ({[key: string]: string});
}
