/**
 * The chart's injection webhook, rendered offline (`helm template`): on by default and called
 * through its Service; `webhook.url` for an operator outside the cluster; off leaves nothing of it;
 * the cert-manager mode renders the Issuer/Certificate and the CA-injector annotation and tells the
 * operator to keep its hands off the caBundle (no flag to issue, no RBAC to patch); the PDB keeps
 * one webhook-serving replica through a drain; the chart README (`helm show readme`) carries the
 * Argo CD snippet of docs/helm.md.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { operatorChartDir } from '../../../src/demo/app-chart.js';
import { packageRoot } from '../../../src/paths.js';
import { find, helm, render, useBuiltHelm, type K8sObject } from './helm-render.js';

const CONFIG = 'topo-topology-operator-sidecar-injector';
const SERVICE = 'topo-topology-operator-webhook';

/* eslint-disable @typescript-eslint/no-explicit-any -- rendered manifests are walked as plain JSON */
const operatorArgs = (objs: K8sObject[]): string[] => (find(objs, 'Deployment')[0] as any).spec.template.spec.containers[0].args;
const webhooks = (objs: K8sObject[]): any[] => (find(objs, 'MutatingWebhookConfiguration', CONFIG)[0] as any).webhooks;

describe('helm chart topology-operator: the injection webhook', function () {
  this.timeout(30 * 60_000);
  before(useBuiltHelm);

  it('is on by default: both webhooks call the Service on 443, which targets the webhook port of every replica', () => {
    const objs = render();
    const hooks = webhooks(objs);
    expect(hooks.map((w) => w.name)).to.deep.equal(['namespace.sidecar-injector.topology.foundation.dev', 'pod.sidecar-injector.topology.foundation.dev']);
    expect(hooks.map((w) => w.clientConfig)).to.deep.equal([
      { service: { name: SERVICE, namespace: 'ops', path: '/inject-namespace', port: 443 } },
      { service: { name: SERVICE, namespace: 'ops', path: '/inject', port: 443 } },
    ]);
    expect(hooks.map((w) => w.failurePolicy)).to.deep.equal(['Fail', 'Ignore']);
    for (const w of hooks) {
      expect(w.clientConfig.caBundle, 'the operator sets it; rendering one would fight it').to.equal(undefined);
      expect(w.namespaceSelector.matchExpressions[0]).to.deep.equal({ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system', 'ops'] });
      expect(w).to.include({ sideEffects: 'None', reinvocationPolicy: 'IfNeeded', timeoutSeconds: 5 });
    }
    const [svc] = find(objs, 'Service', SERVICE) as any[];
    expect(svc.spec.ports).to.deep.equal([{ name: 'webhook', port: 443, targetPort: 'webhook', protocol: 'TCP' }]);
    expect(svc.spec.selector).to.deep.equal({
      'app.kubernetes.io/name': 'topology-operator',
      'app.kubernetes.io/instance': 'topo',
      'app.kubernetes.io/component': 'operator',
    });
    const dep = find(objs, 'Deployment')[0] as any;
    expect(dep.spec.replicas).to.equal(2);
    expect(dep.spec.template.spec.containers[0].ports).to.deep.include({ name: 'webhook', containerPort: 9443, protocol: 'TCP' });
    expect(operatorArgs(objs)).to.include.members([
      '--webhook-port=9443',
      `--webhook-service=${SERVICE}`,
      '--webhook-cert-secret=topo-topology-operator-webhook-cert',
      `--webhook-configuration=${CONFIG}`,
      '--webhook-cert-managed-externally=false',
    ]);
    // Every replica serves: a drain keeps one (the PDB selects the pods the Service does).
    const [pdb] = find(objs, 'PodDisruptionBudget') as any[];
    expect(pdb.spec).to.deep.equal({ minAvailable: 1, selector: { matchLabels: svc.spec.selector } });
    // The operator patches the caBundle: get/patch on that one configuration, by name.
    const [role] = find(objs, 'ClusterRole', 'topo-topology-operator-webhook') as any[];
    expect(role.rules).to.deep.equal([
      { apiGroups: ['admissionregistration.k8s.io'], resources: ['mutatingwebhookconfigurations'], resourceNames: [CONFIG], verbs: ['get', 'patch'] },
    ]);
    expect(find(objs, 'Certificate')).to.have.length(0);
    expect(find(objs, 'MutatingWebhookConfiguration')[0]!.metadata.annotations).to.equal(undefined);
  });

  it('webhook.url calls that URL instead of the Service (an operator outside the cluster)', () => {
    const objs = render(['webhook.url=https://10.1.2.3:9443/', 'webhook.extraCertSans={10.1.2.3}']);
    expect(webhooks(objs).map((w) => w.clientConfig)).to.deep.equal([
      { url: 'https://10.1.2.3:9443/inject-namespace' },
      { url: 'https://10.1.2.3:9443/inject' },
    ]);
    expect(operatorArgs(objs)).to.include('--webhook-cert-extra-sans=10.1.2.3');
  });

  it('webhook.enabled=false renders none of it and passes no webhook flag', () => {
    const objs = render(['webhook.enabled=false']);
    expect(find(objs, 'MutatingWebhookConfiguration')).to.have.length(0);
    expect(find(objs, 'Service', SERVICE)).to.have.length(0);
    expect(find(objs, 'ClusterRole', 'topo-topology-operator-webhook')).to.have.length(0);
    expect(operatorArgs(objs).filter((a) => a.startsWith('--webhook') || a.startsWith('--sidecar-defaults'))).to.deep.equal([]);
  });

  it('cert-manager mode: a self-signed Issuer and a Certificate for the Service name, the CA injector annotation, and an operator that only reads', () => {
    const objs = render(['webhook.certManager.enabled=true']);
    const [issuer] = find(objs, 'Issuer') as any[];
    expect(issuer.metadata).to.include({ name: 'topo-topology-operator-webhook-selfsigned', namespace: 'ops' });
    expect(issuer.spec).to.deep.equal({ selfSigned: {} });
    const [cert] = find(objs, 'Certificate') as any[];
    expect(cert.apiVersion).to.equal('cert-manager.io/v1');
    expect(cert.metadata).to.include({ name: 'topo-topology-operator-webhook', namespace: 'ops' });
    expect(cert.spec).to.deep.equal({
      secretName: 'topo-topology-operator-webhook-cert',
      // The name the API server verifies (<service>.<namespace>.svc) first.
      dnsNames: [`${SERVICE}.ops.svc`, `${SERVICE}.ops.svc.cluster.local`],
      issuerRef: { name: 'topo-topology-operator-webhook-selfsigned', kind: 'Issuer' },
    });
    const [config] = find(objs, 'MutatingWebhookConfiguration');
    expect(config!.metadata.annotations).to.deep.equal({ 'cert-manager.io/inject-ca-from': 'ops/topo-topology-operator-webhook' });
    for (const w of webhooks(objs)) expect(w.clientConfig.caBundle).to.equal(undefined);
    // The operator does not fight cert-manager: it reads the Secret only, and may not patch the configuration.
    expect(operatorArgs(objs)).to.include('--webhook-cert-managed-externally=true');
    expect(find(objs, 'ClusterRole', 'topo-topology-operator-webhook')).to.have.length(0);
    expect(find(objs, 'ClusterRoleBinding', 'topo-topology-operator-webhook')).to.have.length(0);
  });

  it('cert-manager mode with webhook.certManager.issuerRef uses that issuer and renders no Issuer', () => {
    const objs = render(['webhook.certManager.enabled=true', 'webhook.certManager.issuerRef.name=corp-ca', 'webhook.certManager.issuerRef.kind=ClusterIssuer']);
    expect(find(objs, 'Issuer')).to.have.length(0);
    expect((find(objs, 'Certificate')[0] as any).spec.issuerRef).to.deep.equal({ name: 'corp-ca', kind: 'ClusterIssuer' });
  });

  it('one replica renders no PodDisruptionBudget (it could never be satisfied)', () => {
    expect(find(render(['replicaCount=1']), 'PodDisruptionBudget')).to.have.length(0);
  });
  it('helm show readme gives the chart README, whose Argo CD ignoreDifferences snippet is the one docs/helm.md has', () => {
    const r = helm(['show', 'readme', operatorChartDir()]);
    expect(r.code, r.stderr).to.equal(0);
    const snippet = (text: string): string | undefined => /```yaml\n(spec:\n {2}ignoreDifferences:[\s\S]*?)```/.exec(text)?.[1];
    const fromChart = snippet(r.stdout);
    expect(fromChart).to.include('.webhooks[]?.clientConfig.caBundle');
    expect(fromChart).to.include('name: topology-operator-sidecar-injector');
    expect(snippet(readFileSync(join(packageRoot(), 'docs', 'helm.md'), 'utf8'))).to.equal(fromChart);
  });
});
