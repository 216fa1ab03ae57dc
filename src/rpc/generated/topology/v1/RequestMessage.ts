// Original file: proto/topology/v1/overlay.proto


export interface RequestMessage {
  'to'?: (string);
  'payload'?: (Buffer | Uint8Array | string);
  'timeoutMs'?: (number);
}

export interface RequestMessage__Output {
  'to': (string);
  'payload': (Buffer);
  'timeoutMs': (number);
}
