// Original file: proto/topology/v1/control.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { EpochRequest as _topology_v1_EpochRequest, EpochRequest__Output as _topology_v1_EpochRequest__Output } from '../../topology/v1/EpochRequest.js';
import type { GetMetricsRequest as _topology_v1_GetMetricsRequest, GetMetricsRequest__Output as _topology_v1_GetMetricsRequest__Output } from '../../topology/v1/GetMetricsRequest.js';
import type { GetStateRequest as _topology_v1_GetStateRequest, GetStateRequest__Output as _topology_v1_GetStateRequest__Output } from '../../topology/v1/GetStateRequest.js';
import type { PrepareRequest as _topology_v1_PrepareRequest, PrepareRequest__Output as _topology_v1_PrepareRequest__Output } from '../../topology/v1/PrepareRequest.js';
import type { ProbeReply as _topology_v1_ProbeReply, ProbeReply__Output as _topology_v1_ProbeReply__Output } from '../../topology/v1/ProbeReply.js';
import type { ProbeRequest as _topology_v1_ProbeRequest, ProbeRequest__Output as _topology_v1_ProbeRequest__Output } from '../../topology/v1/ProbeRequest.js';
import type { SetMembersReply as _topology_v1_SetMembersReply, SetMembersReply__Output as _topology_v1_SetMembersReply__Output } from '../../topology/v1/SetMembersReply.js';
import type { SetMembersRequest as _topology_v1_SetMembersRequest, SetMembersRequest__Output as _topology_v1_SetMembersRequest__Output } from '../../topology/v1/SetMembersRequest.js';
import type { SidecarMetrics as _topology_v1_SidecarMetrics, SidecarMetrics__Output as _topology_v1_SidecarMetrics__Output } from '../../topology/v1/SidecarMetrics.js';
import type { SidecarState as _topology_v1_SidecarState, SidecarState__Output as _topology_v1_SidecarState__Output } from '../../topology/v1/SidecarState.js';
import type { SwitchReply as _topology_v1_SwitchReply, SwitchReply__Output as _topology_v1_SwitchReply__Output } from '../../topology/v1/SwitchReply.js';

export interface ControlClient extends grpc.Client {
  Abort(argument: _topology_v1_EpochRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_topology_v1_SwitchReply__Output>): grpc.ClientUnaryCall;
  Abort(argument: _topology_v1_EpochRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_topology_v1_SwitchReply__Output>): grpc.ClientUnaryCall;
  Abort(argument: _topology_v1_EpochRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_topology_v1_SwitchReply__Output>): grpc.ClientUnaryCall;
  Abort(argument: _topology_v1_EpochRequest, callback: grpc.requestCallback<_topology_v1_SwitchReply__Output>): grpc.ClientUnaryCall;
  abort(argument: _topology_v1_EpochRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_topology_v1_SwitchReply__Output>): grpc.ClientUnaryCall;
  abort(argument: _topology_v1_EpochRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_topology_v1_SwitchReply__Output>): grpc.ClientUnaryCall;
  abort(argument: _topology_v1_EpochRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_topology_v1_SwitchReply__Output>): grpc.ClientUnaryCall;
  abort(argument: _topology_v1_EpochRequest, callback: grpc.requestCallback<_topology_v1_SwitchReply__Output>): grpc.ClientUnaryCall;
  
  Commit(argument: _topology_v1_EpochRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_topology_v1_SwitchReply__Output>): grpc.ClientUnaryCall;
  Commit(argument: _topology_v1_EpochRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_topology_v1_SwitchReply__Output>): grpc.ClientUnaryCall;
  Commit(argument: _topology_v1_EpochRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_topology_v1_SwitchReply__Output>): grpc.ClientUnaryCall;
  Commit(argument: _topology_v1_EpochRequest, callback: grpc.requestCallback<_topology_v1_SwitchReply__Output>): grpc.ClientUnaryCall;
  commit(argument: _topology_v1_EpochRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_topology_v1_SwitchReply__Output>): grpc.ClientUnaryCall;
  commit(argument: _topology_v1_EpochRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_topology_v1_SwitchReply__Output>): grpc.ClientUnaryCall;
  commit(argument: _topology_v1_EpochRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_topology_v1_SwitchReply__Output>): grpc.ClientUnaryCall;
  commit(argument: _topology_v1_EpochRequest, callback: grpc.requestCallback<_topology_v1_SwitchReply__Output>): grpc.ClientUnaryCall;
  
