/**
 * .ci/watch-tests, the watchdog CI runs the test command under: a jest that wrote its results and
 * does not exit, or tests that run past CI's budget, must end the run red and say what was still
 * running, instead of a CI timeout that says nothing.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { processAlive as alive } from './support/service-process';

const WATCH = resolve(__dirname, '..', '.ci/watch-tests');

function watch(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((res) => {
    const child = spawn(WATCH, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => res({ code, out }));
  });
}

describe('.ci/watch-tests', () => {
  let dir: string;
  let results: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'watch-tests-'));
    results = join(dir, 'results.json');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("passes the command's own exit code through when it ends by itself", async () => {
    const { code, out } = await watch([results, '30', '60', '--', 'bash', '-c', `echo '{}' > ${results}; exit 3`]);
    expect(code).toBe(3);
    expect(out).not.toContain('watchdog');
  });

  it('ends a command that wrote its results and does not exit, lists what held it, and kills it', async () => {
    // The command writes its results, then waits on a child it left running, as jest does on an open handle.
    const script = `echo '{}' > ${results}; sleep 300 & echo "held by $!"; wait`;
    const { code, out } = await watch([results, '2', '120', '--', 'bash', '-c', script]);
    expect(code).toBe(124);
    expect(out).toMatch(/watchdog: the tests wrote their results 2 s ago and the command has not exited/);
    expect(out).toMatch(/still running under the test command:[\s\S]*sleep 300/);
    const held = Number(/held by (\d+)/.exec(out)![1]);
    expect(alive(held)).toBe(false);
  }, 30_000);

  it('ends a command that runs past its deadline, without results', async () => {
    const { code, out } = await watch([results, '30', '2', '--', 'bash', '-c', 'sleep 300']);
    expect(code).toBe(124);
    expect(out).toMatch(/watchdog: the tests ran past their deadline of 2 s/);
  }, 30_000);

  it('refuses a call without its three settings and the separator', async () => {
    const { code, out } = await watch([results, '--', 'true']);
    expect(code).toBe(2);
    expect(out).toMatch(/^usage: watch-tests RESULTS_FILE GRACE_S DEADLINE_S -- command/);
  });
});
