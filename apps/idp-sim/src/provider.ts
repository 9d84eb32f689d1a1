import type * as OidcProviderModule from 'oidc-provider';
import type Provider from 'oidc-provider';
import type { ClientMetadata, Configuration, KoaContextWithOIDC } from 'oidc-provider';
import { accountClaims, findAccount, SCOPE_CLAIMS } from './accounts';
import { matchResource, OIDC_SCOPES, type IdpConfig, type PrivateJwk } from './config';
import { logger } from './logger';
import { MemoryAdapter } from './memory-adapter';
import { requestIdOf } from './request-id';
import { registerTokenExchange, TOKEN_EXCHANGE_GRANT } from './token-exchange';
import { errorPage, logoutPage, logoutSuccessPage } from './views';

export type { Provider };

/**
 * oidc-provider v9 is ESM-only. Node >= 20.19 can require() an ES module, so the CommonJS
 * output of tsc loads it with a plain require (types come from @types/oidc-provider, imported
 * type-only). Loading it lazily lets main.ts route console output to JSON first, so the
 * library's load-time notices are JSON lines too. Jest cannot load it: test via dist/.
 */
function loadOidcProvider(): typeof OidcProviderModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('oidc-provider') as typeof OidcProviderModule;
}

export interface ProviderDeps {
  signingKeys: PrivateJwk[];
  cookieKeys: string[];
}

export function reqIdOf(ctx: KoaContextWithOIDC | undefined): string | undefined {
  return requestIdOf(ctx?.req);
}

export function clientMetadata(config: IdpConfig): ClientMetadata[] {
  return config.clients.map((c) => {
    const interactive = c.redirectUris.length > 0;
    return {
      client_id: c.clientId,
      client_secret: c.clientSecret,
      redirect_uris: c.redirectUris,
      post_logout_redirect_uris: c.postLogoutRedirectUris,
      // Token exchange (owner proof, ADR 010) needs a user login at this client: interactive clients only.
      grant_types: interactive ? ['authorization_code', 'client_credentials', TOKEN_EXCHANGE_GRANT] : ['client_credentials'],
      response_types: interactive ? ['code'] : [],
      // client_secret_post is accepted too: oidc-provider treats basic and post as one family.
      token_endpoint_auth_method: 'client_secret_basic',
      scope: [...OIDC_SCOPES, ...c.peerScopes].join(' '),
      application_type: 'web',
    };
  });
}