  GetMetrics(argument: _topology_v1_GetMetricsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_topology_v1_SidecarMetrics__Output>): grpc.ClientUnaryCall;
  GetMetrics(argument: _topology_v1_GetMetricsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_topology_v1_SidecarMetrics__Output>): grpc.ClientUnaryCall;
  GetMetrics(argument: _topology_v1_GetMetricsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_topology_v1_SidecarMetrics__Output>): grpc.ClientUnaryCall;
  GetMetrics(argument: _topology_v1_GetMetricsRequest, callback: grpc.requestCallback<_topology_v1_SidecarMetrics__Output>): grpc.ClientUnaryCall;
  getMetrics(argument: _topology_v1_GetMetricsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_topology_v1_SidecarMetrics__Output>): grpc.ClientUnaryCall;
  getMetrics(argument: _topology_v1_GetMetricsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_topology_v1_SidecarMetrics__Output>): grpc.ClientUnaryCall;
  getMetrics(argument: _topology_v1_GetMetricsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_topology_v1_SidecarMetrics__Output>): grpc.ClientUnaryCall;
  getMetrics(argument: _topology_v1_GetMetricsRequest, callback: grpc.requestCallback<_topology_v1_SidecarMetrics__Output>): grpc.ClientUnaryCall;
  
  GetState(argument: _topology_v1_GetStateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_topology_v1_SidecarState__Output>): grpc.ClientUnaryCall;
  GetState(argument: _topology_v1_GetStateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_topology_v1_SidecarState__Output>): grpc.ClientUnaryCall;
  GetState(argument: _topology_v1_GetStateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_topology_v1_SidecarState__Output>): grpc.ClientUnaryCall;
  GetState(argument: _topology_v1_GetStateRequest, callback: grpc.requestCallback<_topology_v1_SidecarState__Output>): grpc.ClientUnaryCall;
  getState(argument: _topology_v1_GetStateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_topology_v1_SidecarState__Output>): grpc.ClientUnaryCall;
  getState(argument: _topology_v1_GetStateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_topology_v1_SidecarState__Output>): grpc.ClientUnaryCall;
  getState(argument: _topology_v1_GetStateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_topology_v1_SidecarState__Output>): grpc.ClientUnaryCall;
  getState(argument: _topology_v1_GetStateRequest, callback: grpc.requestCallback<_topology_v1_SidecarState__Output>): grpc.ClientUnaryCall;
  
  Prepare(argument: _topology_v1_PrepareRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_topology_v1_SwitchReply__Output>): grpc.ClientUnaryCall;
  Prepare(argument: _topology_v1_PrepareRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_topology_v1_SwitchReply__Output>): grpc.ClientUnaryCall;
  Prepare(argument: _topology_v1_PrepareRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_topology_v1_SwitchReply__Output>): grpc.ClientUnaryCall;
  Prepare(argument: _topology_v1_PrepareRequest, callback: grpc.requestCallback<_topology_v1_SwitchReply__Output>): grpc.ClientUnaryCall;
  prepare(argument: _topology_v1_PrepareRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_topology_v1_SwitchReply__Output>): grpc.ClientUnaryCall;
  prepare(argument: _topology_v1_PrepareRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_topology_v1_SwitchReply__Output>): grpc.ClientUnaryCall;
  prepare(argument: _topology_v1_PrepareRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_topology_v1_SwitchReply__Output>): grpc.ClientUnaryCall;
  prepare(argument: _topology_v1_PrepareRequest, callback: grpc.requestCallback<_topology_v1_SwitchReply__Output>): grpc.ClientUnaryCall;
  
  Probe(argument: _topology_v1_ProbeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_topology_v1_ProbeReply__Output>): grpc.ClientUnaryCall;
  Probe(argument: _topology_v1_ProbeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_topology_v1_ProbeReply__Output>): grpc.ClientUnaryCall;
  Probe(argument: _topology_v1_ProbeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_topology_v1_ProbeReply__Output>): grpc.ClientUnaryCall;
  Probe(argument: _topology_v1_ProbeRequest, callback: grpc.requestCallback<_topology_v1_ProbeReply__Output>): grpc.ClientUnaryCall;
  probe(argument: _topology_v1_ProbeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_topology_v1_ProbeReply__Output>): grpc.ClientUnaryCall;
  probe(argument: _topology_v1_ProbeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_topology_v1_ProbeReply__Output>): grpc.ClientUnaryCall;
  probe(argument: _topology_v1_ProbeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_topology_v1_ProbeReply__Output>): grpc.ClientUnaryCall;
  probe(argument: _topology_v1_ProbeRequest, callback: grpc.requestCallback<_topology_v1_ProbeReply__Output>): grpc.ClientUnaryCall;
  
