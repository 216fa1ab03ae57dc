// The app client's decoding of wire messages, and its backoff schedule.
import { expect } from 'chai';
import { toDelivery, toMembership, toMembershipEvent } from '../../../src/client/decode.js';
import { backoffDelayMs, DEFAULT_BACKOFF } from '../../../src/client/index.js';
import type { Delivery__Output } from '../../../src/rpc/generated/topology/v1/Delivery.js';

const wire = (over: Partial<Delivery__Output>): Delivery__Output => ({
  id: 'a:1/s/b1',
  origin: 'a:1',
  to: '',
  payload: Buffer.from('hi'),
  sentAtMs: 1,
  deliveredAtMs: 2,
  hops: 1,
  epoch: 3,
  kind: 'DELIVERY_KIND_MESSAGE',
  cursor: 7,
  session: 'me',
  originSession: 's',
  seq: 1,
  gap: null,
  topic: 'alpha',
  requestId: '',
  deadlineMs: 0,
  ...over,
});

describe('app client decoding', () => {
  it('tells messages, requests and GAPs apart; a SIDECAR_RESTARTED GAP is a reset', () => {
    expect(toDelivery(wire({}))).to.include({ kind: 'message', topic: 'alpha', cursor: 7, session: 'me' });
    expect(toDelivery(wire({ requestId: 'r1', deadlineMs: 99 }))).to.include({ kind: 'request', requestId: 'r1', deadlineMs: 99 });
    const gap = toDelivery(
      wire({
        kind: 'DELIVERY_KIND_GAP',
        gap: {
          reason: 'GAP_REASON_SIDECAR_RESTARTED',
          count: 0,
          detail: 'restarted',
          ranges: [{ origin: 'a:1', originSession: '', direct: false, fromSeq: 1, toSeq: 0 }],
        },
      }),
    );
    expect(gap).to.deep.include({ kind: 'gap', reason: 'SIDECAR_RESTARTED', reset: true, detail: 'restarted', cursor: 7 });
    const lagged = toDelivery(wire({ kind: 'DELIVERY_KIND_GAP', gap: { reason: 'GAP_REASON_SUBSCRIBER_LAGGED', count: 5, detail: '', ranges: [] } }));
    expect(lagged).to.include({ kind: 'gap', reason: 'SUBSCRIBER_LAGGED', reset: false, count: 5 });
  });

  it('decodes membership events and falls back to bare addresses for a v1 Members reply', () => {
    expect(toMembershipEvent({ type: 'MEMBERSHIP_EVENT_TYPE_SYNCED', member: null, atMs: 5 })).to.deep.equal({ type: 'synced', atMs: 5 });
    expect(toMembershipEvent({ type: 'MEMBERSHIP_EVENT_TYPE_LEFT', member: { address: 'a:1', pod: 'p', tags: { z: '1' } }, atMs: 6 })).to.deep.equal({
      type: 'left',
      member: { address: 'a:1', pod: 'p', tags: { z: '1' } },
      atMs: 6,
    });
    expect(toMembershipEvent({ type: 'MEMBERSHIP_EVENT_TYPE_UNSPECIFIED', member: null, atMs: 0 })).to.equal(undefined);
    expect(toMembership({ self: 'a:1', members: ['a:1', 'b:1'], epoch: 2, memberDetails: [] }).members).to.deep.equal([
      { address: 'a:1', pod: '', tags: {} },
      { address: 'b:1', pod: '', tags: {} },
    ]);
  });

  it('backs off exponentially up to the cap, spread by the jitter', () => {
    const mid = (): number => 0.5;
    expect([1, 2, 3].map((a) => backoffDelayMs(a, DEFAULT_BACKOFF, mid))).to.deep.equal([100, 160, 256]);
    expect(backoffDelayMs(50, DEFAULT_BACKOFF, mid)).to.equal(DEFAULT_BACKOFF.maxMs);
    expect(backoffDelayMs(1, DEFAULT_BACKOFF, () => 0)).to.equal(80);
    expect(backoffDelayMs(1, DEFAULT_BACKOFF, () => 0.999999)).to.equal(120);
  });
});
