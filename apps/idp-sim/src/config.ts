/**
 * Configuration of the simulated "Guichet Agents" IdP, read ONLY from the environment and
 * validated at boot. Every problem is reported as a ConfigError naming the variable, and
 * main.ts turns it into exit code 1.
 */

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    detail: string,
  ) {
    super(`${variable}: ${detail}`);
    this.name = 'ConfigError';
  }
}

export interface ClientConfig {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  peerScopes: string[];
}

export interface PrivateJwk {
  kty: string;
  kid?: string;
  alg?: string;
  use?: string;
  d?: string;
  [member: string]: unknown;
}

export interface IdpConfig {
  port: number;
  host: string;
  issuer: string;
  clients: ClientConfig[];
  resources: string[];
  accessTokenTtl: number;
  /** Lifetime of the access token of a user login (what the departure exchanges for an owner proof). */
  loginTokenTtl: number;
  /** Lifetime of an owner proof (token exchange, ADR 010). */
  ownerProofTtl: number;
  /** undefined: generate an RSA key at start. */
  signingJwks?: { keys: PrivateJwk[] };
  /** undefined: generate a random key at start. */
  cookieKeys?: string[];
}

export const PEER_SCOPES = [
  'portability:capabilities',
  'portability:offer',
  'portability:deliver',
  'portability:fetch',
  'portability:receipt',
] as const;

/** Scopes every client may ask for on top of its peer scopes (user login). */
export const OIDC_SCOPES = ['openid', 'profile', 'email', 'ent'] as const;

export const DEFAULT_PORT = 4000;
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_ACCESS_TOKEN_TTL = 300;
export const DEFAULT_LOGIN_TOKEN_TTL = 3600;
export const DEFAULT_OWNER_PROOF_TTL = 300;
/** Gateways A and B of the local stack, and the conformance kit's own departure (its default --listen). */
export const DEFAULT_RESOURCES = ['http://127.0.0.1:4001', 'http://127.0.0.1:4002', 'http://127.0.0.1:7480'];

export const DEFAULT_CLIENTS: ClientConfig[] = [
  {
    clientId: 'gateway-a',
    clientSecret: 'gateway-a-secret',
    redirectUris: ['http://127.0.0.1:4001/auth/callback'],
    postLogoutRedirectUris: [],
    peerScopes: [...PEER_SCOPES],
  },
  {
    clientId: 'gateway-b',
    clientSecret: 'gateway-b-secret',
    redirectUris: ['http://127.0.0.1:4002/auth/callback'],
    postLogoutRedirectUris: [],
    peerScopes: [...PEER_SCOPES],
  },
  {
    // An ENT that is NOT a registered peer of A or B: used by negative tests.
    clientId: 'ent-c',
    clientSecret: 'ent-c-secret',
    redirectUris: [],
    postLogoutRedirectUris: [],
    peerScopes: [...PEER_SCOPES],
  },
  {
    // The conformance kit (`ent-portability-conformance`): a peer a gateway registers to be certified.
    clientId: 'conformance-kit',
    clientSecret: 'conformance-kit-secret',
    redirectUris: [],
    postLogoutRedirectUris: [],
    peerScopes: [...PEER_SCOPES],
  },
];

// RFC 6749 §3.3 scope-token: %x21 / %x23-5B / %x5D-7E
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
const CLIENT_ID = /^[A-Za-z0-9._~-]{1,128}$/;

type Env = Record<string, string | undefined>;

