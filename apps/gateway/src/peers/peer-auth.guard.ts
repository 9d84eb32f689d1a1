import { CanActivate, ExecutionContext, Inject, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { errors as joseErrors, jwtVerify } from 'jose';
import type { Request } from 'express';
import { PeerScope, PROBLEM_TYPES } from '@ent/contract';
import { ProblemError } from '@ent/common';
import { GATEWAY_CONFIG, GatewayConfig, PeerEntry } from '../config';
import { IdpClient } from '../identity/idp.client';
import { PeerRegistry } from './peer-registry';

const SCOPE_KEY = 'peer-scope';
/** Marks a peer endpoint with the OAuth2 scope its caller must hold. */
export const RequiresPeerScope = (scope: PeerScope) => SetMetadata(SCOPE_KEY, scope);

export interface PeerRequest extends Request {
  peer: PeerEntry;
}

/** Seconds of clock difference allowed with the IdP (jose's `clockTolerance`). */
const CLOCK_TOLERANCE_SECONDS = 5;
/** How many verified tokens are remembered (a peer reuses one token for many calls until it expires). */
export const VERIFIED_TOKENS_KEPT = 1024;

/**
 * Peer calls carry client-credentials JWT access tokens from the shared IdP
 * (N°7). Checked here: signature (IdP JWKS), issuer, audience (this gateway),
 * expiry, type, scope for the operation, and that the client is a registered
 * peer. 401 when the token is absent or not trustworthy; 403 when it is
 * valid but not for this gateway, this operation or a known peer.
 */
@Injectable()
export class PeerAuthGuard implements CanActivate {
  /**
   * Tokens whose signature, issuer, audience and type were verified, with their claims, until
   * their expiry (issue 17: a peer sends the same token with every call of a transfer, and the
   * signature check was a tenth of a 500-item offer's time on the gateway). Only verified tokens
   * enter; the expiry is checked again at every call; scope and peer are checked at every call.
   * Bounded: the oldest entry leaves first.
   */
  private readonly verified = new Map<string, { claims: Record<string, unknown>; validUntilMs: number }>();

  constructor(
    private readonly reflector: Reflector,
    private readonly idp: IdpClient,
    private readonly registry: PeerRegistry,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<PeerRequest>();
    const scope = this.reflector.get<PeerScope>(SCOPE_KEY, context.getHandler());
    const header = req.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer ([A-Za-z0-9_.-]+)$/.exec(header) : null;
    if (!match) {
      throw new ProblemError(401, PROBLEM_TYPES.unauthenticated, 'Bearer token required', 'This endpoint requires a client-credentials access token from the shared IdP.');
    }
    const claims = await this.verify(match[1]);
    const scopes = typeof claims.scope === 'string' ? claims.scope.split(' ') : [];
    if (scope && !scopes.includes(scope)) {
      throw new ProblemError(403, PROBLEM_TYPES.insufficientScope, 'Insufficient scope', `This operation requires the scope ${scope}.`);
    }
    const peer = this.registry.byClientId(String(claims.client_id));
    if (!peer) {
      throw new ProblemError(403, PROBLEM_TYPES.unknownPeer, 'Unknown peer', 'The calling client is not a registered peer of this gateway.');
    }
    req.peer = peer;
    return true;
  }

  private async verify(token: string): Promise<Record<string, unknown>> {
    const known = this.verified.get(token);
    if (known && Date.now() < known.validUntilMs) return known.claims;
    // Expired since it was verified: jose says so below, with the same answer as for any expired token.
    this.verified.delete(token);
    let claims: Record<string, unknown>;
    try {
      const keySet = await this.idp.keySet();
      const verified = await jwtVerify(token, keySet, {
        issuer: this.config.oidc.issuer,
        audience: this.config.publicUrl,
        typ: 'at+jwt',
        algorithms: ['RS256', 'PS256', 'ES256', 'EdDSA'],
        requiredClaims: ['exp', 'iat', 'client_id'],
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
      });
      claims = verified.payload as Record<string, unknown>;
    } catch (err) {
      if (err instanceof joseErrors.JWTClaimValidationFailed && err.claim === 'aud') {
        throw new ProblemError(403, PROBLEM_TYPES.wrongAudience, 'Token not meant for this gateway', `The token audience must be ${this.config.publicUrl}.`);
      }
      const reason = err instanceof joseErrors.JWTExpired ? 'the token has expired' : 'the token could not be verified';
      throw new ProblemError(401, PROBLEM_TYPES.invalidToken, 'Invalid access token', `Rejected: ${reason}.`);
    }
    if (this.verified.size >= VERIFIED_TOKENS_KEPT) this.verified.delete(this.verified.keys().next().value!);
    // jose accepts a token while exp > now - tolerance (seconds).
    this.verified.set(token, { claims, validUntilMs: ((claims.exp as number) + CLOCK_TOLERANCE_SECONDS) * 1000 });
    return claims;
  }
}
