import { readFileSync } from 'node:fs';
import { GATEWAY_PLAN_DE_MARQUAGE, type DnmaPlan, type DnmaPlanEntry } from './plan';
import {
  charLength,
  DEFAULT_PROFILE_PRECEDENCE,
  isRftiService,
  RFTI_LIMITS,
  RFTI_PROFILES,
  RFTI_TECHNOLOGIES,
  RFTI_TYPES,
  type RftiProfile,
  type RftiTechnology,
  type RftiType,
} from './rfti';

/** A configuration value is missing or wrong; `field` names it (a config path, or the environment variable). */
export class DnmaConfigError extends Error {
  constructor(
    readonly field: string,
    readonly problem: string,
  ) {
    super(`DNMA configuration: ${field}: ${problem}`);
    this.name = 'DnmaConfigError';
  }
}

export interface DnmaReplayConfig {
  /** Delay before each replay, after each dead-lettering: first, second… (RFTI §4.2: 10 min, then 20 min). */
  delaysMs: number[];
  /** Past the listed delays, each delay is the previous one times this factor… */
  growthFactor: number;
  /** …capped here. */
  maxDelayMs: number;
  /** How often the dead-letter worker looks for due hits. */
  pollIntervalMs: number;
  /** Hits moved back to the main queue per statement. */
  batchSize: number;
}

/** What the caller gives; everything with a default may be left out. */
export interface DnmaConfigInput {
  /** URL_MATOMO (RFTI §3.2.1): the base URL (`…/matomo.php` is appended) or the full tracker URL ending in `.php`. */
  matomoUrl: string;
  siteId: number | string;
  /** Matomo token_auth (needed for `cdt`); only ever sent in a POST body. */
  tokenAuth: string;
  /** Key of the HMAC that pseudonymises the user id; at least 32 characters. Changing it changes every uid. */
  hmacSecret: string;
  exploitant: string;
  plateforme: string;
  outil: string;
  type?: RftiType;
  technology?: RftiTechnology;
  plan?: DnmaPlan;
  profilePrecedence?: RftiProfile[];
  /**
   * The DNMA reference lists of exploitants, plateformes and outils (published on DNMA-Animation, not in the RFTI
   * itself). When given, the configured values must be in them.
   */
  referenceLists?: { exploitants?: string[]; plateformes?: string[]; outils?: string[] };
  /** Keep the query string of `url` / `url_ref` (default false: it may carry personal data). */
  keepQueryString?: boolean;
  /** Keep UUID path segments (transfer ids) in `url` / `url_ref` (default false: they become `:id`). */
  keepIdsInUrl?: boolean;
  /** Allow a plain-http Matomo URL that is not loopback (default false: the RFTI requires TLS, §3.1.2). */
  allowInsecureHttp?: boolean;
  requestTimeoutMs?: number;
  /** Hits per request to Matomo (bulk tracking when more than one). */
  batchSize?: number;
  pollIntervalMs?: number;
  /** A claimed batch whose worker died is taken again after this; must exceed 2 × requestTimeoutMs. */
  leaseMs?: number;
  replay?: Partial<DnmaReplayConfig>;
}

export interface DnmaConfig {
  readonly matomoUrl: string;
  /** The URL hits are POSTed to (URL_MATOMO/matomo.php). */
  readonly trackerUrl: string;
  readonly siteId: number;
  readonly tokenAuth: string;
  readonly hmacSecret: string;
  readonly exploitant: string;
  readonly plateforme: string;
  readonly outil: string;
  readonly type: RftiType;
  readonly technology: RftiTechnology;
  readonly plan: Readonly<Record<string, Readonly<DnmaPlanEntry>>>;
  readonly profilePrecedence: readonly RftiProfile[];
  readonly keepQueryString: boolean;
  readonly keepIdsInUrl: boolean;
  readonly requestTimeoutMs: number;
  readonly batchSize: number;
  readonly pollIntervalMs: number;
  readonly leaseMs: number;
  readonly replay: Readonly<DnmaReplayConfig>;
}

export const DNMA_DEFAULTS = Object.freeze({
  type: 'NATIF' as RftiType,
  technology: 'WEB-PWA' as RftiTechnology,
  requestTimeoutMs: 10_000,
  batchSize: 50,
  pollIntervalMs: 1_000,
  replay: Object.freeze({
    delaysMs: Object.freeze([10 * 60_000, 20 * 60_000]),
    growthFactor: 2,
    maxDelayMs: 6 * 3600_000,
    pollIntervalMs: 30_000,
    batchSize: 500,
  }),
});

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const PAGE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

