// The verification job the reconcile passes move on (src/operator/sidecars/verify.ts): it never
// waits inside a pass. Driven here with an in-memory Control fan-out whose Probe replies the test
// releases, and a clock the test sets, so every step is deterministic.
import { expect } from 'chai';
import { applyDefaults } from '../../../src/api/apply-defaults.js';
import type { CallResult, ProbeReply, SidecarState } from '../../../src/rpc/control-client.js';
import type { SidecarPool } from '../../../src/operator/sidecars/pool.js';
import { convergeBudgetMs, EpochVerifier, PROBES_PER_SENDER, type VerifyStep } from '../../../src/operator/sidecars/verify.js';

const spec = applyDefaults({ selector: { matchLabels: { app: 'x' } } });
const members = ['10.0.0.1:7070', '10.0.0.2:7070', '10.0.0.3:7070', '10.0.0.4:7070'];
const EPOCH = 2;

/** States where each member's view of `EPOCH` is `view(member)`. */
function states(view: (m: string) => string[]): Map<string, SidecarState> {
  return new Map(
    members.map((m) => [m, { self: m, overlays: [{ epoch: EPOCH, topology: 'HYPAR_VIEW', role: 'staged', activeView: view(m) }] } as unknown as SidecarState]),
  );
}
const ring = states((m) => {
  const i = members.indexOf(m);
  return [members[(i + 1) % members.length]!, members[(i + members.length - 1) % members.length]!];
});
const split = states((m) => (members.indexOf(m) < 2 ? members.slice(0, 2) : members.slice(2)).filter((x) => x !== m));

/** A fan-out whose Probe calls wait until the test answers them: each returns `missing` as unacknowledged. */
class ProbePool {
  calls: Array<(missing: string[]) => void> = [];
  each(_method: string, addresses: readonly string[]): Promise<Array<{ address: string; result: CallResult<ProbeReply> }>> {
    return new Promise((resolve) => {
      this.calls.push((missing) =>
        resolve(
          addresses.map((address) => ({
            address,
            result: {
              ok: true as const,
              value: {
                complete: missing.length === 0,
                probes: Array.from({ length: PROBES_PER_SENDER }, () => ({
                  ackedBy: members.filter((m) => m !== address && !missing.includes(m)),
                  missing,
                  maxLatencyMs: 3,
                })),
              } as unknown as ProbeReply,
            },
          })),
        ),
      );
    });
  }
}

const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('epoch verification (a job the passes move on)', () => {
  let pool: ProbePool;
  let woken: string[];
  let verifier: EpochVerifier;
  const step = (now: number, s: Map<string, SidecarState>, lost: string[] = []): VerifyStep => ({
    spec,
    epoch: EPOCH,
    addresses: members,
    lost,
    states: s,
    now: new Date(now),
    pool: pool as unknown as SidecarPool,
  });
  beforeEach(() => {
    pool = new ProbePool();
    woken = [];
    verifier = new EpochVerifier((uid) => woken.push(uid));
  });

  it('fails at once when members were lost during the switch', () => {
    verifier.advance('r', step(1_000, ring, ['app-3 (pod replaced)']));
    expect(verifier.pending('r')).to.equal(false);
    expect(verifier.result('r')).to.deep.include({ connected: false, membersLost: ['app-3 (pod replaced)'] });
  });

  it('is "not yet" while the overlay converges within its budget, and a failure after it', () => {
    verifier.advance('r', step(1_000, split));
    expect(verifier.pending('r')).to.equal(true);
    expect(verifier.result('r')).to.equal(undefined);
    verifier.resume('r', step(1_000 + convergeBudgetMs(spec) - 1, split));
    expect(verifier.result('r')).to.equal(undefined);
    verifier.resume('r', step(1_000 + convergeBudgetMs(spec), split));
    expect(verifier.pending('r')).to.equal(false);
    expect(verifier.result('r')).to.deep.include({ connected: false });
    expect(verifier.result('r')!.detail).to.include('do not connect all 4 members');
    expect(pool.calls).to.have.length(0);
  });

  it('probes once connected, holds no pass while the round travels, and wakes the resource when it returns', async () => {
    verifier.advance('r', step(5_000, ring));
    expect(pool.calls).to.have.length(1);
    // Passes meanwhile change nothing and start no second round.
    verifier.resume('r', step(5_100, ring));
    expect(pool.calls).to.have.length(1);
    expect(verifier.result('r')).to.equal(undefined);
    pool.calls[0]!([]);
    await settle();
    expect(woken).to.deep.equal(['r']);
    verifier.resume('r', step(5_400, ring));
    const v = verifier.result('r')!;
    expect(v).to.deep.include({ epoch: EPOCH, connected: true, probesSent: 3 * PROBES_PER_SENDER * 3, probesDelivered: 3 * PROBES_PER_SENDER * 3 });
    // Counted from when the round was sent, not from when it was collected.
    expect(v.checkedAt).to.equal(new Date(5_000).toISOString());
    expect(verifier.pending('r')).to.equal(false);
  });

  it('repeats a round that missed members once; a second miss is a failure', async () => {
    verifier.advance('r', step(0, ring));
    pool.calls[0]!([members[3]!]);
    await settle();
    verifier.resume('r', step(100, ring));
    expect(pool.calls, 'a second round').to.have.length(2);
    expect(verifier.result('r')).to.equal(undefined);
    pool.calls[1]!([members[3]!]);
    await settle();
    verifier.resume('r', step(200, ring));
    const v = verifier.result('r')!;
    expect(v.probesDelivered).to.be.lessThan(v.probesSent);
    expect(v.detail).to.include(`probes not acknowledged by ${members[3]}`);
  });

  it('drops a job whose member set changed, and a cancelled job reports nothing', async () => {
    verifier.advance('r', step(0, ring));
    verifier.advance('r', { ...step(10, ring), addresses: members.slice(0, 3) });
    expect(pool.calls, 'a new job for the new member set').to.have.length(2);
    verifier.cancel('r');
    pool.calls[0]!([]);
    pool.calls[1]!([]);
    await settle();
    expect(woken).to.deep.equal([]);
    verifier.resume('r', step(20, ring));
    expect(verifier.result('r')).to.equal(undefined);
  });
});
