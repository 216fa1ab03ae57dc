/** Test helper: an in-memory Lease with resourceVersion preconditions (shared by the leader-election and manager tests). */
import type { LeaseRecord, LeaseStore } from '../../../src/operator/controller/leader-election.js';

/** An in-memory Lease with resourceVersion preconditions, and a switch to cut one candidate off. */
export class MemoryLeaseStore {
  record: LeaseRecord | undefined;
  rv = 0;
  readonly cutOff = new Set<string>();

  forCandidate(id: string): LeaseStore {
    const fail = (): void => {
      if (this.cutOff.has(id)) throw Object.assign(new Error('connection refused'), { statusCode: 503 });
    };
    return {
      description: 'ns/lease',
      read: async () => {
        fail();
        return this.record === undefined ? undefined : { record: { ...this.record }, resourceVersion: String(this.rv) };
      },
      write: async (record, resourceVersion) => {
        fail();
        const exists = this.record !== undefined;
        if ((resourceVersion === undefined && exists) || (resourceVersion !== undefined && resourceVersion !== String(this.rv))) {
          throw Object.assign(new Error('conflict'), { statusCode: 409 });
        }
        this.record = { ...record };
        this.rv++;
        return String(this.rv);
      },
    };
  }
}
