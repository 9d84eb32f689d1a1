import { readFileSync } from 'node:fs';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMinSize,
  IsArray,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  Min,
  MaxLength,
  MinLength,
  validateSync,
  ValidateNested,
} from 'class-validator';
import { plainToInstance } from 'class-transformer';
import { NO_CONTROL_CHARS, UAI_PATTERN } from '@ent/contract';
import { parseOriginList } from './ui/embedding';
import { ConfigError, loadEnvConfig, parseJsonEnv } from '@ent/common';
import { JOB_KINDS } from './transfers/states';
import { isCidr } from './infra/outbound';
import { DEFAULT_PORTABILITY_PROFILES, ProfileGrant } from './identity/access-policy';
import { DnmaConfig, DnmaConfigError, dnmaConfigFromEnv, DnmaWorkerSettings, dnmaWorkerSettingsFromEnv } from '@ent/dnma';

const URL_OPTS = { require_tld: false, require_protocol: true, protocols: ['http', 'https'] };

/**
 * One trusted peer gateway (the peer registry, ARCHITECTURE §6, ADR 007): only what the peer's
 * discovery document cannot say — who it is (entId), which IdP client speaks for it, where its
 * discovery document is, and which schools (UAIs) we route to it. Endpoints, JWKS URI, token
 * audience and content origins are read from discovery.
 */
export class PeerEntryInput {
  @Matches(/^[a-z0-9][a-z0-9-]{0,63}$/) entId: string;
  @IsString() @MinLength(1) clientId: string;
  @IsOptional() @IsUrl(URL_OPTS) discoveryUrl?: string;
  /** Kept for compatibility: the discovery URL then defaults to `{baseUrl}/.well-known/ent-portability`. */
  @IsOptional() @IsUrl(URL_OPTS) baseUrl?: string;
  @IsArray() @ArrayMinSize(1) @Matches(UAI_PATTERN, { each: true }) uais: string[];
}

/** A registry entry once resolved: the discovery URL is always known. */
export interface PeerEntry {
  entId: string;
  clientId: string;
  discoveryUrl: string;
  uais: string[];
}

/** Where a peer's discovery document is, from its registry entry. */
export function resolvePeerEntry(p: PeerEntryInput): PeerEntry {
  const discoveryUrl = p.discoveryUrl ?? `${p.baseUrl!.replace(/\/+$/, '')}/.well-known/ent-portability`;
  return { entId: p.entId, clientId: p.clientId, discoveryUrl, uais: p.uais };
}

/** One school this gateway serves, as published in discovery (`GATEWAY_SCHOOLS`). */
export class SchoolEntry {
  @Matches(UAI_PATTERN) uai: string;
  @IsOptional() @IsString() @MinLength(1) @MaxLength(200) @Matches(NO_CONTROL_CHARS) name?: string;
  @IsOptional() @IsString() @MinLength(1) @MaxLength(200) @Matches(NO_CONTROL_CHARS) town?: string;
}

const int = ({ value }: { value: unknown }) => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value);
const list = ({ value }: { value: unknown }) =>
  typeof value === 'string' ? value.split(',').map((s) => s.trim()).filter(Boolean) : value;

/** Environment variables of the gateway; names are the variable names (see README, Configuration). */
export class GatewayEnv {
  @IsOptional() @IsString() GATEWAY_HOST = '127.0.0.1';
  @Transform(int) @IsInt() @Min(1) @Max(65535) GATEWAY_PORT = 4001;
  @IsOptional() @IsUrl(URL_OPTS) GATEWAY_PUBLIC_URL?: string;
  @Matches(/^[a-z0-9][a-z0-9-]{0,63}$/, { message: 'ENT_ID must be a lower-case identifier such as "ent-a"' })
  ENT_ID: string;
  @Transform(list) @IsArray() @ArrayMinSize(1) @Matches(UAI_PATTERN, { each: true, message: 'GATEWAY_UAIS must list UAIs such as 0750001A' })
  GATEWAY_UAIS: string[];

  @IsOptional() @IsString() DATABASE_URL?: string;
  @IsOptional() @IsString() PGLITE_DIR?: string;
  @IsIn(['true', 'false'], { message: 'DATABASE_PREPARED_STATEMENTS must be true or false' }) DATABASE_PREPARED_STATEMENTS = 'true';

