/**
 * Starts a Node service the way an operator would (its compiled entry point, configuration in
 * the environment only) and waits for the line that says it listens.
 *
 * Whatever happens, the child never outlives the start that failed: on a timeout it is described
 * (what the kernel says of it), killed, and only then is the error raised. A child left running
 * keeps its pipes open in the jest process (`--runInBand`), and jest then never exits: a CI run
 * once hung until its budget ran out that way, after one start timed out.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { describeProcess } from '../../scripts/local-stack';

export interface ServiceProcess {
  child: ChildProcessWithoutNullStreams;
  /** Every complete stdout line so far (the array keeps growing while the child runs). */
  lines: string[];
  stderr: () => string;
  exited: Promise<number | null>;
  /** The ready line's match. */
  ready: RegExpExecArray;
}

export interface StartServiceOptions {
  /** Named in errors, e.g. "idp-sim" or "ent-sim ent-a". */
  name: string;
  /** Arguments to node: the script and its own arguments. */
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd?: string;
  /** The stdout line that says the service is ready. */
  readyLine: RegExp;
  /** How long the start may take. Generous: this is not a timing test, a loaded CI machine is slow. */
  timeoutMs?: number;
}

export class ServiceStartError extends Error {}

/** Kills a child and waits for its exit (at once if it already exited). */
export async function killService(s: { child: ChildProcessWithoutNullStreams; exited: Promise<unknown> }, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill(signal);
  await s.exited;
}

export function startService(o: StartServiceOptions): Promise<ServiceProcess> {
  const timeoutMs = o.timeoutMs ?? 45_000;
  const child = spawn(process.execPath, o.args, { cwd: o.cwd, env: o.env, stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let err = '';
  let buffered = '';
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  const output = () => `--- stdout\n${[...lines, buffered].filter(Boolean).join('\n') || '(nothing)'}\n--- stderr\n${err || '(nothing)'}`;
  return new Promise((res, rej) => {
    let settled = false;
    let timedOut = false;
    const fail = (message: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      rej(new ServiceStartError(`${message}\n${output()}`));
    };
    const timer = setTimeout(() => {
      // Described before it is killed: the kernel's view is what tells a stuck start from a slow one.
      const seen = describeProcess(child.pid);
      timedOut = true;
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      void exited.then(() => fail(`${o.name} did not print its ready line within ${timeoutMs} ms (${seen}); it was killed`));
    }, timeoutMs);
    child.on('error', (e) => fail(`${o.name} could not be spawned: ${e.message}`));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      buffered += d.toString();
      let nl: number;
      while ((nl = buffered.indexOf('\n')) !== -1) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        lines.push(line);
        const ready = settled ? null : o.readyLine.exec(line);
        if (ready) {
          settled = true;
          clearTimeout(timer);
          res({ child, lines, stderr: () => err, exited, ready });
        }
      }
    });
    void exited.then((code) => {
      if (!timedOut) fail(`${o.name} exited with ${code} before it was ready`);
    });
  });
}

/** Whether a process still exists (signal 0 checks without sending anything). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
