import { expect } from 'chai';
import { DeliveryLedger, DEFAULT_LEDGER_CONFIG, type LedgerOutput } from '../../../src/member/delivery-ledger.js';
import type { AppMessage } from '../../../src/overlays/types.js';

const O = '10.0.0.2:7070';
const R = '10.0.0.1:7070';
const S = '0.aaaa';

function msg(seq: number, sentAt: number, prevSentAt: number, to?: string): AppMessage {
  const base = { id: `${O}/${S}/${to === undefined ? 'b' : 'd'}${seq}`, origin: O, payload: new Uint8Array(0), sentAt, session: S, seq, prevSentAt };
  return to === undefined ? base : { ...base, to };
}

describe('member/delivery-ledger', () => {
  it('delivers each seq once, whatever the order, and drops every later copy as a duplicate', () => {
    const l = new DeliveryLedger(R, 0);
    const out: LedgerOutput[] = [];
    expect(l.receive(msg(1, 10, 0), 10, out)).to.equal('deliver');
    expect(l.receive(msg(3, 30, 20), 30, out)).to.equal('deliver');
    expect(l.receive(msg(2, 20, 10), 31, out)).to.equal('deliver');
    for (const seq of [1, 2, 3]) expect(l.receive(msg(seq, seq * 10, 0), 40, out)).to.equal('duplicate');
    expect(out).to.deep.equal([]);
    expect(l.outstanding).to.equal(false);
  });

  it('asks the origin for a missing seq after the repair delay, and reports it lost after gapAfterMs', () => {
    const l = new DeliveryLedger(R, 0);
    const out: LedgerOutput[] = [];
    l.receive(msg(1, 10, 0), 10, out);
    l.receive(msg(3, 30, 20), 30, out);
    l.tick(30 + DEFAULT_LEDGER_CONFIG.repairDelayMs - 1, out);
    expect(out).to.deep.equal([]);
    l.tick(30 + DEFAULT_LEDGER_CONFIG.repairDelayMs, out);
    expect(out).to.deep.equal([{ kind: 'nack', origin: O, session: S, direct: false, seqs: [2] }]);
    out.length = 0;
    l.tick(30 + DEFAULT_LEDGER_CONFIG.gapAfterMs, out);
    expect(out).to.have.length(1);
    expect(out[0]).to.deep.include({ kind: 'gap' });
    const gap = (out[0] as Extract<LedgerOutput, { kind: 'gap' }>).gap;
    expect(gap.reason).to.equal('REPAIR_FAILED');
    expect(gap.ranges).to.deep.equal([{ origin: O, session: S, direct: false, fromSeq: 2, toSeq: 2 }]);
    // Told lost: a late copy is not delivered after the GAP.
    expect(l.receive(msg(2, 20, 10), 6_000, out)).to.equal('duplicate');
  });

  it('turns the origin’s gone answer into a GAP at once', () => {
    const l = new DeliveryLedger(R, 0);
    const out: LedgerOutput[] = [];
    l.receive(msg(1, 10, 0), 10, out);
    l.receive(msg(4, 40, 30), 40, out);
    l.gone(O, S, false, [2, 3], 50, out);
    expect(out.map((o) => o.kind)).to.deep.equal(['gap']);
    expect((out[0] as Extract<LedgerOutput, { kind: 'gap' }>).gap).to.deep.include({ reason: 'REPAIR_FAILED', count: 2 });
    expect(l.outstanding).to.equal(false);
  });

  it('a mark reveals a lost last message', () => {
    const l = new DeliveryLedger(R, 0);
    const out: LedgerOutput[] = [];
    l.receive(msg(1, 10, 0), 10, out);
    l.mark(O, S, false, 2, 20, 520, out);
    expect(l.outstanding).to.equal(true);
  });

  it('a receiver that started mid-stream asks which earlier messages are its own, and delivers those the origin repeats', () => {
    const l = new DeliveryLedger(R, 100);
    const out: LedgerOutput[] = [];
    expect(l.receive(msg(5, 150, 120), 150, out)).to.equal('deliver');
    expect(out).to.deep.equal([{ kind: 'since', origin: O, session: S, direct: false, since: 100, below: 5 }]);
    out.length = 0;
    expect(l.receive(msg(4, 120, 90), 151, out)).to.equal('deliver');
    expect(l.receive(msg(3, 90, 60), 151, out)).to.equal('before-session');
    l.base(O, S, false, 5, 4, 152, out);
    expect(out).to.deep.equal([]);
    expect(l.receive(msg(4, 120, 90), 153, out)).to.equal('duplicate');
  });

  it('messages sent before this session started are not its to deliver', () => {
    const l = new DeliveryLedger(R, 1_000);
    expect(l.receive(msg(1, 999, 0), 1_001, [])).to.equal('before-session');
  });

  it('gives up the oldest missing seqs beyond the reorder window (REORDER_WINDOW), forgetting nothing silently', () => {
    const l = new DeliveryLedger(R, 0, { ...DEFAULT_LEDGER_CONFIG, reorderWindow: 4 });
    const out: LedgerOutput[] = [];
    l.receive(msg(1, 1, 0), 1, out);
    l.receive(msg(7, 7, 6), 7, out);
    const gap = out.find((o) => o.kind === 'gap') as Extract<LedgerOutput, { kind: 'gap' }>;
    expect(gap.gap.reason).to.equal('REORDER_WINDOW');
    expect(gap.gap.ranges).to.deep.equal([{ origin: O, session: S, direct: false, fromSeq: 2, toSeq: 3 }]);
  });

  it('a newer session of an origin ends the older one (ORIGIN_RESTARTED, open range) and its late copies are not delivered', () => {
    const l = new DeliveryLedger(R, 0);
    const out: LedgerOutput[] = [];
    l.receive(msg(1, 10, 0), 10, out);
    const newer = { ...msg(1, 5_000, 0), session: '3ns.bbbb', id: 'x' };
    expect(l.receive(newer, 5_000, out)).to.equal('deliver');
    const gap = out.find((o) => o.kind === 'gap') as Extract<LedgerOutput, { kind: 'gap' }>;
    expect(gap.gap.reason).to.equal('ORIGIN_RESTARTED');
    expect(gap.gap.ranges[0]).to.deep.equal({ origin: O, session: S, direct: false, fromSeq: 2, toSeq: 0 });
    expect(l.receive(msg(2, 20, 10), 5_001, out)).to.equal('ended-session');
  });

  it('an ended session heard of by its broadcasts only also has its sends to this member named, from the first (found by the swarm, seed 10 of mixed)', () => {
    const l = new DeliveryLedger(R, 0);
    const out: LedgerOutput[] = [];
    l.receive(msg(1, 10, 0), 10, out);
    l.receive({ ...msg(1, 5_000, 0), session: '3ns.bbbb', id: 'x' }, 5_000, out);
    const gap = out.find((o) => o.kind === 'gap') as Extract<LedgerOutput, { kind: 'gap' }>;
    expect(gap.gap.ranges).to.deep.include({ origin: O, session: S, direct: true, fromSeq: 1, toSeq: 0 });
    expect(l.receive(msg(1, 20, 0, R), 5_001, out), 'a late send of the ended session').to.equal('ended-session');
  });

  it('an origin dropped from the member list gets ORIGIN_LEFT naming what may have been in flight', () => {
    const l = new DeliveryLedger(R, 0);
    const out: LedgerOutput[] = [];
    l.members([R, O], 0, out);
    l.receive(msg(1, 10, 0), 10, out);
    l.members([R], 20, out);
    const gap = out.find((o) => o.kind === 'gap') as Extract<LedgerOutput, { kind: 'gap' }>;
    expect(gap.gap.reason).to.equal('ORIGIN_LEFT');
    expect(gap.gap.ranges).to.deep.include({ origin: O, session: S, direct: false, fromSeq: 2, toSeq: 0 });
  });
});
