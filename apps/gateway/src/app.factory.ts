import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import express from 'express';
import session from 'express-session';
import passport from 'passport';
import { Logger } from 'nestjs-pino';
import { OFFER_LIMITS, PROBLEM_TYPES } from '@ent/contract';
import { createValidationPipe, jsonShapeProblem, ProblemError, ProblemFilter, rateLimit, requestIdMiddleware } from '@ent/common';
import type { Database } from '@ent/persistence';
import { GatewayModule } from './app.module';
import { GatewayConfig } from './config';
import { PgSessionStore } from './infra/pg-session.store';
import { DATABASE } from './infra/tokens';
import { uiAssetsRouter } from './ui/ui-assets';
import { databaseUnavailableMiddleware, databaseUnavailableProblem, DATABASE_UNAVAILABLE_FR, DATABASE_UNAVAILABLE_TITLE_FR } from './infra/database-errors';
import { setHtmlHeaders } from './ui/ui.controller';
import { CROSS_SITE_FR, CROSS_SITE_TITLE_FR, crossSiteGuard } from './infra/cross-site';
import { errorPage } from './ui/pages';

/** Turns body-parser failures into problems before Nest rewrites them as generic 400s. */
function bodyParserErrors(err: { type?: string } | undefined, _req: express.Request, _res: express.Response, next: express.NextFunction) {
  if (err?.type === 'entity.parse.failed') {
    return next(new ProblemError(400, PROBLEM_TYPES.malformedJson, 'Malformed JSON', 'The request body is not valid JSON.'));
  }
  if (err?.type === 'entity.too.large') {
    return next(new ProblemError(413, PROBLEM_TYPES.payloadTooLarge, 'Payload too large', 'The request body exceeds the size limit.'));
  }
  return next(err);
}

/** Refuses over-deep or prototype-polluting JSON before validation (problem+json 400). */
function jsonShapeGuard(req: express.Request, _res: express.Response, next: express.NextFunction) {
  const problem = req.body !== undefined ? jsonShapeProblem(req.body) : undefined;
  if (!problem) return next();
  const field = problem.split(':')[0];
  return next(new ProblemError(400, PROBLEM_TYPES.validation, 'Request validation failed', problem, { errors: [{ field, messages: [problem.slice(field.length + 2)] }] }));
}

/** Builds the gateway (not listening): used by main.ts and by the OpenAPI generator. */
export async function createGatewayApp(config: GatewayConfig, options: { logger?: boolean } = {}): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(GatewayModule.forRoot(config), {
    bodyParser: false,
    bufferLogs: true,
    ...(options.logger === false ? { logger: false } : {}),
  });
  if (options.logger !== false) app.useLogger(app.get(Logger));
  app.disable('x-powered-by');
  if (config.publicUrl.startsWith('https://')) app.set('trust proxy', 1);
  app.use(requestIdMiddleware);
  // The State design system and the UI's stylesheet, from this origin (ADR 015); before sessions: no cookie.
  app.use(uiAssetsRouter());
  // Public endpoints: peers (per calling address) and the login redirect.
  app.use(rateLimit({ max: config.rateLimits.peerPerMinute, windowMs: 60_000, applies: (req) => req.path.startsWith('/portability/') }));
  app.use(rateLimit({ max: config.rateLimits.loginPerMinute, windowMs: 60_000, applies: (req) => req.path === '/auth/login' }));
  // Cross-site state-changing requests are refused before any body or session is read (finding 8).
  app.use(
    crossSiteGuard(config.publicUrl, config.csrfTrustedOrigins, (_req, res) => {
      setHtmlHeaders(res, config.embedding);
      return errorPage({ entId: config.entId }, CROSS_SITE_TITLE_FR, CROSS_SITE_FR);
    }),
  );
  // Bounded JSON bodies; anything else is not accepted as a body by the JSON endpoints.
  app.use(express.json({ limit: config.limits.maxBodyBytes, strict: true, type: ['application/json', 'application/*+json'] }));
  // The UI's forms: small urlencoded bodies on the UI's own paths only, repeated keys as arrays.
  app.use(['/transferts', '/recus', '/deconnexion', '/mes-donnees'], express.urlencoded({ extended: false, limit: '64kb', parameterLimit: OFFER_LIMITS.maxItems + 10 }));
  app.use(bodyParserErrors);
  app.use(jsonShapeGuard);
  const store = new PgSessionStore(app.get<Database>(DATABASE));
  app.use(
    session({
      name: config.session.cookieName,
      secret: config.session.secret,
      store,
      resave: false,
      saveUninitialized: false,
      rolling: true,
      cookie: { httpOnly: true, sameSite: 'lax', secure: config.publicUrl.startsWith('https://'), maxAge: 8 * 3600_000 },
    }),
  );
  // The session row could not be read (database failing over): 503, never a crash (ADR 018).
  app.use(
    databaseUnavailableMiddleware((_req, res) => {
      setHtmlHeaders(res, config.embedding);
      return errorPage({ entId: config.entId }, DATABASE_UNAVAILABLE_TITLE_FR, DATABASE_UNAVAILABLE_FR);
    }),
  );
  app.use(passport.initialize());
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new ProblemFilter([databaseUnavailableProblem]));
  app.enableShutdownHooks();
  return app;
}
