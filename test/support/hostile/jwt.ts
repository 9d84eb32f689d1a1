import { createHmac, generateKeyPairSync, KeyObject, sign as cryptoSign } from 'node:crypto';

/**
 * Hand-made JWTs and JWSs for hostile tests, with node:crypto only (jose is ESM-only and jest
 * runs CommonJS). None of these keys is known to the IdP or to a gateway.
 */
const b64url = (v: Buffer | string) => Buffer.from(v).toString('base64url');
const json = (v: unknown) => b64url(JSON.stringify(v));

export interface ForeignKeys {
  rsa: { privateKey: KeyObject; publicKey: KeyObject };
  ec: { privateKey: KeyObject; publicKey: KeyObject };
}

let cached: ForeignKeys | undefined;

/** One RSA and one P-256 key pair per test run, made here. */
export function foreignKeys(): ForeignKeys {
  cached ??= {
    rsa: generateKeyPairSync('rsa', { modulusLength: 2048 }),
    ec: generateKeyPairSync('ec', { namedCurve: 'P-256' }),
  };
  return cached;
}

/** Compact JWS signed RS256 (RSA) or ES256 (P-256, IEEE P1363 signature) with a foreign key. */
export function signCompact(header: Record<string, unknown>, payload: unknown, alg: 'RS256' | 'ES256' = 'RS256'): string {
  const keys = foreignKeys();
  const input = `${json({ ...header, alg })}.${typeof payload === 'string' ? b64url(payload) : json(payload)}`;
  const signature =
    alg === 'RS256'
      ? cryptoSign('sha256', Buffer.from(input), keys.rsa.privateKey)
      : cryptoSign('sha256', Buffer.from(input), { key: keys.ec.privateKey, dsaEncoding: 'ieee-p1363' });
  return `${input}.${b64url(signature)}`;
}

/** `alg: none`, with a non-empty junk signature segment (so that it passes a "three segments" pattern). */
export function unsignedCompact(header: Record<string, unknown>, payload: unknown, signature = ''): string {
  return `${json({ ...header, alg: 'none' })}.${json(payload)}.${signature}`;
}

/** HS256 keyed with a *public* key's text: the classic RS256→HS256 algorithm confusion. */
export function hmacCompact(header: Record<string, unknown>, payload: unknown, secret: string | Buffer): string {
  const input = `${json({ ...header, alg: 'HS256' })}.${json(payload)}`;
  return `${input}.${b64url(createHmac('sha256', secret).update(input).digest())}`;
}

/** Replaces a compact JWS's payload, keeping its header and signature (a forgery). */
export function withPayload(compact: string, mutate: (payload: any) => any): string {
  const [h, p, s] = compact.split('.');
  const payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
  return `${h}.${json(mutate(payload))}.${s}`;
}

export function decodePart(compact: string, part: 0 | 1): any {
  return JSON.parse(Buffer.from(compact.split('.')[part], 'base64url').toString('utf8'));
}

/** Claims of a client-credentials access token as the IdP issues them (RFC 9068). */
export function accessTokenClaims(o: { issuer: string; audience: string; clientId: string; scope: string; iat?: number; ttl?: number }) {
  const iat = o.iat ?? Math.floor(Date.now() / 1000);
  return {
    iss: o.issuer,
    aud: o.audience,
    sub: o.clientId,
    client_id: o.clientId,
    scope: o.scope,
    iat,
    exp: iat + (o.ttl ?? 300),
    jti: `hostile-${Math.random().toString(36).slice(2)}`,
  };
}
