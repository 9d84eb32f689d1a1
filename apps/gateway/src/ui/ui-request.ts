import type { Request } from 'express';
import { PROBLEM_TYPES } from '@ent/contract';
import { ProblemError } from '@ent/common';
import type { GatewayConfig } from '../config';
import { mayUseService, refusalDetail } from '../identity/access-policy';
import { csrfMatches, csrfToken } from '../identity/csrf';
import type { SessionUser } from '../identity/session-user';
import { entReturnLink } from './embedding';
import type { PageContext } from './pages';

/**
 * What every controller of teacher pages does with the request: who she is (401 / 403 in French),
 * the page context (anti-CSRF token, one-shot message, « Retour à mon ENT »), and the check of
 * the anti-CSRF token of a posted form. Shared so that pages in their own controllers
 * (copy of her data, attestation) behave exactly like the others.
 */
export function admittedUser(req: Request, config: Pick<GatewayConfig, 'access'>): SessionUser {
  const user = req.session?.user;
  if (!user) throw new ProblemError(401, PROBLEM_TYPES.unauthenticated, 'Connexion requise', 'Connectez-vous pour continuer.');
  if (!mayUseService(user, config.access)) throw new ProblemError(403, PROBLEM_TYPES.profileNotAllowed, 'Accès non autorisé', refusalDetail(user));
  return user;
}

/** « Retour à mon ENT »: a `?retour=` from the ENT is remembered for the visit, only when its origin is allowed. */
export function entReturnFor(req: Request, config: Pick<GatewayConfig, 'embedding'>): string | undefined {
  const retour = entReturnLink(typeof req.query?.retour === 'string' ? req.query.retour : undefined, config.embedding.returnOrigins, undefined);
  if (retour) req.session.entReturn = retour;
  return req.session.entReturn ?? config.embedding.returnUrl;
}

export function pageContext(req: Request, config: Pick<GatewayConfig, 'entId' | 'embedding'>): PageContext {
  const session = req.session;
  csrfToken(req);
  const flash = session.flash;
  delete session.flash;
  return { entId: config.entId, user: session.user, csrf: session.csrf, flash, entReturnUrl: entReturnFor(req, config) };
}

export function checkCsrf(req: Request, body: Record<string, unknown>): void {
  if (!csrfMatches(req, body?._csrf)) {
    throw new ProblemError(403, PROBLEM_TYPES.forbidden, 'Formulaire expiré',
      "Ce formulaire a expiré ou ne vient pas de cette page. Rechargez la page et recommencez.");
  }
}
