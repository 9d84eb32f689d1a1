import { bootStack, clientCredentialsToken, DEMO, StackSession } from './support/stack-session';

jest.setTimeout(120_000);

describe('rate limits on the public endpoints', () => {
  let env: StackSession;
  beforeAll(async () => {
    env = await bootStack('ratelimit', { env: { 'gateway-b': { RATE_LIMIT_PEER_PER_MINUTE: '5', RATE_LIMIT_LOGIN_PER_MINUTE: '3' } } });
  });
  afterAll(async () => {
    await env?.close();
  });

  it('answers 429 problem+json with Retry-After past the per-minute budget, and changes nothing else', async () => {
    const token = await clientCredentialsToken(env.stack.urls.idp, DEMO.clientA, env.stack.urls.gatewayB, 'portability:capabilities');
    const statuses: number[] = [];
    let limited: Response | undefined;
    for (let i = 0; i < 7; i++) {
      const res = await fetch(`${env.stack.urls.gatewayB}/portability/v1/capabilities`, { headers: { authorization: `Bearer ${token}` } });
      statuses.push(res.status);
      if (res.status === 429) limited = res;
      else await res.arrayBuffer();
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
    expect(limited!.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await limited!.json()) as any).type).toBe('urn:ent-portability:problem:rate-limited');
    // Other endpoints are not affected.
    expect((await fetch(`${env.stack.urls.gatewayB}/.well-known/ent-portability`)).status).toBe(200);

    const logins: number[] = [];
    for (let i = 0; i < 4; i++) logins.push((await fetch(`${env.stack.urls.gatewayB}/auth/login`, { redirect: 'manual' })).status);
    expect(logins).toEqual([302, 302, 302, 429]);
  });
});
