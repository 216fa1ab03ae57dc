/**
 * One instance of the Python example app (examples/python/topology_app.py) as a child process:
 * its JSON-lines output collected into `events`, commands written to its stdin. The venv and the
 * generated stubs come from the project's own script, hack/python-env.sh.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { packageRoot } from '../../../src/paths.js';

/** One line the app printed. */
export type PyEvent = { readonly event: string } & Readonly<Record<string, unknown>>;

/** How long the one-off venv creation may take (measured: 34 s on this machine, pip from PyPI). */
export const PYTHON_ENV_TIMEOUT_MS = 10 * 60_000;

/** Runs hack/python-env.sh (a cached venv after the first run; stubs regenerated) and returns the venv's python. */
export function pythonEnv(): string {
  const out = execFileSync('bash', [join(packageRoot(), 'hack', 'python-env.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: PYTHON_ENV_TIMEOUT_MS,
  });
  return out.trim().split('\n').at(-1)!;
}

/** A running Python app. */
export class PythonApp {
  readonly events: PyEvent[] = [];
  private readonly child: ChildProcess;
  private stderr = '';
  private partial = '';
  readonly exited: Promise<number | null>;

  constructor(
    python: string,
    readonly name: string,
    args: readonly string[],
  ) {
    const script = join(packageRoot(), 'examples', 'python', 'topology_app.py');
    this.child = spawn(python, ['-u', script, '--name', name, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (chunk: Buffer) => {
      const lines = (this.partial + chunk.toString('utf8')).split('\n');
      this.partial = lines.pop() ?? '';
      for (const line of lines) if (line.trim() !== '') this.events.push(JSON.parse(line) as PyEvent);
    });
    this.child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString('utf8')));
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  /** Sends one command (a JSON line) to the app. */
  command(cmd: Record<string, unknown>): void {
    this.child.stdin!.write(`${JSON.stringify(cmd)}\n`);
  }

  /** The events named `event`. */
  of(event: string): PyEvent[] {
    return this.events.filter((e) => e.event === event);
  }

  /** What the app wrote to stderr (a traceback, when it failed). */
  get errors(): string {
    return this.stderr;
  }

  /** Asks the app to quit, and kills it (by pid) if it has not within 5 s. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    this.command({ op: 'quit' });
    this.child.stdin!.end();
    const timer = setTimeout(() => {
      if (this.child.exitCode === null && this.child.pid !== undefined) process.kill(this.child.pid, 'SIGKILL');
    }, 5_000);
    await this.exited;
    clearTimeout(timer);
  }
}
