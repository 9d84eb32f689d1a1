import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

jest.setTimeout(120_000);

const ROOT = resolve(__dirname, '..');
const run = (...args: string[]) =>
  spawnSync(process.execPath, [join(ROOT, 'dist/scripts/openapi.js'), ...args], { cwd: ROOT, encoding: 'utf8', env: { PATH: process.env.PATH, NODE_OPTIONS: '' } });

describe('published contracts (OpenAPI 3.1, generated from the code)', () => {
  it('the committed documents are what the code generates', () => {
    const r = run('--check');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('a stale document is detected', () => {
    const dir = mkdtempSync(join(tmpdir(), 'openapi-'));
    try {
      cpSync(join(ROOT, 'docs/openapi'), dir, { recursive: true });
      const file = join(dir, 'peer-v1.json');
      const doc = JSON.parse(readFileSync(file, 'utf8'));
      delete doc.paths['/portability/v1/offers'];
      writeFileSync(file, JSON.stringify(doc, null, 2) + '\n');
      const r = run('--check', '--dir', dir);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/peer-v1\.json/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('documents every peer operation, with problem responses and bearer auth', () => {
    const doc = JSON.parse(readFileSync(join(ROOT, 'docs/openapi/peer-v1.json'), 'utf8'));
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/.well-known/ent-portability',
      '/.well-known/ent-portability/jwks.json',
      '/portability/v1/capabilities',
      '/portability/v1/offers',
      '/portability/v1/offers/{offerId}/cancellation',
      '/portability/v1/offers/{offerId}/deliveries',
      '/portability/v1/transfers/{transferId}/index/{name}',
      '/portability/v1/transfers/{transferId}/items/{itemId}/content',
      '/portability/v1/transfers/{transferId}/items/{itemId}/metadata',
      '/portability/v1/transfers/{transferId}/receipt',
    ]);
    const offers = doc.paths['/portability/v1/offers'].post;
    expect(Object.keys(offers.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '403', '409']));
    expect(doc.components.schemas.Offer.required).toEqual(expect.arrayContaining(['offerId', 'items', 'owner']));
    // Teacher-facing routes are not part of the peer contract.
    expect(Object.keys(doc.paths).some((p) => p.startsWith('/api/') || p.startsWith('/auth/'))).toBe(false);
  });

  it('documents the connector contract a real ENT implements', () => {
    const doc = JSON.parse(readFileSync(join(ROOT, 'docs/openapi/connector-v1.json'), 'utf8'));
    expect(doc.openapi).toBe('3.1.0');
    const paths = Object.keys(doc.paths);
    expect(paths).toEqual(expect.arrayContaining([
      '/connector/v1/capabilities',
      '/connector/v1/users/{userId}/contents',
      '/connector/v1/users/{userId}/contents/{contentId}/export',
      '/connector/v1/users/{userId}/imports/{importKey}',
    ]));
    expect(paths.every((p) => p.startsWith('/connector/v1/'))).toBe(true);
    // The ENT's events to its gateway (§8.3: the import runs at her login to the arrival ENT).
    const event = doc.webhooks['/connector/v1/events'].post;
    expect(event.requestBody.content['application/json'].schema.$ref).toBe('#/components/schemas/EntEvent');
    expect(Object.keys(event.responses)).toEqual(expect.arrayContaining(['200', '400', '401']));
    expect(doc.components.schemas.EntEvent.properties.type.enum).toEqual(['USER_LOGGED_IN', 'ACCOUNT_CREATED', 'ACCOUNT_SCHOOLS_CHANGED']);
    // The unknown account is an answer of the import, documented for the ENT.
    expect(Object.keys(doc.paths['/connector/v1/users/{userId}/imports/{importKey}'].put.responses)).toContain('404');
  });
});