  Route(argument: _topology_v1_EpochRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_topology_v1_SwitchReply__Output>): grpc.ClientUnaryCall;
  Route(argument: _topology_v1_EpochRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_topology_v1_SwitchReply__Output>): grpc.ClientUnaryCall;
  Route(argument: _topology_v1_EpochRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_topology_v1_SwitchReply__Output>): grpc.ClientUnaryCall;
  Route(argument: _topology_v1_EpochRequest, callback: grpc.requestCallback<_topology_v1_SwitchReply__Output>): grpc.ClientUnaryCall;
  route(argument: _topology_v1_EpochRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_topology_v1_SwitchReply__Output>): grpc.ClientUnaryCall;
  route(argument: _topology_v1_EpochRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_topology_v1_SwitchReply__Output>): grpc.ClientUnaryCall;
  route(argument: _topology_v1_EpochRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_topology_v1_SwitchReply__Output>): grpc.ClientUnaryCall;
  route(argument: _topology_v1_EpochRequest, callback: grpc.requestCallback<_topology_v1_SwitchReply__Output>): grpc.ClientUnaryCall;
  
  SetMembers(argument: _topology_v1_SetMembersRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_topology_v1_SetMembersReply__Output>): grpc.ClientUnaryCall;
  SetMembers(argument: _topology_v1_SetMembersRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_topology_v1_SetMembersReply__Output>): grpc.ClientUnaryCall;
  SetMembers(argument: _topology_v1_SetMembersRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_topology_v1_SetMembersReply__Output>): grpc.ClientUnaryCall;
  SetMembers(argument: _topology_v1_SetMembersRequest, callback: grpc.requestCallback<_topology_v1_SetMembersReply__Output>): grpc.ClientUnaryCall;
  setMembers(argument: _topology_v1_SetMembersRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_topology_v1_SetMembersReply__Output>): grpc.ClientUnaryCall;
  setMembers(argument: _topology_v1_SetMembersRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_topology_v1_SetMembersReply__Output>): grpc.ClientUnaryCall;
  setMembers(argument: _topology_v1_SetMembersRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_topology_v1_SetMembersReply__Output>): grpc.ClientUnaryCall;
  setMembers(argument: _topology_v1_SetMembersRequest, callback: grpc.requestCallback<_topology_v1_SetMembersReply__Output>): grpc.ClientUnaryCall;
  
}

export interface ControlHandlers extends grpc.UntypedServiceImplementation {
  Abort: grpc.handleUnaryCall<_topology_v1_EpochRequest__Output, _topology_v1_SwitchReply>;
  
  Commit: grpc.handleUnaryCall<_topology_v1_EpochRequest__Output, _topology_v1_SwitchReply>;
  
  GetMetrics: grpc.handleUnaryCall<_topology_v1_GetMetricsRequest__Output, _topology_v1_SidecarMetrics>;
  
  GetState: grpc.handleUnaryCall<_topology_v1_GetStateRequest__Output, _topology_v1_SidecarState>;
  
  Prepare: grpc.handleUnaryCall<_topology_v1_PrepareRequest__Output, _topology_v1_SwitchReply>;
  
  Probe: grpc.handleUnaryCall<_topology_v1_ProbeRequest__Output, _topology_v1_ProbeReply>;
  
  Route: grpc.handleUnaryCall<_topology_v1_EpochRequest__Output, _topology_v1_SwitchReply>;
  
  SetMembers: grpc.handleUnaryCall<_topology_v1_SetMembersRequest__Output, _topology_v1_SetMembersReply>;
  
}

export interface ControlDefinition extends grpc.ServiceDefinition {
  Abort: MethodDefinition<_topology_v1_EpochRequest, _topology_v1_SwitchReply, _topology_v1_EpochRequest__Output, _topology_v1_SwitchReply__Output>
  Commit: MethodDefinition<_topology_v1_EpochRequest, _topology_v1_SwitchReply, _topology_v1_EpochRequest__Output, _topology_v1_SwitchReply__Output>
  GetMetrics: MethodDefinition<_topology_v1_GetMetricsRequest, _topology_v1_SidecarMetrics, _topology_v1_GetMetricsRequest__Output, _topology_v1_SidecarMetrics__Output>
  GetState: MethodDefinition<_topology_v1_GetStateRequest, _topology_v1_SidecarState, _topology_v1_GetStateRequest__Output, _topology_v1_SidecarState__Output>
  Prepare: MethodDefinition<_topology_v1_PrepareRequest, _topology_v1_SwitchReply, _topology_v1_PrepareRequest__Output, _topology_v1_SwitchReply__Output>
  Probe: MethodDefinition<_topology_v1_ProbeRequest, _topology_v1_ProbeReply, _topology_v1_ProbeRequest__Output, _topology_v1_ProbeReply__Output>
  Route: MethodDefinition<_topology_v1_EpochRequest, _topology_v1_SwitchReply, _topology_v1_EpochRequest__Output, _topology_v1_SwitchReply__Output>
  SetMembers: MethodDefinition<_topology_v1_SetMembersRequest, _topology_v1_SetMembersReply, _topology_v1_SetMembersRequest__Output, _topology_v1_SetMembersReply__Output>
}
