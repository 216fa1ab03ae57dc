import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import { decideFencing, Fence, fencedHandlers, reportedFencing } from '../../../src/sidecar/fencing.js';
import { FENCED_METHODS, FENCING_METADATA_KEY, withFencingToken, type FencingToken } from '../../../src/rpc/fencing.js';

const A3: FencingToken = { generation: 3, holder: 'op-a_1' };
const B4: FencingToken = { generation: 4, holder: 'op-b_2' };
const C4: FencingToken = { generation: 4, holder: 'op-c_3' };
const Z0: FencingToken = { generation: 0, holder: 'op-z_0' };

const md = (token: FencingToken | undefined): grpc.Metadata => withFencingToken(new grpc.Metadata(), token);

describe('sidecar/fencing: the rule', () => {
  it('state-changing methods are exactly Prepare, Route, Commit, Abort, SetMembers', () => {
    expect([...FENCED_METHODS].sort()).to.deep.equal(['Abort', 'Commit', 'Prepare', 'Route', 'SetMembers']);
  });

  it('obeys a newer generation, keeps the obeyed one, refuses an older one naming both generations', () => {
    expect(decideFencing(undefined, A3, true)).to.deep.equal({ admit: true, obey: A3 });
    expect(decideFencing(A3, B4, true)).to.deep.equal({ admit: true, obey: B4 });
    expect(decideFencing(B4, B4, true)).to.deep.equal({ admit: true, obey: B4 });
    const older = decideFencing(B4, A3, true);
    expect(older.admit).to.equal(false);
    if (!older.admit) {
      expect(older.refusal).to.equal('older-generation');
      expect(older.reason).to.equal('fenced: generation 3 (holder op-a_1) is older than generation 4 (holder op-b_2), which this sidecar obeys');
    }
  });

  it('refuses a second holder of the obeyed generation (a recreated Lease) until the leader raises past it', () => {
    const v = decideFencing(B4, C4, true);
    expect(v.admit).to.equal(false);
    if (!v.admit) {
      expect(v.refusal).to.equal('other-holder');
      expect(v.reason).to.match(/generation 4 \(holder op-c_3\) .* obeys generation 4 \(holder op-b_2\)/);
    }
    expect(decideFencing(B4, { generation: 5, holder: 'op-c_3' }, true)).to.deep.equal({ admit: true, obey: { generation: 5, holder: 'op-c_3' } });
  });

  it('generation 0: unfenced callers rank below every token, the first holder of a new Lease (generation 0) included', () => {
    expect(decideFencing(undefined, undefined, true)).to.deep.equal({ admit: true, obey: undefined });
    expect(decideFencing(undefined, Z0, true)).to.deep.equal({ admit: true, obey: Z0 }, 'a leader fences out unfenced callers from its first call');
    const after = decideFencing(Z0, undefined, true);
    expect(after.admit).to.equal(false);
    if (!after.admit) {
      expect(after.refusal).to.equal('unfenced');
      expect(after.reason).to.match(/no x-topology-fencing token .* below generation 0\) but this sidecar obeys generation 0 \(holder op-z_0\)/);
    }
  });

  it('reads are always served and never lower the obeyed token; a newer token on a read still raises it', () => {
    for (const call of [undefined, A3, C4]) expect(decideFencing(B4, call, false)).to.deep.equal({ admit: true, obey: B4 });
    expect(decideFencing(A3, B4, false)).to.deep.equal({ admit: true, obey: B4 });
  });
});

describe('sidecar/fencing: Fence and the handler wrapper', () => {
  it('a deposed leader is refused once its successor called, even by a read; refusals are counted by reason', () => {
    const fence = new Fence();
    expect(reportedFencing(fence)).to.deep.equal({ fencingGeneration: 0, fencingHolder: '' });
    expect(fence.admit('SetMembers', md(undefined)).ok).to.equal(true);
    expect(fence.admit('Prepare', md(A3)).ok).to.equal(true);
    expect(fence.admit('GetState', md(B4)).ok).to.equal(true);
    expect(reportedFencing(fence)).to.deep.equal({ fencingGeneration: 4, fencingHolder: 'op-b_2' });
    const late = fence.admit('Commit', md(A3));
    expect(late.ok).to.equal(false);
    if (!late.ok) {
      expect(late.error.code).to.equal(grpc.status.FAILED_PRECONDITION);
      expect(late.error.details).to.match(/^Commit refused: fenced: generation 3 .* generation 4/);
    }
    expect(fence.admit('GetState', md(A3)).ok).to.equal(true, 'the deposed leader may still read');
    expect(fence.admit('Abort', md(undefined)).ok).to.equal(false);
    expect(fence.admit('Route', md(C4)).ok).to.equal(false);
    expect(Object.fromEntries(fence.refused())).to.deep.equal({ 'older-generation': 1, unfenced: 1, 'other-holder': 1 });
    expect(fence.refusedTotal()).to.equal(3);
    expect(fence.obeyed()).to.deep.equal(B4);
  });

  it('malformed metadata is INVALID_ARGUMENT naming the key, counted, and leaves the obeyed token alone', () => {
    const fence = new Fence();
    fence.admit('Prepare', md(A3));
    const bad = new grpc.Metadata();
    bad.set(FENCING_METADATA_KEY, '99999999999/x');
    const r = fence.admit('GetState', bad);
    expect(r.ok).to.equal(false);
    if (!r.ok) {
      expect(r.error.code).to.equal(grpc.status.INVALID_ARGUMENT);
      expect(r.error.details).to.match(/x-topology-fencing generation must be a decimal integer 0\.\.2147483647/);
    }
    expect(fence.refused().get('malformed')).to.equal(1);
    expect(fence.obeyed()).to.deep.equal(A3);
  });

  it('fencedHandlers runs a handler only for admitted calls and answers refused ones with the error', () => {
    const fence = new Fence();
    const ran: string[] = [];
    const handlers = fencedHandlers(
      {
        Commit: (call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => {
          ran.push(call.metadata.get(FENCING_METADATA_KEY)[0] as string);
          cb(null, {});
        },
      },
      fence,
    );
    const invoke = (token: FencingToken): { err: grpc.ServiceError | null } => {
      const out: { err: grpc.ServiceError | null } = { err: null };
      const call = { metadata: md(token) } as unknown as grpc.ServerUnaryCall<unknown, unknown>;
      (handlers.Commit as grpc.handleUnaryCall<unknown, unknown>)(call, (err) => {
        out.err = (err as grpc.ServiceError | null) ?? null;
      });
      return out;
    };
    expect(invoke(B4).err).to.equal(null);
    expect(invoke(A3).err?.code).to.equal(grpc.status.FAILED_PRECONDITION);
    expect(ran).to.deep.equal(['4/op-b_2']);
  });
});
