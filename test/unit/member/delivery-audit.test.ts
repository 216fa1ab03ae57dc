import { expect } from 'chai';
import { auditDeliveries, ReceiverRecord } from '../../../src/member/sim/delivery-audit.js';

const O = '10.0.0.2:7070';

describe('member/sim/delivery-audit', () => {
  it('counts an untold loss and a duplicate as violations, a told loss as lost', () => {
    const a = new ReceiverRecord('a');
    const b = new ReceiverRecord('b');
    a.message(O, 's', 1, false);
    a.message(O, 's', 1, false);
    b.gap({ reason: 'REPAIR_FAILED', count: 1, ranges: [{ origin: O, session: 's', direct: false, fromSeq: 1, toSeq: 1 }], detail: '' }, 0);
    const r = auditDeliveries(
      [
        { origin: O, session: 's', seq: 1, sentAt: 5 },
        { origin: O, session: 's', seq: 2, sentAt: 6 },
      ],
      new Map([
        ['a', a],
        ['b', b],
      ]),
    );
    expect(r).to.deep.include({ accepted: 2, expected: 4, delivered: 1, lost: 1, duplicated: 1, contractViolations: 3 });
  });

  it('an origin session never heard of is covered by a GAP with an empty session; a sidecar restart covers what was sent before it', () => {
    const a = new ReceiverRecord('a');
    a.gap({ reason: 'ORIGIN_LEFT', count: 0, ranges: [{ origin: O, session: '', direct: true, fromSeq: 1, toSeq: 0 }], detail: '' }, 0);
    const b = new ReceiverRecord('b');
    b.gap({ reason: 'SIDECAR_RESTARTED', count: 0, ranges: [], detail: '' }, 100);
    const r = auditDeliveries(
      [
        { origin: O, session: 's', seq: 1, to: 'a', sentAt: 5 },
        { origin: O, session: 's', seq: 1, to: 'b', sentAt: 50 },
        { origin: O, session: 's', seq: 2, to: 'b', sentAt: 150 },
      ],
      new Map([
        ['a', a],
        ['b', b],
      ]),
    );
    expect(r).to.deep.include({ expected: 3, lost: 2, contractViolations: 1 });
  });
});
