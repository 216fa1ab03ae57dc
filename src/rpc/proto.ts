/**
 * Loads the wire contract (proto/) with @grpc/proto-loader, once per process.
 *
 * The loader options here are the ones the generated types in `generated/` describe
 * (`proto-codegen.mjs` passes the same flags to proto-loader-gen-types): 64-bit integers as JS
 * numbers, enums as their names, scalar defaults filled in, and a virtual field naming the set
 * member of every oneof. Every module that touches the wire gets its definitions from here.
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { join } from 'node:path';
import { packageRoot } from '../paths.js';
import type { ProtoGrpcType as ControlProto } from './generated/control.js';
import type { ProtoGrpcType as PeerProto } from './generated/peer.js';
import type { ProtoGrpcType as OverlayProto } from './generated/overlay.js';
import type { ProtoGrpcType as HealthProto } from './generated/health.js';

/** Must match GEN_ARGS in proto-codegen.mjs. */
export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
};

/** The .proto files, relative to `<packageRoot>/proto`. */
export const PROTO_FILES = ['topology/v1/control.proto', 'topology/v1/peer.proto', 'topology/v1/overlay.proto', 'grpc/health/v1/health.proto'];

/** Every service and message of the contract, typed. */
export type TopologyProto = ControlProto & PeerProto & OverlayProto & HealthProto;

let cached: TopologyProto | undefined;

/** The loaded contract (cached): service constructors and definitions for servers and clients. */
export function loadProto(): TopologyProto {
  if (cached !== undefined) return cached;
  const protoDir = join(packageRoot(), 'proto');
  const definition = protoLoader.loadSync(PROTO_FILES, { ...LOADER_OPTIONS, includeDirs: [protoDir] });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as TopologyProto;
  cached = loaded;
  return loaded;
}
