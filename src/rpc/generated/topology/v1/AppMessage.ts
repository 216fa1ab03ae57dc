// Original file: proto/topology/v1/peer.proto


export interface AppMessage {
  'id'?: (string);
  'origin'?: (string);
  'to'?: (string);
  'payload'?: (Buffer | Uint8Array | string);
  'sentAt'?: (number | string);
}

export interface AppMessage__Output {
  'id': (string);
  'origin': (string);
  'to': (string);
  'payload': (Buffer);
  'sentAt': (number);
}