function read(env: Env, name: string): string | undefined {
  const value = env[name];
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

function parseInteger(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be an integer, got ${JSON.stringify(raw)}`);
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigError(name, `must be between ${min} and ${max}, got ${raw}`);
  }
  return value;
}

function parseJson(env: Env, name: string): unknown {
  const raw = read(env, name);
  if (raw === undefined) return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch (err) {
    throw new ConfigError(name, `is not valid JSON (${(err as Error).message})`);
  }
}

function httpUrl(name: string, where: string, value: unknown, opts: { allowPath: boolean }): string {
  if (typeof value !== 'string' || value === '') {
    throw new ConfigError(name, `${where} must be a non-empty string URL`);
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(name, `${where} is not an absolute URL: ${JSON.stringify(value)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(name, `${where} must use http or https: ${JSON.stringify(value)}`);
  }
  if (url.hash || value.includes('#')) {
    throw new ConfigError(name, `${where} must not contain a fragment: ${JSON.stringify(value)}`);
  }
  if (!opts.allowPath && (url.search || url.username || url.password)) {
    throw new ConfigError(name, `${where} must not contain a query or credentials: ${JSON.stringify(value)}`);
  }
  return value;
}

function stringArray(name: string, where: string, value: unknown): string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw new ConfigError(name, `${where} must be an array of strings`);
  }
  return value as string[];
}

const CLIENT_KEYS = new Set(['clientId', 'clientSecret', 'redirectUris', 'postLogoutRedirectUris', 'peerScopes']);

export function parseClients(env: Env): ClientConfig[] {
  const name = 'IDP_CLIENTS';
  const json = parseJson(env, name);
  if (json === undefined) return DEFAULT_CLIENTS.map((c) => ({ ...c }));
  if (!Array.isArray(json) || json.length === 0) {
    throw new ConfigError(name, 'must be a non-empty JSON array of clients');
  }
  const seen = new Set<string>();
  return json.map((entry: unknown, i): ClientConfig => {
    const where = `client #${i}`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      throw new ConfigError(name, `${where} must be an object`);
    }
    const obj = entry as Record<string, unknown>;
    for (const key of Object.keys(obj)) {
      if (!CLIENT_KEYS.has(key)) throw new ConfigError(name, `${where} has an unknown member "${key}"`);
    }
    const { clientId, clientSecret } = obj;
    if (typeof clientId !== 'string' || !CLIENT_ID.test(clientId)) {
      throw new ConfigError(name, `${where}.clientId must be 1-128 characters of [A-Za-z0-9._~-]`);
    }
    const w = `client "${clientId}"`;
    if (seen.has(clientId)) throw new ConfigError(name, `duplicate clientId "${clientId}"`);
    seen.add(clientId);
    if (typeof clientSecret !== 'string' || clientSecret.length < 8) {
      throw new ConfigError(name, `${w}.clientSecret must be a string of at least 8 characters`);
    }
    const redirectUris = stringArray(name, `${w}.redirectUris`, obj.redirectUris).map((u) =>
      httpUrl(name, `${w}.redirectUris entry`, u, { allowPath: true }),
    );
    const postLogoutRedirectUris =
      obj.postLogoutRedirectUris === undefined
        ? []
        : stringArray(name, `${w}.postLogoutRedirectUris`, obj.postLogoutRedirectUris).map((u) =>
            httpUrl(name, `${w}.postLogoutRedirectUris entry`, u, { allowPath: true }),
          );
    if (postLogoutRedirectUris.length > 0 && redirectUris.length === 0) {
      throw new ConfigError(name, `${w} has postLogoutRedirectUris but no redirectUris`);
    }
    const peerScopes = stringArray(name, `${w}.peerScopes`, obj.peerScopes);
    for (const scope of peerScopes) {
      if (!SCOPE_TOKEN.test(scope)) throw new ConfigError(name, `${w}.peerScopes has an invalid scope ${JSON.stringify(scope)}`);
      if ((OIDC_SCOPES as readonly string[]).includes(scope) || scope === 'offline_access') {
        throw new ConfigError(name, `${w}.peerScopes must not contain the user scope "${scope}"`);
      }
    }
    return { clientId, clientSecret, redirectUris, postLogoutRedirectUris, peerScopes: [...new Set(peerScopes)] };
  });
}

