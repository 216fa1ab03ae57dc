import { expect } from 'chai';
import { auditContract, type AcceptedSend, type AuditGapRange, type ReceivedEvent } from '../../../src/member/delivery-audit.js';

/** A sidecar session id that started at `ms` (src/member/session.ts). */
const session = (ms: number, nonce = 'aa'): string => `${ms.toString(36)}.${nonce}`;
const A = '127.0.0.2:7946';
const B = '127.0.0.3:7946';
const C = '127.0.0.4:7946';
const SA = session(1_000);
const SB = session(1_000, 'bb');
const SC = session(1_000, 'cc');

/** An accepted send of A's session SA: a broadcast (`to` undefined) or a send, requested at `at` and replied 2 ms later. */
function sent(seq: number, to?: string, at = 10_000, origin = A, originSession = SA): AcceptedSend {
  return {
    id: `${origin}/${originSession}/${to === undefined ? 'b' : 'd'}${seq}`,
    origin,
    session: originSession,
    seq,
    to,
    requestedAt: at,
    repliedAt: at + 2,
  };
}

/** The delivery of `s` in receiving session `rs` at `cursor`. */
function got(s: AcceptedSend, rs: string, cursor: number, sentAt = s.requestedAt + 1): ReceivedEvent {
  return { kind: 'message', id: s.id, origin: s.origin, originSession: s.session, seq: s.seq, direct: s.to !== undefined, sentAt, session: rs, cursor };
}

function gap(reason: string, rs: string, cursor: number, ...ranges: AuditGapRange[]): ReceivedEvent {
  return { kind: 'gap', reason, ranges, session: rs, cursor };
}

/** A GAP delivered at `deliveredAt`. */
function gapAt(deliveredAt: number, reason: string, rs: string, cursor: number, ...ranges: AuditGapRange[]): ReceivedEvent {
  return { kind: 'gap', reason, ranges, session: rs, cursor, deliveredAt };
}

function range(fromSeq: number, toSeq: number, originSession = SA, direct = false, origin = A): AuditGapRange {
  return { origin, originSession, direct, fromSeq, toSeq };
}