  @IsUrl(URL_OPTS, { message: 'S3_ENDPOINT must be an http(s) URL' }) S3_ENDPOINT: string;
  @IsString() @MinLength(1) S3_ACCESS_KEY: string;
  @IsString() @MinLength(1) S3_SECRET_KEY: string;
  @IsString() S3_REGION = 'us-east-1';
  @Matches(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { message: 'S3_BUCKET must be a valid bucket name' }) S3_BUCKET: string;
  @Transform(int) @IsInt() @Min(5) @Max(3600) S3_PRESIGN_TTL_SECONDS = 60;
  @Transform(int) @IsInt() @Min(5 * 1024 * 1024, { message: 'S3_PART_SIZE_BYTES must be at least 5 MiB (5242880), the S3 minimum' }) @Max(5 * 1024 ** 3)
  S3_PART_SIZE_BYTES = 8 * 1024 * 1024;
  @Transform(int) @IsInt() @Min(5) @Max(3600) S3_IDLE_TIMEOUT_SECONDS = 120;

  @IsUrl(URL_OPTS, { message: 'OIDC_ISSUER must be the http(s) URL of the OpenID provider' }) OIDC_ISSUER: string;
  @IsString() @MinLength(1) OIDC_CLIENT_ID: string;
  @IsString() @MinLength(1) OIDC_CLIENT_SECRET: string;
  @Matches(/^[a-zA-Z_][a-zA-Z0-9_]{0,63}$/) IDENTITY_CLAIM = 'sub';
  @Matches(/^\s*(\*|[A-Za-z][A-Za-z0-9_-]{0,63}(\s*,\s*[A-Za-z][A-Za-z0-9_-]{0,63})*)\s*$/, {
    message: 'PORTABILITY_PROFILES must be a comma-separated list of national profiles (e.g. National_ens,National_dir) or *',
  })
  PORTABILITY_PROFILES = DEFAULT_PORTABILITY_PROFILES.join(',');

  @IsUrl(URL_OPTS, { message: 'CONNECTOR_URL must be the http(s) URL of this ENT\'s connector' }) CONNECTOR_URL: string;
  @IsString() @MinLength(16, { message: 'CONNECTOR_TOKEN must be at least 16 characters' }) CONNECTOR_TOKEN: string;

  @IsOptional() @IsString() PEERS?: string;
  @Transform(int) @IsInt() @Min(0) @Max(86_400) PEER_DISCOVERY_MIN_TTL_SECONDS = 60;
  @Transform(int) @IsInt() @Min(1) @Max(7 * 86_400) PEER_DISCOVERY_MAX_TTL_SECONDS = 86_400;
  @Transform(int) @IsInt() @Min(1024) @Max(10 * 1024 * 1024) PEER_DISCOVERY_MAX_BYTES = 65_536;
  @Transform(list) @IsArray() @IsUrl(URL_OPTS, { each: true, message: 'GATEWAY_CONTENT_ORIGINS must list http(s) origins such as https://cdn.example.org' })
  GATEWAY_CONTENT_ORIGINS: string[] = [];
  @IsOptional() @IsString() GATEWAY_SCHOOLS?: string;
  @IsString() @MinLength(32, { message: 'SESSION_SECRET must be at least 32 characters' }) SESSION_SECRET: string;
  @Matches(/^[A-Za-z0-9_.-]{1,64}$/) SESSION_COOKIE_NAME = 'ent_portability.sid';
  @IsOptional() @IsString() SIGNING_JWKS?: string;
  @IsOptional() @IsString() SIGNING_JWKS_FILE?: string;

