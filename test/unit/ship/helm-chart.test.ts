/**
 * The Helm chart, rendered offline: `helm lint`, `helm template` parsed and checked (least-privilege
 * RBAC, security context, replicas and leader election, probes, labels), the CRD byte-identical to
 * deploy/crds/, the values schema, and the `topology-operator.sidecar` named template rendered
 * through a member-app chart. helm comes from the local control-plane build (built on first use).
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { parseAllDocuments } from 'yaml';
import type { V1Pod } from '@kubernetes/client-node';
import { CRD_FILE } from '../../../src/api/crd.js';
import { operatorChartDir, writeAppChart } from '../../../src/demo/app-chart.js';
import { INJECT_ANNOTATION, TOPOLOGY_ANNOTATION } from '../../../src/operator/inject/inject-annotations.js';
import { decideInjection } from '../../../src/operator/inject/inject-patch.js';
import { TEMPLATE_SIDECAR_DEFAULTS, credentialsSecretName } from '../../../src/operator/inject/sidecar-spec.js';
import { packageRoot } from '../../../src/paths.js';
import { expectSchemaRejects, find, helm, render, useBuiltHelm } from './helm-render.js';

type Rule = { apiGroups: string[]; resources: string[]; verbs: string[] };

/* eslint-disable @typescript-eslint/no-explicit-any -- rendered manifests are walked as plain JSON */
describe('helm chart topology-operator', function () {
  this.timeout(30 * 60_000);

  before(useBuiltHelm);

  it('passes helm lint --strict', () => {
    const r = helm(['lint', '--strict', operatorChartDir()]);
    expect(r.code, r.stdout + r.stderr).to.equal(0);
  });

  it('ships the CRD byte-identical to deploy/crds (npm run helm:sync-crd copies it)', () => {
    const files = readdirSync(join(operatorChartDir(), 'crds'));
    expect(files).to.deep.equal(['topology.foundation.dev_clustertopologies.yaml']);
    const chart = readFileSync(join(operatorChartDir(), 'crds', files[0]!));
    const source = readFileSync(join(packageRoot(), CRD_FILE));
    expect(chart.equals(source), 'helm/topology-operator/crds drifted from deploy/crds: run npm run helm:sync-crd').to.equal(true);
  });

  it('renders 2 leader-elected replicas with probes on the health port and a hardened security context', () => {
    const objs = render();
    const [dep] = find(objs, 'Deployment') as any[];
    expect(dep.spec.replicas).to.equal(2);
    const pod = dep.spec.template.spec;
    expect(pod.serviceAccountName).to.equal('topo-topology-operator');
    expect(pod.securityContext).to.deep.include({ runAsNonRoot: true });
    expect(pod.securityContext.seccompProfile).to.deep.equal({ type: 'RuntimeDefault' });
    const [c] = pod.containers;
    expect(c.image).to.equal('topology-operator:0.1.0');
    expect(c.args).to.include.members([
      '--leader-elect=true',
      '--lease-name=topo-topology-operator-lock',
      '--lease-namespace=ops',
      '--metrics-port=8080',
      '--health-port=8081',
      '--credentials-secret=topo-topology-operator-credentials',
      '--credentials-namespace=ops',
      '--bind-address=$(POD_IP)',
    ]);
    expect(c.args.join(' ')).to.not.include('token');
    expect(c.livenessProbe.httpGet).to.deep.equal({ path: '/healthz', port: 'health' });
    expect(c.readinessProbe.httpGet).to.deep.equal({ path: '/readyz', port: 'health' });
    expect(c.ports).to.deep.include({ name: 'health', containerPort: 8081, protocol: 'TCP' });
    expect(c.securityContext).to.deep.equal({
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(c.resources.requests).to.have.keys('cpu', 'memory');
    expect(c.env.map((e: any) => e.name)).to.include.members(['POD_NAME', 'POD_NAMESPACE', 'POD_IP']);
    // No Secret is mounted or rendered: the operator creates its own key Secret (stable under GitOps).
    expect(pod.volumes.map((v: any) => v.name)).to.deep.equal(['tmp']);
    expect(find(objs, 'Secret')).to.have.length(0);
  });

  it('renders the same manifests twice (no generated value: Argo CD and Flux see no drift)', () => {
    const a = helm(['template', 'topo', operatorChartDir(), '--namespace', 'ops']);
    const b = helm(['template', 'topo', operatorChartDir(), '--namespace', 'ops']);
    expect(a.code, a.stderr).to.equal(0);
    expect(b.stdout).to.equal(a.stdout);
  });

  it('grants least privilege: a ClusterRole for all namespaces, leases and the key Secret only in the release namespace, secrets only by name', () => {
    const objs = render();
    const [role] = find(objs, 'ClusterRole', 'topo-topology-operator') as any[];
    const rules = role.rules as Rule[];
    expect(rules).to.deep.equal([
      { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: ['topology.foundation.dev'], resources: ['clustertopologies'], verbs: ['get', 'list', 'watch', 'update', 'patch'] },
      { apiGroups: ['topology.foundation.dev'], resources: ['clustertopologies/status'], verbs: ['get', 'update', 'patch'] },
      { apiGroups: ['topology.foundation.dev'], resources: ['clustertopologies/finalizers'], verbs: ['update'] },
      { apiGroups: ['events.k8s.io'], resources: ['events'], verbs: ['create', 'patch'] },
      { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'create', 'update'] },
    ]);
    for (const r of rules) {
      expect(r.verbs).to.not.include('*');
      // Credentials Secrets are read and written by name: never listed or watched.
      if (r.resources.includes('secrets')) expect(r.verbs).to.not.include.members(['list', 'watch']);
      expect(r.verbs).to.not.include('delete');
    }
    const [binding] = find(objs, 'ClusterRoleBinding', 'topo-topology-operator') as any[];
    expect(binding.subjects).to.deep.equal([{ kind: 'ServiceAccount', name: 'topo-topology-operator', namespace: 'ops' }]);
    const [le] = find(objs, 'Role', 'topo-topology-operator-leader-election') as any[];
    expect(le.metadata.namespace).to.equal('ops');
    expect(le.rules).to.deep.equal([
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] },
      { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'create', 'update'] },
    ]);
    expect(find(objs, 'RoleBinding', 'topo-topology-operator-leader-election')).to.have.length(1);
  });

  it('uses a Role per namespace when watchNamespaces is set, and passes --namespaces', () => {
    const objs = render(['watchNamespaces={apps,web}']);
    // Only the webhook's caBundle role (helm-webhook.test.ts) and the aggregated user roles
    // (helm-images-rbac.test.ts) stay cluster-wide.
    expect(
      find(objs, 'ClusterRole')
        .map((r) => r.metadata.name)
        .sort(),
    ).to.deep.equal(['topo-topology-operator-edit', 'topo-topology-operator-view', 'topo-topology-operator-webhook']);
    const roles = find(objs, 'Role', 'topo-topology-operator');
    expect(roles.map((r) => r.metadata.namespace)).to.deep.equal(['apps', 'web']);
    expect(find(objs, 'RoleBinding', 'topo-topology-operator').map((r) => r.metadata.namespace)).to.deep.equal(['apps', 'web']);
    const [dep] = find(objs, 'Deployment') as any[];
    expect(dep.spec.template.spec.containers[0].args).to.include('--namespaces=apps,web');
    const [test] = find(objs, 'Pod') as any[];
    expect(test.spec.containers[0].args).to.not.include('--all-namespaces');
  });

  it('calls the sidecars over TLS from sidecarTLS.secretName: the Secret mounted, the operator flags pointing at its files', () => {
    const plain = find(render(), 'Deployment') as any[];
    expect(plain[0].spec.template.spec.containers[0].args.filter((a: string) => a.startsWith('--sidecar-tls'))).to.deep.equal([]);
    const [dep] = find(render(['sidecarTLS.secretName=sidecar-certs', 'sidecarTLS.serverName=topology-sidecar.apps.svc']), 'Deployment') as any[];
    const pod = dep.spec.template.spec;
    expect(pod.containers[0].args).to.include.members([
      '--sidecar-tls-ca-file=/var/run/topology/sidecar-tls/ca.crt',
      '--sidecar-tls-cert-file=/var/run/topology/sidecar-tls/tls.crt',
      '--sidecar-tls-key-file=/var/run/topology/sidecar-tls/tls.key',
      '--sidecar-tls-server-name=topology-sidecar.apps.svc',
    ]);
    expect(pod.volumes).to.deep.include({ name: 'sidecar-tls', secret: { secretName: 'sidecar-certs' } });
    expect(pod.containers[0].volumeMounts).to.deep.include({ name: 'sidecar-tls', mountPath: '/var/run/topology/sidecar-tls', readOnly: true });
    const [serverOnly] = find(render(['sidecarTLS.secretName=sidecar-certs', 'sidecarTLS.clientCertificate=false']), 'Deployment') as any[];
    expect(serverOnly.spec.template.spec.containers[0].args.filter((a: string) => a.startsWith('--sidecar-tls'))).to.deep.equal([
      '--sidecar-tls-ca-file=/var/run/topology/sidecar-tls/ca.crt',
    ]);
  });

  it('puts standard labels on every object and the selector labels on the pods', () => {
    for (const o of render(['metrics.serviceMonitor.enabled=true'])) {
      const l = o.metadata.labels ?? {};
      expect(l, `${o.kind}/${o.metadata.name}`).to.include({
        'app.kubernetes.io/name': 'topology-operator',
        'app.kubernetes.io/instance': 'topo',
        'app.kubernetes.io/managed-by': 'Helm',
        'helm.sh/chart': 'topology-operator-0.1.0',
        'app.kubernetes.io/version': '0.1.0',
      });
    }
  });

  it('renders the metrics Service, the PDB and the helm test; the ServiceMonitor only on request', () => {
    const objs = render();
    const [svc] = find(objs, 'Service', 'topo-topology-operator-metrics') as any[];
    expect(svc.spec.ports).to.deep.equal([{ name: 'metrics', port: 8080, targetPort: 'metrics', protocol: 'TCP' }]);
    expect(find(objs, 'ServiceMonitor')).to.have.length(0);
    const [pdb] = find(objs, 'PodDisruptionBudget') as any[];
    expect(pdb.spec.minAvailable).to.equal(1);
    expect(render(['replicaCount=1']).filter((o) => o.kind === 'PodDisruptionBudget')).to.have.length(0);
    const [test] = find(objs, 'Pod') as any[];
    expect(test.metadata.annotations['helm.sh/hook']).to.equal('test');
    expect(test.spec.serviceAccountName).to.equal('topo-topology-operator');
    expect(test.spec.containers[0].command).to.deep.equal(['kubectl-topology']);
    expect(test.spec.containers[0].args).to.include.members(['doctor', '--all-namespaces', '--lease=topo-topology-operator-lock']);
    const [sm] = find(render(['metrics.serviceMonitor.enabled=true', 'metrics.serviceMonitor.labels.release=prom']), 'ServiceMonitor') as any[];
    expect(sm.spec.endpoints[0]).to.include({ port: 'metrics', path: '/metrics' });
    expect(sm.metadata.labels.release).to.equal('prom');
  });

  it('names the operator key Secret after the release, or credentials.secretName', () => {
    const [dep] = find(render(['credentials.secretName=my-key']), 'Deployment') as any[];
    expect(dep.spec.template.spec.containers[0].args).to.include('--credentials-secret=my-key');
  });

  it('rejects values the schema does not allow', () => {
    expectSchemaRejects([
      'replicaCount=0',
      'logLevel=verbose',
      'metrics.port=70000',
      'unknownKey=1',
      'watchNamespaces={Bad_NS}',
      'sidecarTLS.serverName=*.apps.svc',
      'clusterToken.namespaces={apps}',
    ]);
  });

  it('deploy/samples/chat asks the webhook for the sidecar: annotated, none written out, the injected one mounting chat-sidecar-credentials', () => {
    const sample = parseAllDocuments(readFileSync(join(packageRoot(), 'deploy', 'samples', 'chat', 'statefulset.yaml'), 'utf8')).map((d) => d.toJS()) as any[];
    const sts = sample.find((o) => o.kind === 'StatefulSet');
    expect(sts.spec.selector).to.deep.equal({ matchLabels: { app: 'chat' } });
    const template = sts.spec.template;
    expect(template.metadata.annotations).to.deep.equal({ [INJECT_ANNOTATION]: 'true', [TOPOLOGY_ANNOTATION]: 'chat' });
    expect(template.spec.containers.map((c: any) => c.name)).to.deep.equal(['app']);
    expect(template.spec.volumes).to.equal(undefined);
    expect(sample.find((o) => o.kind === 'Service')?.spec.clusterIP).to.equal('None');
    // What the webhook does to a pod of it (the chart's defaults are the named template's).
    const decision = decideInjection(template as V1Pod, 'pod', TEMPLATE_SIDECAR_DEFAULTS);
    if (decision.kind !== 'patch') throw new Error(`expected a patch, got ${JSON.stringify(decision)}`);
    const byPath = new Map(decision.patch.map((op) => [op.path, op.value as any]));
    expect(byPath.get('/spec/initContainers')[0]).to.include({ name: 'topology-sidecar', restartPolicy: 'Always' });
    expect(byPath.get('/spec/volumes')[0].secret.secretName).to.equal(credentialsSecretName('chat'));
    expect(byPath.get('/spec/containers/0/env/-')).to.deep.equal({ name: 'TOPOLOGY_APP_ADDRESS', value: '127.0.0.1:7947' });
  });

  it('adds the sidecar to a workload with the named template topology-operator.sidecar', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ship-app-chart-'));
    try {
      writeAppChart(dir);
      const objs = render(['replicas=3', 'appImage=topology-demo:0.1.0', 'sidecar.appHost=$(POD_IP)', 'sidecar.topology=chat'], dir);
      const [sts] = find(objs, 'StatefulSet') as any[];
      expect(sts.spec.replicas).to.equal(3);
      const pod = sts.spec.template.spec;
      expect(pod.containers.map((c: any) => c.name)).to.deep.equal(['app', 'topology-sidecar']);
      const side = pod.containers[1];
      expect(side.image).to.equal('topology-sidecar:0.1.0');
      expect(side.args).to.deep.equal([
        '--peer-port=7070',
        '--app-address=$(POD_IP):7947',
        '--metrics-port=9464',
        '--log-level=info',
        '--health-port=7071',
        '--token-file=/var/run/topology/credentials/peer-token',
        '--control-public-key-file=/var/run/topology/credentials/control-public-key',
      ]);
      expect(side.env).to.deep.equal([
        { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
        { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
      ]);
      // The kubelet's gRPC probe speaks no TLS: it goes to the plaintext Health-only port.
      expect(side.readinessProbe.grpc).to.deep.equal({ port: 7071 });
      expect(side.ports.map((p: any) => p.containerPort)).to.deep.equal([7070, 9464, 7071]);
      expect(side.securityContext).to.include({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
      expect(side.volumeMounts).to.deep.equal([{ name: 'topology-credentials', mountPath: '/var/run/topology/credentials', readOnly: true }]);
      expect(pod.volumes).to.deep.equal([
        {
          name: 'topology-credentials',
          secret: {
            secretName: 'chat-sidecar-credentials',
            items: [
              { key: 'peer-token', path: 'peer-token' },
              { key: 'control-public-key', path: 'control-public-key' },
            ],
          },
        },
      ]);
      // Without the resource's name the template refuses to render, saying what it needs.
      const r = helm(['template', 'topo', dir, '--set', 'sidecar.topology=']);
      expect(r.code).to.not.equal(0);
      expect(r.stderr).to.include('topology-operator.sidecar needs `topology`');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