describe('auditContract', () => {
  it('counts every broadcast once per other receiver and every send once at its destination', () => {
    const b1 = sent(1);
    const d1 = sent(1, B);
    const audit = auditContract(
      [b1, d1],
      [
        { member: A, events: [] },
        { member: B, events: [got(b1, SB, 1), got(d1, SB, 2)] },
        { member: C, events: [got(b1, SC, 1)] },
      ],
    );
    expect(audit).to.deep.include({ accepted: 2, expected: 3, delivered: 3, lost: 0, duplicated: 0, untold: 0, contractViolations: 0, unaccounted: 0 });
  });

  it('a message neither delivered nor told is a violation naming origin, session, seq, receiver and what it got', () => {
    const b1 = sent(1);
    const b2 = sent(2);
    const audit = auditContract(
      [b1, b2],
      [
        { member: A, events: [] },
        { member: B, events: [got(b1, SB, 1), gap('REPAIR_FAILED', SB, 2, range(5, 6))] },
      ],
    );
    expect(audit).to.deep.include({ expected: 2, delivered: 1, lost: 0, untold: 1, contractViolations: 1 });
    expect(audit.examples).to.deep.equal([
      `untold loss: broadcast ${A} session ${SA} seq 2 (requested at 10000, delivered to 0 receivers) → ${B}: not delivered; GAPs of that origin: REPAIR_FAILED ${SA} b5..6; receiver sessions ${SB}`,
    ]);
  });

  it('a GAP covers a message of its origin, session and channel within from..to, or from on when to is 0', () => {
    const [b1, b2, b3] = [sent(1), sent(2), sent(3)];
    const d1 = sent(1, B);
    const audit = auditContract(
      [b1, b2, b3, d1],
      [
        { member: A, events: [] },
        // b1 by a closed range, b2 and b3 by an open one; the broadcast ranges do not cover the send d1.
        { member: B, events: [gap('REPAIR_FAILED', SB, 1, range(1, 1)), gap('ORIGIN_RESTARTED', SB, 2, range(2, 0))] },
      ],
    );
    expect(audit).to.deep.include({ expected: 4, delivered: 0, lost: 3, untold: 1, contractViolations: 1 });
    expect(audit.lostByReason).to.deep.equal({ REPAIR_FAILED: 1, ORIGIN_RESTARTED: 2 });
    expect(audit.examples[0]).to.match(/^untold loss: send .* seq 1 \(.*\) → /);
  });

  it("a GAP of another session or origin does not cover; session '' covers only sessions the receiver had no message of", () => {
    const seen = sent(1);
    const other = sent(1, undefined, 10_000, A, session(2_000));
    const audit = auditContract(
      [sent(2), other],
      [
        { member: A, events: [] },
        {
          member: B,
          events: [got(seen, SB, 1), gap('ORIGIN_LEFT', SB, 2, range(1, 0, ''), range(2, 2, SA, false, C), range(2, 2, session(3_000)))],
        },
      ],
    );
    // sent(2) is of SA, which B had a message of before the GAP; `other`'s session it never saw.
    expect(audit).to.deep.include({ expected: 2, lost: 1, untold: 1, unaccounted: 1 });
    expect(audit.examples[0]).to.include(`session ${SA} seq 2`);
  });

  it("session '' judges by what the receiver's current sidecar session saw: a message before a restart does not count", () => {
    const seen = sent(1);
    const later = sent(2);
    const SB2 = session(5_000, 'b2');
    const audit = auditContract(
      [later],
      [{ member: B, events: [got(seen, SB, 1), gap('SIDECAR_RESTARTED', SB2, 0), gap('ORIGIN_LEFT', SB2, 1, range(1, 0, ''))] }],
    );
    expect(audit).to.deep.include({ expected: 1, lost: 1, untold: 0 });
    expect(audit.lostByReason).to.deep.equal({ ORIGIN_LEFT: 1 });
  });

  it('SIDECAR_RESTARTED covers what was sent before the new session started, by the send time a delivery revealed', () => {
    const SB2 = session(10_000, 'b2');
    // Sent at 9,999 (C got it and says so), at 10,001, and one only the request time bounds, requested at 9,990, replied 9,992.
    const before = sent(1, undefined, 9_990);
    const after = sent(2, undefined, 10_000);
    const unknown = sent(1, B, 9_990);
    const audit = auditContract(
      [before, after, unknown],
      [
        { member: A, events: [] },
        { member: B, events: [gap('SIDECAR_RESTARTED', SB2, 0)] },
        { member: C, events: [got(before, SC, 1, 9_999), got(after, SC, 2, 10_001)] },
      ],
    );
    expect(audit).to.deep.include({ expected: 5, delivered: 2, lost: 2, untold: 1, ambiguous: 0 });
    expect(audit.lostByReason).to.deep.equal({ SIDECAR_RESTARTED: 2 });
    expect(audit.examples[0]).to.match(new RegExp(`seq 2 \\(sent at 10001, delivered to 1 receivers\\) → ${B}`));
  });

  it("a send's id repeats across destinations: another destination's delivery does not reveal its send time", () => {
    const SB2 = session(10_000, 'b2');
    const toB = sent(1, B, 9_990);
    const toC = sent(1, C, 10_500);
    expect(toB.id).to.equal(toC.id);
    const audit = auditContract(
      [toB, toC],
      [
        { member: B, events: [gap('SIDECAR_RESTARTED', SB2, 0)] },
        { member: C, events: [got(toC, SC, 1, 10_501)] },
      ],
    );
    expect(audit).to.deep.include({ expected: 2, delivered: 1, lost: 1, untold: 0, ambiguous: 0, contractViolations: 0 });
  });

  it('a send whose reply came after the restart and that nobody received is judged by its request time, and counted ambiguous', () => {
    const SB2 = session(10_001, 'b2');
    const straddling = sent(1, B, 10_000);
    const audit = auditContract([straddling], [{ member: B, events: [gap('SIDECAR_RESTARTED', SB2, 0)] }]);
    expect(audit).to.deep.include({ expected: 1, lost: 1, untold: 0, ambiguous: 1 });
  });

  it('an open range delivered before a message was sent covers it, as the contract says, and is reported as told before sent', () => {
    const early = sent(1, undefined, 9_000);
    const late = sent(2, undefined, 12_000);
    const audit = auditContract([early, late], [{ member: B, events: [gapAt(10_000, 'ORIGIN_LEFT', SB, 1, range(1, 0, ''))] }]);
    expect(audit).to.deep.include({ expected: 2, lost: 2, untold: 0, contractViolations: 0, toldBeforeSent: 1 });
    expect(audit.notes).to.deep.equal([
      `told before sent: broadcast ${A} session ${SA} seq 2 (requested at 12000) → ${B}: covered only by ORIGIN_LEFT (any unseen session) b1.. delivered at 10000`,
    ]);
  });

  it('a second delivery is a violation even when a GAP covered the message', () => {
    const b1 = sent(1);
    const audit = auditContract([b1], [{ member: B, events: [gap('REPAIR_FAILED', SB, 1, range(1, 1)), got(b1, SB, 2), got(b1, SB, 3)] }]);
    expect(audit).to.deep.include({ delivered: 1, lost: 0, duplicated: 1, deliveredAfterGap: 1, contractViolations: 1 });
    expect(audit.examples).to.deep.equal([`duplicate: ${b1.id} delivered 2 times to ${B}`]);
  });

  it('history before `from` is not counted again, but a copy after it of a message delivered before is a duplicate', () => {
    const old = sent(1);
    const fresh = sent(2);
    const events = [got(old, SB, 1), got(old, SB, 2), got(fresh, SB, 3)];
    expect(auditContract([fresh], [{ member: B, events, from: 1 }])).to.deep.include({ expected: 1, delivered: 1, duplicated: 1, unaccounted: 1 });
    expect(auditContract([fresh], [{ member: B, events, from: 1 }]).examples).to.deep.equal([`duplicate: ${old.id} delivered 2 times to ${B}`]);
    expect(auditContract([fresh], [{ member: B, events, from: 2 }])).to.deep.include({ delivered: 1, duplicated: 0, unaccounted: 0, contractViolations: 0 });
  });

  it('a send to a member that is not audited (crashed for good) is not expected anywhere', () => {
    const audit = auditContract([sent(1, C)], [{ member: B, events: [] }]);
    expect(audit).to.deep.include({ accepted: 1, expected: 0, contractViolations: 0 });
  });

  it('messages sent before an app first subscribed are not promised to it; the known send time is judged, not the request time', () => {
    const before = { ...sent(1, B, 10_000), acceptedAt: 10_001 };
    const after = { ...sent(2, B, 10_000), acceptedAt: 20_001 };
    const audit = auditContract([before, after], [{ member: B, events: [], promisedFrom: 20_000 }]);
    expect(audit).to.deep.include({ accepted: 2, expected: 1, untold: 1, contractViolations: 1 });
    expect(audit.examples[0]).to.include('seq 2');
  });
});
