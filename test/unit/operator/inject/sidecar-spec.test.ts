/**
 * The TypeScript sidecar spec against the chart's named template, rendered by the real `helm
 * template` (the binary of the local control plane build): the webhook must inject exactly the
 * sidecar a chart including the template gets.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { parseAllDocuments } from 'yaml';
import type { V1Container, V1Volume } from '@kubernetes/client-node';
import { binDir } from '../../../../src/localcluster/cluster-paths.js';
import { operatorChartDir } from '../../../../src/demo/app-chart.js';
import {
  TEMPLATE_SIDECAR_DEFAULTS,
  buildNativeSidecar,
  buildSidecarContainer,
  buildSidecarVolume,
  credentialsSecretName,
} from '../../../../src/operator/inject/sidecar-spec.js';
import { sidecarSettingsFor, TOPOLOGY_ANNOTATION } from '../../../../src/operator/inject/inject-annotations.js';

/** Renders a pod whose containers and volumes come from the named templates with `args` (a Helm dict literal). */
function renderTemplate(args: string, values = ''): { container: V1Container; volume: V1Volume } {
  const dir = mkdtempSync(join(tmpdir(), 'sidecar-spec-'));
  try {
    mkdirSync(join(dir, 'templates'));
    mkdirSync(join(dir, 'charts'));
    symlinkSync(operatorChartDir(), join(dir, 'charts', 'topology-operator'));
    writeFileSync(join(dir, 'Chart.yaml'), 'apiVersion: v2\nname: probe\nversion: 0.0.1\ndependencies:\n  - name: topology-operator\n    version: "*"\n');
    writeFileSync(join(dir, 'values.yaml'), values);
    writeFileSync(
      join(dir, 'templates', 'pod.yaml'),
      `apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    {{- include "topology-operator.sidecar" ${args} | nindent 4 }}\n  volumes:\n    {{- include "topology-operator.sidecarVolumes" ${args} | nindent 4 }}\n`,
    );
    const out = execFileSync(join(binDir(), 'helm'), ['template', 'x', dir, '--show-only', 'templates/pod.yaml'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const pod = parseAllDocuments(out)[0]!.toJS() as { spec: { containers: V1Container[]; volumes: V1Volume[] } };
    return { container: pod.spec.containers[0]!, volume: pod.spec.volumes[0]! };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('sidecar spec: the same as the chart named template', function () {
  this.timeout(60_000);
  before(function () {
    try {
      execFileSync(join(binDir(), 'helm'), ['version'], { stdio: 'ignore' });
    } catch {
      this.skip(); // no helm binary built (npm run cluster:build)
    }
  });

  it('with the defaults (dict "topology" "chat")', () => {
    const r = renderTemplate('(dict "topology" "chat")');
    const s = sidecarSettingsFor({ [TOPOLOGY_ANNOTATION]: 'chat' }, TEMPLATE_SIDECAR_DEFAULTS);
    if (!s.ok) throw new Error(s.message);
    expect(buildSidecarContainer(s.settings)).to.deep.equal(r.container);
    expect(buildSidecarVolume(s.settings)).to.deep.equal(r.volume);
    expect(r.volume.secret?.secretName).to.equal(credentialsSecretName('chat'));
  });

  it('with every setting overridden, in shared-token mode', () => {
    const r = renderTemplate(
      '(dict "tokenSecret" "tok" "tokenKey" "k" "image" "reg/sc:9" "pullPolicy" "Always" "healthPort" 8001 "peerPort" 8002 "appPort" 8003 "appHost" "$(POD_IP)" "metricsPort" 8004 "logLevel" "debug" "resources" (dict "requests" (dict "cpu" "1")))',
    );
    const settings = {
      image: 'reg/sc:9',
      pullPolicy: 'Always',
      secret: 'tok',
      shared: true,
      tokenKey: 'k',
      healthPort: 8001,
      peerPort: 8002,
      appPort: 8003,
      appHost: '$(POD_IP)',
      metricsPort: 8004,
      logLevel: 'debug',
      resources: { requests: { cpu: '1' } },
    };
    expect(buildSidecarContainer(settings)).to.deep.equal(r.container);
    expect(buildSidecarVolume(settings)).to.deep.equal(r.volume);
  });

  it('the native sidecar is that container plus restartPolicy Always and a startup probe on the health port', () => {
    const s = sidecarSettingsFor({ [TOPOLOGY_ANNOTATION]: 'chat' }, TEMPLATE_SIDECAR_DEFAULTS);
    if (!s.ok) throw new Error(s.message);
    const { restartPolicy, startupProbe, ...rest } = buildNativeSidecar(s.settings);
    expect(rest).to.deep.equal(buildSidecarContainer(s.settings));
    expect(restartPolicy).to.equal('Always');
    expect(startupProbe?.grpc?.port).to.equal(7071);
  });

  it("the chart's --sidecar-defaults are the named template's defaults", () => {
    const out = execFileSync(
      join(binDir(), 'helm'),
      ['template', 't', operatorChartDir(), '--set', 'webhook.enabled=true', '--show-only', 'templates/deployment.yaml'],
      {
        encoding: 'utf8',
      },
    );
    const deploy = parseAllDocuments(out)[0]!.toJS() as { spec: { template: { spec: { containers: V1Container[] } } } };
    const arg = deploy.spec.template.spec.containers[0]!.args!.find((a) => a.startsWith('--sidecar-defaults='))!;
    expect(JSON.parse(arg.slice('--sidecar-defaults='.length))).to.deep.equal(TEMPLATE_SIDECAR_DEFAULTS);
  });
});
