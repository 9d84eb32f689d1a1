import { Client } from 'minio';
import { freePort } from './ports';
import { NO_S3_ENDPOINT_WARNING, testS3, uniqueBucket } from './s3';
import { processAlive as alive, ServiceStartError, startService } from './service-process';

// The helpers other suites stand on. CI always sets S3_ENDPOINT (radosgw), so the s3rver
// fallback that developers get without it is exercised here explicitly.
describe('test support', () => {
  it('freePort gives a bindable loopback port', async () => {
    const ports = await Promise.all([freePort(), freePort(), freePort()]);
    for (const p of ports) expect(p).toBeGreaterThan(0);
    const { createServer } = await import('node:net');
    const server = createServer();
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(ports[0], '127.0.0.1', resolve));
    await new Promise((r) => server.close(r));
  });

  it('uniqueBucket makes valid, distinct S3 bucket names', () => {
    const names = [
      uniqueBucket(__filename),
      uniqueBucket('/x/Some_Very.LONG name with spaces and ÉTÉ accents and much more text.e2e-spec.ts'),
      uniqueBucket(''),
      uniqueBucket('---'),
    ];
    for (const n of names) {
      expect(n).toMatch(/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/);
      expect(n).not.toMatch(/--/);
    }
    expect(names[0]).toMatch(/^support-/);
    expect(new Set([...names, uniqueBucket(__filename)]).size).toBe(5);
  });

  it('falls back to an in-process s3rver without S3_ENDPOINT, and says so', async () => {
    const saved = process.env.S3_ENDPOINT;
    delete process.env.S3_ENDPOINT;
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const s3 = await testS3();
      try {
        expect(s3).toMatchObject({ kind: 's3rver', verifiesSignatures: false });
        expect(warn).toHaveBeenCalledWith(NO_S3_ENDPOINT_WARNING);
        const url = new URL(s3.endPoint);
        const client = new Client({
          endPoint: url.hostname,
          port: Number(url.port),
          useSSL: false,
          accessKey: s3.accessKey,
          secretKey: s3.secretKey,
          region: s3.region,
          pathStyle: true,
        });
        const bucket = uniqueBucket(__filename);
        await client.makeBucket(bucket, s3.region);
        await client.putObject(bucket, 'k', Buffer.from('v'));
        const stat = await client.statObject(bucket, 'k');
        expect(stat.size).toBe(1);
      } finally {
        await s3.stop();
        await s3.stop(); // idempotent
      }
    } finally {
      warn.mockRestore();
      if (saved === undefined) delete process.env.S3_ENDPOINT;
      else process.env.S3_ENDPOINT = saved;
    }
  });

  describe('startService', () => {
    const env = { PATH: process.env.PATH };

    it('resolves on the ready line and keeps collecting the lines after it', async () => {
      const s = await startService({
        name: 'talker',
        args: ['-e', 'console.log("booting"); console.log("talker listening on http://127.0.0.1:1"); setTimeout(() => console.log("later"), 50); setInterval(() => {}, 1000)'],
        env,
        readyLine: /listening on (\S+)/,
      });
      try {
        expect(s.ready[1]).toBe('http://127.0.0.1:1');
        expect(s.lines.slice(0, 2)).toEqual(['booting', 'talker listening on http://127.0.0.1:1']);
        await new Promise((r) => setTimeout(r, 300));
        expect(s.lines).toContain('later');
      } finally {
        s.child.kill('SIGKILL');
        await s.exited;
      }
    });

    it('kills a child that never gets ready, and says what the kernel saw of it', async () => {
      // Stopped (SIGSTOP) at once: it can print nothing, as a start stuck for ever would.
      const started = startService({
        name: 'mute',
        args: ['-e', 'console.log("partial"); process.kill(process.pid, "SIGSTOP")'],
        env,
        readyLine: /never printed/,
        timeoutMs: 1500,
      });
      const error = await started.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ServiceStartError);
      const message = (error as Error).message;
      expect(message).toMatch(/^mute did not print its ready line within 1500 ms \(pid (\d+), state T \(stopped\)/);
      expect(message).toContain('partial');
      const pid = Number(/pid (\d+)/.exec(message)![1]);
      // Killed and reaped before the error: nothing is left to hold jest open.
      expect(alive(pid)).toBe(false);
    });

    it('reports a child that exits before it is ready, with its stderr', async () => {
      await expect(
        startService({ name: 'quitter', args: ['-e', 'console.error("bad IDP_PORT"); process.exit(1)'], env, readyLine: /listening/ }),
      ).rejects.toThrow(/quitter exited with 1 before it was ready[\s\S]*bad IDP_PORT/);
    });
  });
});
