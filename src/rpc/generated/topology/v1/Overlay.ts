// Original file: proto/topology/v1/overlay.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { BroadcastRequest as _topology_v1_BroadcastRequest, BroadcastRequest__Output as _topology_v1_BroadcastRequest__Output } from '../../topology/v1/BroadcastRequest.js';
import type { Delivery as _topology_v1_Delivery, Delivery__Output as _topology_v1_Delivery__Output } from '../../topology/v1/Delivery.js';
import type { MembersReply as _topology_v1_MembersReply, MembersReply__Output as _topology_v1_MembersReply__Output } from '../../topology/v1/MembersReply.js';
import type { MembersRequest as _topology_v1_MembersRequest, MembersRequest__Output as _topology_v1_MembersRequest__Output } from '../../topology/v1/MembersRequest.js';
import type { MembershipEvent as _topology_v1_MembershipEvent, MembershipEvent__Output as _topology_v1_MembershipEvent__Output } from '../../topology/v1/MembershipEvent.js';
import type { QueryRequest as _topology_v1_QueryRequest, QueryRequest__Output as _topology_v1_QueryRequest__Output } from '../../topology/v1/QueryRequest.js';
import type { QueryResponse as _topology_v1_QueryResponse, QueryResponse__Output as _topology_v1_QueryResponse__Output } from '../../topology/v1/QueryResponse.js';
import type { ReplyMessage as _topology_v1_ReplyMessage, ReplyMessage__Output as _topology_v1_ReplyMessage__Output } from '../../topology/v1/ReplyMessage.js';
import type { RequestMessage as _topology_v1_RequestMessage, RequestMessage__Output as _topology_v1_RequestMessage__Output } from '../../topology/v1/RequestMessage.js';
import type { RespondReply as _topology_v1_RespondReply, RespondReply__Output as _topology_v1_RespondReply__Output } from '../../topology/v1/RespondReply.js';
import type { RespondRequest as _topology_v1_RespondRequest, RespondRequest__Output as _topology_v1_RespondRequest__Output } from '../../topology/v1/RespondRequest.js';
import type { SendReply as _topology_v1_SendReply, SendReply__Output as _topology_v1_SendReply__Output } from '../../topology/v1/SendReply.js';
import type { SendRequest as _topology_v1_SendRequest, SendRequest__Output as _topology_v1_SendRequest__Output } from '../../topology/v1/SendRequest.js';
import type { SubscribeRequest as _topology_v1_SubscribeRequest, SubscribeRequest__Output as _topology_v1_SubscribeRequest__Output } from '../../topology/v1/SubscribeRequest.js';
import type { WatchMembersRequest as _topology_v1_WatchMembersRequest, WatchMembersRequest__Output as _topology_v1_WatchMembersRequest__Output } from '../../topology/v1/WatchMembersRequest.js';

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
  
  Query(argument: _topology_v1_QueryRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_topology_v1_QueryResponse__Output>;
  Query(argument: _topology_v1_QueryRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_topology_v1_QueryResponse__Output>;
  query(argument: _topology_v1_QueryRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_topology_v1_QueryResponse__Output>;
  query(argument: _topology_v1_QueryRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_topology_v1_QueryResponse__Output>;
  
  Request(argument: _topology_v1_RequestMessage, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_topology_v1_ReplyMessage__Output>): grpc.ClientUnaryCall;
  Request(argument: _topology_v1_RequestMessage, metadata: grpc.Metadata, callback: grpc.requestCallback<_topology_v1_ReplyMessage__Output>): grpc.ClientUnaryCall;
  Request(argument: _topology_v1_RequestMessage, options: grpc.CallOptions, callback: grpc.requestCallback<_topology_v1_ReplyMessage__Output>): grpc.ClientUnaryCall;
  Request(argument: _topology_v1_RequestMessage, callback: grpc.requestCallback<_topology_v1_ReplyMessage__Output>): grpc.ClientUnaryCall;
  request(argument: _topology_v1_RequestMessage, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_topology_v1_ReplyMessage__Output>): grpc.ClientUnaryCall;
  request(argument: _topology_v1_RequestMessage, metadata: grpc.Metadata, callback: grpc.requestCallback<_topology_v1_ReplyMessage__Output>): grpc.ClientUnaryCall;
  request(argument: _topology_v1_RequestMessage, options: grpc.CallOptions, callback: grpc.requestCallback<_topology_v1_ReplyMessage__Output>): grpc.ClientUnaryCall;
  request(argument: _topology_v1_RequestMessage, callback: grpc.requestCallback<_topology_v1_ReplyMessage__Output>): grpc.ClientUnaryCall;
  
  Respond(argument: _topology_v1_RespondRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_topology_v1_RespondReply__Output>): grpc.ClientUnaryCall;
  Respond(argument: _topology_v1_RespondRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_topology_v1_RespondReply__Output>): grpc.ClientUnaryCall;
  Respond(argument: _topology_v1_RespondRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_topology_v1_RespondReply__Output>): grpc.ClientUnaryCall;
  Respond(argument: _topology_v1_RespondRequest, callback: grpc.requestCallback<_topology_v1_RespondReply__Output>): grpc.ClientUnaryCall;
  respond(argument: _topology_v1_RespondRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_topology_v1_RespondReply__Output>): grpc.ClientUnaryCall;
  respond(argument: _topology_v1_RespondRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_topology_v1_RespondReply__Output>): grpc.ClientUnaryCall;
  respond(argument: _topology_v1_RespondRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_topology_v1_RespondReply__Output>): grpc.ClientUnaryCall;
  respond(argument: _topology_v1_RespondRequest, callback: grpc.requestCallback<_topology_v1_RespondReply__Output>): grpc.ClientUnaryCall;
  
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
  
  WatchMembers(argument: _topology_v1_WatchMembersRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_topology_v1_MembershipEvent__Output>;
  WatchMembers(argument: _topology_v1_WatchMembersRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_topology_v1_MembershipEvent__Output>;
  watchMembers(argument: _topology_v1_WatchMembersRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_topology_v1_MembershipEvent__Output>;
  watchMembers(argument: _topology_v1_WatchMembersRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_topology_v1_MembershipEvent__Output>;
  
}

export interface OverlayHandlers extends grpc.UntypedServiceImplementation {
  Broadcast: grpc.handleUnaryCall<_topology_v1_BroadcastRequest__Output, _topology_v1_SendReply>;
  
  Members: grpc.handleUnaryCall<_topology_v1_MembersRequest__Output, _topology_v1_MembersReply>;
  
  Query: grpc.handleServerStreamingCall<_topology_v1_QueryRequest__Output, _topology_v1_QueryResponse>;
  
  Request: grpc.handleUnaryCall<_topology_v1_RequestMessage__Output, _topology_v1_ReplyMessage>;
  
  Respond: grpc.handleUnaryCall<_topology_v1_RespondRequest__Output, _topology_v1_RespondReply>;
  
  Send: grpc.handleUnaryCall<_topology_v1_SendRequest__Output, _topology_v1_SendReply>;
  
  Subscribe: grpc.handleServerStreamingCall<_topology_v1_SubscribeRequest__Output, _topology_v1_Delivery>;
  
  WatchMembers: grpc.handleServerStreamingCall<_topology_v1_WatchMembersRequest__Output, _topology_v1_MembershipEvent>;
  
}

export interface OverlayDefinition extends grpc.ServiceDefinition {
  Broadcast: MethodDefinition<_topology_v1_BroadcastRequest, _topology_v1_SendReply, _topology_v1_BroadcastRequest__Output, _topology_v1_SendReply__Output>
  Members: MethodDefinition<_topology_v1_MembersRequest, _topology_v1_MembersReply, _topology_v1_MembersRequest__Output, _topology_v1_MembersReply__Output>
  Query: MethodDefinition<_topology_v1_QueryRequest, _topology_v1_QueryResponse, _topology_v1_QueryRequest__Output, _topology_v1_QueryResponse__Output>
  Request: MethodDefinition<_topology_v1_RequestMessage, _topology_v1_ReplyMessage, _topology_v1_RequestMessage__Output, _topology_v1_ReplyMessage__Output>
  Respond: MethodDefinition<_topology_v1_RespondRequest, _topology_v1_RespondReply, _topology_v1_RespondRequest__Output, _topology_v1_RespondReply__Output>
  Send: MethodDefinition<_topology_v1_SendRequest, _topology_v1_SendReply, _topology_v1_SendRequest__Output, _topology_v1_SendReply__Output>
  Subscribe: MethodDefinition<_topology_v1_SubscribeRequest, _topology_v1_Delivery, _topology_v1_SubscribeRequest__Output, _topology_v1_Delivery__Output>
  WatchMembers: MethodDefinition<_topology_v1_WatchMembersRequest, _topology_v1_MembershipEvent, _topology_v1_WatchMembersRequest__Output, _topology_v1_MembershipEvent__Output>
}
