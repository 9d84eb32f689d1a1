import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

jest.setTimeout(60_000);

const MAIN = resolve(__dirname, '..', 'dist/apps/gateway/src/main.js');
const run = (env: Record<string, string>) => spawnSync(process.execPath, [MAIN], { env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8', timeout: 30_000 });

describe('gateway boot-time configuration check', () => {
  it('refuses to start without its required variables, naming each', () => {
    const r = run({});
    expect(r.status).toBe(1);
    for (const name of ['ENT_ID', 'GATEWAY_UAIS', 'S3_ENDPOINT', 'OIDC_ISSUER', 'CONNECTOR_URL', 'SESSION_SECRET']) {
      expect(r.stderr).toContain(`${name}:`);
    }
    expect(r.stderr).toMatch(/refusing to start/);
  });

  it('names a malformed JSON variable', () => {
    const r = run({
      ENT_ID: 'ent-a', GATEWAY_UAIS: '0750001A', S3_ENDPOINT: 'http://127.0.0.1:9', S3_ACCESS_KEY: 'a', S3_SECRET_KEY: 'b', S3_BUCKET: 'bucket-a',
      OIDC_ISSUER: 'http://127.0.0.1:9', OIDC_CLIENT_ID: 'c', OIDC_CLIENT_SECRET: 'd', CONNECTOR_URL: 'http://127.0.0.1:9',
      CONNECTOR_TOKEN: '0123456789abcdef', SESSION_SECRET: 'x'.repeat(32), PEERS: '[{"entId":',
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/PEERS: is not valid JSON/);
  });
});
