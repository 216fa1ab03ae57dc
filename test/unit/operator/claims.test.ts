import { expect } from 'chai';
import type { V1Pod } from '@kubernetes/client-node';
import { applyDefaults } from '../../../src/api/apply-defaults.js';
import type { ClusterTopology, LabelSelector } from '../../../src/api/types.js';
import { claimMembers, precedes, topologiesSharingPods } from '../../../src/operator/reconcile/claims.js';
import { memberPods } from '../../../src/operator/reconcile/members.js';
import { findCondition } from '../../../src/operator/rollout/conditions.js';
import { pods, World } from './fake-fleet.js';

function pod(name: string, labels: Record<string, string>, namespace = 'ns'): V1Pod {
  return {
    metadata: { name, namespace, uid: `uid-${name}`, labels },
    status: { phase: 'Running', podIP: `127.0.1.${name.length}`, conditions: [{ type: 'Ready', status: 'True' }] },
  };
}

function topology(
  name: string,
  created: string | Date | undefined,
  selector: LabelSelector,
  extra: { namespace?: string; deleting?: boolean } = {},
): ClusterTopology {
  const metadata: ClusterTopology['metadata'] = { name, namespace: extra.namespace ?? 'ns', uid: `uid-${name}` };
  // The informer's objects may carry Dates where the type says string.
  if (created !== undefined) metadata.creationTimestamp = created as string;
  if (extra.deleting === true) metadata.deletionTimestamp = '1970-01-01T00:00:00Z';
  return { apiVersion: 'topology.foundation.dev/v1alpha1', kind: 'ClusterTopology', metadata, spec: { selector, topology: 'FullMesh' } } as ClusterTopology;
}

const chat = { matchLabels: { app: 'chat' } };
const web = { matchLabels: { tier: 'web' } };
const world = [
  pod('chat-0', { app: 'chat' }),
  pod('chat-1', { app: 'chat', tier: 'web' }),
  pod('chat-2', { app: 'chat', tier: 'web' }),
  pod('web-0', { tier: 'web' }),
];

function members(t: ClusterTopology) {
  return memberPods(applyDefaults(t.spec), world, new Date());
}

describe('claims: one ClusterTopology per pod', () => {
  it('orders resources by creationTimestamp, then name; one without a timestamp comes last', () => {
    const a = topology('a', '2026-01-01T00:00:00Z', chat);
    const b = topology('b', new Date('2026-01-01T00:00:01Z'), chat);
    const c = topology('c', '2026-01-01T00:00:00Z', chat);
    const fresh = topology('0-fresh', undefined, chat);
    expect(precedes(a, b)).to.equal(true);
    expect(precedes(b, a)).to.equal(false);
    expect(precedes(a, c)).to.equal(true);
    expect(precedes(c, a)).to.equal(false);
    expect(precedes(b, fresh)).to.equal(true);
  });

  it('leaves the pods an earlier resource also selects to it, grouped by holder', () => {
    const early = topology('chat', '2026-01-01T00:00:00Z', chat);
    const late = topology('web', '2026-01-02T00:00:00Z', web);
    const lateClaim = claimMembers(late, members(late), [early, late]);
    expect(lateClaim.own.map((m) => m.name)).to.deep.equal(['web-0']);
    expect(lateClaim.shared).to.deep.equal([{ holder: 'ns/chat', pods: ['chat-1', 'chat-2'] }]);
    // The earlier one keeps everything it selects.
    const earlyClaim = claimMembers(early, members(early), [early, late]);
    expect(earlyClaim.own.map((m) => m.name)).to.deep.equal(['chat-0', 'chat-1', 'chat-2']);
    expect(earlyClaim.shared).to.deep.equal([]);
  });

  it('lets a resource being deleted keep its pods, ignores other namespaces, and gives no pod to a selector that requires no label', () => {
    const late = topology('web', '2026-01-02T00:00:00Z', web);
    const deleting = topology('chat', '2026-01-01T00:00:00Z', chat, { deleting: true });
    expect(claimMembers(late, members(late), [deleting]).shared).to.deep.equal([{ holder: 'ns/chat', pods: ['chat-1', 'chat-2'] }]);
    const elsewhere = topology('chat', '2026-01-01T00:00:00Z', chat, { namespace: 'other' });
    expect(claimMembers(late, members(late), [elsewhere]).own.map((m) => m.name)).to.deep.equal(['chat-1', 'chat-2', 'web-0']);
    const legacy = topology('legacy', '2025-01-01T00:00:00Z', { matchExpressions: [{ key: 'zone', operator: 'DoesNotExist' }] });
    expect(claimMembers(late, members(late), [legacy]).shared).to.deep.equal([]);
    const broken = { ...legacy, spec: { selector: { matchExpressions: [null] } } } as unknown as ClusterTopology;
    expect(claimMembers(late, members(late), [broken]).shared).to.deep.equal([]);
  });

  it('maps a ClusterTopology event to the others that select its pods, before or after the change', () => {
    const early = topology('chat', '2026-01-01T00:00:00Z', chat);
    const late = topology('web', '2026-01-02T00:00:00Z', web);
    const db = topology('db', '2026-01-03T00:00:00Z', { matchLabels: { app: 'db' } });
    expect(topologiesSharingPods(early, undefined, world, [early, late, db])).to.deep.equal([{ namespace: 'ns', name: 'web' }]);
    // The selector moved away from the shared pods: the resource that shared them still hears of it.
    const moved = topology('chat', '2026-01-01T00:00:00Z', { matchLabels: { app: 'db' } });
    expect(topologiesSharingPods(moved, early, world, [moved, late, db])).to.deep.equal([{ namespace: 'ns', name: 'web' }]);
    expect(topologiesSharingPods(db, undefined, world, [early, late, db])).to.deep.equal([]);
  });

  it('reports the overlap as Stalled/SelectorOverlap naming the other resource and a pod, once as an Event, and switches the rest', () => {
    const w = new World({ selector: { matchLabels: { app: 'chat' } }, topology: 'FullMesh' }, pods(3));
    w.shared = [{ holder: 'ns/early', pods: ['app-07', 'app-08', 'app-09', 'app-10'] }];
    const first = w.reconcile();
    const stalled = findCondition(first.status.conditions, 'Stalled')!;
    expect(stalled).to.deep.include({ status: 'True', reason: 'SelectorOverlap' });
    expect(stalled.message)
      .to.include('pods app-07, app-08, app-09 and 1 more are also selected by ClusterTopology ns/early')
      .and.include('change spec.selector');
    expect(first.events.filter((e) => e.reason === 'SelectorOverlap')).to.have.length(1);
    w.tick(first);
    const rest = w.runUntil((x) => x.status.currentTopology === 'FullMesh' && x.status.rollout?.stage === 'Succeeded');
    expect(rest.flatMap((p) => p.events).filter((e) => e.reason === 'SelectorOverlap')).to.deep.equal([]);
    const steady = w.reconcile();
    expect(steady.status.phase).to.equal('Degraded');
    expect(findCondition(steady.status.conditions, 'Ready')).to.deep.include({ status: 'False', reason: 'SelectorOverlap' });
    expect(w.members.every((m) => m.activeEpoch === 1)).to.equal(true);
    // The overlap ends (the other resource is gone): Ready again, nothing left over.
    w.shared = undefined;
    const clear = w.reconcile();
    expect(clear.status.phase).to.equal('Ready');
    expect(findCondition(clear.status.conditions, 'Stalled')).to.deep.include({ status: 'False', reason: 'Established' });
  });
});