  @Transform(int) @IsInt() @Min(1024) MAX_BODY_BYTES = 1_048_576;
  @Transform(int) @IsInt() @Min(1) MAX_ITEM_BYTES = 2 * 1024 ** 3;
  @Transform(int) @IsInt() @Min(0) ARRIVAL_STORAGE_QUOTA_BYTES = 0;
  // A summer-long move (ADR 011): asked in June-July, imported at the rentrée or later.
  @Transform(int) @IsInt() @Min(5) OFFER_TTL_SECONDS = 123 * 24 * 3600;
  @Transform(int) @IsInt() @Min(5) ARRIVAL_OWNER_WAIT_SECONDS = 183 * 24 * 3600;
  @Transform(int) @IsInt() @Min(5) ARRIVAL_RETENTION_SECONDS = 90 * 24 * 3600;
  // A copy of her own data (RGPD art. 20, ADR 017): kept long enough to download it at home, not
  // longer than a month (it duplicates everything she has).
  @Transform(int) @IsInt() @Min(60) @Max(31 * 24 * 3600) DATA_COPY_RETENTION_SECONDS = 7 * 24 * 3600;
  @Transform(int) @IsInt() @Min(1) @Max(600_000) PEER_TIMEOUT_MS = 15_000;
  @Transform(int) @IsInt() @Min(10) @Max(60_000) JOB_POLL_MS = 500;
  @Transform(int) @IsInt() @Min(300) @Max(3_600_000) JOB_LEASE_MS = 60_000;
  @Transform(int) @IsInt() @Min(10) @Max(3_600_000) JOB_BACKOFF_BASE_MS = 1_000;
  @Transform(int) @IsInt() @Min(100) @Max(86_400_000) JOB_BACKOFF_MAX_MS = 300_000;
  @Transform(int) @IsInt() @Min(1) @Max(100) JOB_MAX_ATTEMPTS = 10;
  // Finished jobs (done or failed) are deleted this long after they ended: the queue and what its
  // payloads carry do not grow for ever (an hour at least, so that an operator can read a failure).
  @Transform(int) @IsInt() @Min(3600) @Max(400 * 24 * 3600) JOB_RETENTION_SECONDS = 30 * 24 * 3600;
  @Transform(int) @IsInt() @Min(1) @Max(256) JOB_CONCURRENCY = 8;
  @IsOptional() @IsString() JOB_CONCURRENCY_BY_KIND?: string;
  @Transform(int) @IsInt() @Min(0) @Max(256) JOB_CONCURRENCY_PER_PEER = 8;
  @Transform(int) @IsInt() @Min(0) FETCH_MAX_BYTES_PER_SECOND = 0;
  @Transform(int) @IsInt() @Min(1024) FETCH_MIN_BYTES_PER_SECOND = 65_536;
  @Transform(int) @IsInt() @Min(100) @Max(600_000) FETCH_IDLE_TIMEOUT_MS = 30_000;
  @IsOptional() @IsString() OUTBOUND_ALLOWED_CIDRS?: string;
  @IsString() CONVERTERS_ENABLED = 'all';
  @Transform(int) @IsInt() @Min(1) RATE_LIMIT_PEER_PER_MINUTE = 6000;
  @Transform(int) @IsInt() @Min(1) RATE_LIMIT_LOGIN_PER_MINUTE = 300;
  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']) LOG_LEVEL = 'info';
  // The ENT embeds or deep-links the pages (issue 15): origins allowed to frame them, and « Retour à mon ENT ».
  @IsOptional() @IsString() UI_FRAME_ANCESTORS?: string;
  @IsOptional() @IsString() CSRF_TRUSTED_ORIGINS?: string;
  @IsOptional() @IsUrl(URL_OPTS, { message: 'ENT_RETURN_URL must be an absolute http(s) URL of the ENT portal' }) ENT_RETURN_URL?: string;
  // Who may start a transfer: a past attachment still counts this many days after its end date.
  @Transform(int) @IsInt() @Min(0) @Max(366) DEPARTURE_HISTORY_GRACE_DAYS = 120;
  // ADR 016: the question to the arrival is asked again by itself (network, 5xx, 429) for this
  // long, each wait doubling up to the ceiling.
  @Transform(int) @IsInt() @Min(10) @Max(86_400) ANALYSIS_RETRY_WINDOW_SECONDS = 900;
  @Transform(int) @IsInt() @Min(100) @Max(600_000) ANALYSIS_RETRY_MAX_DELAY_MS = 60_000;
  @IsOptional() @Matches(/^[\x21-\x7e]{32,256}$/, { message: 'METRICS_TOKEN must be 32 to 256 visible ASCII characters (no spaces)' })
  METRICS_TOKEN?: string;
}