function fail(field: string, problem: string): never {
  throw new DnmaConfigError(field, problem);
}

/** A dimension value that comes from configuration: short, printable, no personal data. */
function dimensionValue(field: string, value: unknown, allowed?: string[]): string {
  if (typeof value !== 'string' || value.trim() === '') fail(field, 'is required (a non-empty string)');
  const v = value.trim();
  if (charLength(v) > RFTI_LIMITS.dimension) fail(field, `is longer than ${RFTI_LIMITS.dimension} characters`);
  if (CONTROL.test(v)) fail(field, 'contains control characters');
  if (v.includes('@')) fail(field, 'contains "@": dimension values must not carry personal data such as an e-mail');
  if (allowed && allowed.length > 0 && !allowed.includes(v)) fail(field, `"${v}" is not in the DNMA reference list (${allowed.join(', ')})`);
  return v;
}

function integer(field: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined || value === null || value === '') return fallback;
  const n = typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n)) fail(field, 'must be an integer');
  if (n < min || n > max) fail(field, `must be between ${min} and ${max}`);
  return n;
}

function oneOf<T extends string>(field: string, value: unknown, list: readonly T[], fallback: T): T {
  if (value === undefined || value === null || value === '') return fallback;
  if (typeof value !== 'string' || !(list as readonly string[]).includes(value)) fail(field, `must be one of ${list.join(', ')}`);
  return value as T;
}

function trackerUrlOf(raw: unknown, allowInsecureHttp: boolean): { matomoUrl: string; trackerUrl: string } {
  if (typeof raw !== 'string' || raw.trim() === '') fail('matomoUrl', 'is required');
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    fail('matomoUrl', 'is not a URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') fail('matomoUrl', 'must be an http(s) URL');
  if (url.protocol === 'http:' && !allowInsecureHttp && !LOOPBACK.has(url.hostname)) {
    fail('matomoUrl', 'must use https (RFTI §3.1.2: hits travel over TLS); plain http is only accepted on loopback');
  }
  if (url.username || url.password) fail('matomoUrl', 'must not contain credentials');
  if (url.search || url.hash) fail('matomoUrl', 'must not contain a query string or fragment (token_auth goes in the POST body)');
  const base = url.toString().replace(/\/+$/, '');
  const trackerUrl = /\.php$/.test(url.pathname) ? base : `${base}/matomo.php`;
  return { matomoUrl: base, trackerUrl };
}

function planOf(raw: unknown, refs: DnmaConfigInput['referenceLists']): Record<string, DnmaPlanEntry> {
  if (raw === undefined || raw === null) raw = GATEWAY_PLAN_DE_MARQUAGE;
  if (typeof raw !== 'object' || Array.isArray(raw)) fail('plan', 'must be an object { pageId: { service, module?, rubrique? } }');
  const entries = Object.entries(raw as Record<string, unknown>);
  if (entries.length === 0) fail('plan', 'lists no page');
  const plan: Record<string, DnmaPlanEntry> = {};
  for (const [pageId, e] of entries) {
    const at = `plan.${pageId}`;
    if (!PAGE_ID.test(pageId)) fail(at, 'page ids are 1-64 letters, digits, ".", "_" or "-"');
    if (typeof e !== 'object' || e === null || Array.isArray(e)) fail(at, 'must be an object { service, module?, rubrique? }');
    const entry = e as Record<string, unknown>;
    for (const key of Object.keys(entry)) {
      if (!['service', 'module', 'rubrique', 'actionName', 'outil', 'type'].includes(key)) fail(`${at}.${key}`, 'is not a plan field');
    }
    const service = dimensionValue(`${at}.service`, entry.service);
    if (!isRftiService(service)) fail(`${at}.service`, `"${service}" is not a service of the RFTI §2.2.2 list`);
    const out: DnmaPlanEntry = { service };
    if (entry.module !== undefined) out.module = dimensionValue(`${at}.module`, entry.module);
    if (entry.rubrique !== undefined) out.rubrique = dimensionValue(`${at}.rubrique`, entry.rubrique);
    out.actionName = dimensionValue(`${at}.actionName`, entry.actionName ?? pageId);
    if (entry.outil !== undefined) out.outil = dimensionValue(`${at}.outil`, entry.outil, refs?.outils);
    if (entry.type !== undefined) out.type = oneOf(`${at}.type`, entry.type, RFTI_TYPES, 'NATIF');
    plan[pageId] = Object.freeze(out);
  }
  return plan;
}

