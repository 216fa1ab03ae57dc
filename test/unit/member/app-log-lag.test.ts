import { expect } from 'chai';
import { AppLog } from '../../../src/member/app-log.js';
import type { AppEvent, GapNotice } from '../../../src/member/app-events.js';
import type { AppMessage } from '../../../src/overlays/types.js';

const ORIGIN = '127.0.0.2:7946';
const OS = 'k0.aa';

function message(seq: number): AppEvent {
  const m: AppMessage = { id: `${ORIGIN}/${OS}/b${seq}`, origin: ORIGIN, payload: new Uint8Array(1), sentAt: 1, session: OS, seq };
  return { kind: 'message', message: m, epoch: 1, hops: 1, deliveredAt: 2 };
}

function gap(fromSeq: number, toSeq: number): AppEvent {
  return {
    kind: 'gap',
    gap: { reason: 'REPAIR_FAILED', count: 0, ranges: [{ origin: ORIGIN, session: OS, direct: false, fromSeq, toSeq }], detail: '' },
    deliveredAt: 2,
  };
}

/** Reads everything `reader` has; returns the SUBSCRIBER_LAGGED notice it got, if any. */
function lagOf(log: AppLog, reader: ReturnType<AppLog['open']>): GapNotice | undefined {
  const got = log.read(reader, 1_000);
  const first = got[0]?.event;
  return first?.kind === 'gap' && first.gap.reason === 'SUBSCRIBER_LAGGED' ? first.gap : undefined;
}

describe('AppLog: what a lagging reader is told', () => {
  it('names the dropped messages by channel and seq, merging adjacent seqs', () => {
    const log = new AppLog('k1.bb', 100);
    const reader = log.open();
    for (let seq = 1; seq <= 5; seq++) log.append(message(seq), 40);
    // 100 bytes hold two events: seqs 1-3 were dropped unread.
    expect(lagOf(log, reader)?.ranges).to.deep.equal([{ origin: ORIGIN, session: OS, direct: false, fromSeq: 1, toSeq: 3 }]);
  });

  it('names what a dropped GAP named, so the messages it reported are not lost untold', () => {
    const log = new AppLog('k1.bb', 100);
    const reader = log.open();
    log.append(message(1), 40);
    log.append(gap(2, 4), 40);
    log.append(message(5), 40);
    log.append(message(6), 40);
    log.append(message(7), 40);
    expect(lagOf(log, reader)?.ranges).to.deep.equal([{ origin: ORIGIN, session: OS, direct: false, fromSeq: 1, toSeq: 5 }]);
  });

  it('keeps an open range open: what follows it is not merged into a closed one', () => {
    const log = new AppLog('k1.bb', 100);
    const reader = log.open();
    log.append(gap(1, 0), 40);
    log.append(message(1), 40);
    log.append(message(8), 40);
    log.append(message(9), 40);
    expect(lagOf(log, reader)?.ranges).to.deep.equal([
      { origin: ORIGIN, session: OS, direct: false, fromSeq: 1, toSeq: 0 },
      { origin: ORIGIN, session: OS, direct: false, fromSeq: 1, toSeq: 1 },
    ]);
  });
});
