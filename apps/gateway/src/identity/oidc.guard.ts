import { ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import { PROBLEM_TYPES } from '@ent/contract';
import { ProblemError } from '@ent/common';
import { GATEWAY_CONFIG, GatewayConfig } from '../config';
import { IdpClient } from './idp.client';
import { OIDC_STRATEGY, OidcStrategy } from './oidc.strategy';

/**
 * Builds the OIDC strategy on first use from the IdP's discovery document, so
 * that the gateway starts (and says so on /health) while the IdP is down.
 */
@Injectable()
export class OidcGuard extends AuthGuard(OIDC_STRATEGY) {
  private strategy?: OidcStrategy;

  constructor(
    private readonly idp: IdpClient,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    if (!this.strategy) {
      let meta;
      try {
        meta = await this.idp.discover();
      } catch {
        throw new ProblemError(503, PROBLEM_TYPES.peerUnavailable, 'Guichet Agents indisponible',
          "Le service d'authentification (Guichet Agents) ne répond pas. Réessayez dans quelques minutes.");
      }
      this.strategy = new OidcStrategy(this.config, this.idp, meta);
    }
    return (await super.canActivate(context)) as boolean;
  }

  override handleRequest<TUser>(err: unknown, user: TUser, info: unknown): TUser {
    if (err || !user) {
      const message = (info as { message?: string } | undefined)?.message ?? (err as Error | undefined)?.message ?? 'échec de la connexion';
      throw new ProblemError(401, PROBLEM_TYPES.unauthenticated, 'Connexion refusée',
        `La connexion n'a pas pu être vérifiée (${message}). Recommencez depuis la page d'accueil.`);
    }
    return user;
  }
}
