import { createRemoteJWKSet, jwtVerify, JWTVerifyGetKey } from 'jose';
import { http } from './http';

export interface ClientCredentials {
  issuer: string;
  clientId: string;
  clientSecret: string;
}

/** Why the IdP would not give the kit a token: a setup problem, not a finding about the target. */
export class IdpError extends Error {
  override name = 'IdpError';
}

/**
 * The kit's side of the shared IdP: client-credentials tokens for the kit's peer calls
 * (RFC 8707 resource = the target's audience), and verification of the tokens the target
 * presents to the kit's own endpoints.
 */
export class Idp {
  private metadata?: Promise<{ token_endpoint: string; jwks_uri: string; issuer: string }>;
  private keySet?: JWTVerifyGetKey;
  private readonly cache = new Map<string, { token: string; until: number }>();

  constructor(readonly client: ClientCredentials) {}

  private meta() {
    this.metadata ??= (async () => {
      const url = `${this.client.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
      const res = await http(url).catch((err: Error) => {
        throw new IdpError(`the IdP did not answer ${url}: ${err.message}`);
      });
      if (res.status !== 200 || !res.json?.token_endpoint || !res.json?.jwks_uri) throw new IdpError(`${url} answered ${res.status}, not an OpenID provider configuration`);
      return res.json;
    })();
    return this.metadata;
  }

  /** A client-credentials access token for `resource` with `scope` (cached until shortly before it expires). */
  async token(resource: string, scope: string): Promise<string> {
    const key = `${resource} ${scope}`;
    const cached = this.cache.get(key);
    if (cached && cached.until > Date.now()) return cached.token;
    const { token_endpoint } = await this.meta();
    const res = await http(token_endpoint, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${encodeURIComponent(this.client.clientId)}:${encodeURIComponent(this.client.clientSecret)}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', resource, scope }).toString(),
    });
    if (res.status !== 200 || typeof res.json?.access_token !== 'string') {
      throw new IdpError(`the IdP refused a token for ${resource} (${scope}): ${res.status} ${res.text.slice(0, 300)}`);
    }
    const ttl = typeof res.json.expires_in === 'number' ? res.json.expires_in : 60;
    this.cache.set(key, { token: res.json.access_token, until: Date.now() + Math.max(ttl - 30, 5) * 1000 });
    return res.json.access_token;
  }

  /** Verifies an access token presented to the kit; returns its claims or why it is refused. */
  async verify(token: string, audience: string, scope: string): Promise<{ ok: true; claims: Record<string, unknown> } | { ok: false; reason: string }> {
    try {
      const { issuer, jwks_uri } = await this.meta();
      this.keySet ??= createRemoteJWKSet(new URL(jwks_uri));
      const { payload } = await jwtVerify(token, this.keySet, { issuer, audience, typ: 'at+jwt', requiredClaims: ['exp', 'client_id'], clockTolerance: 5 });
      const scopes = typeof payload.scope === 'string' ? payload.scope.split(' ') : [];
      if (!scopes.includes(scope)) return { ok: false, reason: `the token's scope "${payload.scope ?? ''}" lacks ${scope}` };
      return { ok: true, claims: payload as Record<string, unknown> };
    } catch (err) {
      return { ok: false, reason: (err as Error).message };
    }
  }
}
