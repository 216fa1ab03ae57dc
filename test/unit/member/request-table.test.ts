import { expect } from 'chai';
import { EXPIRED_MEMORY_MS, HeldRequests, PendingRequests, STATUS } from '../../../src/member/request-table.js';

const A = '10.0.0.1:7070';
const B = '10.0.0.2:7070';
const reply = (requestId: string, status = 0, payload = 'x') => ({ requestId, status, detail: status === 0 ? '' : 'why', payload: Buffer.from(payload) });

describe('request tables (App API v2)', () => {
  it('ends a request once: the answer then OK, ignoring answers from others and after the end', () => {
    const p = new PendingRequests(2);
    expect(p.open('r1', 'request', [A], 1_000)).to.equal(true);
    expect(p.answer(B, reply('r1'))).to.deep.equal([]);
    const s = p.answer(A, reply('r1', 0, 'yes'));
    expect(s.map((x) => x.kind)).to.deep.equal(['answer', 'end']);
    expect(s[1]).to.deep.include({ status: STATUS.OK });
    expect(p.answer(A, reply('r1'))).to.deep.equal([]);
    expect(p.size).to.equal(0);
  });

  it('passes a refusal on, fails on a departed member (UNAVAILABLE) and at the deadline (DEADLINE_EXCEEDED), and bounds the table', () => {
    const p = new PendingRequests(2);
    p.open('a', 'ack', [A], 1_000);
    p.open('b', 'request', [B], 2_000);
    expect(p.open('c', 'request', [A], 3_000)).to.equal(false);
    expect(p.answer(A, reply('a', STATUS.FAILED_PRECONDITION))).to.deep.equal([{ id: 'a', kind: 'end', status: STATUS.FAILED_PRECONDITION, detail: 'why' }]);
    expect(p.membersChanged((m) => m !== B)).to.deep.equal([
      { id: 'b', kind: 'end', status: STATUS.UNAVAILABLE, detail: `${B} left the membership before answering` },
    ]);
    p.open('d', 'request', [A], 1_000);
    expect(p.nextDeadline()).to.equal(1_000);
    expect(p.expire(999)).to.deep.equal([]);
    expect(p.expire(1_000)).to.deep.equal([{ id: 'd', kind: 'end', status: STATUS.DEADLINE_EXCEEDED, detail: `${A} did not answer before the deadline` }]);
  });

  it('streams a query’s answers, drops declines and departed members, and ends OK once all are resolved or at the deadline', () => {
    const p = new PendingRequests();
    p.open('q', 'query', [A, B], 5_000);
    expect(p.answer(A, reply('q', STATUS.FAILED_PRECONDITION))).to.deep.equal([]);
    const s = p.answer(B, reply('q', 0, 'b'));
    expect(s.map((x) => x.kind)).to.deep.equal(['answer', 'end']);
    expect(s[1]).to.deep.include({ status: STATUS.OK });
    p.open('q2', 'query', [A, B], 5_000);
    expect(p.membersChanged((m) => m !== A)).to.deep.equal([]);
    expect(p.expire(5_000)).to.deep.equal([{ id: 'q2', kind: 'end', status: STATUS.OK, detail: 'deadline: 1 targeted members did not answer' }]);
  });

  it('holds a request for one answer before its deadline: NOT_FOUND unknown or answered, DEADLINE_EXCEEDED late, bounded', () => {
    const h = new HeldRequests(1);
    expect(h.hold('r', A, 1_000, 0)).to.equal('held');
    expect(h.hold('r', A, 1_000, 0)).to.equal('duplicate');
    expect(h.hold('s', A, 1_000, 0)).to.equal('full');
    expect(h.take('r', 10)).to.deep.equal({ ok: true, origin: A });
    expect(h.take('r', 10)).to.deep.include({ ok: false, status: STATUS.NOT_FOUND });
    h.hold('t', B, 1_000, 20);
    expect(h.take('t', 1_500)).to.deep.equal({ ok: false, status: STATUS.DEADLINE_EXCEEDED, detail: "the request's deadline passed 500 ms ago" });
    h.hold('u', B, 1_000, 20);
    expect(h.take('u', 1_000 + EXPIRED_MEMORY_MS)).to.deep.include({ status: STATUS.NOT_FOUND });
  });
});
