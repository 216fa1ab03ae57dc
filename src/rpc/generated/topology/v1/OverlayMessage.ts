// Original file: proto/topology/v1/peer.proto

import type { AppMessage as _topology_v1_AppMessage, AppMessage__Output as _topology_v1_AppMessage__Output } from '../../topology/v1/AppMessage.js';
import type { Reply as _topology_v1_Reply, Reply__Output as _topology_v1_Reply__Output } from '../../topology/v1/Reply.js';

export interface OverlayMessage {
  'type'?: (string);
  'peer'?: (string);
  'peers'?: (string)[];
  'ttl'?: (number);
  'high'?: (boolean);
  'accepted'?: (boolean);
  'id'?: (string);
  'ids'?: (string)[];
  'round'?: (number | string);
  'app'?: (_topology_v1_AppMessage | null);
  'hops'?: (number);
  'presentLists'?: (number);
  'route'?: (string)[];
  'reply'?: (_topology_v1_Reply | null);
  '_peer'?: "peer";
  '_ttl'?: "ttl";
  '_high'?: "high";
  '_accepted'?: "accepted";
  '_id'?: "id";
  '_round'?: "round";
  '_app'?: "app";
  '_hops'?: "hops";
  '_reply'?: "reply";
}

export interface OverlayMessage__Output {
  'type': (string);
  'peer'?: (string);
  'peers': (string)[];
  'ttl'?: (number);
  'high'?: (boolean);
  'accepted'?: (boolean);
  'id'?: (string);
  'ids': (string)[];
  'round'?: (number);
  'app'?: (_topology_v1_AppMessage__Output | null);
  'hops'?: (number);
  'presentLists': (number);
  'route': (string)[];
  'reply'?: (_topology_v1_Reply__Output | null);
  '_peer'?: "peer";
  '_ttl'?: "ttl";
  '_high'?: "high";
  '_accepted'?: "accepted";
  '_id'?: "id";
  '_round'?: "round";
  '_app'?: "app";
  '_hops'?: "hops";
  '_reply'?: "reply";
}
