// Original file: proto/topology/v1/peer.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { PeerFrame as _topology_v1_PeerFrame, PeerFrame__Output as _topology_v1_PeerFrame__Output } from '../../topology/v1/PeerFrame.js';

export interface PeerClient extends grpc.Client {
  Link(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_topology_v1_PeerFrame, _topology_v1_PeerFrame__Output>;
  Link(options?: grpc.CallOptions): grpc.ClientDuplexStream<_topology_v1_PeerFrame, _topology_v1_PeerFrame__Output>;
  link(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_topology_v1_PeerFrame, _topology_v1_PeerFrame__Output>;
  link(options?: grpc.CallOptions): grpc.ClientDuplexStream<_topology_v1_PeerFrame, _topology_v1_PeerFrame__Output>;
  
}

export interface PeerHandlers extends grpc.UntypedServiceImplementation {
  Link: grpc.handleBidiStreamingCall<_topology_v1_PeerFrame__Output, _topology_v1_PeerFrame>;
  
}

export interface PeerDefinition extends grpc.ServiceDefinition {
  Link: MethodDefinition<_topology_v1_PeerFrame, _topology_v1_PeerFrame, _topology_v1_PeerFrame__Output, _topology_v1_PeerFrame__Output>
}
