import { randomUUID } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { IdpConfig } from './config';
import { authenticate } from './accounts';
import { logger } from './logger';
import { requestIdOf, setRequestId } from './request-id';
import type { Provider } from './provider';
import { errorPage, LOGIN_ERROR_MESSAGE, loginPage } from './views';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

function pageHeaders(res: Response): void {
  res.set({
    'Cache-Control': 'no-store',
    'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
  });
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    detail: string,
  ) {
    super(detail);
  }
}

export function buildApp(config: IdpConfig, provider: Provider): express.Express {
  const app = express();
  app.disable('x-powered-by');

  // Request id (honours a sane incoming X-Request-Id) + one access log line per request.
  app.use((req, res, next) => {
    const incoming = req.get('x-request-id');
    const reqId = incoming && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    setRequestId(req, reqId);
    res.set('X-Request-Id', reqId);
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      if (req.path === '/health' && res.statusCode === 200) return;
      logger.info('request', {
        reqId,
        method: req.method,
        path: req.originalUrl.split('?')[0],
        status: res.statusCode,
        durationMs: Number((process.hrtime.bigint() - started) / 1000n) / 1000,
      });
    });
    next();
  });

  app.get('/health', (_req, res) => {
    res.status(200).json({ status: 'ok' });
  });

  const interactions = express.Router();
  const form = express.urlencoded({ extended: false, limit: '4kb', parameterLimit: 10 });
  const clientIds = new Set(config.clients.map((c) => c.clientId));

  interactions.use('/interaction', (_req, res, next) => {
    pageHeaders(res);
    next();
  });

  interactions.get('/interaction/:uid', async (req: Request, res) => {
    const details = await provider.interactionDetails(req, res);
    if (details.uid !== req.params.uid) throw sessionMismatch();
    const clientId = String(details.params.client_id ?? '');

    if (details.prompt.name === 'login') {
      res.status(200).type('html').send(loginPage({ uid: details.uid, clientId }));
      return;
    }

    if (details.prompt.name === 'consent') {
      // All registered clients are first-party (the ENT gateways): consent is implicit.
      const accountId = details.session?.accountId;
      if (!accountId || !clientIds.has(clientId)) {
        throw new HttpError(400, 'Demande invalide', 'Consentement impossible pour cette application.');
      }
      const { missingOIDCScope, missingOIDCClaims, missingResourceScopes } = details.prompt.details as {
        missingOIDCScope?: string[];
        missingOIDCClaims?: string[];
        missingResourceScopes?: Record<string, string[]>;
      };
      const grant = details.grantId
        ? await provider.Grant.find(details.grantId)
        : new provider.Grant({ accountId, clientId });
      if (!grant) throw new HttpError(400, 'Demande invalide', 'Autorisation introuvable.');
      if (missingOIDCScope?.length) grant.addOIDCScope(missingOIDCScope.join(' '));
      if (missingOIDCClaims?.length) grant.addOIDCClaims(missingOIDCClaims);
      for (const [indicator, scopes] of Object.entries(missingResourceScopes ?? {})) {
        grant.addResourceScope(indicator, scopes.join(' '));
      }
      const grantId = await grant.save();
      logger.info('consent granted automatically', { reqId: requestIdOf(req), client_id: clientId, sub: accountId });
      await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
      return;
    }

    throw new HttpError(400, 'Demande invalide', `Étape d'authentification non prise en charge : ${details.prompt.name}`);
  });

  interactions.post('/interaction/:uid/login', form, async (req: Request, res) => {
    const details = await provider.interactionDetails(req, res);
    if (details.uid !== req.params.uid) throw sessionMismatch();
    if (details.prompt.name !== 'login') {
      throw new HttpError(400, 'Demande invalide', 'Cette étape de connexion est déjà terminée.');
    }
    const body = (req.body ?? {}) as Record<string, unknown>;
    const account = authenticate(body.login, body.password);
    if (!account) {
      // Same page, 401, and nothing changes in the interaction: the user can simply retry.
      logger.warn('login failed', { reqId: requestIdOf(req), client_id: details.params.client_id });
      res
        .status(401)
        .type('html')
        .send(
          loginPage({
            uid: details.uid,
            clientId: String(details.params.client_id ?? ''),
            login: typeof body.login === 'string' ? body.login.slice(0, 256) : '',
            error: LOGIN_ERROR_MESSAGE,
          }),
        );
      return;
    }
    logger.info('login succeeded', { reqId: requestIdOf(req), client_id: details.params.client_id, sub: account.sub });
    await provider.interactionFinished(
      req,
      res,
      { login: { accountId: account.sub, amr: ['pwd'] } },
      { mergeWithLastSubmission: false },
    );
  });

  interactions.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (res.headersSent) return;
    if (err instanceof HttpError) {
      logger.warn('interaction rejected', { reqId: requestIdOf(req), status: err.status, detail: err.message });
      res.status(err.status).type('html').send(errorPage(err.title, err.message));
      return;
    }
    const e = err as { name?: string; status?: number; type?: string; error?: string; error_description?: string };
    if (e.name === 'SessionNotFound' || e.error === 'invalid_request') {
      logger.warn('interaction session not found', { reqId: requestIdOf(req), error_description: e.error_description });
      res
        .status(400)
        .type('html')
        .send(errorPage('Session expirée', 'La session de connexion a expiré ou est invalide. Recommencez depuis votre ENT.'));
      return;
    }
    if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
      // body-parser errors (entity too large, bad encoding…)
      logger.warn('interaction bad request', { reqId: requestIdOf(req), status: e.status, type: e.type });
      res.status(e.status).type('html').send(errorPage('Demande invalide', 'La requête est invalide.'));
      return;
    }
    logger.error('interaction failed', { reqId: requestIdOf(req), err });
    res.status(500).type('html').send(errorPage('Erreur interne', 'Une erreur inattendue est survenue.'));
  });

  app.use(interactions);

  // Everything else (discovery, /auth, /token, /jwks, /me, /session/end…) is the provider's.
  app.use(provider.callback());

  return app;
}

function sessionMismatch(): HttpError {
  return new HttpError(400, 'Session expirée', 'La session de connexion ne correspond pas à cette page. Recommencez depuis votre ENT.');
}
