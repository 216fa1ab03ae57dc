// Original file: proto/topology/v1/overlay.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { BroadcastRequest as _topology_v1_BroadcastRequest, BroadcastRequest__Output as _topology_v1_BroadcastRequest__Output } from '../../topology/v1/BroadcastRequest.js';
import type { Delivery as _topology_v1_Delivery, Delivery__Output as _topology_v1_Delivery__Output } from '../../topology/v1/Delivery.js';
import type { MembersReply as _topology_v1_MembersReply, MembersReply__Output as _topology_v1_MembersReply__Output } from '../../topology/v1/MembersReply.js';
import type { MembersRequest as _topology_v1_MembersRequest, MembersRequest__Output as _topology_v1_MembersRequest__Output } from '../../topology/v1/MembersRequest.js';
import type { SendReply as _topology_v1_SendReply, SendReply__Output as _topology_v1_SendReply__Output } from '../../topology/v1/SendReply.js';
import type { SendRequest as _topology_v1_SendRequest, SendRequest__Output as _topology_v1_SendRequest__Output } from '../../topology/v1/SendRequest.js';
import type { SubscribeRequest as _topology_v1_SubscribeRequest, SubscribeRequest__Output as _topology_v1_SubscribeRequest__Output } from '../../topology/v1/SubscribeRequest.js';

export interface OverlayClient extends grpc.Client {
  Broadcast(argument: _topology_v1_BroadcastRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_topology_v1_SendReply__Output>): grpc.ClientUnaryCall;
  Broadcast(argument: _topology_v1_BroadcastRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_topology_v1_SendReply__Output>): grpc.ClientUnaryCall;
  Broadcast(argument: _topology_v1_BroadcastRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_topology_v1_SendReply__Output>): grpc.ClientUnaryCall;
  Broadcast(argument: _topology_v1_BroadcastRequest, callback: grpc.requestCallback<_topology_v1_SendReply__Output>): grpc.ClientUnaryCall;
  broadcast(argument: _topology_v1_BroadcastRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_topology_v1_SendReply__Output>): grpc.ClientUnaryCall;
  broadcast(argument: _topology_v1_BroadcastRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_topology_v1_SendReply__Output>): grpc.ClientUnaryCall;
  broadcast(argument: _topology_v1_BroadcastRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_topology_v1_SendReply__Output>): grpc.ClientUnaryCall;
  broadcast(argument: _topology_v1_BroadcastRequest, callback: grpc.requestCallback<_topology_v1_SendReply__Output>): grpc.ClientUnaryCall;
  
  Members(argument: _topology_v1_MembersRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_topology_v1_MembersReply__Output>): grpc.ClientUnaryCall;
  Members(argument: _topology_v1_MembersRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_topology_v1_MembersReply__Output>): grpc.ClientUnaryCall;
  Members(argument: _topology_v1_MembersRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_topology_v1_MembersReply__Output>): grpc.ClientUnaryCall;
  Members(argument: _topology_v1_MembersRequest, callback: grpc.requestCallback<_topology_v1_MembersReply__Output>): grpc.ClientUnaryCall;
  members(argument: _topology_v1_MembersRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_topology_v1_MembersReply__Output>): grpc.ClientUnaryCall;
  members(argument: _topology_v1_MembersRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_topology_v1_MembersReply__Output>): grpc.ClientUnaryCall;
  members(argument: _topology_v1_MembersRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_topology_v1_MembersReply__Output>): grpc.ClientUnaryCall;
  members(argument: _topology_v1_MembersRequest, callback: grpc.requestCallback<_topology_v1_MembersReply__Output>): grpc.ClientUnaryCall;
  
  Send(argument: _topology_v1_SendRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_topology_v1_SendReply__Output>): grpc.ClientUnaryCall;
  Send(argument: _topology_v1_SendRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_topology_v1_SendReply__Output>): grpc.ClientUnaryCall;
  Send(argument: _topology_v1_SendRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_topology_v1_SendReply__Output>): grpc.ClientUnaryCall;
  Send(argument: _topology_v1_SendRequest, callback: grpc.requestCallback<_topology_v1_SendReply__Output>): grpc.ClientUnaryCall;
  send(argument: _topology_v1_SendRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_topology_v1_SendReply__Output>): grpc.ClientUnaryCall;
  send(argument: _topology_v1_SendRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_topology_v1_SendReply__Output>): grpc.ClientUnaryCall;
  send(argument: _topology_v1_SendRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_topology_v1_SendReply__Output>): grpc.ClientUnaryCall;
  send(argument: _topology_v1_SendRequest, callback: grpc.requestCallback<_topology_v1_SendReply__Output>): grpc.ClientUnaryCall;
  
  Subscribe(argument: _topology_v1_SubscribeRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_topology_v1_Delivery__Output>;
  Subscribe(argument: _topology_v1_SubscribeRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_topology_v1_Delivery__Output>;
  subscribe(argument: _topology_v1_SubscribeRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_topology_v1_Delivery__Output>;
  subscribe(argument: _topology_v1_SubscribeRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_topology_v1_Delivery__Output>;
  
}

export interface OverlayHandlers extends grpc.UntypedServiceImplementation {
  Broadcast: grpc.handleUnaryCall<_topology_v1_BroadcastRequest__Output, _topology_v1_SendReply>;
  
  Members: grpc.handleUnaryCall<_topology_v1_MembersRequest__Output, _topology_v1_MembersReply>;
  
  Send: grpc.handleUnaryCall<_topology_v1_SendRequest__Output, _topology_v1_SendReply>;
  
  Subscribe: grpc.handleServerStreamingCall<_topology_v1_SubscribeRequest__Output, _topology_v1_Delivery>;
  
}

export interface OverlayDefinition extends grpc.ServiceDefinition {
  Broadcast: MethodDefinition<_topology_v1_BroadcastRequest, _topology_v1_SendReply, _topology_v1_BroadcastRequest__Output, _topology_v1_SendReply__Output>
  Members: MethodDefinition<_topology_v1_MembersRequest, _topology_v1_MembersReply, _topology_v1_MembersRequest__Output, _topology_v1_MembersReply__Output>
  Send: MethodDefinition<_topology_v1_SendRequest, _topology_v1_SendReply, _topology_v1_SendRequest__Output, _topology_v1_SendReply__Output>
  Subscribe: MethodDefinition<_topology_v1_SubscribeRequest, _topology_v1_Delivery, _topology_v1_SubscribeRequest__Output, _topology_v1_Delivery__Output>
}
