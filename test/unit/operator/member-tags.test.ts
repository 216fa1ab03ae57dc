import { expect } from 'chai';
import { memberInfoDigest, mergeTags, tagRefusal, tagsMatch, MAX_TAG_VALUE_LENGTH } from '../../../src/rpc/member-tags.js';
import { wantedMemberInfo, type MemberObservation } from '../../../src/operator/sidecars/observe.js';
import type { MemberPod } from '../../../src/operator/reconcile/members.js';
import type { SidecarState } from '../../../src/rpc/control-client.js';

function observation(name: string, address: string, labels: Record<string, string>, tags: Record<string, string> | undefined, ready = true): MemberObservation {
  const pod = { name, uid: name, labels, address, podReady: ready, pod: {} } as unknown as MemberPod;
  const o: MemberObservation = { pod, observed: { name, ready, labels, address } };
  if (tags !== undefined) o.state = { tags, members: [], memberInfoDigest: '' } as unknown as SidecarState;
  return o;
}

describe('member tags: the operator merge (spec.memberTags + --tag)', () => {
  it('takes the listed pod labels only, and the sidecar flag wins over a label of the same key', () => {
    expect(mergeTags({ tier: 'silver', rack: 'r1', secret: 's' }, ['tier', 'rack', 'absent'], { tier: 'gold', zone: 'eu' })).to.deep.equal({
      tier: 'gold',
      rack: 'r1',
      zone: 'eu',
    });
    const info = wantedMemberInfo(
      [
        observation('p0', '10.0.0.1:7070', { tier: 'silver', secret: 's' }, { tier: 'gold' }),
        observation('p1', '10.0.0.2:7070', { tier: 'bronze' }, {}),
        observation('p2', '10.0.0.3:7070', { tier: 'x' }, undefined, false),
      ],
      ['tier'],
    );
    expect(info).to.deep.equal([
      { address: '10.0.0.1:7070', pod: 'p0', tags: { tier: 'gold' } },
      { address: '10.0.0.2:7070', pod: 'p1', tags: { tier: 'bronze' } },
    ]);
  });

  it('digests independently of order, and differently when a tag changes', () => {
    const a = { address: 'a:1', pod: 'pa', tags: { x: '1', y: '2' } };
    const b = { address: 'b:1', pod: 'pb', tags: {} };
    expect(memberInfoDigest([a, b])).to.equal(memberInfoDigest([b, { ...a, tags: { y: '2', x: '1' } }]));
    expect(memberInfoDigest([a, b])).to.not.equal(memberInfoDigest([a, { ...b, tags: { x: '1' } }]));
    expect(memberInfoDigest([])).to.equal('');
  });

  it('refuses keys that are no label keys and long values, naming the field and the limit', () => {
    expect(tagRefusal('--tag', 'no spaces', 'v')).to.contain('is not a label key');
    expect(tagRefusal('--tag', 'ok', 'v'.repeat(MAX_TAG_VALUE_LENGTH + 1))).to.equal(`--tag ok: value of 257 characters exceeds the limit of 256`);
    expect(tagRefusal('--tag', 'example.com/ok', 'any value, even with spaces')).to.equal(undefined);
    expect(tagsMatch({ a: '1', b: '2' }, { a: '1' })).to.equal(true);
    expect(tagsMatch({ a: '1' }, { a: '2' })).to.equal(false);
    expect(tagsMatch({}, {})).to.equal(true);
  });
});
