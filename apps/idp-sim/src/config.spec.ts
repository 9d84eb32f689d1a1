import { ConfigError, DEFAULT_CLIENTS, loadConfig, matchResource, PEER_SCOPES } from './config';

const expectConfigError = (env: Record<string, string>, variable: string) => {
  let caught: unknown;
  try {
    loadConfig(env);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(ConfigError);
  expect((caught as ConfigError).variable).toBe(variable);
  expect((caught as ConfigError).message).toContain(variable);
};

describe('idp-sim loadConfig', () => {
  it('has the documented defaults', () => {
    const c = loadConfig({});
    expect(c.port).toBe(4000);
    expect(c.host).toBe('127.0.0.1');
    expect(c.issuer).toBe('http://127.0.0.1:4000');
    expect(c.accessTokenTtl).toBe(300);
    expect(c.loginTokenTtl).toBe(3600);
    expect(c.ownerProofTtl).toBe(300);
    expect(c.resources).toEqual(['http://127.0.0.1:4001', 'http://127.0.0.1:4002', 'http://127.0.0.1:7480']);
    expect(c.signingJwks).toBeUndefined();
    expect(c.cookieKeys).toBeUndefined();
    expect(c.clients.map((x) => x.clientId)).toEqual(['gateway-a', 'gateway-b', 'ent-c', 'conformance-kit']);
    expect(c.clients.find((x) => x.clientId === 'ent-c')!.redirectUris).toEqual([]);
    for (const client of DEFAULT_CLIENTS) expect(client.peerScopes).toEqual([...PEER_SCOPES]);
  });

  it('derives the issuer from IDP_PORT unless IDP_ISSUER is set', () => {
    expect(loadConfig({ IDP_PORT: '4100' }).issuer).toBe('http://127.0.0.1:4100');
    expect(loadConfig({ IDP_PORT: '4100', IDP_ISSUER: 'https://idp.example.fr' }).issuer).toBe('https://idp.example.fr');
  });

  it('parses IDP_CLIENTS', () => {
    const c = loadConfig({
      IDP_CLIENTS: JSON.stringify([
        { clientId: 'ent-x', clientSecret: 'ent-x-secret', redirectUris: ['http://127.0.0.1:5000/cb'], peerScopes: ['portability:offer', 'portability:offer'] },
      ]),
    });
    expect(c.clients).toEqual([
      { clientId: 'ent-x', clientSecret: 'ent-x-secret', redirectUris: ['http://127.0.0.1:5000/cb'], postLogoutRedirectUris: [], peerScopes: ['portability:offer'] },
    ]);
  });

  it.each([
    [{ IDP_CLIENTS: '{not json' }, 'IDP_CLIENTS'],
    [{ IDP_CLIENTS: '[]' }, 'IDP_CLIENTS'],
    [{ IDP_CLIENTS: '[{"clientId":"a b","clientSecret":"12345678","redirectUris":[],"peerScopes":[]}]' }, 'IDP_CLIENTS'],
    [{ IDP_CLIENTS: '[{"clientId":"a","clientSecret":"short","redirectUris":[],"peerScopes":[]}]' }, 'IDP_CLIENTS'],
    [{ IDP_CLIENTS: '[{"clientId":"a","clientSecret":"12345678","redirectUris":["nope"],"peerScopes":[]}]' }, 'IDP_CLIENTS'],
    [{ IDP_CLIENTS: '[{"clientId":"a","clientSecret":"12345678","redirectUris":[],"peerScopes":["openid"]}]' }, 'IDP_CLIENTS'],
    [{ IDP_CLIENTS: '[{"clientId":"a","clientSecret":"12345678","redirectUris":[]}]' }, 'IDP_CLIENTS'],
    [{ IDP_CLIENTS: '[{"clientId":"a","clientSecret":"12345678","redirectUris":[],"peerScopes":[]},{"clientId":"a","clientSecret":"12345678","redirectUris":[],"peerScopes":[]}]' }, 'IDP_CLIENTS'],
    [{ IDP_RESOURCES: '"http://x"' }, 'IDP_RESOURCES'],
    [{ IDP_RESOURCES: '["http://x#frag"]' }, 'IDP_RESOURCES'],
    [{ IDP_RESOURCES: '["http://x", "http://x/"]' }, 'IDP_RESOURCES'],
    [{ IDP_PORT: '0' }, 'IDP_PORT'],
    [{ IDP_PORT: '70000' }, 'IDP_PORT'],
    [{ IDP_ACCESS_TOKEN_TTL: '1.5' }, 'IDP_ACCESS_TOKEN_TTL'],
    [{ IDP_OWNER_PROOF_TTL: '3601' }, 'IDP_OWNER_PROOF_TTL'],
    [{ IDP_LOGIN_TOKEN_TTL: '0' }, 'IDP_LOGIN_TOKEN_TTL'],
    [{ IDP_ISSUER: 'http://idp.example/' }, 'IDP_ISSUER'],
    [{ IDP_ISSUER: 'http://idp.example?x=1' }, 'IDP_ISSUER'],
    [{ IDP_ISSUER: 'http://idp.example/oidc' }, 'IDP_ISSUER'],
    [{ IDP_HOST: 'a b' }, 'IDP_HOST'],
    [{ IDP_SIGNING_JWKS: '{"keys":[]}' }, 'IDP_SIGNING_JWKS'],
    [{ IDP_SIGNING_JWKS: '{"keys":[{"kty":"EC","crv":"P-256","x":"a","y":"b","d":"c"}]}' }, 'IDP_SIGNING_JWKS'],
    [{ IDP_COOKIE_KEYS: 'a-long-enough-cookie-key,short' }, 'IDP_COOKIE_KEYS'],
  ])('rejects %j naming %s', (env, variable) => {
    expectConfigError(env as Record<string, string>, variable);
  });

  it('matches resources on their normalised URL and returns the configured spelling', () => {
    const resources = ['http://127.0.0.1:4001', 'https://ent-b.example.fr/api'];
    expect(matchResource(resources, 'http://127.0.0.1:4001/')).toBe('http://127.0.0.1:4001');
    expect(matchResource(resources, 'https://ent-b.example.fr/api')).toBe('https://ent-b.example.fr/api');
    expect(matchResource(resources, 'http://127.0.0.1:4002')).toBeUndefined();
    expect(matchResource(resources, 'not a url')).toBeUndefined();
  });
});
