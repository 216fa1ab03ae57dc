import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import { FakeClock } from '../../../src/operator/controller/fake-clock.js';
import type { LeadershipGrant } from '../../../src/operator/controller/leader-election.js';
import { generationToCatchUp, leaderAuthorizer, NOT_LEADING } from '../../../src/operator/sidecars/call-authority.js';
import { callOutcome, SidecarPool } from '../../../src/operator/sidecars/pool.js';
import { runMemberActions } from '../../../src/operator/sidecars/actions.js';
import { resolveSpec } from '../../../src/operator/rollout/plan-reconcile.js';
import { silentLogger } from '../../../src/operator/controller/log.js';
import type { CallAuthority } from '../../../src/rpc/control-client.js';

describe('operator/sidecars/call-authority: what a leader’s calls carry', () => {
  const clock = new FakeClock(50_000);
  const abort = new AbortController();
  let grant: LeadershipGrant | undefined;
  const raised: number[] = [];
  const authorize = leaderAuthorizer({ grant: () => grant, raiseGeneration: (g) => raised.push(g) }, clock);

  it('no grant: the call is not made', () => {
    grant = undefined;
    expect(authorize()).to.deep.equal({ refused: NOT_LEADING });
  });

  it('a grant: the fencing token, the time left until its end, and its signal', () => {
    grant = { identity: 'op-a_1', generation: 3, validUntilMs: 58_000, signal: abort.signal };
    const a = authorize() as CallAuthority;
    expect(a.fencing).to.deep.equal({ generation: 3, holder: 'op-a_1' });
    expect(a.remainingMs).to.equal(8_000);
    expect(a.signal).to.equal(abort.signal);
    clock.advance(8_000);
    expect(authorize()).to.deep.equal({ refused: NOT_LEADING }, 'a grant past its end is no grant');
  });

  it('a GetState showing a sidecar ahead (a recreated Lease) raises the generation past it', () => {
    const ours = { generation: 3, holder: 'op-a_1' };
    expect(generationToCatchUp(ours, undefined)).to.equal(undefined);
    expect(generationToCatchUp(ours, ours)).to.equal(undefined);
    expect(generationToCatchUp(ours, { generation: 2, holder: 'op-b_2' })).to.equal(undefined);
    expect(generationToCatchUp(ours, { generation: 3, holder: 'op-b_2' })).to.equal(4);
    expect(generationToCatchUp(ours, { generation: 9, holder: 'op-b_2' })).to.equal(10);
    grant = { identity: 'op-a_1', generation: 3, validUntilMs: clock.now() + 5_000, signal: abort.signal };
    const a = authorize() as CallAuthority;
    a.sawObeyed?.({ generation: 3, holder: 'op-a_1' });
    a.sawObeyed?.({ generation: 12, holder: 'op-z_9' });
    expect(raised).to.deep.equal([13]);
  });

  it('counts calls as ok, cancelled (not sent or cut), fenced or error', () => {
    expect(callOutcome({ ok: true, value: {} })).to.equal('ok');
    expect(callOutcome({ ok: false, code: grpc.status.CANCELLED, message: 'Route not sent: …' })).to.equal('cancelled');
    expect(callOutcome({ ok: false, code: grpc.status.FAILED_PRECONDITION, message: 'Route refused: fenced: generation 3 …' })).to.equal('fenced');
    expect(callOutcome({ ok: false, code: grpc.status.FAILED_PRECONDITION, message: 'epoch 4 is not staged' })).to.equal('error');
  });

  it('a pass whose leadership is lost during its member actions drops the actions not yet started', async () => {
    const lost = new AbortController();
    let asked = 0;
    // The authorizer is asked before every call: the first call finds the leadership lost.
    const pool = new SidecarPool({
      token: undefined,
      concurrency: 4,
      timeoutMs: 1_000,
      authorize: () => {
        asked++;
        lost.abort();
        return { refused: NOT_LEADING };
      },
    });
    const resolved = resolveSpec({ selector: { matchLabels: { app: 'x' } }, topology: 'FullMesh' });
    if (!resolved.ok) throw new Error(resolved.message);
    try {
      const outcome = await runMemberActions(
        pool,
        resolved.spec,
        [
          { kind: 'route', epoch: 2, members: ['m-0', 'm-1'] },
          { kind: 'commit', epoch: 2, members: ['m-0', 'm-1'] },
          { kind: 'abort', epoch: 3, members: ['m-0', 'm-1'] },
        ],
        new Map([
          ['m-0', '127.0.0.1:1'],
          ['m-1', '127.0.0.1:2'],
        ]),
        silentLogger(),
        lost.signal,
      );
      expect(asked).to.equal(2, 'only the first action’s two calls were attempted');
      expect(outcome.failures).to.have.length(2);
      expect(outcome.failures[0]).to.match(/m-0: route 2: Route not sent: this replica holds no valid leadership/);
    } finally {
      pool.close();
    }
  });
});
