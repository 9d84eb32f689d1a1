import { createHash, createHmac, randomInt } from 'node:crypto';
import type { DnmaConfig } from './config';
import {
  charLength,
  DEFAULT_PROFILE_PRECEDENCE,
  isRftiService,
  NATIONAL_PROFILE_MAP,
  RFTI_LIMITS,
  RFTI_TECHNOLOGIES,
  RFTI_TYPES,
  UAI_REGEX,
  type RftiProfile,
} from './rfti';

/** One authenticated page view of the transfer UI, as the gateway knows it. */
export interface DnmaPageView {
  /** Key in the plan de marquage (`home`, `contents`, …). */
  pageId: string;
  /**
   * Absolute URL of the page. Its fragment is removed, its query string too unless `keepQueryString`,
   * and UUID path segments become `:id` unless `keepIdsInUrl`.
   */
  url: string;
  referrer?: string;
  userAgent?: string;
  user: {
    /** The ENT `uid` (2D) / `ENTPersonIdentifiant` (1D), or the IdP subject: pseudonymised before it is stored. */
    id: string;
    /** National profiles as the IdP gives them (`National_ens`, `National_dir`, …). */
    profiles: readonly string[];
    /** UAIs the person is attached to. */
    uais: readonly string[];
    /** Only used to check that nothing sent contains them; never stored nor sent. */
    email?: string;
    displayName?: string;
    givenName?: string;
    familyName?: string;
  };
  /**
   * The one establishment the page is about, when the path allows to say it (RFTI §3.2.2: a
   * teacher of several establishments following a transfer from one of them). Absent: all of
   * `user.uais`.
   */
  uai?: string;
  /** When the page was viewed: becomes `cdt` (UTC), kept through every retry. */
  at: Date;
}

/** A hit ready to be queued: the Matomo request `?idsite=…` exactly as it will be sent, token_auth excepted. */
export interface DnmaHit {
  pageId: string;
  /** Parameters in sending order. */
  params: ReadonlyArray<readonly [string, string]>;
  /** `?idsite=…&rec=1&…`, the form of one line of a bulk request. */
  query: string;
  /** `YYYY-MM-DD HH:MM:SS`, UTC. */
  cdt: string;
}

/** Something in the page view broke a rule and was corrected; logged and kept in the hit's history. */
export interface DnmaFix {
  field: string;
  code: string;
  detail?: string;
}

/** Why a page view produced no hit; the hit is recorded as DROPPED with this reason, never sent malformed. */
export interface DnmaDropReason {
  code: 'UNKNOWN_PAGE' | 'NOT_AUTHENTICATED' | 'INVALID_DATE' | 'NO_UAI' | 'INVALID_SERVICE' | 'INVALID_DIMENSION';
  field: string;
  message: string;
}

export type BuildHitResult = { hit: DnmaHit; fixes: DnmaFix[] } | { dropped: DnmaDropReason; fixes: DnmaFix[] };

export interface BuildHitOptions {
  /** Source of `rand` (tests); default: 8 characters from crypto.randomInt. */
  rand?: () => string;
}

