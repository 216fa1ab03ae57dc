/**
 * The Argo CD resource actions of ClusterTopology (deploy/argocd/actions/: discovery.lua and one
 * action.lua per action) run in fengari against deploy/argocd/actions/action_test.yaml, Argo CD's
 * own test layout: which actions each resource offers, and the exact resource each action returns.
 * The clock is fixed (os.date at 2026-01-01T00:00:00Z), as Argo CD's tests stub it too. The
 * annotation an action writes must parse as the operator parses it (src/api/control-request.ts).
 * The action files are generated from deploy/argocd/actions/templates/ (npm run gen:argocd): the
 * committed ones must be what the generator renders.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { parse } from 'yaml';
import { CONTROL_ANNOTATION, parseControlRequest } from '../../../src/api/control-request.js';
import { renderArgoActions } from '../../../src/codegen/argocd-actions.js';
import { packageRoot } from '../../../src/paths.js';
import { runLua } from './lua-vm.js';

const DIR = join(packageRoot(), 'deploy', 'argocd', 'actions');
/** 2026-01-01T00:00:00Z in seconds since the epoch. */
const FIXED_TIME = Date.UTC(2026, 0, 1) / 1000;
/**
 * Makes os.date format a fixed time, and honour a leading "!" (UTC) as Argo CD's VM (gopher-lua)
 * does; fengari's os.date keeps the "!" and formats local time. (What `require("os")` returns is
 * this same table.)
 */
const FIXED_CLOCK = `
local date = os.date
os.date = function(format, t)
  t = t or ${FIXED_TIME}
  if string.sub(format, 1, 1) == "!" then
    return date(string.sub(format, 2), os.time(date("!*t", t)))
  end
  return date(format, t)
end`;
const ACTIONS = ['pause', 'resume', 'abort', 'retry', 'promote'];

interface ActionTests {
  discoveryTests: { inputPath: string; result: { name: string; disabled: boolean }[] }[];
  actionTests: { action: string; inputPath: string; expectedOutputPath: string }[];
}

const read = (path: string): string => readFileSync(join(DIR, path), 'utf8');

describe('Argo CD resource actions for ClusterTopology', () => {
  const tests = parse(read('action_test.yaml')) as ActionTests;
  const discovery = read('discovery.lua');

  it('covers every action in discovery and in action tests', () => {
    const offered = Object.keys(runLua(discovery, parse(read('testdata/at-gate.yaml'))) as object);
    expect(offered.sort()).to.deep.equal([...ACTIONS].sort());
    expect(new Set(tests.actionTests.map((t) => t.action))).to.deep.equal(new Set(ACTIONS));
  });

  for (const t of tests.discoveryTests) {
    it(`discovery on ${t.inputPath}: ${t.result
      .filter((r) => !r.disabled)
      .map((r) => r.name)
      .join(', ')}`, () => {
      const got = runLua(discovery, parse(read(t.inputPath))) as Record<string, { disabled: boolean }>;
      expect(Object.fromEntries(Object.entries(got).map(([name, a]) => [name, a.disabled]))).to.deep.equal(
        Object.fromEntries(t.result.map((r) => [r.name, r.disabled])),
      );
    });
  }

  for (const t of tests.actionTests) {
    it(`${t.action} on ${t.inputPath} → ${t.expectedOutputPath}`, () => {
      const out = runLua(read(join(t.action, 'action.lua')), parse(read(t.inputPath)), FIXED_CLOCK) as { metadata: { annotations?: Record<string, string> } };
      expect(out).to.deep.equal(parse(read(t.expectedOutputPath)));
      const value = out.metadata.annotations?.[CONTROL_ANNOTATION];
      if (['abort', 'retry', 'promote'].includes(t.action)) {
        const parsed = parseControlRequest(value ?? '');
        expect(parsed.ok && parsed.request.action, value).to.equal(t.action);
      }
    });
  }

  it('pause and resume touch spec.paused only; abort, retry and promote never touch spec', () => {
    const input = parse(read('testdata/at-gate.yaml')) as { spec: Record<string, unknown> };
    for (const action of ['abort', 'retry', 'promote']) {
      const out = runLua(read(join(action, 'action.lua')), input, FIXED_CLOCK) as { spec: unknown };
      expect(out.spec, action).to.deep.equal(input.spec);
    }
    const paused = runLua(read(join('pause', 'action.lua')), input) as { spec: Record<string, unknown> };
    expect(paused.spec).to.deep.equal({ ...input.spec, paused: true });
  });

  it('argocd-cm-patch.yaml carries discovery.lua and every action.lua verbatim', () => {
    const cm = parse(readFileSync(join(DIR, '..', 'argocd-cm-patch.yaml'), 'utf8')) as { data: Record<string, string> };
    const actions = parse(cm.data['resource.customizations.actions.topology.foundation.dev_ClusterTopology']!) as {
      'discovery.lua': string;
      definitions: { name: string; 'action.lua': string }[];
    };
    expect(actions['discovery.lua']).to.equal(discovery);
    expect(actions.definitions.map((d) => d.name)).to.deep.equal(ACTIONS);
    for (const d of actions.definitions) expect(d['action.lua'], d.name).to.equal(read(join(d.name, 'action.lua')));
  });
  it('the committed action.lua files and argocd-cm-patch.yaml are what npm run gen:argocd renders from the templates', () => {
    const rendered = renderArgoActions();
    expect([...rendered.keys()].filter((p) => p.endsWith('action.lua'))).to.have.length(ACTIONS.length);
    for (const [path, text] of rendered) expect(readFileSync(join(packageRoot(), path), 'utf8'), `${path}: run npm run gen:argocd`).to.equal(text);
  });
});
