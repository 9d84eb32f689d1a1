import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import express from 'express';
import session from 'express-session';
import passport from 'passport';
import { Logger } from 'nestjs-pino';
import { createValidationPipe, ProblemFilter } from '@ent/common';
import type { Database } from '@ent/persistence';
import { GatewayModule } from './app.module';
import { GatewayConfig } from './config';
import { PgSessionStore } from './infra/pg-session.store';
import { DATABASE } from './infra/tokens';

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
  // Bounded JSON bodies; anything else is not accepted as a body by the JSON endpoints.
  app.use(express.json({ limit: config.limits.maxBodyBytes, strict: true, type: ['application/json', 'application/*+json'] }));
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
  app.use(passport.initialize());
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new ProblemFilter());
  app.enableShutdownHooks();
  return app;
}
