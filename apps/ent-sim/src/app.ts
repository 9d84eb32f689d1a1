import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import express from 'express';
import { Logger } from 'nestjs-pino';
import { createValidationPipe, ProblemFilter } from '@ent/common';
import { EntSimConfig } from './config';
import { EntSimModule } from './ent-sim.module';

/**
 * Builds the simulated ENT (not listening, store not opened yet): used by
 * main.ts, and by the OpenAPI generator of the connector contract.
 *
 * No body parser at all: import bodies are raw streams written to disk by the
 * connector controller, and metadata bodies are read with their own bound. Only the simulator's
 * own controls (`/sim/v1`, small JSON) are parsed.
 */
export async function createEntSimApp(config: EntSimConfig, options: { logger?: boolean } = {}): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(EntSimModule.forRoot(config), {
    bodyParser: false,
    bufferLogs: options.logger !== false,
    ...(options.logger === false ? { logger: false } : {}),
  });
  if (options.logger !== false) app.useLogger(app.get(Logger));
  app.disable('x-powered-by');
  app.use('/sim/v1', express.json({ limit: '16kb', strict: true }));
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new ProblemFilter());
  app.enableShutdownHooks();
  return app;
}