export function createProvider(config: IdpConfig, deps: ProviderDeps): Provider {
  const oidc = loadOidcProvider();
  const { errors } = oidc;
  const clientsById = new Map(config.clients.map((c) => [c.clientId, c]));
  const allPeerScopes = [...new Set(config.clients.flatMap((c) => c.peerScopes))];

  const configuration: Configuration = {
    adapter: MemoryAdapter as unknown as Configuration['adapter'],
    clients: clientMetadata(config),
    clientAuthMethods: ['client_secret_basic', 'client_secret_post'],
    responseTypes: ['code'],
    scopes: [...OIDC_SCOPES, ...allPeerScopes],
    claims: Object.fromEntries(Object.entries(SCOPE_CLAIMS).map(([scope, claims]) => [scope, [...claims]])),
    // The gateway reads the identity claims from the ID token, not from userinfo.
    conformIdTokenClaims: false,
    jwks: { keys: deps.signingKeys as never },
    cookies: {
      keys: deps.cookieKeys,
      long: { httpOnly: true, sameSite: 'lax', signed: true },
      short: { httpOnly: true, sameSite: 'lax', signed: true },
    },
    // PKCE only for public clients (there are none); the confidential gateways'
    // passport-openidconnect cannot do PKCE.
    pkce: { required: (_ctx, client) => client.clientAuthMethod === 'none' },
    ttl: {
      // A user login's access token: exchanged for owner proofs while the teacher prepares a transfer.
      AccessToken: config.loginTokenTtl,
      ClientCredentials: config.accessTokenTtl,
      AuthorizationCode: 60,
      IdToken: 3600,
      Interaction: 600,
      Session: 8 * 3600,
      Grant: 8 * 3600,
    },
    interactions: {
      url: (_ctx, interaction) => `/interaction/${interaction.uid}`,
    },
    async findAccount(_ctx, sub) {
      const account = findAccount(sub);
      if (!account) return undefined;
      return {
        accountId: account.sub,
        claims: async () => ({ ...accountClaims(account) }),
      };
    },
    async renderError(ctx, out, error) {
      logger.warn('error page rendered', { reqId: reqIdOf(ctx), error: out.error, error_description: out.error_description });
      void error;
      ctx.type = 'html';
      ctx.body = errorPage('Erreur — Guichet Agents (simulé)', `${out.error}: ${out.error_description ?? ''}`);
    },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      userinfo: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource(ctx, form) {
          ctx.type = 'html';
          ctx.body = logoutPage(form);
        },
        postLogoutSuccessSource(ctx) {
          ctx.type = 'html';
          ctx.body = logoutSuccessPage();
        },
      },
      resourceIndicators: {
        enabled: true,
        // A client_credentials request MUST name its audience; user logins use no resource.
        async defaultResource(ctx, _client, oneOf) {
          if (ctx.oidc.route === 'token' && ctx.oidc.params?.grant_type === 'client_credentials') {
            throw new errors.InvalidTarget('the resource parameter is required for client_credentials');
          }
          return oneOf ?? (undefined as unknown as string);
        },
        // Never turn an authorization_code access token into a peer token implicitly.
        useGrantedResource: async () => false,
        async getResourceServerInfo(ctx, resourceIndicator, client) {
          const audience = matchResource(config.resources, resourceIndicator);
          if (!audience) {
            throw new errors.InvalidTarget('resource indicator is not a registered audience');
          }
          const peerScopes = clientsById.get(client.clientId)?.peerScopes ?? [];
          // "No scope asked" means "all of my peer scopes". The client_credentials handler reads
          // the requested scope only after resolving the resource, so defaulting it here applies.
          if (
            ctx.oidc.route === 'token' &&
            ctx.oidc.params?.grant_type === 'client_credentials' &&
            !ctx.oidc.params.scope &&
            peerScopes.length > 0
          ) {
            ctx.oidc.params.scope = peerScopes.join(' ');
          }
          return {
            scope: peerScopes.join(' '),
            audience,
            accessTokenTTL: config.accessTokenTtl,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'RS256' } },
          };
        },
      },
    },
  };

  const provider = new oidc.default(config.issuer, configuration);
  registerTokenExchange(provider, config, deps.signingKeys);

  provider.on('grant.success', (ctx: KoaContextWithOIDC) => {
    logger.info('token issued', {
      reqId: reqIdOf(ctx),
      client_id: ctx.oidc.client?.clientId,
      grant_type: ctx.oidc.params?.grant_type,
    });
  });
  const warnEvents = [
    'grant.error',
    'authorization.error',
    'userinfo.error',
    'end_session.error',
    'discovery.error',
    'jwks.error',
    'introspection.error',
    'revocation.error',
  ] as const;
  for (const event of warnEvents) {
    provider.on(event as 'grant.error', (ctx: KoaContextWithOIDC, err: Error & { error?: string; error_description?: string }) => {
      logger.warn(event, {
        reqId: reqIdOf(ctx),
        client_id: ctx?.oidc?.client?.clientId,
        error: err?.error ?? err?.name,
        error_description: err?.error_description ?? err?.message,
      });
    });
  }
  provider.on('server_error', (ctx: KoaContextWithOIDC, err: Error) => {
    logger.error('server_error', { reqId: reqIdOf(ctx), err });
  });
  provider.on('interaction.started', (ctx: KoaContextWithOIDC, prompt: { name: string; reasons: string[] }) => {
    logger.info('interaction started', { reqId: reqIdOf(ctx), client_id: ctx.oidc.client?.clientId, prompt: prompt.name, reasons: prompt.reasons });
  });
  provider.on('authorization.success', (ctx: KoaContextWithOIDC) => {
    logger.info('authorization success', { reqId: reqIdOf(ctx), client_id: ctx.oidc.client?.clientId, sub: ctx.oidc.session?.accountId });
  });

  return provider;
}
