import { expect } from 'chai';
import { OriginLog, MARK_DELAYS_MS, RETAIN_MS } from '../../../src/member/origin-log.js';

describe('member/origin-log', () => {
  it('numbers each channel from 1 and chains prevSentAt', () => {
    const log = new OriginLog('10.0.0.1:7070', 's', 0, false);
    const a = log.next(undefined, new Uint8Array(1), 10);
    const b = log.next('10.0.0.2:7070', new Uint8Array(1), 20);
    const c = log.next(undefined, new Uint8Array(1), 30);
    expect([a.seq, a.prevSentAt, b.seq, b.prevSentAt, c.seq, c.prevSentAt]).to.deep.equal([1, 0, 1, 0, 2, 10]);
    expect(c.id).to.equal('10.0.0.1:7070/s/b2');
  });

  it('repeats retained messages and says which are gone (too old, or over the byte budget)', () => {
    const log = new OriginLog('10.0.0.1:7070', 's', 0, false, 1_000);
    for (let i = 0; i < 10; i++) log.next(undefined, new Uint8Array(200), i);
    const answer = log.repair('b', undefined, [1, 10], 20);
    expect(answer.found.map((m) => m.seq)).to.deep.equal([10]);
    expect(answer.gone).to.deep.equal([1]);
    expect(log.repair('b', undefined, [10], 9 + RETAIN_MS + 1).gone).to.deep.equal([10]);
  });

  it('answers since with the retained messages sent at or after it and the first of them', () => {
    const log = new OriginLog('10.0.0.1:7070', 's', 0, false);
    for (let i = 1; i <= 5; i++) log.next(undefined, new Uint8Array(1), i * 100);
    const answer = log.since('b', undefined, 250, 5, 600);
    expect(answer.found.map((m) => m.seq)).to.deep.equal([3, 4]);
    expect(answer.first).to.equal(3);
  });

  it('marks a quiet channel at each of MARK_DELAYS_MS, starting with the session’s hello', () => {
    const log = new OriginLog('10.0.0.1:7070', 's', 0, true);
    expect(log.dueMarks(MARK_DELAYS_MS[0]).due).to.deep.equal([{ kind: 'b', to: undefined, seq: 0, lastSentAt: 0 }]);
    log.next(undefined, new Uint8Array(1), 1_000);
    expect(log.dueMarks(1_000 + MARK_DELAYS_MS[0] - 1).due).to.deep.equal([]);
    expect(log.dueMarks(1_000 + MARK_DELAYS_MS[0]).due).to.deep.equal([{ kind: 'b', to: undefined, seq: 1, lastSentAt: 1_000 }]);
    const last = MARK_DELAYS_MS[MARK_DELAYS_MS.length - 1] as number;
    expect(log.dueMarks(1_000 + last).due).to.have.length(1);
    expect(log.dueMarks(1_000 + last * 2)).to.deep.equal({ due: [], nextAt: undefined });
  });
});
