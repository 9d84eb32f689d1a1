import { createHmac } from 'node:crypto';
import { MatomoSim, rftiProblems } from '@ent/dnma';
import { bootStack, DEMO, StackSession, TeacherClient, waitUntil } from './support/stack-session';

jest.setTimeout(180_000);

const HMAC_SECRET = 'dnma-test-secret-0123456789abcdef0123';

describe('DNMA audience measurement of the gateway teacher pages', () => {
  let env: StackSession;
  let matomo: MatomoSim;

  beforeAll(async () => {
    matomo = await MatomoSim.start();
    env = await bootStack('dnma-gateway', {
      env: {
        'gateway-a': {
          DNMA_MATOMO_URL: matomo.url,
          DNMA_SITE_ID: '42',
          DNMA_TOKEN_AUTH: 'token-auth-for-tests-0001',
          DNMA_HMAC_SECRET: HMAC_SECRET,
          DNMA_EXPLOITANT: 'EXPLOITANT-TEST',
          DNMA_PLATEFORME: 'PLATEFORME-TEST',
          DNMA_OUTIL: 'PORTABILITE-ENT',
          DNMA_POLL_MS: '100',
        },
      },
    });
  });
  afterAll(async () => {
    await env?.close();
    await matomo?.stop();
  });

  it('sends one valid, pseudonymised hit per authenticated page view, none for public pages', async () => {
    const base = env.stack.urls.gatewayA;
    // A public page: no hit.
    expect((await fetch(`${base}/`)).status).toBe(200);

    const teacher = await TeacherClient.login(base, 'marie.dupont', 'demo-marie');
    expect((await teacher.request('GET', '/')).status).toBe(200);
    const { items } = await teacher.json('GET', '/api/contents');
    const draft = await teacher.json('POST', '/api/transfers', { arrivalUai: DEMO.uaiB, itemIds: [items[0].id] });
    await teacher.json('GET', `/api/transfers/${draft.id}`);
    // A refused request is not a page view.
    expect((await teacher.request('POST', '/api/transfers', { arrivalUai: 'nope', itemIds: [] })).status).toBe(400);

    // The login lands on the home page (a view), then: home again, contents, transfer-new, transfer-status.
    const hits = await waitUntil('5 hits at the simulated Matomo', async () => matomo.hits.length >= 5 && matomo.hits);
    await new Promise((r) => setTimeout(r, 500));
    expect(matomo.hits).toHaveLength(5);
    expect(hits.map((h) => h.params.dimension10)).toEqual(['ACCUEIL', 'ACCUEIL', 'MES_CONTENUS', 'NOUVEAU_TRANSFERT', 'SUIVI_TRANSFERT']);
    const expectedUid = createHmac('sha256', HMAC_SECRET).update('marie.dupont').digest('hex');
    for (const hit of hits) {
      expect(rftiProblems(hit.params)).toEqual([]);
      expect(hit.params.idsite).toBe('42');
      expect(hit.params.uid).toBe(expectedUid);
      expect(hit.params.dimension1).toBe(DEMO.uaiA);
      expect(hit.params.dimension2).toBe('ENSEIGNANT');
      expect(hit.tokenAuth).toBe('token-auth-for-tests-0001');
      const all = JSON.stringify(hit.params);
      expect(all).not.toMatch(/marie|dupont|ac-paris/i);
    }
    // token_auth only ever in a POST body.
    expect(matomo.requests.every((r) => r.method === 'POST' && !r.url.includes('token_auth'))).toBe(true);

    const health = (await (await fetch(`${base}/health`)).json()) as any;
    expect(health.dnma).toMatchObject({ sent: 5, deadLettered: 0 });
  });
});