export interface GatewayConfig {
  host: string;
  port: number;
  publicUrl: string;
  entId: string;
  uais: string[];
  database: { url?: string; pgliteDir?: string; preparedStatements: boolean };
  /** partSizeBytes: multipart part size, and so the step at which an interrupted upload resumes. */
  s3: { endPoint: string; accessKey: string; secretKey: string; region: string; bucket: string; presignTtlSeconds: number; partSizeBytes: number; idleTimeoutMs: number };
  oidc: { issuer: string; clientId: string; clientSecret: string; identityClaim: string };
  /** Which signed-in accounts may use the teacher service (always over their own contents only). */
  access: ProfileGrant;
  connector: { url: string; token: string };
  peers: PeerEntry[];
  /**
   * How long a peer's discovery document is kept: its Cache-Control max-age, bounded by
   * [minTtlSeconds, maxTtlSeconds]; maxBytes bounds the document itself.
   */
  discovery: { minTtlSeconds: number; maxTtlSeconds: number; maxBytes: number };
  /**
   * Published in our discovery document: the origins our contentUrls redirect to (the S3
   * endpoint's, then GATEWAY_CONTENT_ORIGINS) and the schools we serve.
   */
  publication: { contentOrigins: string[]; schools: SchoolEntry[] };
  session: { secret: string; cookieName: string };
  signingJwks?: { keys: Record<string, unknown>[] };
  /**
   * arrivalStorageQuotaBytes: how much received content this gateway's bucket may hold (0: no
   * limit). A delivery that would go past it is refused with 413 destination-full.
   */
  limits: { maxBodyBytes: number; maxItemBytes: number; offerTtlSeconds: number; peerTimeoutMs: number; arrivalStorageQuotaBytes: number };
  /**
   * Lifetimes that fit the school calendar (ADR 011). ownerWaitSeconds: from the offer's arrival,
   * how long received content waits for its owner (account created, first login);
   * retentionSeconds: how long the arrival keeps its copies once imported or kept for download.
   */
  arrival: { ownerWaitSeconds: number; retentionSeconds: number };
  /** « Télécharger une copie de mes données » (ADR 017): how long a prepared copy is kept, then deleted. */
  dataCopy: { retentionSeconds: number };
  /**
   * The ENT embeds or deep-links the pages: frameAncestors (UI_FRAME_ANCESTORS) may frame them;
   * returnUrl (ENT_RETURN_URL) is the default « Retour à mon ENT » link; a `?retour=` is shown only
   * when its origin is in returnOrigins (the framing origins and the return URL's origin).
   */
  embedding: { frameAncestors: string[]; returnUrl?: string; returnOrigins: string[] };
  /**
   * Origins besides the gateway's own whose state-changing requests carrying the teacher's cookies
   * are accepted (CSRF_TRUSTED_ORIGINS; default none): everything else cross-site is refused (infra/cross-site.ts).
   */
  csrfTrustedOrigins: string[];
  /** Who may start a transfer (access-policy.ts, departureSchool). */
  departure: { historyGraceMs: number; analysisRetry: { baseMs: number; maxDelayMs: number; windowMs: number } };
  /**
   * concurrency: slots per job kind (each kind has its own, so slow fetches never starve imports,
   * receipts or clean-up); concurrencyByKind overrides it per kind; perPeer bounds the fetches
   * one peer runs at once across replicas (0: no bound).
   */
  jobs: {
    pollMs: number; leaseMs: number; backoffBaseMs: number; backoffMaxMs: number; maxAttempts: number;
    /** Finished jobs are purged this long after they ended. */
    retentionMs: number;
    concurrency: number; concurrencyByKind: Record<string, number>; perPeer: number;
  };
  /** 0 = unlimited: caps how fast the arrival pulls objects, to spare the school's network. */
  fetchMaxBytesPerSecond: number;
  /**
   * minBytesPerSecond: a fetch of N bytes must end within PEER_TIMEOUT_MS + N / this;
   * idleTimeoutMs: the longest silence within a response body.
   */
  fetch: { minBytesPerSecond: number; idleTimeoutMs: number };
  /** Special-purpose address ranges (loopback, private…) outbound calls may still reach. */
  outboundAllowedCidrs: string[];
  rateLimits: { peerPerMinute: number; loginPerMinute: number };
  /** Converter ids this gateway runs and publishes, or 'all'. */
  convertersEnabled: 'all' | string[];
  /** Audience measurement (DNMA RFTI); undefined when DNMA_MATOMO_URL is unset. */
  dnma?: { config: DnmaConfig; workers: DnmaWorkerSettings };
  /** Bearer secret the Prometheus scraper presents on /metrics; undefined: /metrics answers 404. */
  metricsToken?: string;
  logLevel: string;
}

