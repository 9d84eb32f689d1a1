import { ConfigError } from './config';
import { generateSigningKey, prepareSigningKeys } from './keys';

describe('idp-sim keys', () => {
  it('generates an RS256 private JWK with a thumbprint kid', () => {
    const jwk = generateSigningKey();
    expect(jwk).toEqual(expect.objectContaining({ kty: 'RSA', alg: 'RS256', use: 'sig', d: expect.any(String), kid: expect.any(String) }));
    expect(prepareSigningKeys([{ ...jwk, kid: undefined }])[0].kid).toBe(jwk.kid);
  });

  it('rejects a key that cannot be imported, naming IDP_SIGNING_JWKS', () => {
    expect(() => prepareSigningKeys([{ kty: 'RSA', n: 'abc', e: 'AQAB', d: 'xyz' }])).toThrow(ConfigError);
    expect(() => prepareSigningKeys([{ kty: 'RSA', n: 'abc', e: 'AQAB', d: 'xyz' }])).toThrow(/IDP_SIGNING_JWKS/);
  });
});
