/**
 * idp-sim — a simulated national "Guichet Agents" OpenID Connect provider (oidc-provider v9).
 * Configuration comes only from the environment (see config.ts); a bad value exits with code 1.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { buildApp } from './app';
import { ConfigError, loadConfig, type IdpConfig } from './config';
import { generateCookieKey, generateSigningKey, prepareSigningKeys } from './keys';
import { logger, routeConsoleToJson } from './logger';
import { sweepExpired } from './memory-adapter';
import { createProvider } from './provider';

const SHUTDOWN_GRACE_MS = 5000;

function fail(message: string, fields: Record<string, unknown> = {}): never {
  logger.fatal(message, fields);
  process.stderr.write(`idp-sim: ${message}\n`);
  process.exit(1);
}

function readConfig(): IdpConfig {
  try {
    return loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      fail(`invalid configuration: ${err.message}`, { variable: err.variable });
    }
    throw err;
  }
}

async function main(): Promise<void> {
  // oidc-provider prints plain-text notices through console.*: keep stdout JSON lines only.
  routeConsoleToJson();
  const config = readConfig();

  let signingKeys;
  try {
    signingKeys = config.signingJwks ? prepareSigningKeys(config.signingJwks.keys) : undefined;
  } catch (err) {
    if (err instanceof ConfigError) fail(`invalid configuration: ${err.message}`, { variable: err.variable });
    throw err;
  }
  if (!signingKeys) {
    signingKeys = [generateSigningKey()];
    logger.info('IDP_SIGNING_JWKS not set: generated an ephemeral RSA signing key (tokens will not survive a restart)', {
      kid: signingKeys[0].kid,
    });
  }
  let cookieKeys = config.cookieKeys;
  if (!cookieKeys) {
    cookieKeys = [generateCookieKey()];
    logger.info('IDP_COOKIE_KEYS not set: generated a random cookie key (IdP sessions will not survive a restart)');
  }

  let provider;
  try {
    provider = createProvider(config, { signingKeys, cookieKeys });
  } catch (err) {
    // oidc-provider validates the client metadata and keys at construction.
    fail(`invalid configuration: oidc-provider rejected it (${(err as Error).message}); check IDP_CLIENTS and IDP_SIGNING_JWKS`, {
      err,
    });
  }

  const app = buildApp(config, provider);
  const sockets = new Set<Socket>();
  const server: Server = app.listen(config.port, config.host);
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('error', (err: NodeJS.ErrnoException) => {
    fail(`cannot listen on ${config.host}:${config.port} (${err.code ?? err.message}); check IDP_HOST and IDP_PORT`, { err });
  });
  server.on('listening', () => {
    logger.info(`idp-sim listening on ${config.issuer}`, {
      issuer: config.issuer,
      host: config.host,
      port: config.port,
      clients: config.clients.map((c) => c.clientId),
      resources: config.resources,
      accessTokenTtl: config.accessTokenTtl,
    });
  });

  const sweeper = setInterval(() => sweepExpired(), 60_000);
  sweeper.unref();

  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info(`received ${signal}, shutting down`);
    clearInterval(sweeper);
    const force = setTimeout(() => {
      logger.warn('grace period over, closing remaining connections');
      for (const socket of sockets) socket.destroy();
      process.exit(0);
    }, SHUTDOWN_GRACE_MS);
    force.unref();
    server.close(() => {
      logger.info('idp-sim stopped');
      process.exit(0);
    });
    server.closeIdleConnections();
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

main().catch((err: unknown) => {
  fail(`failed to start: ${(err as Error)?.message ?? String(err)}`, { err });
});
