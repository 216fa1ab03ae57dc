/**
 * Shell completion of kubectl-topology: `complete()` offers exactly the commands and flags the
 * parser accepts (checked against parseCliArgs, not against a second list), flag values and
 * ClusterTopology names; the real programs answer `__complete` and, as `kubectl_complete-topology`,
 * the requests of the real kubectl binary; the bash script fills COMPREPLY in a real bash.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { COMMANDS, COMPLETION_SHELLS, parseCliArgs, RESOURCE_COMMANDS, type ConnectionFlags } from '../../../src/cli/args.js';
import { complete, DIRECTIVE, formatCompletion } from '../../../src/cli/completion.js';
import { completionScript } from '../../../src/cli/completion-scripts.js';
import { OVERLAY_KINDS } from '../../../src/overlays/types.js';
import { packageRoot } from '../../../src/paths.js';

const CLI = join(packageRoot(), 'dist', 'src', 'cli', 'main.js');
const COMPLETER = join(packageRoot(), 'dist', 'src', 'cli', 'kubectl-complete.js');
const KUBECTL = '/usr/bin/kubectl';

/** Name source recording the connection flags it was asked with. */
function names(list: string[]): { source: (c: ConnectionFlags) => Promise<string[]>; asked: ConnectionFlags[] } {
  const asked: ConnectionFlags[] = [];
  return {
    asked,
    source: async (c) => {
      asked.push(c);
      return list;
    },
  };
}
const noNames = async (): Promise<string[]> => [];
const contexts = (): string[] => ['kind-a', 'prod'];
const candidates = async (words: string[]): Promise<string[]> => (await complete(words, noNames, contexts)).candidates;

