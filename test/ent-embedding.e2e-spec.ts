import { bootStack, StackSession } from './support/stack-session';

/*
 * The ENT embeds or deep-links the gateway's pages (issue 15): gateway A is configured with an ENT
 * origin allowed to frame it and a return URL; gateway B keeps the defaults. Real processes, real
 * HTTP: the headers and the « Retour à mon ENT » link are read as a browser would receive them.
 */
jest.setTimeout(300_000);

const ENT_PORTAL = 'https://ent-a.example.fr';
const RETURN_URL = `${ENT_PORTAL}/portail/accueil`;

describe('embedding the gateway pages in the ENT', () => {
  let env: StackSession;

  beforeAll(async () => {
    env = await bootStack('embed', {
      env: { 'gateway-a': { UI_FRAME_ANCESTORS: `${ENT_PORTAL}, https://portail.example.fr`, ENT_RETURN_URL: RETURN_URL } },
    });
  });
  afterAll(async () => {
    await env?.close();
  });

  it('lets the configured ENT origins frame the pages, and nobody else', async () => {
    const res = await fetch(`${env.stack.urls.gatewayA}/`);
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain(`frame-ancestors 'self' ${ENT_PORTAL} https://portail.example.fr`);
    expect(csp).toContain("default-src 'none'");
    expect(res.headers.get('x-frame-options')).toBeNull();
    const page = await res.text();
    expect(page).toContain(`href="${RETURN_URL}" target="_top">Retour à mon ENT</a>`);
  });

  it('keeps the default where nothing is configured: only its own origin, in both headers, and no return link', async () => {
    const res = await fetch(`${env.stack.urls.gatewayB}/?retour=${encodeURIComponent(`${ENT_PORTAL}/x`)}`);
    expect(res.headers.get('content-security-policy')).toMatch(/frame-ancestors 'self'$/);
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(await res.text()).not.toContain('Retour à mon ENT');
  });

  it('shows a ?retour= on an allowed origin, and ignores a foreign or javascript: one', async () => {
    const allowed = `${ENT_PORTAL}/classe/6eB?onglet=cahier`;
    const shown = await (await fetch(`${env.stack.urls.gatewayA}/?retour=${encodeURIComponent(allowed)}`)).text();
    expect(shown).toContain(`href="${allowed.replace('&', '&amp;')}" target="_top">Retour à mon ENT</a>`);
    for (const hostile of ['https://evil.example.com/phish', 'javascript:alert(1)', 'data:text/html,<script>alert(1)</script>', '//evil.example.com/']) {
      const page = await (await fetch(`${env.stack.urls.gatewayA}/?retour=${encodeURIComponent(hostile)}`)).text();
      expect(page).toContain(`href="${RETURN_URL}" target="_top">Retour à mon ENT</a>`);
      expect(page).not.toContain('evil.example.com');
      expect(page).not.toContain('javascript:');
      expect(page).not.toContain('data:text/html');
    }
  });
});
