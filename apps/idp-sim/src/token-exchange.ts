import { randomUUID } from 'node:crypto';
import { importJWK, SignJWT } from 'jose';
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { findAccount } from './accounts';
import { matchResource, type IdpConfig, type PrivateJwk } from './config';

/**
 * OAuth 2.0 Token Exchange (RFC 8693), profiled for one purpose: the **owner proof** of ADR 010.
 *
 * The departure gateway presents the access token it received at the teacher's own login
 * (`subject_token`, type access_token) and names the arrival gateway (`resource`). The IdP checks
 * that the token is live, was issued to this very client at an interactive login, and that the
 * account still exists, and answers a short-lived JWT signed with its own keys:
 *
 *   header  { alg: RS256, kid, typ: "owner-proof+jwt" }
 *   payload { iss, sub, aud: <arrival>, client_id: <departure>, act: { sub: <departure> },
 *             iat, exp, jti, [email] }
 *
 * `typ` keeps it apart from the peers' access tokens (`at+jwt`): neither can be used as the
 * other. `token_type` is `N_A` (RFC 8693 §2.2.1): it is a statement, not a bearer credential
 * for any API.
 */
export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
export const JWT_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:jwt';
export const OWNER_PROOF_TYP = 'owner-proof+jwt';

const PARAMETERS = ['subject_token', 'subject_token_type', 'requested_token_type', 'resource', 'actor_token', 'actor_token_type', 'audience', 'scope'];

export function registerTokenExchange(provider: Provider, config: IdpConfig, signingKeys: PrivateJwk[]): void {
  const { errors } = loadErrors();
  const jwk = signingKeys.find((k) => k.kty === 'RSA');
  if (!jwk) throw new Error('token exchange needs an RSA signing key');
  const key = importJWK(jwk as never, 'RS256');

  async function handler(ctx: KoaContextWithOIDC): Promise<void> {
    const params = ctx.oidc.params as Record<string, string | undefined>;
    const client = ctx.oidc.client!;
    for (const name of ['subject_token', 'subject_token_type', 'resource'] as const) {
      if (!params[name]) throw new errors.InvalidRequest(`missing required parameter '${name}'`);
    }
    if (params.subject_token_type !== ACCESS_TOKEN_TYPE) {
      throw new errors.InvalidRequest(`subject_token_type must be ${ACCESS_TOKEN_TYPE}`);
    }
    if (params.requested_token_type && params.requested_token_type !== JWT_TOKEN_TYPE) {
      throw new errors.InvalidRequest(`requested_token_type must be ${JWT_TOKEN_TYPE}`);
    }
    // Delegation chains and free-form audiences are not part of this profile.
    if (params.actor_token || params.actor_token_type || params.audience || params.scope) {
      throw new errors.InvalidRequest('actor_token, audience and scope are not supported: name the arrival gateway with resource');
    }
    const audience = matchResource(config.resources, params.resource!);
    if (!audience) throw new errors.InvalidTarget('resource indicator is not a registered audience');

    // The teacher's own login at this client: a live user access token (no audience of its own),
    // issued to the client that presents it, for an account that still exists.
    const subject = await provider.AccessToken.find(params.subject_token!);
    if (!subject || subject.isExpired || !subject.accountId || subject.aud) {
      throw new errors.InvalidGrant('subject_token is not a live access token of a user login');
    }
    if (subject.clientId !== client.clientId) {
      throw new errors.InvalidGrant('subject_token was not issued to this client');
    }
    const account = findAccount(subject.accountId);
    if (!account) throw new errors.InvalidGrant('the subject account no longer exists');

    const now = Math.floor(Date.now() / 1000);
    const ttl = config.ownerProofTtl;
    const token = await new SignJWT({
      client_id: client.clientId,
      act: { sub: client.clientId },
      ...(String(subject.scope ?? '').split(' ').includes('email') ? { email: account.email } : {}),
    })
      .setProtectedHeader({ alg: 'RS256', kid: jwk!.kid, typ: OWNER_PROOF_TYP })
      .setIssuer(config.issuer)
      .setSubject(account.sub)
      .setAudience(audience)
      .setIssuedAt(now)
      .setExpirationTime(now + ttl)
      .setJti(randomUUID())
      .sign(await key);
    ctx.body = { access_token: token, issued_token_type: JWT_TOKEN_TYPE, token_type: 'N_A', expires_in: ttl };
  }

  provider.registerGrantType(TOKEN_EXCHANGE_GRANT, handler as never, PARAMETERS);
}

/** oidc-provider is ESM-only and loaded lazily (see provider.ts): its error classes likewise. */
function loadErrors(): { errors: typeof import('oidc-provider').errors } {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('oidc-provider') as { errors: typeof import('oidc-provider').errors };
}
