/** A check the TLS tests share: one app broadcast reaches every other member exactly once. */
import { expect } from 'chai';
import { AppClient, auditDeliveries, waitUntil } from '../../../src/fleet/app-traffic.js';

/** Broadcasts `payload` from `apps[from]` and expects each of the other apps to receive it exactly once. */
export async function expectBroadcastReachesAll(apps: readonly AppClient[], from: number, payload: string): Promise<void> {
  for (const a of apps) a.received.clear();
  const sent = await apps[from]!.send(undefined, Buffer.from(payload));
  expect(sent, 'the sidecar accepted the broadcast').to.not.equal(undefined);
  const receivers = (): Map<string, Map<string, number>> => new Map(apps.map((a) => [a.member, a.received]));
  await waitUntil(
    () => `the broadcast at every member (missing: ${auditDeliveries([sent!], receivers()).lostExamples.join(', ')})`,
    () => auditDeliveries([sent!], receivers()).lost === 0,
    10_000,
  );
  const audit = auditDeliveries([sent!], receivers());
  expect(audit.expectedDeliveries).to.equal(apps.length - 1);
  expect(audit.lost, audit.lostExamples.join(', ')).to.equal(0);
  expect(audit.duplicated, audit.duplicateExamples.join(', ')).to.equal(0);
}
