/** How the local service proxy picks a Service's endpoint: kube-proxy's rules, over plain objects. */
import { expect } from 'chai';
import type { V1Pod, V1Service } from '@kubernetes/client-node';
import { pickServiceEndpoint } from '../../../src/localcluster/service-endpoint.js';

const service = (targetPort: number | string): V1Service => ({
  metadata: { name: 'hook', namespace: 'ops' },
  spec: { clusterIP: '10.0.0.9', selector: { app: 'op' }, ports: [{ name: 'webhook', port: 443, targetPort: targetPort as never }] },
});

function pod(ip: string, over: { ready?: boolean; terminating?: boolean; sidecarPort?: boolean } = {}): V1Pod {
  const port = { name: 'webhook', containerPort: 9443 };
  return {
    metadata: { name: ip, ...(over.terminating ? { deletionTimestamp: new Date() } : {}) },
    spec: {
      containers: [{ name: 'op', ports: over.sidecarPort ? [] : [port] }],
      initContainers: over.sidecarPort ? [{ name: 'side', restartPolicy: 'Always', ports: [port] }] : [],
    },
    status: { phase: 'Running', podIP: ip, conditions: [{ type: 'Ready', status: over.ready === false ? 'False' : 'True' }] },
  };
}

describe('service endpoint of the local service proxy', () => {
  it('maps the Service port to a named targetPort of a Ready pod, in containers and native sidecars', () => {
    expect(pickServiceEndpoint(service('webhook'), [pod('127.0.1.1')], 443, () => 0)).to.deep.equal({ ip: '127.0.1.1', port: 9443 });
    expect(pickServiceEndpoint(service('webhook'), [pod('127.0.1.2', { sidecarPort: true })], 443, () => 0)).to.deep.equal({ ip: '127.0.1.2', port: 9443 });
    expect(pickServiceEndpoint(service(8443), [pod('127.0.1.1')], 443, () => 0)).to.deep.equal({ ip: '127.0.1.1', port: 8443 });
  });

  it('never picks a pod that is not Ready or is terminating; the pick chooses among the rest', () => {
    const pods = [pod('127.0.1.1', { terminating: true }), pod('127.0.1.2', { ready: false }), pod('127.0.1.3'), pod('127.0.1.4')];
    const seen: number[] = [];
    const e = pickServiceEndpoint(service('webhook'), pods, 443, (n) => {
      seen.push(n);
      return 1;
    });
    expect(seen).to.deep.equal([2]);
    expect(e).to.deep.equal({ ip: '127.0.1.4', port: 9443 });
  });

  it('says why there is no endpoint: no such port, no Ready pod', () => {
    expect(pickServiceEndpoint(service('webhook'), [pod('127.0.1.1')], 80, () => 0)).to.deep.equal({ error: 'Service ops/hook has no TCP port 80' });
    expect(pickServiceEndpoint(service('webhook'), [pod('127.0.1.1', { ready: false })], 443, () => 0)).to.deep.equal({
      error: 'Service ops/hook has no Ready endpoint for port 443',
    });
  });
});