describe('kubectl-topology completion', function () {
  this.timeout(60_000);
  let bin: string;
  before(() => {
    // The executables as npm's bin links would run them.
    bin = mkdtempSync(join(tmpdir(), 'cli-completion-'));
    for (const [name, file] of [
      ['kubectl-topology', CLI],
      ['kubectl_complete-topology', COMPLETER],
    ] as const) {
      writeFileSync(join(bin, name), `#!/bin/sh\nexec "${process.execPath}" "${file}" "$@"\n`);
      chmodSync(join(bin, name), 0o755);
    }
  });
  after(() => rmSync(bin, { recursive: true, force: true }));
  const env = (): NodeJS.ProcessEnv => ({ ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}`, KUBECONFIG: join(bin, 'none') });

  it('offers every command for an empty word and the matching ones for a prefix', async () => {
    expect(await candidates([''])).to.deep.equal([...COMMANDS]);
    expect(await candidates(['pr'])).to.deep.equal(['promote']);
    expect(await candidates(['-n', 'apps', 'st'])).to.deep.equal(['status'], 'a flag and its value before the command');
  });

  it('offers, for every command, exactly the flags the parser accepts for it', async () => {
    for (const command of COMMANDS) {
      const flags = await candidates([command, '-']);
      expect(flags, command).to.include.members(['--namespace', '-n', '--output', '-o', '--help', '-h']);
      for (const f of flags) {
        const r = parseCliArgs([command, f]);
        const message = r.ok ? '' : r.message;
        expect(message, `${command} ${f}`).to.not.match(/is not a flag of this command|Unknown option/);
      }
    }
    expect(await candidates(['switch', 'x', '--w'])).to.deep.equal(['--wait']);
    expect(await candidates(['status', 'x', '--w'])).to.deep.equal([], 'status takes no --wait');
  });

  it('completes flag values: topologies, workloads, output formats, contexts; files for --kubeconfig', async () => {
    expect(await candidates(['switch', 'chat', '--to', ''])).to.deep.equal([...OVERLAY_KINDS]);
    expect(await candidates(['simulate', '--topology', 'Hy'])).to.deep.equal(['HyParView']);
    expect(await candidates(['simulate', '--workload', 'Lo'])).to.deep.equal(['LowLatency']);
    expect(await candidates(['list', '--output=j'])).to.deep.equal(['--output=json']);
    expect(await candidates(['list', '--context', 'p'])).to.deep.equal(['prod']);
    expect(await candidates(['completion', ''])).to.deep.equal([...COMPLETION_SHELLS]);
    expect(await complete(['list', '--kubeconfig', ''], noNames, contexts)).to.deep.equal({ candidates: [], directive: DIRECTIVE.default });
    expect((await complete(['simulate', '--nodes', ''], noNames, contexts)).directive).to.equal(DIRECTIVE.noFileComp);
  });

  it('offers ClusterTopology names after a resource command, asked with the typed namespace and context, and none once it has one', async () => {
    for (const command of RESOURCE_COMMANDS) {
      const n = names(['chat', 'feed']);
      expect((await complete(['-n', 'apps', command, 'c'], n.source, contexts)).candidates, command).to.deep.equal(['chat']);
      expect(n.asked).to.deep.equal([{ namespace: 'apps' }]);
    }
    const n = names(['chat']);
    await complete(['--context=prod', 'status', '-A', ''], n.source, contexts);
    expect(n.asked).to.deep.equal([{ context: 'prod', allNamespaces: true }]);
    expect((await complete(['status', 'chat', ''], names(['chat']).source, contexts)).candidates).to.deep.equal([]);
    const failing = async (): Promise<string[]> => {
      throw new Error('connection refused');
    };
    expect(await complete(['status', ''], failing, contexts)).to.deep.equal({ candidates: [], directive: DIRECTIVE.noFileComp });
    expect(formatCompletion({ candidates: ['a', 'b'], directive: 4 })).to.equal('a\nb\n:4');
  });

  it('kubectl-topology __complete and kubectl_complete-topology print the candidates and the directive', () => {
    const direct = spawnSync('kubectl-topology', ['__complete', 'switch', 'x', '--to', 'F'], { encoding: 'utf8', env: env() });
    expect(direct.stdout).to.equal('FullMesh\n:4\n');
    const plugin = spawnSync('kubectl_complete-topology', ['sw'], { encoding: 'utf8', env: env() });
    expect(plugin.stdout).to.equal('switch\n:4\n');
    // No cluster configured: no names, no error on the terminal.
    const offline = spawnSync('kubectl_complete-topology', ['status', ''], { encoding: 'utf8', env: env() });
    expect(offline.stdout).to.equal(':4\n');
    expect(offline.status).to.equal(0);
  });

  it('the real kubectl completes `kubectl topology ...` through kubectl_complete-topology on PATH', function () {
    if (!existsSync(KUBECTL)) this.skip(); // kubectl ≥ 1.26 needed; not every machine has one
    const r = spawnSync(KUBECTL, ['__complete', 'topology', 'pa'], { encoding: 'utf8', env: env() });
    expect(r.stdout).to.equal('pause\n:4\n');
    const to = spawnSync(KUBECTL, ['__complete', 'topology', 'switch', 'chat', '--to', ''], { encoding: 'utf8', env: env() });
    expect(to.stdout.split('\n').slice(0, -2)).to.deep.equal([...OVERLAY_KINDS]);
  });

  it('completion bash: sourced in a real bash, the function fills COMPREPLY from __complete', () => {
    const script = join(bin, 'completion.bash');
    writeFileSync(script, completionScript('bash'));
    const run = (words: string[]): string[] => {
      const r = spawnSync(
        'bash',
        [
          '-c',
          `source '${script}'; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _kubectl_topology; printf '%s\\n' "\${COMPREPLY[@]}"`,
        ],
        { encoding: 'utf8', env: env() },
      );
      expect(r.stderr).to.equal('');
      return r.stdout.split('\n').filter((l) => l !== '');
    };
    expect(run(['kubectl-topology', 're'])).to.deep.equal(['resume', 'retry']);
    expect(run(['kubectl-topology', 'switch', 'chat', '--to', 'Cl'])).to.deep.equal(['ClientServer']);
    expect(run(['kubectl-topology', 'watch', 'chat', '--f'])).to.deep.equal(['--follow']);
  });

  it('completion zsh and fish: scripts registering a function that calls __complete', () => {
    const zsh = spawnSync('kubectl-topology', ['completion', 'zsh'], { encoding: 'utf8', env: env() });
    expect(zsh.status).to.equal(0);
    expect(zsh.stdout).to.equal(completionScript('zsh'));
    expect(zsh.stdout).to.match(/^#compdef kubectl-topology\n/);
    expect(zsh.stdout).to.include('kubectl-topology __complete');
    expect(zsh.stdout).to.include('compdef _kubectl_topology kubectl-topology');
    const fish = completionScript('fish');
    expect(fish).to.include('kubectl-topology __complete $words');
    expect(fish).to.include("complete -c kubectl-topology -f -a '(__kubectl_topology_complete)'");
    // Syntax check where the shell exists (zsh -n parses without running).
    for (const [shell, text] of [
      ['zsh', zsh.stdout],
      ['fish', fish],
    ] as const) {
      const probe = spawnSync(shell, ['--version'], { encoding: 'utf8' });
      if (probe.error !== undefined) continue;
      const check = spawnSync(shell, shell === 'zsh' ? ['-n'] : ['--no-execute'], { encoding: 'utf8', input: text });
      expect(check.status, `${shell}: ${check.stderr}`).to.equal(0);
    }
    expect(parseCliArgs(['completion', 'tcsh'])).to.deep.equal({ ok: false, help: false, message: 'completion: takes one shell: bash, zsh, fish' });
  });
});
