// Original file: proto/topology/v1/overlay.proto


export interface SendRequest {
  'to'?: (string);
  'payload'?: (Buffer | Uint8Array | string);
  'ack'?: (boolean);
}

export interface SendRequest__Output {
  'to': (string);
  'payload': (Buffer);
  'ack': (boolean);
}
