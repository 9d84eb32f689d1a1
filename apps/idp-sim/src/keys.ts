import { createHash, createPrivateKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { ConfigError, type PrivateJwk } from './config';

/** RFC 7638 JWK thumbprint (SHA-256, base64url) of an RSA key. */
export function rsaThumbprint(jwk: { e?: unknown; n?: unknown; [member: string]: unknown }): string {
  const canonical = JSON.stringify({ e: jwk.e, kty: 'RSA', n: jwk.n });
  return createHash('sha256').update(canonical).digest('base64url');
}

/** A fresh RS256 signing key as a private JWK (kid = thumbprint). */
export function generateSigningKey(): PrivateJwk {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' }) as PrivateJwk;
  return { ...jwk, kid: rsaThumbprint(jwk), alg: 'RS256', use: 'sig' };
}

/** Checks every configured private JWK can be imported; RSA keys without kid get their thumbprint. */
export function prepareSigningKeys(keys: PrivateJwk[]): PrivateJwk[] {
  return keys.map((jwk, i) => {
    try {
      createPrivateKey({ key: jwk as never, format: 'jwk' });
    } catch (err) {
      throw new ConfigError('IDP_SIGNING_JWKS', `key #${i} cannot be imported (${(err as Error).message})`);
    }
    if (jwk.kty === 'RSA') {
      return { ...jwk, kid: jwk.kid ?? rsaThumbprint(jwk), use: jwk.use ?? 'sig' };
    }
    return jwk;
  });
}

export function generateCookieKey(): string {
  return randomBytes(32).toString('base64url');
}