export function parseResources(env: Env): string[] {
  const name = 'IDP_RESOURCES';
  const json = parseJson(env, name);
  if (json === undefined) return [...DEFAULT_RESOURCES];
  const list = stringArray(name, 'value', json);
  if (list.length === 0) throw new ConfigError(name, 'must list at least one resource indicator URL');
  const normalised = new Set<string>();
  for (const r of list) {
    httpUrl(name, 'resource', r, { allowPath: true });
    const href = new URL(r).href;
    if (normalised.has(href)) throw new ConfigError(name, `duplicate resource ${JSON.stringify(r)}`);
    normalised.add(href);
  }
  return list;
}

export function parseSigningJwks(env: Env): { keys: PrivateJwk[] } | undefined {
  const name = 'IDP_SIGNING_JWKS';
  const json = parseJson(env, name);
  if (json === undefined) return undefined;
  if (typeof json !== 'object' || json === null || !Array.isArray((json as { keys?: unknown }).keys)) {
    throw new ConfigError(name, 'must be a JWKS object: {"keys":[...]}');
  }
  const keys = (json as { keys: unknown[] }).keys;
  if (keys.length === 0) throw new ConfigError(name, 'must contain at least one key');
  keys.forEach((k, i) => {
    if (typeof k !== 'object' || k === null || typeof (k as PrivateJwk).kty !== 'string') {
      throw new ConfigError(name, `key #${i} is not a JWK`);
    }
    if (typeof (k as PrivateJwk).d !== 'string') {
      throw new ConfigError(name, `key #${i} is not a private key (no "d" member)`);
    }
  });
  if (!keys.some((k) => (k as PrivateJwk).kty === 'RSA')) {
    throw new ConfigError(name, 'must contain an RSA private key (tokens are signed RS256)');
  }
  return { keys: keys as PrivateJwk[] };
}

export function parseCookieKeys(env: Env): string[] | undefined {
  const name = 'IDP_COOKIE_KEYS';
  const raw = read(env, name);
  if (raw === undefined) return undefined;
  const keys = raw.split(',').map((k) => k.trim());
  if (keys.some((k) => k.length < 16)) {
    throw new ConfigError(name, 'must be a comma-separated list of keys of at least 16 characters each');
  }
  return keys;
}

export function loadConfig(env: Env = process.env): IdpConfig {
  const port = parseInteger(env, 'IDP_PORT', DEFAULT_PORT, 1, 65535);
  const host = read(env, 'IDP_HOST') ?? DEFAULT_HOST;
  if (!/^[A-Za-z0-9.:\-[\]]+$/.test(host)) throw new ConfigError('IDP_HOST', `is not a host name or address: ${JSON.stringify(host)}`);

  const issuerRaw = read(env, 'IDP_ISSUER');
  const issuer =
    issuerRaw === undefined
      ? `http://127.0.0.1:${port}`
      : httpUrl('IDP_ISSUER', 'value', issuerRaw, { allowPath: false });
  if (issuer.endsWith('/')) throw new ConfigError('IDP_ISSUER', 'must not end with "/" (the issuer is compared byte for byte)');
  if (new URL(issuer).pathname !== '/') {
    throw new ConfigError('IDP_ISSUER', 'must be an origin without a path (the provider is served at the root)');
  }

  return {
    port,
    host,
    issuer,
    clients: parseClients(env),
    resources: parseResources(env),
    accessTokenTtl: parseInteger(env, 'IDP_ACCESS_TOKEN_TTL', DEFAULT_ACCESS_TOKEN_TTL, 1, 86400),
    loginTokenTtl: parseInteger(env, 'IDP_LOGIN_TOKEN_TTL', DEFAULT_LOGIN_TOKEN_TTL, 1, 86400),
    ownerProofTtl: parseInteger(env, 'IDP_OWNER_PROOF_TTL', DEFAULT_OWNER_PROOF_TTL, 1, 3600),
    signingJwks: parseSigningJwks(env),
    cookieKeys: parseCookieKeys(env),
  };
}

/** The configured resource (as written) matching a requested indicator, comparing normalised URLs. */
export function matchResource(resources: readonly string[], requested: string): string | undefined {
  let href: string;
  try {
    href = new URL(requested).href;
  } catch {
    return undefined;
  }
  return resources.find((r) => new URL(r).href === href);
}