/** Validates and completes a configuration; throws DnmaConfigError naming the first wrong field. */
export function resolveDnmaConfig(input: DnmaConfigInput): DnmaConfig {
  if (typeof input !== 'object' || input === null) fail('config', 'is required');
  const { matomoUrl, trackerUrl } = trackerUrlOf(input.matomoUrl, input.allowInsecureHttp === true);
  const siteId = integer('siteId', input.siteId, NaN, 1, 2 ** 31 - 1);
  if (Number.isNaN(siteId)) fail('siteId', 'is required (the Matomo idsite, a positive integer)');
  if (typeof input.tokenAuth !== 'string' || !/^[\x21-\x7e]{8,256}$/.test(input.tokenAuth)) {
    fail('tokenAuth', 'is required: 8-256 printable ASCII characters without spaces');
  }
  if (typeof input.hmacSecret !== 'string' || input.hmacSecret.length < 32) {
    fail('hmacSecret', 'is required: at least 32 characters');
  }
  const refs = input.referenceLists;
  const exploitant = dimensionValue('exploitant', input.exploitant, refs?.exploitants);
  const plateforme = dimensionValue('plateforme', input.plateforme, refs?.plateformes);
  const outil = dimensionValue('outil', input.outil, refs?.outils);
  const type = oneOf('type', input.type, RFTI_TYPES, DNMA_DEFAULTS.type);
  const technology = oneOf('technology', input.technology, RFTI_TECHNOLOGIES, DNMA_DEFAULTS.technology);
  const plan = planOf(input.plan, refs);

  let profilePrecedence: RftiProfile[] = [...DEFAULT_PROFILE_PRECEDENCE];
  if (input.profilePrecedence !== undefined) {
    if (!Array.isArray(input.profilePrecedence) || input.profilePrecedence.length === 0) fail('profilePrecedence', 'must be a non-empty list');
    profilePrecedence = input.profilePrecedence.map((p, i) => oneOf(`profilePrecedence[${i}]`, p, RFTI_PROFILES, 'AUTRE'));
    if (new Set(profilePrecedence).size !== profilePrecedence.length) fail('profilePrecedence', 'lists a profile twice');
    // Profiles left out rank after the listed ones, in the default order.
    for (const p of DEFAULT_PROFILE_PRECEDENCE) if (!profilePrecedence.includes(p)) profilePrecedence.push(p);
  }

  const requestTimeoutMs = integer('requestTimeoutMs', input.requestTimeoutMs, DNMA_DEFAULTS.requestTimeoutMs, 50, 300_000);
  const batchSize = integer('batchSize', input.batchSize, DNMA_DEFAULTS.batchSize, 1, 1_000);
  const pollIntervalMs = integer('pollIntervalMs', input.pollIntervalMs, DNMA_DEFAULTS.pollIntervalMs, 10, 3_600_000);
  const leaseMs = integer('leaseMs', input.leaseMs, Math.max(60_000, 3 * requestTimeoutMs), 1, 86_400_000);
  if (leaseMs <= 2 * requestTimeoutMs) {
    fail('leaseMs', `must exceed 2 × requestTimeoutMs (${2 * requestTimeoutMs} ms), or a slow send could be taken over and sent twice`);
  }

  const r = input.replay ?? {};
  let delaysMs: number[] = [...DNMA_DEFAULTS.replay.delaysMs];
  if (r.delaysMs !== undefined) {
    if (!Array.isArray(r.delaysMs) || r.delaysMs.length === 0) fail('replay.delaysMs', 'must be a non-empty list of delays in ms');
    delaysMs = r.delaysMs.map((d, i) => {
      const ms = integer(`replay.delaysMs[${i}]`, d, NaN, 1, 30 * 86_400_000);
      if (Number.isNaN(ms)) fail(`replay.delaysMs[${i}]`, 'must be a delay in ms');
      return ms;
    });
  }
  const growthFactor = r.growthFactor ?? DNMA_DEFAULTS.replay.growthFactor;
  if (typeof growthFactor !== 'number' || !Number.isFinite(growthFactor) || growthFactor < 1 || growthFactor > 100) {
    fail('replay.growthFactor', 'must be a number between 1 and 100');
  }
  const lastDelay = delaysMs[delaysMs.length - 1];
  const maxDelayMs = integer('replay.maxDelayMs', r.maxDelayMs, Math.max(DNMA_DEFAULTS.replay.maxDelayMs, lastDelay), 1, 30 * 86_400_000);
  if (maxDelayMs < lastDelay) fail('replay.maxDelayMs', `must be at least the last listed delay (${lastDelay} ms)`);
  const replay: DnmaReplayConfig = {
    delaysMs,
    growthFactor,
    maxDelayMs,
    pollIntervalMs: integer('replay.pollIntervalMs', r.pollIntervalMs, DNMA_DEFAULTS.replay.pollIntervalMs, 10, 3_600_000),
    batchSize: integer('replay.batchSize', r.batchSize, DNMA_DEFAULTS.replay.batchSize, 1, 10_000),
  };

  return Object.freeze({
    matomoUrl,
    trackerUrl,
    siteId,
    tokenAuth: input.tokenAuth,
    hmacSecret: input.hmacSecret,
    exploitant,
    plateforme,
    outil,
    type,
    technology,
    plan: Object.freeze(plan),
    profilePrecedence: Object.freeze(profilePrecedence),
    keepQueryString: input.keepQueryString === true,
    keepIdsInUrl: input.keepIdsInUrl === true,
    requestTimeoutMs,
    batchSize,
    pollIntervalMs,
    leaseMs,
    replay: Object.freeze({ ...replay, delaysMs: Object.freeze([...replay.delaysMs]) as number[] }),
  });
}

