// Original file: proto/topology/v1/control.proto


export interface ClientServerParams {
  'serverIds'?: (string)[];
  'servers'?: (number);
  '_servers'?: "servers";
}

export interface ClientServerParams__Output {
  'serverIds': (string)[];
  'servers'?: (number);
  '_servers'?: "servers";
}
