// Original file: proto/topology/v1/overlay.proto


export interface QueryRequest {
  'payload'?: (Buffer | Uint8Array | string);
  'timeoutMs'?: (number);
  'topic'?: (string);
  'tagFilter'?: ({[key: string]: string});
}

export interface QueryRequest__Output {
  'payload': (Buffer);
  'timeoutMs': (number);
  'topic': (string);
  'tagFilter': ({[key: string]: string});
}
