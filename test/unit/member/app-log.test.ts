import { expect } from 'chai';
import { AppLog } from '../../../src/member/app-log.js';
import type { AppEvent } from '../../../src/member/app-events.js';

function message(seq: number): AppEvent {
  return {
    kind: 'message',
    message: { id: `o/s/b${seq}`, origin: '10.0.0.2:7070', payload: new Uint8Array(0), sentAt: seq, session: 's', seq },
    epoch: 1,
    hops: 1,
    deliveredAt: seq,
  };
}

describe('member/app-log', () => {
  it('a fresh reader starts with what no reader was given; a resumed one right after its cursor', () => {
    const log = new AppLog('s1', 1_000_000, 100);
    for (let i = 1; i <= 3; i++) log.append(message(i), 10);
    const a = log.open();
    expect(log.read(a, 2).map((e) => e.cursor)).to.deep.equal([1, 2]);
    const b = log.open();
    expect(log.read(b, 10).map((e) => e.cursor)).to.deep.equal([3]);
    const resumed = log.open({ session: 's1', after: 1 });
    expect(log.read(resumed, 10).map((e) => e.cursor)).to.deep.equal([2, 3]);
  });

  it('a reader that lags past what the log holds gets SUBSCRIBER_LAGGED naming the dropped messages, then carries on', () => {
    const log = new AppLog('s1', 1_000_000, 3);
    const r = log.open();
    for (let i = 1; i <= 6; i++) log.append(message(i), 10);
    const got = log.read(r, 10);
    expect(got[0]?.event.kind).to.equal('gap');
    const gap = got[0]?.event.kind === 'gap' ? got[0].event.gap : undefined;
    expect(gap?.reason).to.equal('SUBSCRIBER_LAGGED');
    expect(gap?.count).to.equal(3);
    expect(gap?.ranges).to.deep.equal([{ origin: '10.0.0.2:7070', session: 's', direct: false, fromSeq: 1, toSeq: 3 }]);
    expect(got.slice(1).map((e) => e.cursor)).to.deep.equal([4, 5, 6]);
  });

  it('a dropped GAP passes its ranges on to the lag GAP of a reader that never saw it', () => {
    const log = new AppLog('s1', 1_000_000, 1);
    const r = log.open();
    const range = { origin: '10.0.0.9:7070', session: 'x', direct: true, fromSeq: 4, toSeq: 0 };
    log.append({ kind: 'gap', gap: { reason: 'ORIGIN_LEFT', count: 0, ranges: [range], detail: '' }, deliveredAt: 0 }, 10);
    log.append(message(1), 10);
    const first = log.read(r, 1)[0];
    expect(first?.event.kind === 'gap' ? first.event.gap.ranges : []).to.deep.include(range);
  });

  it('resuming from another session starts with SIDECAR_RESTARTED', () => {
    const log = new AppLog('s2');
    log.append(message(1), 10);
    const r = log.open({ session: 's1', after: 40 });
    const got = log.read(r, 10);
    expect(got[0]?.event.kind === 'gap' ? got[0].event.gap.reason : undefined).to.equal('SIDECAR_RESTARTED');
    expect(got[1]?.cursor).to.equal(1);
  });
});
