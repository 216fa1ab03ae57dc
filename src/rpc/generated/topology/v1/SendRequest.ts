// Original file: proto/topology/v1/overlay.proto


export interface SendRequest {
  'to'?: (string);
  'payload'?: (Buffer | Uint8Array | string);
}

export interface SendRequest__Output {
  'to': (string);
  'payload': (Buffer);
}