export function loadGatewayConfig(env: NodeJS.ProcessEnv): GatewayConfig {
  const e = loadEnvConfig(GatewayEnv, env);
  const peersRaw = parseJsonEnv<unknown[]>('PEERS', e.PEERS, []);
  if (!Array.isArray(peersRaw)) throw new ConfigError(['PEERS: must be a JSON array of {entId, clientId, discoveryUrl, uais}']);
  const peers = peersRaw.map((p) => plainToInstance(PeerEntryInput, p));
  const peerProblems = peers.flatMap((p, i) => [
    ...validateSync(p, { whitelist: true, forbidNonWhitelisted: true }).flatMap((err) =>
      Object.values(err.constraints ?? {}).map((m) => `PEERS[${i}].${err.property}: ${m}`),
    ),
    ...(p.discoveryUrl || p.baseUrl ? [] : [`PEERS[${i}].discoveryUrl: required (or baseUrl, whose discovery document is at {baseUrl}/.well-known/ent-portability)`]),
  ]);
  const duplicate = (key: 'entId' | 'clientId') => peers.map((p) => p[key]).find((v, i, all) => v !== undefined && all.indexOf(v) !== i);
  for (const key of ['entId', 'clientId'] as const) {
    const dup = duplicate(key);
    if (dup !== undefined) peerProblems.push(`PEERS: ${key} ${dup} is listed twice`);
  }
  if (peerProblems.length) throw new ConfigError(peerProblems);
  if (e.PEER_DISCOVERY_MIN_TTL_SECONDS > e.PEER_DISCOVERY_MAX_TTL_SECONDS) {
    throw new ConfigError(['PEER_DISCOVERY_MIN_TTL_SECONDS: must not exceed PEER_DISCOVERY_MAX_TTL_SECONDS']);
  }
  const schoolsRaw = parseJsonEnv<unknown[]>('GATEWAY_SCHOOLS', e.GATEWAY_SCHOOLS, []);
  if (!Array.isArray(schoolsRaw)) throw new ConfigError(['GATEWAY_SCHOOLS: must be a JSON array of {uai, name?, town?}']);
  const schools = schoolsRaw.map((s) => plainToInstance(SchoolEntry, s));
  const schoolProblems = schools.flatMap((s, i) => [
    ...validateSync(s, { whitelist: true, forbidNonWhitelisted: true }).flatMap((err) =>
      Object.values(err.constraints ?? {}).map((m) => `GATEWAY_SCHOOLS[${i}].${err.property}: ${m}`),
    ),
    ...(typeof s.uai === 'string' && !e.GATEWAY_UAIS.includes(s.uai) ? [`GATEWAY_SCHOOLS[${i}].uai: ${s.uai} is not in GATEWAY_UAIS`] : []),
  ]);
  if (schoolProblems.length) throw new ConfigError(schoolProblems);
  const contentOriginProblems = e.GATEWAY_CONTENT_ORIGINS.filter((o) => new URL(o).origin !== o.replace(/\/+$/, ''));
  if (contentOriginProblems.length) {
    throw new ConfigError([`GATEWAY_CONTENT_ORIGINS: ${contentOriginProblems.join(', ')} must be origins only (scheme, host, port; no path)`]);
  }
  let signingText = e.SIGNING_JWKS;
  let signingVar = 'SIGNING_JWKS';
  if (e.SIGNING_JWKS_FILE) {
    if (e.SIGNING_JWKS) throw new ConfigError(['SIGNING_JWKS_FILE: set either SIGNING_JWKS or SIGNING_JWKS_FILE, not both']);
    try {
      signingText = readFileSync(e.SIGNING_JWKS_FILE, 'utf8');
      signingVar = 'SIGNING_JWKS_FILE';
    } catch (err) {
      throw new ConfigError([`SIGNING_JWKS_FILE: cannot read ${e.SIGNING_JWKS_FILE} (${(err as Error).message})`]);
    }
  }
  const signingJwks = signingText ? parseJsonEnv<{ keys: Record<string, unknown>[] }>(signingVar, signingText, { keys: [] }) : undefined;
  if (signingJwks && (!Array.isArray(signingJwks.keys) || signingJwks.keys.length === 0)) {
    throw new ConfigError([`${signingVar}: must be a private JWKS {"keys":[...]} with at least one key`]);
  }
  let dnma: GatewayConfig['dnma'];
  try {
    const dnmaConfig = dnmaConfigFromEnv(env);
    if (dnmaConfig) dnma = { config: dnmaConfig, workers: dnmaWorkerSettingsFromEnv(env) };
  } catch (err) {
    if (err instanceof DnmaConfigError) throw new ConfigError([`${err.field}: ${err.problem}`]);
    throw err;
  }
  const concurrencyByKind = parseConcurrencyByKind(e.JOB_CONCURRENCY_BY_KIND);
  const outboundAllowedCidrs = (e.OUTBOUND_ALLOWED_CIDRS ?? '').split(',').map((x) => x.trim()).filter(Boolean);
  const badCidrs = outboundAllowedCidrs.filter((c) => !isCidr(c));
  if (badCidrs.length) throw new ConfigError([`OUTBOUND_ALLOWED_CIDRS: ${badCidrs.join(', ')} is not a CIDR range such as 127.0.0.1/32 or fd00::/8`]);
  const frameAncestors = parseOriginList('UI_FRAME_ANCESTORS', e.UI_FRAME_ANCESTORS);
  if (frameAncestors.problems.length) throw new ConfigError(frameAncestors.problems);
  const csrfTrusted = parseOriginList('CSRF_TRUSTED_ORIGINS', e.CSRF_TRUSTED_ORIGINS);
  if (csrfTrusted.problems.length) throw new ConfigError(csrfTrusted.problems);
  const returnOrigins = [...new Set([...frameAncestors.origins, ...(e.ENT_RETURN_URL ? [new URL(e.ENT_RETURN_URL).origin] : [])])];
  const publicUrl = (e.GATEWAY_PUBLIC_URL ?? `http://${e.GATEWAY_HOST}:${e.GATEWAY_PORT}`).replace(/\/+$/, '');
  return {
    host: e.GATEWAY_HOST,
    port: e.GATEWAY_PORT,
    publicUrl,
    entId: e.ENT_ID,
    uais: e.GATEWAY_UAIS,
    database: { url: e.DATABASE_URL, pgliteDir: e.PGLITE_DIR, preparedStatements: e.DATABASE_PREPARED_STATEMENTS === 'true' },
    s3: {
      endPoint: e.S3_ENDPOINT,
      accessKey: e.S3_ACCESS_KEY,
      secretKey: e.S3_SECRET_KEY,
      region: e.S3_REGION,
      bucket: e.S3_BUCKET,
      presignTtlSeconds: e.S3_PRESIGN_TTL_SECONDS,
      partSizeBytes: e.S3_PART_SIZE_BYTES,
      idleTimeoutMs: e.S3_IDLE_TIMEOUT_SECONDS * 1000,
    },
    oidc: { issuer: e.OIDC_ISSUER.replace(/\/+$/, ''), clientId: e.OIDC_CLIENT_ID, clientSecret: e.OIDC_CLIENT_SECRET, identityClaim: e.IDENTITY_CLAIM },
    access: e.PORTABILITY_PROFILES.trim() === '*'
      ? { anyAccount: true }
      : { anyAccount: false, profiles: e.PORTABILITY_PROFILES.split(',').map((p) => p.trim()) },
    connector: { url: e.CONNECTOR_URL.replace(/\/+$/, ''), token: e.CONNECTOR_TOKEN },
    peers: peers.map(resolvePeerEntry),
    discovery: { minTtlSeconds: e.PEER_DISCOVERY_MIN_TTL_SECONDS, maxTtlSeconds: e.PEER_DISCOVERY_MAX_TTL_SECONDS, maxBytes: e.PEER_DISCOVERY_MAX_BYTES },
    publication: {
      contentOrigins: [...new Set([new URL(e.S3_ENDPOINT).origin, ...e.GATEWAY_CONTENT_ORIGINS.map((o) => new URL(o).origin)])],
      schools: schools.map((s) => ({ uai: s.uai, ...(s.name ? { name: s.name } : {}), ...(s.town ? { town: s.town } : {}) })),
    },
    session: { secret: e.SESSION_SECRET, cookieName: e.SESSION_COOKIE_NAME },
    signingJwks,
    limits: {
      maxBodyBytes: e.MAX_BODY_BYTES,
      maxItemBytes: e.MAX_ITEM_BYTES,
      offerTtlSeconds: e.OFFER_TTL_SECONDS,
      peerTimeoutMs: e.PEER_TIMEOUT_MS,
      arrivalStorageQuotaBytes: e.ARRIVAL_STORAGE_QUOTA_BYTES,
    },
    arrival: { ownerWaitSeconds: e.ARRIVAL_OWNER_WAIT_SECONDS, retentionSeconds: e.ARRIVAL_RETENTION_SECONDS },
    dataCopy: { retentionSeconds: e.DATA_COPY_RETENTION_SECONDS },
    csrfTrustedOrigins: csrfTrusted.origins,
    embedding: { frameAncestors: frameAncestors.origins, returnUrl: e.ENT_RETURN_URL ? new URL(e.ENT_RETURN_URL).href : undefined, returnOrigins },
    departure: {
      historyGraceMs: e.DEPARTURE_HISTORY_GRACE_DAYS * 86_400_000,
      analysisRetry: { baseMs: Math.min(2_000, e.ANALYSIS_RETRY_MAX_DELAY_MS), maxDelayMs: e.ANALYSIS_RETRY_MAX_DELAY_MS, windowMs: e.ANALYSIS_RETRY_WINDOW_SECONDS * 1000 },
    },
    jobs: {
      pollMs: e.JOB_POLL_MS, leaseMs: e.JOB_LEASE_MS, backoffBaseMs: e.JOB_BACKOFF_BASE_MS, backoffMaxMs: e.JOB_BACKOFF_MAX_MS, maxAttempts: e.JOB_MAX_ATTEMPTS,
      retentionMs: e.JOB_RETENTION_SECONDS * 1000,
      concurrency: e.JOB_CONCURRENCY, concurrencyByKind, perPeer: e.JOB_CONCURRENCY_PER_PEER,
    },
    fetchMaxBytesPerSecond: e.FETCH_MAX_BYTES_PER_SECOND,
    fetch: { minBytesPerSecond: e.FETCH_MIN_BYTES_PER_SECOND, idleTimeoutMs: e.FETCH_IDLE_TIMEOUT_MS },
    outboundAllowedCidrs,
    convertersEnabled: e.CONVERTERS_ENABLED.trim() === 'all' ? 'all' : e.CONVERTERS_ENABLED.split(',').map((x) => x.trim()).filter(Boolean),
    rateLimits: { peerPerMinute: e.RATE_LIMIT_PEER_PER_MINUTE, loginPerMinute: e.RATE_LIMIT_LOGIN_PER_MINUTE },
    dnma,
    metricsToken: e.METRICS_TOKEN,
    logLevel: e.LOG_LEVEL,
  };
}

