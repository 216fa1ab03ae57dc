// Original file: proto/topology/v1/control.proto


export interface MemberInfo {
  'address'?: (string);
  'pod'?: (string);
  'tags'?: ({[key: string]: string});
}

export interface MemberInfo__Output {
  'address': (string);
  'pod': (string);
  'tags': ({[key: string]: string});
}
