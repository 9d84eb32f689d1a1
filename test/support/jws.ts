import { createPublicKey, verify, JsonWebKey } from 'node:crypto';

/**
 * Verifies a compact JWS against a JWKS served over HTTP, with node:crypto only
 * (jose is ESM-only and jest runs CommonJS): ES256 and RS256, the two algorithms
 * the gateways and the IdP sign with.
 */
export async function verifyCompactJws(jws: string, jwksUrl: string): Promise<{ header: Record<string, unknown>; payload: any }> {
  const [h, p, s] = jws.split('.');
  if (!h || !p || !s) throw new Error('not a compact JWS');
  const header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as { alg: string; kid?: string };
  const res = await fetch(jwksUrl);
  const { keys } = (await res.json()) as { keys: (JsonWebKey & { kid?: string })[] };
  const jwk = keys.find((k) => k.kid === header.kid);
  if (!jwk) throw new Error(`no key ${header.kid} in ${jwksUrl}`);
  const key = createPublicKey({ key: jwk, format: 'jwk' });
  const data = Buffer.from(`${h}.${p}`);
  const signature = Buffer.from(s, 'base64url');
  const ok =
    header.alg === 'ES256' ? verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, signature)
    : header.alg === 'RS256' ? verify('sha256', data, key, signature)
    : false;
  if (!ok) throw new Error(`signature does not verify (${header.alg})`);
  return { header, payload: JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) };
}
