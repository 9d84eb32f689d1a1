import { Inject, Injectable } from '@nestjs/common';
import { createRemoteJWKSet, customFetch, JWTVerifyGetKey } from 'jose';
import { GATEWAY_CONFIG, GatewayConfig } from '../config';
import { boundedFetchFor, MAX_METADATA_BYTES, OUTBOUND_POLICY, OutboundPolicy, readBounded } from '../infra/outbound';

export interface IdpMetadata {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  userinfo_endpoint?: string;
  jwks_uri: string;
  end_session_endpoint?: string;
}

/**
 * The Guichet Agents (OpenID provider): discovery, JWKS and client-credentials
 * tokens for peer calls. Discovery is fetched lazily and cached, so the
 * gateway starts (and reports it on /health) while the IdP is down.
 */
@Injectable()
export class IdpClient {
  private metadata?: Promise<IdpMetadata>;
  private jwks?: JWTVerifyGetKey;
  private readonly tokens = new Map<string, { token: string; expiresAt: number }>();

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(OUTBOUND_POLICY) private readonly outbound: OutboundPolicy,
  ) {}

  async discover(): Promise<IdpMetadata> {
    if (!this.metadata) {
      this.metadata = (async () => {
        const url = `${this.config.oidc.issuer}/.well-known/openid-configuration`;
        const res = await this.outbound.fetch(url, { signal: AbortSignal.timeout(this.config.limits.peerTimeoutMs) });
        if (!res.ok) throw new Error(`OpenID discovery at ${url} answered ${res.status}`);
        const meta = JSON.parse(await readBounded(res, MAX_METADATA_BYTES)) as IdpMetadata;
        // OIDC Discovery §4.3: the issuer in the document must be the one configured.
        if (meta.issuer.replace(/\/+$/, '') !== this.config.oidc.issuer) {
          throw new Error(`OpenID discovery issuer mismatch: expected ${this.config.oidc.issuer}, got ${meta.issuer}`);
        }
        return meta;
      })();
      this.metadata.catch(() => (this.metadata = undefined));
    }
    return this.metadata;
  }

  async keySet(): Promise<JWTVerifyGetKey> {
    if (!this.jwks) {
      const meta = await this.discover();
      this.jwks = createRemoteJWKSet(new URL(meta.jwks_uri), { timeoutDuration: this.config.limits.peerTimeoutMs, [customFetch]: boundedFetchFor(this.outbound) });
    }
    return this.jwks;
  }

  /** A client-credentials access token for calling `audience` (the peer's base URL) with `scope`. */
  async accessToken(audience: string, scope: string): Promise<string> {
    const cacheKey = `${audience} ${scope}`;
    const cached = this.tokens.get(cacheKey);
    if (cached && cached.expiresAt - 30_000 > Date.now()) return cached.token;
    const meta = await this.discover();
    const res = await this.outbound.fetch(meta.token_endpoint, {
      method: 'POST',
      headers: { authorization: `Basic ${this.basicAuth()}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope, resource: audience }).toString(),
      signal: AbortSignal.timeout(this.config.limits.peerTimeoutMs),
    });
    const body = (await readBounded(res, MAX_METADATA_BYTES).then((t) => JSON.parse(t)).catch(() => ({}))) as { access_token?: string; expires_in?: number; error?: string };
    if (!res.ok || !body.access_token) {
      throw new Error(`token endpoint refused client_credentials for ${audience} (${res.status} ${body.error ?? ''})`);
    }
    this.tokens.set(cacheKey, { token: body.access_token, expiresAt: Date.now() + (body.expires_in ?? 60) * 1000 });
    return body.access_token;
  }

  /**
   * An owner proof (ADR 010): RFC 8693 token exchange of the teacher's own login access token for
   * a short-lived JWT of the IdP naming her, this gateway as actor and `audience` (the arrival
   * gateway). Never cached: one proof per offer.
   */
  async ownerProof(subjectAccessToken: string, audience: string): Promise<string> {
    const meta = await this.discover();
    const res = await this.outbound.fetch(meta.token_endpoint, {
      method: 'POST',
      headers: { authorization: `Basic ${this.basicAuth()}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
        subject_token: subjectAccessToken,
        subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        requested_token_type: 'urn:ietf:params:oauth:token-type:jwt',
        resource: audience,
      }).toString(),
      signal: AbortSignal.timeout(this.config.limits.peerTimeoutMs),
    });
    const body = (await readBounded(res, MAX_METADATA_BYTES).then((t) => JSON.parse(t)).catch(() => ({}))) as { access_token?: string; issued_token_type?: string; error?: string };
    if (!res.ok || typeof body.access_token !== 'string' || body.issued_token_type !== 'urn:ietf:params:oauth:token-type:jwt') {
      throw new Error(`token exchange refused (${res.status} ${body.error ?? ''})`.trim());
    }
    return body.access_token;
  }

  private basicAuth(): string {
    return Buffer.from(`${encodeURIComponent(this.config.oidc.clientId)}:${encodeURIComponent(this.config.oidc.clientSecret)}`).toString('base64');
  }

  async ping(): Promise<boolean> {
    try {
      await this.discover();
      return true;
    } catch {
      return false;
    }
  }
}
