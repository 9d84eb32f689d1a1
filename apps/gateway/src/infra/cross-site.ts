import type { NextFunction, Request, Response } from 'express';
import { PROBLEM_TYPES } from '@ent/contract';
import { ProblemError } from '@ent/common';
import { CONNECTOR_EVENTS_PATH } from '@ent/contract';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Token-authenticated, server to server: never reached with a browser's cookies as credentials. */
const SERVER_TO_SERVER = ['/portability/', `${CONNECTOR_EVENTS_PATH}`];

export const CROSS_SITE_TITLE_FR = 'Requête refusée';
export const CROSS_SITE_FR = 'Cette action ne peut être déclenchée que depuis les pages du service de transfert. Revenez à la page du service et recommencez.';

/**
 * Why a state-changing request must be refused as cross-site, or undefined when it may go on
 * (issue 14, finding 8). SameSite=Lax does not cover sibling sites of the same registrable domain
 * nor a `text/plain` POST's body, so the browser's own statement of where the request comes from
 * is checked too:
 * - `Origin` present: it must be this gateway's public origin or one of `trustedOrigins`
 *   (`CSRF_TRUSTED_ORIGINS`); `Origin: null` (sandboxed or privacy-stripped) is refused;
 * - no `Origin` but `Sec-Fetch-Site`: `same-origin` and `none` (typed or bookmarked by the user)
 *   pass; `same-site` and `cross-site` are refused;
 * - neither header: not a browser's cross-site request (a server client): its token rules apply.
 */
export function crossSiteRefusal(headers: { origin?: string; secFetchSite?: string }, ownOrigin: string, trustedOrigins: readonly string[]): string | undefined {
  const origin = headers.origin?.trim();
  if (origin !== undefined && origin !== '') {
    if (origin === ownOrigin || trustedOrigins.includes(origin)) return undefined;
    return `Origin ${origin.slice(0, 100)} is not this service`;
  }
  const site = headers.secFetchSite?.trim().toLowerCase();
  if (site === undefined || site === '' || site === 'same-origin' || site === 'none') return undefined;
  return `Sec-Fetch-Site: ${site.slice(0, 20)}`;
}

/** Express middleware: refuses cross-site state-changing requests before any session is read or written. */
export function crossSiteGuard(publicUrl: string, trustedOrigins: readonly string[], renderPage: (req: Request, res: Response) => string) {
  const ownOrigin = new URL(publicUrl).origin;
  return (req: Request, res: Response, next: NextFunction): void => {
    if (SAFE_METHODS.has(req.method) || SERVER_TO_SERVER.some((p) => req.path.startsWith(p))) return next();
    const refusal = crossSiteRefusal({ origin: req.get('origin'), secFetchSite: req.get('sec-fetch-site') }, ownOrigin, trustedOrigins);
    if (!refusal) return next();
    if (!req.path.startsWith('/api/') && !req.path.startsWith('/auth/')) {
      // The UI's forms: a French page, as for every other refusal of a form.
      res.status(403).send(renderPage(req, res));
      return;
    }
    next(new ProblemError(403, PROBLEM_TYPES.crossSiteRequest, 'Cross-site request refused', CROSS_SITE_FR, { errors: [{ field: 'Origin', messages: [refusal] }] }));
  };
}
