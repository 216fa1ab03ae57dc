import { expect } from 'chai';
import fc from 'fast-check';
import { SwitchEngine, drainComplete, DEFAULT_DRAIN_POLICY, FUTURE_EPOCH_WINDOW, MAX_EPOCH, MAX_PREPARE_JUMP } from '../../../src/member/switch-engine.js';
import { MAX_EPOCH_JUMP, withinEpochBound } from '../../../src/api/epoch-bound.js';

describe('SwitchEngine', () => {
  it('bootstraps: prepare, route, commit of the first epoch', () => {
    const e = new SwitchEngine();
    expect(e.routeEpoch()).to.equal(0);
    expect(e.prepare(1)).to.deep.equal({ ok: true, changed: true, effects: [{ kind: 'create', epoch: 1 }] });
    expect(e.disposition(1)).to.equal('live');
    expect(e.routeTo(1)).to.deep.include({ ok: true, changed: true });
    expect(e.commit(1)).to.deep.equal({ ok: true, changed: true, effects: [] });
    expect(e.snapshot()).to.deep.equal({ active: 1, staged: 0, route: 1, draining: [] });
  });

  it('runs a phased switch: the old epoch drains on commit and is stale once drained', () => {
    const e = new SwitchEngine();
    e.prepare(1);
    e.commit(1);
    expect(e.prepare(2).ok).to.equal(true);
    expect(e.roleOf(1)).to.equal('active');
    expect(e.roleOf(2)).to.equal('staged');
    expect(e.routeEpoch()).to.equal(1);
    e.routeTo(2);
    expect(e.routeEpoch()).to.equal(2);
    expect(e.commit(2)).to.deep.equal({ ok: true, changed: true, effects: [{ kind: 'drain', epoch: 1 }] });
    expect(e.roleOf(1)).to.equal('draining');
    expect(e.disposition(1)).to.equal('live');
    e.drained(1);
    expect(e.disposition(1)).to.equal('stale');
    expect(e.disposition(3)).to.equal('future');
  });

  it('is idempotent for the same epoch', () => {
    const e = new SwitchEngine();
    e.prepare(1);
    expect(e.prepare(1)).to.deep.equal({ ok: true, changed: false, effects: [] });
    e.routeTo(1);
    expect(e.routeTo(1)).to.deep.include({ ok: true, changed: false });
    e.commit(1);
    expect(e.commit(1)).to.deep.include({ ok: true, changed: false });
    expect(e.prepare(1)).to.deep.include({ ok: true, changed: false });
    e.prepare(2);
    expect(e.abort(2)).to.deep.include({ ok: true, changed: true });
    expect(e.abort(2)).to.deep.include({ ok: true, changed: false });
  });

  it('refuses older epochs, unprepared epochs, a second staged epoch and aborting the active one', () => {
    const e = new SwitchEngine();
    e.prepare(3);
    e.commit(3);
    const older = e.prepare(2);
    expect(older.ok).to.equal(false);
    if (!older.ok) expect(older.reason).to.match(/older/);
    const unprepared = e.commit(5);
    expect(unprepared.ok).to.equal(false);
    if (!unprepared.ok) expect(unprepared.reason).to.match(/not been prepared/);
    e.prepare(4);
    const second = e.prepare(5);
    expect(second.ok).to.equal(false);
    if (!second.ok) expect(second.reason).to.match(/still staged/);
    const active = e.abort(3);
    expect(active.ok).to.equal(false);
    expect(e.routeTo(2).ok).to.equal(false);
    expect(e.prepare(0).ok).to.equal(false);
    expect(e.prepare(1.5).ok).to.equal(false);
  });

  it('abort routes back to the active epoch and drains the staged one', () => {
    const e = new SwitchEngine();
    e.prepare(1);
    e.commit(1);
    e.prepare(2);
    e.routeTo(2);
    expect(e.abort(2)).to.deep.equal({ ok: true, changed: true, effects: [{ kind: 'drain', epoch: 2 }] });
    expect(e.snapshot()).to.deep.equal({ active: 1, staged: 0, route: 1, draining: [2] });
    expect(e.commit(2).ok).to.equal(false);
    expect(e.prepare(2).ok).to.equal(false);
    expect(e.prepare(3).ok).to.equal(true);
  });

  it('cannot be bricked: refuses an epoch above the maximum, or too far above the highest prepared, and a normal switch still works', () => {
    const fresh = new SwitchEngine();
    expect(fresh.prepare(2 ** 53 - 1)).to.deep.equal({
      ok: false,
      refusal: 'invalid',
      reason: `epoch 9007199254740991 exceeds the maximum epoch ${MAX_EPOCH}`,
    });
    expect(fresh.prepare(MAX_EPOCH + 1).ok).to.equal(false);
    // A fresh sidecar accepts the resource's current epoch, whatever it is, up to the maximum.
    expect(new SwitchEngine().prepare(MAX_EPOCH).ok).to.equal(true);
    expect(fresh.prepare(4242).ok).to.equal(true);
    fresh.commit(4242);
    const jump = fresh.prepare(4242 + MAX_PREPARE_JUMP + 1);
    expect(jump).to.deep.equal({
      ok: false,
      refusal: 'precondition',
      reason: `epoch ${4242 + MAX_PREPARE_JUMP + 1} is ${MAX_PREPARE_JUMP + 1} above epoch 4242, the highest this sidecar prepared; the limit is ${MAX_PREPARE_JUMP} above it (at most ${4242 + MAX_PREPARE_JUMP})`,
    });
    expect(fresh.snapshot()).to.deep.equal({ active: 4242, staged: 0, route: 4242, draining: [] });
    expect(fresh.prepare(4242 + MAX_PREPARE_JUMP).ok).to.equal(true);
    expect(fresh.commit(4242 + MAX_PREPARE_JUMP).ok).to.equal(true);
    expect(fresh.prepare(1.5)).to.deep.include({ ok: false, refusal: 'invalid' });
    expect(fresh.commit(0)).to.deep.include({ ok: false, refusal: 'invalid' });
    expect(fresh.commit(7)).to.deep.include({ ok: false, refusal: 'precondition' });
  });

  it("accepts every epoch the operator stages from members it trusts (src/api/epoch-bound.ts): its bound is wider than the operator's", () => {
    const status = 700;
    const e = new SwitchEngine();
    // This sidecar missed a few switch attempts (it lags the resource's status by 3) ...
    e.prepare(status - 3);
    e.commit(status - 3);
    // ... and a trusted member reported the most the operator trusts, so the next epoch is one above it.
    const next = status + MAX_EPOCH_JUMP + 1;
    expect(withinEpochBound(next - 1, status)).to.equal(true);
    expect(e.prepare(next).ok).to.equal(true);
    expect(MAX_PREPARE_JUMP).to.be.greaterThan(MAX_EPOCH_JUMP + 1);
  });

  it('holds frames only for the next epochs within the window above the highest prepared; beyond is refused', () => {
    const e = new SwitchEngine();
    expect(e.disposition(1)).to.equal('future');
    expect(e.disposition(FUTURE_EPOCH_WINDOW)).to.equal('future');
    expect(e.disposition(FUTURE_EPOCH_WINDOW + 1)).to.equal('beyond');
    expect(e.disposition(2 ** 53 - 1)).to.equal('beyond');
    e.prepare(10);
    expect(e.disposition(10)).to.equal('live');
    expect(e.disposition(9)).to.equal('stale');
    expect(e.disposition(10 + FUTURE_EPOCH_WINDOW)).to.equal('future');
    expect(e.disposition(11 + FUTURE_EPOCH_WINDOW)).to.equal('beyond');
  });

  it('never holds more than two live (non-draining) overlays and always routes over a live one', () => {
    const op = fc.record({ kind: fc.constantFrom('prepare', 'route', 'commit', 'abort', 'drained'), epoch: fc.integer({ min: 0, max: 8 }) });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const e = new SwitchEngine();
        for (const o of ops) {
          if (o.kind === 'prepare') e.prepare(o.epoch);
          else if (o.kind === 'route') e.routeTo(o.epoch);
          else if (o.kind === 'commit') e.commit(o.epoch);
          else if (o.kind === 'abort') e.abort(o.epoch);
          else e.drained(o.epoch);
          const s = e.snapshot();
          if (s.staged !== 0) expect(s.staged).to.be.greaterThan(s.active);
          if (s.route !== 0) expect([s.active, s.staged]).to.include(s.route);
          expect(s.draining).to.not.include(s.active === 0 ? -1 : s.active);
        }
      }),
    );
  });
});

describe('drainComplete', () => {
  const p = DEFAULT_DRAIN_POLICY;
  it('waits for empty queues and a quiet period, capped by the maximum', () => {
    expect(drainComplete({ startedAt: 0, lastTrafficAt: 0, queuedFrames: 0, now: p.quietMs - 1 })).to.equal(false);
    expect(drainComplete({ startedAt: 0, lastTrafficAt: 0, queuedFrames: 0, now: p.quietMs })).to.equal(true);
    expect(drainComplete({ startedAt: 0, lastTrafficAt: 500, queuedFrames: 0, now: p.quietMs })).to.equal(false);
    expect(drainComplete({ startedAt: 0, lastTrafficAt: 0, queuedFrames: 3, now: p.quietMs * 2 })).to.equal(false);
    expect(drainComplete({ startedAt: 0, lastTrafficAt: p.maxMs, queuedFrames: 3, now: p.maxMs })).to.equal(true);
  });
});
