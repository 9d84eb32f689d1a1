import { Logger } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { jwtVerify } from 'jose';
import { Strategy } from 'passport-openidconnect';
import { GatewayConfig } from '../config';
import { IdpClient, IdpMetadata } from './idp.client';
import { LoginGrant, SessionUser } from './session-user';
import { parseUaiHistory } from './access-policy';

/** What a verified login yields: the teacher, and her login's access token for the session only. */
export interface VerifiedLogin {
  user: SessionUser;
  login?: LoginGrant;
}

export const OIDC_STRATEGY = 'oidc';

/**
 * Teacher login with the authorization code flow (N°7, §6.1.3).
 * passport-openidconnect 0.1 does the redirect, the state (kept in the
 * Postgres-backed session) and the nonce comparison, but does not verify the
 * ID token signature: that is done here with jose against the IdP's JWKS,
 * together with issuer, audience and expiry.
 */
export class OidcStrategy extends PassportStrategy(Strategy, OIDC_STRATEGY, 8) {
  private readonly logger = new Logger('OidcStrategy');

  constructor(
    private readonly config: GatewayConfig,
    private readonly idp: IdpClient,
    meta: IdpMetadata,
  ) {
    super({
      issuer: config.oidc.issuer,
      authorizationURL: meta.authorization_endpoint,
      tokenURL: meta.token_endpoint,
      userInfoURL: meta.userinfo_endpoint ?? `${config.oidc.issuer}/me`,
      clientID: config.oidc.clientId,
      clientSecret: config.oidc.clientSecret,
      callbackURL: `${config.publicUrl}/auth/callback`,
      scope: ['profile', 'email', 'ent'],
      nonce: 'true',
      skipUserProfile: true,
      store: undefined,
    } as any);
  }

  async validate(
    _issuer: string,
    _profile: unknown,
    _context: unknown,
    idToken: string,
    accessToken?: string,
    _refreshToken?: string,
    params?: { expires_in?: number | string },
  ): Promise<VerifiedLogin> {
    const { payload } = await jwtVerify(idToken, await this.idp.keySet(), {
      issuer: this.config.oidc.issuer,
      audience: this.config.oidc.clientId,
      algorithms: ['RS256', 'PS256', 'ES256', 'EdDSA'],
      requiredClaims: ['sub', 'exp', 'iat', 'nonce'],
      clockTolerance: 5,
    });
    const claims = payload as Record<string, unknown>;
    const identity = claims[this.config.oidc.identityClaim];
    if (typeof identity !== 'string' || identity === '') {
      throw new Error(`ID token lacks the identity claim ${this.config.oidc.identityClaim}`);
    }
    const asList = (v: unknown) => (Array.isArray(v) ? v.map(String) : typeof v === 'string' ? [v] : []);
    const displayName = [claims.given_name, claims.family_name].filter((x) => typeof x === 'string').join(' ') || identity;
    this.logger.log({ sub: claims.sub }, 'teacher logged in');
    const user: SessionUser = {
      identity,
      sub: String(claims.sub),
      displayName,
      email: typeof claims.email === 'string' ? claims.email : undefined,
      profiles: asList(claims.national_profiles),
      uais: asList(claims.uai),
      uaiHistory: parseUaiHistory(claims.uai_history),
      loggedInAt: new Date().toISOString(),
    };
    const lifetime = Number(params?.expires_in);
    const login = typeof accessToken === 'string' && accessToken !== '' && Number.isFinite(lifetime) && lifetime > 0
      ? { accessToken, expiresAt: Date.now() + lifetime * 1000 }
      : undefined;
    return { user, login };
  }
}