/**
 * Fetches get more slots than the other kinds by default: they wait on the network, not on the
 * CPU. The defaults (8 per kind, 16 fetches, 8 per peer) come from `npm run bench` (#17): with
 * 2 / 4 / 2 slots, 20 transfers of 20 items moved 4.4 items/s on 2 cores; with 8 / 16 / 8,
 * 10.4 items/s, 0 errors, and one transfer alone twice as fast (its items overlap too).
 */
export const DEFAULT_CONCURRENCY_BY_KIND: Readonly<Record<string, number>> = { [JOB_KINDS.fetchObject]: 16 };

/** `JOB_CONCURRENCY_BY_KIND=arrival.fetch-object=8,departure.stage-item=4`: slots per job kind. */
export function parseConcurrencyByKind(raw: string | undefined): Record<string, number> {
  const out: Record<string, number> = { ...DEFAULT_CONCURRENCY_BY_KIND };
  if (!raw?.trim()) return out;
  const known = Object.values(JOB_KINDS) as string[];
  const problems: string[] = [];
  for (const pair of raw.split(',').map((x) => x.trim()).filter(Boolean)) {
    const m = /^([a-z.-]+)=(\d{1,3})$/.exec(pair);
    if (!m || !known.includes(m[1]) || Number(m[2]) < 1 || Number(m[2]) > 256) {
      problems.push(`JOB_CONCURRENCY_BY_KIND: "${pair}" must be kind=slots (1-256) with kind one of ${known.join(', ')}`);
      continue;
    }
    out[m[1]] = Number(m[2]);
  }
  if (problems.length) throw new ConfigError(problems);
  return out;
}

export const GATEWAY_CONFIG = Symbol('GATEWAY_CONFIG');
