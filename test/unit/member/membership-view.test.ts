import { expect } from 'chai';
import { MembershipView } from '../../../src/member/membership-view.js';

const A = '10.0.0.1:7070';
const B = '10.0.0.2:7070';
const C = '10.0.0.3:7070';

describe('MembershipView (App API v2 membership)', () => {
  it('reports the first list as joins, then left, joined and updated in that order', () => {
    const v = new MembershipView(A, 'pod-a', { zone: 'eu' });
    expect(v.update([A, B], [{ address: B, pod: 'pod-b', tags: { tier: 'x' } }]).map((c) => [c.kind, c.member.address])).to.deep.equal([
      ['joined', A],
      ['joined', B],
    ]);
    // Own tags win; own pod when none was pushed.
    expect(v.of(A)).to.deep.equal({ address: A, pod: 'pod-a', tags: { zone: 'eu' } });
    const changes = v.update(
      [A, C, B],
      [
        { address: B, pod: 'pod-b', tags: { tier: 'y' } },
        { address: A, pod: 'pod-a', tags: { zone: 'us', rack: '1' } },
      ],
    );
    expect(changes.map((c) => [c.kind, c.member.address])).to.deep.equal([
      ['updated', A],
      ['joined', C],
      ['updated', B],
    ]);
    expect(v.of(A).tags).to.deep.equal({ zone: 'eu', rack: '1' });
    const left = v.update([A, B]);
    expect(left).to.deep.equal([{ kind: 'left', member: { address: C, pod: '', tags: {} } }]);
    expect(v.list().map((m) => m.address)).to.deep.equal([A, B]);
  });

  it('keeps details across a list without them (Prepare), and ignores an empty list', () => {
    const v = new MembershipView(A, 'pod-a', {});
    v.update([A, B], [{ address: B, pod: 'pod-b', tags: { t: '1' } }]);
    expect(v.update([B, A])).to.deep.equal([]);
    expect(v.of(B).tags).to.deep.equal({ t: '1' });
    expect(v.update([])).to.deep.equal([]);
    expect(v.has(B)).to.equal(true);
    expect(v.has(C)).to.equal(false);
  });
});