const RAND_ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';
// eslint-disable-next-line no-control-regex
const CONTROL_ALL = /[\u0000-\u001f\u007f-\u009f]/g;
/** A UUID path segment (a transfer id…): replaced by `:id`, so that pages are counted per route and not linkable to one transfer. */
const UUID_SEGMENT = /\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?=\/|$)/gi;
const EMAIL = /[^\s@/?#&=:;,]+@[^\s@/?#&=:;,]+\.[a-z]{2,}/i;

/** The `rand` parameter: 8 characters [0-9a-z] from the CSPRNG (RFTI §3.2.1: 7 to 8 characters). */
export function randomRand(): string {
  let s = '';
  for (let i = 0; i < RFTI_LIMITS.rand; i++) s += RAND_ALPHABET[randomInt(RAND_ALPHABET.length)];
  return s;
}

/**
 * `uid`: HMAC-SHA256 of the user id keyed with the configured secret, in lower-case hex
 * (64 characters ≤ 200). Keyed, so that nobody without the secret can test a guessed id
 * against it; stable, so that DNMA counts a user once across visits (RFTI §2.2.5).
 */
export function pseudonymiseUserId(userId: string, secret: string): string {
  return createHmac('sha256', secret).update(userId, 'utf8').digest('hex');
}

/**
 * `_id`: the visitor id as Matomo computes it from a user id (its trackers set
 * `_id = substr(sha1(uid), 0, 16)`), 16 hexadecimal characters — derived from the
 * pseudonymised uid, never from the raw id.
 */
export function matomoVisitorId(pseudonymisedUid: string): string {
  return createHash('sha1').update(pseudonymisedUid, 'utf8').digest('hex').slice(0, RFTI_LIMITS.visitorId);
}

/** `cdt` in the RFTI datetime form, UTC: `2024-11-25 16:11:42`. */
export function formatCdt(at: Date): string {
  return at.toISOString().slice(0, 19).replace('T', ' ');
}

/** RFTI §2.2.5: national profiles → one DNMA profile, the first of `precedence` the person holds. */
export function mapNationalProfiles(profiles: readonly string[] | undefined, precedence: readonly RftiProfile[] = DEFAULT_PROFILE_PRECEDENCE): RftiProfile {
  const held = new Set<RftiProfile>(
    (profiles ?? []).filter((p): p is string => typeof p === 'string').map((p) => NATIONAL_PROFILE_MAP[p.trim().toLowerCase()] ?? 'AUTRE'),
  );
  for (const p of precedence) if (held.has(p)) return p;
  return 'AUTRE';
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return value;
  }
}

function tokens(value: string): string[] {
  return value
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);
}

/**
 * Whether a value that comes from the request (URL, referrer, User-Agent) carries the person's
 * identity: an e-mail address, the raw user id, or one of their names as a whole word.
 */
export function personalDataIn(value: string, user: DnmaPageView['user'], checkNames = true): string | undefined {
  const decoded = safeDecode(value);
  const hay = `${value}\n${decoded}`.toLowerCase();
  if (EMAIL.test(value) || EMAIL.test(decoded)) return 'e-mail address';
  if (user.email && user.email.length >= 3 && hay.includes(user.email.toLowerCase())) return 'e-mail address';
  if (user.id && user.id.length >= 4 && hay.includes(user.id.toLowerCase())) return 'user id';
  if (checkNames) {
    const words = new Set(
      [user.displayName, user.givenName, user.familyName].flatMap((n) => (n ? tokens(n) : [])).filter((w) => w.length >= 3),
    );
    if (words.size > 0 && tokens(decoded).some((t) => words.has(t))) return 'name';
  }
  return undefined;
}

/** Cuts to `max` characters without leaving half a %XX escape at the end. */
function truncateUrl(url: string, max: number): string {
  let s = url.slice(0, max);
  const pct = s.lastIndexOf('%');
  if (pct >= 0 && pct > s.length - 3) s = s.slice(0, pct);
  return s;
}

function cleanUrl(
  field: 'url' | 'url_ref',
  raw: string | undefined,
  keepQuery: boolean,
  keepIds: boolean,
  user: DnmaPageView['user'],
  fixes: DnmaFix[],
): string | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  let u: URL;
  try {
    u = new URL(String(raw));
  } catch {
    fixes.push({ field, code: 'URL_INVALID_OMITTED' });
    return undefined;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    fixes.push({ field, code: 'URL_INVALID_OMITTED', detail: `scheme ${u.protocol}` });
    return undefined;
  }
  if (u.username || u.password) {
    u.username = '';
    u.password = '';
    fixes.push({ field, code: 'URL_CREDENTIALS_REMOVED' });
  }
  u.hash = '';
  if (!keepQuery) u.search = '';
  if (!keepIds) u.pathname = u.pathname.replace(UUID_SEGMENT, '/:id');
  let s = u.toString();
  const leak = personalDataIn(s, user);
  if (leak) {
    fixes.push({ field, code: 'URL_PERSONAL_DATA_OMITTED', detail: leak });
    return undefined;
  }
  const max = field === 'url' ? RFTI_LIMITS.url : RFTI_LIMITS.urlRef;
  if (s.length > max) {
    s = truncateUrl(s, max);
    fixes.push({ field, code: 'URL_TRUNCATED', detail: `to ${max} characters` });
  }
  return s;
}