/**
 * Delay before the replay that follows the n-th dead-lettering of a hit (n ≥ 1):
 * the listed delays first (10 min, 20 min), then each one `growthFactor` times the last, capped.
 */
export function replayDelayMs(deadLetterCount: number, replay: Pick<DnmaReplayConfig, 'delaysMs' | 'growthFactor' | 'maxDelayMs'>): number {
  const n = Math.max(1, Math.floor(deadLetterCount));
  const listed = replay.delaysMs;
  if (n <= listed.length) return listed[n - 1];
  const last = listed[listed.length - 1];
  const grown = last * replay.growthFactor ** (n - listed.length);
  return Math.round(Math.min(replay.maxDelayMs, Number.isFinite(grown) ? grown : replay.maxDelayMs));
}

/** Environment variable of each configuration field (for error messages and docs/dnma.md). */
export const DNMA_ENV = Object.freeze({
  matomoUrl: 'DNMA_MATOMO_URL',
  siteId: 'DNMA_SITE_ID',
  tokenAuth: 'DNMA_TOKEN_AUTH',
  hmacSecret: 'DNMA_HMAC_SECRET',
  exploitant: 'DNMA_EXPLOITANT',
  plateforme: 'DNMA_PLATEFORME',
  outil: 'DNMA_OUTIL',
  type: 'DNMA_TYPE',
  technology: 'DNMA_TECHNOLOGY',
  plan: 'DNMA_PLAN',
  profilePrecedence: 'DNMA_PROFILE_PRECEDENCE',
  referenceLists: 'DNMA_REFERENCE_LISTS',
  keepQueryString: 'DNMA_KEEP_QUERY_STRING',
  keepIdsInUrl: 'DNMA_KEEP_IDS_IN_URL',
  allowInsecureHttp: 'DNMA_ALLOW_INSECURE_HTTP',
  requestTimeoutMs: 'DNMA_REQUEST_TIMEOUT_MS',
  batchSize: 'DNMA_BATCH_SIZE',
  pollIntervalMs: 'DNMA_POLL_MS',
  leaseMs: 'DNMA_LEASE_MS',
  'replay.delaysMs': 'DNMA_REPLAY_DELAYS_MS',
  'replay.growthFactor': 'DNMA_REPLAY_GROWTH_FACTOR',
  'replay.maxDelayMs': 'DNMA_REPLAY_MAX_DELAY_MS',
  'replay.pollIntervalMs': 'DNMA_REPLAY_POLL_MS',
  'replay.batchSize': 'DNMA_REPLAY_BATCH_SIZE',
});

function envField(field: string): string {
  const key = Object.keys(DNMA_ENV).find((k) => field === k || field.startsWith(`${k}.`) || field.startsWith(`${k}[`));
  return key ? `${DNMA_ENV[key as keyof typeof DNMA_ENV]} (${field})` : field;
}

/**
 * Reads the DNMA configuration from environment variables. Returns undefined when
 * DNMA_MATOMO_URL is not set (measurement off); otherwise a validated configuration, or a
 * DnmaConfigError whose `field` is the variable's name.
 */
