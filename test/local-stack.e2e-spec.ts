import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeProcess } from '../scripts/local-stack';
import { bootStack } from './support/stack-session';

jest.setTimeout(240_000);

/**
 * The test stack's own robustness: CI twice saw a freshly spawned simulator that wrote nothing and
 * never answered, and a whole suite failed on it after three minutes with no trace. A child that
 * does not answer in time is described (kernel state, where it waits, its last log lines), killed
 * and started once more.
 */
describe('local stack: a child that hangs at its start', () => {
  it('describes what the kernel sees of a stopped process', async () => {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    await new Promise((r) => child.once('spawn', r));
    try {
      child.kill('SIGSTOP');
      let seen = '';
      for (let i = 0; i < 50 && !/state T/.test(seen); i++) {
        await new Promise((r) => setTimeout(r, 20));
        seen = describeProcess(child.pid);
      }
      expect(seen).toMatch(new RegExp(`^pid ${child.pid}, state T`));
      expect(seen).toMatch(/threads \d+, VmRSS \d+ kB, waiting in /);
    } finally {
      child.kill('SIGKILL');
    }
    await new Promise((r) => setTimeout(r, 100));
    expect(describeProcess(child.pid)).toMatch(/gone|state Z/);
    expect(describeProcess(undefined)).toBe('no pid (the spawn failed)');
  });

  it('kills a simulator that never answers, says so, and starts it again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hang-once-'));
    const marker = join(dir, 'hung');
    const preload = join(dir, 'hang-once.js');
    // The first start blocks its only thread before a single line is written, as seen in CI.
    writeFileSync(preload, `const fs = require('node:fs');
if (!fs.existsSync(${JSON.stringify(marker)})) {
  fs.writeFileSync(${JSON.stringify(marker)}, String(process.pid));
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
}
`);
    const warnings: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
      warnings.push(String(chunk));
      return (write as (c: string | Uint8Array, ...r: unknown[]) => boolean)(chunk, ...rest);
    });
    let env: Awaited<ReturnType<typeof bootStack>> | undefined;
    try {
      env = await bootStack('hang-once', {
        env: { 'idp-sim': { NODE_OPTIONS: `--require ${preload}` } },
        readyTimeoutMs: { 'idp-sim': 3000 },
      });
      const hungPid = Number(readFileSync(marker, 'utf8'));
      const said = warnings.join('');
      expect(said).toMatch(/local-stack: idp-sim did not answer http:\/\/127\.0\.0\.1:\d+\/\.well-known\/openid-configuration within 3000 ms/);
      expect(said).toContain(`pid ${hungPid}, state S`);
      expect(said).toMatch(/last lines of its log:\n\(empty\)/);
      expect(said).toContain('local-stack: starting idp-sim again');
      // The second start is the one serving, and the stack works: the IdP answers discovery.
      expect(env.stack.processes.get('idp-sim')!.pid).not.toBe(hungPid);
      const discovery = await fetch(`${env.stack.urls.idp}/.well-known/openid-configuration`);
      expect(discovery.status).toBe(200);
      expect(describeProcess(hungPid)).toMatch(/gone|state Z/);
    } finally {
      spy.mockRestore();
      await env?.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
