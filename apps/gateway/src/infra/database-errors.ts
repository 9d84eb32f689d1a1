import { Logger } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { PROBLEM_CONTENT_TYPE, PROBLEM_TYPES } from '@ent/contract';
import { ProblemError, ProblemFilter, SERVICE_UNAVAILABLE_RETRY_AFTER_S } from '@ent/common';
import { DatabaseErrorSource, isDatabaseUnavailable } from '@ent/persistence';

/** What a teacher reads when the database is unreachable (a page, or `detail` of the API's problem). */
export const DATABASE_UNAVAILABLE_FR = 'Le service est momentanément indisponible. Réessayez dans quelques instants : rien de ce que vous avez fait n\u2019est perdu.';
export const DATABASE_UNAVAILABLE_TITLE_FR = 'Service momentanément indisponible';

/** The problem every request that needed the unreachable database answers (ADR 018). */
export function databaseUnavailableProblem(err: unknown): ProblemError | undefined {
  if (err instanceof ProblemError || !isDatabaseUnavailable(err)) return undefined;
  return new ProblemError(503, PROBLEM_TYPES.serviceUnavailable, 'Service unavailable', DATABASE_UNAVAILABLE_FR);
}

/**
 * Logs database connection errors without flooding: the first of a burst at `warn` with its
 * message, then one summary line per `windowMs` while they go on; counts every one.
 */
export function databaseErrorReporter(count: (source: DatabaseErrorSource) => void, windowMs = 10_000) {
  const logger = new Logger('Database');
  let windowStart = 0;
  let suppressed = 0;
  return (err: Error, source: DatabaseErrorSource): void => {
    count(source);
    const now = Date.now();
    if (now - windowStart < windowMs) {
      suppressed++;
      return;
    }
    logger.warn({ source, code: (err as { code?: string }).code, err: err.message, suppressedSinceLast: suppressed }, 'database connection error (the gateway waits and retries)');
    windowStart = now;
    suppressed = 0;
  };
}

/**
 * Express error middleware for what fails before a controller runs (the session store reading
 * its row): a French page for the UI's pages, a problem for everything else; other errors go on.
 */
export function databaseUnavailableMiddleware(renderPage: (req: Request, res: Response) => string) {
  const filter = new ProblemFilter([databaseUnavailableProblem]);
  return (err: unknown, req: Request, res: Response, next: NextFunction): void => {
    const problem = databaseUnavailableProblem(err);
    if (!problem || res.headersSent) return next(err);
    res.setHeader('Retry-After', String(SERVICE_UNAVAILABLE_RETRY_AFTER_S));
    if (isUiPage(req)) {
      res.status(503).send(renderPage(req, res));
      return;
    }
    const body = filter.toProblem(problem, req as Request & { id?: string });
    res.status(503).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(body));
  };
}

const NOT_PAGES = ['/api/', '/portability/', '/connector/', '/auth/', '/.well-known/', '/metrics', '/health'];

function isUiPage(req: Request): boolean {
  return !NOT_PAGES.some((p) => req.path.startsWith(p)) && (req.accepts(['html', 'json']) === 'html');
}