function dropped(code: DnmaDropReason['code'], field: string, message: string, fixes: DnmaFix[]): BuildHitResult {
  return { dropped: { code, field, message }, fixes };
}

/** Checks a value computed from configuration (defensive: DnmaConfig may have been built by hand). */
function dimensionOk(value: string | undefined): value is string {
  return typeof value === 'string' && value.trim() !== '' && charLength(value) <= RFTI_LIMITS.dimension && !/[\u0000-\u001f\u007f-\u009f]/.test(value) && !EMAIL.test(value);
}

/**
 * Builds the Matomo hit of one page view per the RFTI §3.2, or says why there is none.
 * Pure apart from `rand`: no I/O, never throws on bad input.
 */
export function buildHit(pageView: DnmaPageView, config: DnmaConfig, options: BuildHitOptions = {}): BuildHitResult {
  const fixes: DnmaFix[] = [];
  const pageId = typeof pageView?.pageId === 'string' ? pageView.pageId : '';
  const entry = Object.prototype.hasOwnProperty.call(config.plan, pageId) ? config.plan[pageId] : undefined;
  if (!entry) return dropped('UNKNOWN_PAGE', 'pageId', `page "${pageId.slice(0, 64)}" is not in the plan de marquage`, fixes);

  const user = pageView.user;
  if (!user || typeof user.id !== 'string' || user.id.trim() === '') {
    return dropped('NOT_AUTHENTICATED', 'user.id', 'no authenticated user: public pages are not tagged (RFTI §3.1.1)', fixes);
  }
  if (!(pageView.at instanceof Date) || Number.isNaN(pageView.at.getTime())) {
    return dropped('INVALID_DATE', 'at', 'the time of the page view is not a valid date', fixes);
  }
  const cdt = formatCdt(pageView.at);

  // dimension1: UAI(s), upper case, joined with "," (RFTI §3.2.3).
  const normalise = (list: readonly unknown[]) => {
    const out: string[] = [];
    let invalid = 0;
    for (const raw of list) {
      const v = typeof raw === 'string' ? raw.trim().toUpperCase() : '';
      if (!UAI_REGEX.test(v)) invalid++;
      else if (!out.includes(v)) out.push(v);
    }
    return { out, invalid };
  };
  let uais: string[] = [];
  if (pageView.uai !== undefined) {
    const ctx = normalise([pageView.uai]);
    if (ctx.out.length === 1) uais = ctx.out;
    else fixes.push({ field: 'dimension1', code: 'CONTEXT_UAI_INVALID_IGNORED' });
  }
  if (uais.length === 0) {
    const all = normalise(Array.isArray(user.uais) ? user.uais : []);
    if (all.invalid > 0) fixes.push({ field: 'dimension1', code: 'UAI_INVALID_REMOVED', detail: `${all.invalid} value(s)` });
    uais = all.out;
  }
  if (uais.length === 0) return dropped('NO_UAI', 'dimension1', 'the user has no valid UAI (7 digits and a letter)', fixes);
  let dimension1 = '';
  for (const uai of uais) {
    const next = dimension1 ? `${dimension1},${uai}` : uai;
    if (next.length > RFTI_LIMITS.dimension) {
      fixes.push({ field: 'dimension1', code: 'UAI_LIST_TRUNCATED', detail: `${uais.length} UAIs, ${dimension1.split(',').length} kept` });
      break;
    }
    dimension1 = next;
  }

  const profile = mapNationalProfiles(Array.isArray(user.profiles) ? user.profiles : [], config.profilePrecedence);

  if (!isRftiService(entry.service)) {
    return dropped('INVALID_SERVICE', 'dimension8', `"${String(entry.service).slice(0, 64)}" is not a service of the RFTI §2.2.2 list`, fixes);
  }
  const outil = entry.outil ?? config.outil;
  const type = entry.type ?? config.type;
  const actionName = entry.actionName ?? pageId;
  const dims: Array<[string, string | undefined, boolean]> = [
    ['dimension3', config.exploitant, true],
    ['dimension4', config.plateforme, true],
    ['dimension6', outil, true],
    ['dimension8', entry.service, true],
    ['dimension9', entry.module, false],
    ['dimension10', entry.rubrique, false],
    ['action_name', actionName, true],
  ];
  for (const [name, value, mandatory] of dims) {
    if (value === undefined && !mandatory) continue;
    if (!dimensionOk(value)) return dropped('INVALID_DIMENSION', name, `${name} is missing, longer than 255 characters or not a plain value`, fixes);
  }
  if (!(RFTI_TYPES as readonly string[]).includes(type)) return dropped('INVALID_DIMENSION', 'dimension7', 'type must be NATIF or TIERS', fixes);
  if (!(RFTI_TECHNOLOGIES as readonly string[]).includes(config.technology)) {
    return dropped('INVALID_DIMENSION', 'dimension11', 'technology must be WEB-PWA or APPLI_NATIVE', fixes);
  }

  const url = cleanUrl('url', pageView.url, config.keepQueryString, config.keepIdsInUrl === true, user, fixes);
  const urlRef = cleanUrl('url_ref', pageView.referrer, config.keepQueryString, config.keepIdsInUrl === true, user, fixes);

  // ua: mandatory (RFTI §3.2.1); without it Matomo would take the gateway's own User-Agent.
  let ua = typeof pageView.userAgent === 'string' ? pageView.userAgent.replace(CONTROL_ALL, '').trim() : '';
  if (ua === '') {
    ua = 'unknown';
    fixes.push({ field: 'ua', code: 'UA_MISSING_REPLACED' });
  } else if (personalDataIn(ua, user, false)) {
    ua = 'unknown';
    fixes.push({ field: 'ua', code: 'UA_PERSONAL_DATA_REPLACED' });
  } else if (charLength(ua) > RFTI_LIMITS.userAgent) {
    ua = [...ua].slice(0, RFTI_LIMITS.userAgent).join('');
    fixes.push({ field: 'ua', code: 'UA_TRUNCATED', detail: `to ${RFTI_LIMITS.userAgent} characters` });
  }

  const uid = pseudonymiseUserId(user.id, config.hmacSecret);
  const rand = (options.rand ?? randomRand)();
  const params: Array<readonly [string, string]> = [
    ['idsite', String(config.siteId)],
    ['rec', '1'],
    ['apiv', '1'],
    ['rand', /^[0-9a-z]{7,8}$/i.test(rand) ? rand : randomRand()],
    ['uid', uid],
    ['_id', matomoVisitorId(uid)],
  ];
  if (url !== undefined) params.push(['url', url]);
  if (urlRef !== undefined) params.push(['url_ref', urlRef]);
  params.push(
    ['dimension1', dimension1],
    ['dimension2', profile],
    ['dimension3', config.exploitant],
    ['dimension4', config.plateforme],
    ['dimension6', outil],
    ['dimension7', type],
    ['dimension8', entry.service],
  );
  if (entry.module !== undefined) params.push(['dimension9', entry.module]);
  if (entry.rubrique !== undefined) params.push(['dimension10', entry.rubrique]);
  params.push(['dimension11', config.technology], ['action_name', actionName], ['cdt', cdt], ['ua', ua]);

  const query = `?${params.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&')}`;
  return { hit: { pageId, params, query, cdt }, fixes };
}
