// The app client's typed errors: every gRPC status maps to its TopologyError subclass (or the base
// class, with the code), and InvalidArgumentError names the field the sidecar's message names.
import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import {
  CancelledError,
  DeadlineExceededError,
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  ResourceExhaustedError,
  TopologyError,
  UnavailableError,
  UnimplementedError,
} from '../../../src/client/index.js';
import { toTopologyError, topologyError } from '../../../src/client/errors.js';

const serviceError = (code: grpc.status, details: string): grpc.ServiceError =>
  Object.assign(new Error(details), { code, details, metadata: new grpc.Metadata() });

describe('app client errors', () => {
  for (const [code, Class] of [
    [grpc.status.INVALID_ARGUMENT, InvalidArgumentError],
    [grpc.status.NOT_FOUND, NotFoundError],
    [grpc.status.DEADLINE_EXCEEDED, DeadlineExceededError],
    [grpc.status.UNAVAILABLE, UnavailableError],
    [grpc.status.RESOURCE_EXHAUSTED, ResourceExhaustedError],
    [grpc.status.FAILED_PRECONDITION, FailedPreconditionError],
    [grpc.status.UNIMPLEMENTED, UnimplementedError],
    [grpc.status.CANCELLED, CancelledError],
  ] as const) {
    it(`maps ${grpc.status[code]} to ${Class.name}`, () => {
      const err = toTopologyError(serviceError(code, 'why'), 'Send');
      expect(err).to.be.instanceOf(Class).and.instanceOf(TopologyError).and.instanceOf(Error);
      expect(err.code).to.equal(grpc.status[code]);
      expect(err.grpcCode).to.equal(code);
      expect(err.call).to.equal('Send');
      expect(err.message).to.equal(`Send: ${grpc.status[code]}: why`);
    });
  }

  it('keeps other statuses on the base class with their code, and wraps non-gRPC errors as UNKNOWN', () => {
    const denied = topologyError(grpc.status.PERMISSION_DENIED, 'Members', 'no');
    expect(denied.constructor).to.equal(TopologyError);
    expect(denied.code).to.equal('PERMISSION_DENIED');
    const odd = toTopologyError(new Error('boom'), 'Query');
    expect(odd.code).to.equal('UNKNOWN');
    expect(odd.cause).to.be.instanceOf(Error);
    const same = new NotFoundError('Respond', 'gone');
    expect(toTopologyError(same, 'other')).to.equal(same);
  });

  it('names the field the sidecar refused', () => {
    const field = (details: string): string | undefined => new InvalidArgumentError('Send', details).field;
    expect(field('Send.to "a b": not a host:port address (has a space)')).to.equal('Send.to');
    expect(field('Send.to is empty: name a member address (host:port); use Broadcast for everyone')).to.equal('Send.to');
    expect(field('SetMembers.member_info[3].address "x" is not in SetMembers.members')).to.equal('SetMembers.member_info[3].address');
    expect(field('Broadcast.topic of 300 characters exceeds the limit of 256')).to.equal('Broadcast.topic');
    expect(field('no field here')).to.equal(undefined);
  });
});