export function dnmaConfigFromEnv(env: NodeJS.ProcessEnv = process.env): DnmaConfig | undefined {
  const get = (name: string) => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  if (!get(DNMA_ENV.matomoUrl)) return undefined;
  const json = <T>(name: string): T | undefined => {
    const v = get(name);
    if (v === undefined) return undefined;
    try {
      return JSON.parse(v) as T;
    } catch (err) {
      throw new DnmaConfigError(name, `is not valid JSON (${(err as Error).message})`);
    }
  };
  const bool = (name: string) => {
    const v = get(name);
    if (v === undefined) return undefined;
    if (!['true', 'false', '1', '0'].includes(v)) throw new DnmaConfigError(name, 'must be true or false');
    return v === 'true' || v === '1';
  };
  const list = (name: string) => get(name)?.split(',').map((s) => s.trim()).filter(Boolean);
  const num = (name: string) => {
    const v = get(name);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n)) throw new DnmaConfigError(name, 'must be a number');
    return n;
  };

  let plan = json<DnmaPlan>(DNMA_ENV.plan);
  const planFile = get('DNMA_PLAN_FILE');
  if (plan === undefined && planFile) {
    try {
      plan = JSON.parse(readFileSync(planFile, 'utf8')) as DnmaPlan;
    } catch (err) {
      throw new DnmaConfigError('DNMA_PLAN_FILE', `cannot read a JSON plan from ${planFile} (${(err as Error).message})`);
    }
  }
  const delays = list(DNMA_ENV['replay.delaysMs']);
  try {
    return resolveDnmaConfig({
      matomoUrl: get(DNMA_ENV.matomoUrl)!,
      siteId: get(DNMA_ENV.siteId)!,
      tokenAuth: get(DNMA_ENV.tokenAuth)!,
      hmacSecret: env[DNMA_ENV.hmacSecret]!,
      exploitant: get(DNMA_ENV.exploitant)!,
      plateforme: get(DNMA_ENV.plateforme)!,
      outil: get(DNMA_ENV.outil)!,
      type: get(DNMA_ENV.type) as RftiType | undefined,
      technology: get(DNMA_ENV.technology) as RftiTechnology | undefined,
      plan,
      profilePrecedence: list(DNMA_ENV.profilePrecedence) as RftiProfile[] | undefined,
      referenceLists: json(DNMA_ENV.referenceLists),
      keepQueryString: bool(DNMA_ENV.keepQueryString),
      keepIdsInUrl: bool(DNMA_ENV.keepIdsInUrl),
      allowInsecureHttp: bool(DNMA_ENV.allowInsecureHttp),
      requestTimeoutMs: num(DNMA_ENV.requestTimeoutMs),
      batchSize: num(DNMA_ENV.batchSize),
      pollIntervalMs: num(DNMA_ENV.pollIntervalMs),
      leaseMs: num(DNMA_ENV.leaseMs),
      replay: {
        delaysMs: delays?.map((d) => (/^\d+$/.test(d) ? Number(d) : (d as unknown as number))),
        growthFactor: num(DNMA_ENV['replay.growthFactor']),
        maxDelayMs: num(DNMA_ENV['replay.maxDelayMs']),
        pollIntervalMs: num(DNMA_ENV['replay.pollIntervalMs']),
        batchSize: num(DNMA_ENV['replay.batchSize']),
      },
    });
  } catch (err) {
    if (err instanceof DnmaConfigError && !err.field.startsWith('DNMA_')) throw new DnmaConfigError(envField(err.field), err.problem);
    throw err;
  }
}

/** Process-level settings of the DNMA workers, for `new Dnma(db, config, options)`. */
export interface DnmaWorkerSettings {
  /** DNMA_SENDERS (default 1): sender workers in this process. */
  senders: number;
  /** DNMA_RETENTION_DAYS (default 30; 0 keeps sent hits for ever), in ms. */
  retentionMs: number;
}

export function dnmaWorkerSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): DnmaWorkerSettings {
  const read = (name: string, fallback: number, min: number, max: number) => {
    const v = env[name]?.trim();
    if (v === undefined || v === '') return fallback;
    if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) throw new DnmaConfigError(name, `must be an integer between ${min} and ${max}`);
    return Number(v);
  };
  return { senders: read('DNMA_SENDERS', 1, 1, 32), retentionMs: read('DNMA_RETENTION_DAYS', 30, 0, 3650) * 86_400_000 };
}
