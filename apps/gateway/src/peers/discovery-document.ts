import { CONTRACT_VERSION, NO_CONTROL_CHARS, UAI_PATTERN } from '@ent/contract';
import { cacheControlDirectives, maxAgeSeconds } from '../infra/cache-control';

/**
 * A peer's discovery document, once checked (ADR 007). It comes from another organisation, so
 * every member we use is validated; members we do not know are ignored (a newer v1 peer may add
 * some), members we need and cannot trust make the whole document unusable.
 */
export interface DiscoveredPeer {
  entId: string;
  contractVersions: string[];
  issuer: string;
  audience: string;
  jwksUri: string;
  endpoints: {
    capabilities: string;
    offers: string;
    /** Template with `{offerId}`. */
    deliveries: string;
    /** Template with `{transferId}` and `{itemId}`. */
    itemContent: string;
    /** Template with `{transferId}`. */
    receipt: string;
    /** Optional (a v1 peer may not offer it): template with `{offerId}`, to withdraw an offer before delivery. */
    cancellation?: string;
  };
  /** Origin of `endpoints.itemContent`: every contentUrl of this peer's manifests must be on it. */
  gatewayOrigin: string;
  /** Origins its contentUrls may redirect to, as published (without the gateway origin). */
  contentOrigins: string[];
  uais: string[];
  schools: { uai: string; name?: string; town?: string }[];
  /** Where its teachers log in (optional): the arrival says « Connectez-vous à votre nouvel ENT » with this link. */
  portalUrl?: string;
}

export class DiscoveryDocumentError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid discovery document: ${problems.join('; ')}`);
    this.name = 'DiscoveryDocumentError';
  }
}

const MAX_URL_LENGTH = 2048;
const MAX_LIST = 1000;
const MAX_CONTENT_ORIGINS = 20;
const PLACEHOLDER_MARK = 'zq9-placeholder-mark';

/** Placeholders each endpoint must carry exactly once (and no other). */
export const ENDPOINT_TEMPLATES = {
  capabilities: [],
  offers: [],
  deliveries: ['offerId'],
  itemContent: ['transferId', 'itemId'],
  receipt: ['transferId'],
} as const satisfies Record<Exclude<keyof DiscoveredPeer['endpoints'], 'cancellation'>, readonly string[]>;

/** Endpoints a peer may publish, checked like the others when present. */
export const OPTIONAL_ENDPOINT_TEMPLATES = {
  cancellation: ['offerId'],
} as const;

/** Replaces `{name}` placeholders by URL-encoded values. */
export function expandTemplate(template: string, values: Record<string, string>): string {
  return template.replace(/\{([A-Za-z]+)\}/g, (whole, name: string) => (name in values ? encodeURIComponent(values[name]) : whole));
}

/** An absolute http(s) URL without credentials or fragment; returns the problem, if any. */
function urlProblem(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length === 0) return 'must be a non-empty string';
  if (value.length > MAX_URL_LENGTH) return `must be at most ${MAX_URL_LENGTH} characters`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an http or https URL';
  if (url.username || url.password) return 'must not carry credentials';
  if (url.hash || value.includes('#')) return 'must not carry a fragment';
  return undefined;
}

/**
 * Checks a discovery document fetched from `expected.entId`'s discovery URL. `expected.issuer` is
 * our own IdP: a peer trusting another issuer could neither accept our tokens nor send us valid ones.
 */
export function parseDiscoveryDocument(raw: unknown, expected: { entId: string; issuer: string }): DiscoveredPeer {
  const problems: string[] = [];
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new DiscoveryDocumentError(['the document must be a JSON object']);
  const doc = raw as Record<string, unknown>;
  const url = (field: string, value: unknown): string => {
    const problem = urlProblem(value);
    if (problem) problems.push(`${field} ${problem}`);
    return value as string;
  };

  const versions = doc.contractVersions;
  if (!Array.isArray(versions) || versions.length === 0 || versions.length > 20 || !versions.every((v) => typeof v === 'string' && /^[0-9][0-9.]{0,15}$/.test(v))) {
    problems.push('contractVersions must be a non-empty array of version strings');
  } else if (!versions.includes(CONTRACT_VERSION)) {
    problems.push(`contractVersions ${versions.join(', ')} has no version in common with ours (${CONTRACT_VERSION})`);
  }
  if (doc.entId !== expected.entId) problems.push(`entId ${JSON.stringify(doc.entId)} is not the registered ${expected.entId}`);
  const issuer = url('issuer', doc.issuer);
  if (typeof issuer === 'string' && issuer.replace(/\/+$/, '') !== expected.issuer.replace(/\/+$/, '')) {
    problems.push(`issuer ${issuer} is not our IdP (${expected.issuer})`);
  }
  const audience = url('audience', doc.audience);
  const jwksUri = url('jwksUri', doc.jwksUri);

  const endpoints = {} as DiscoveredPeer['endpoints'];
  const rawEndpoints = doc.endpoints;
  if (typeof rawEndpoints !== 'object' || rawEndpoints === null || Array.isArray(rawEndpoints)) {
    problems.push('endpoints must be an object');
  } else {
    const templates: [keyof DiscoveredPeer['endpoints'], readonly string[], boolean][] = [
      ...Object.entries(ENDPOINT_TEMPLATES).map(([n, p]): [keyof DiscoveredPeer['endpoints'], readonly string[], boolean] => [n as keyof DiscoveredPeer['endpoints'], p, true]),
      ...Object.entries(OPTIONAL_ENDPOINT_TEMPLATES).map(([n, p]): [keyof DiscoveredPeer['endpoints'], readonly string[], boolean] => [n as keyof DiscoveredPeer['endpoints'], p, false]),
    ];
    for (const [name, placeholders, required] of templates) {
      const value = (rawEndpoints as Record<string, unknown>)[name];
      const field = `endpoints.${name}`;
      if (value === undefined && !required) continue;
      if (typeof value !== 'string') {
        problems.push(`${field} must be a string`);
        continue;
      }
      const found = [...value.matchAll(/\{([^{}]*)\}/g)].map((m) => m[1]);
      const missing = placeholders.filter((p) => found.filter((f) => f === p).length !== 1);
      const foreign = found.filter((f) => !(placeholders as readonly string[]).includes(f));
      if (missing.length) problems.push(`${field} must contain ${missing.map((p) => `{${p}}`).join(' and ')} exactly once`);
      if (foreign.length) problems.push(`${field} has unknown placeholders ${foreign.map((p) => `{${p}}`).join(', ')}`);
      if (/[{}]/.test(value.replace(/\{[^{}]*\}/g, ''))) problems.push(`${field} has unbalanced braces`);
      // Placeholders go in the path only: expanded with sample values, it must still be a plain URL.
      const sample = expandTemplate(value, { offerId: '00000000-0000-4000-8000-000000000000', transferId: '00000000-0000-4000-8000-000000000000', itemId: 'item' });
      const problem = urlProblem(sample);
      if (problem) problems.push(`${field} ${problem}`);
      else if (placeholders.some((p) => !new URL(value.replace(`{${p}}`, PLACEHOLDER_MARK)).pathname.includes(PLACEHOLDER_MARK))) problems.push(`${field} placeholders must be in the path`);
      endpoints[name] = value;
    }
  }

  const contentOrigins: string[] = [];
  if (doc.contentOrigins !== undefined) {
    if (!Array.isArray(doc.contentOrigins) || doc.contentOrigins.length > MAX_CONTENT_ORIGINS) {
      problems.push(`contentOrigins must be an array of at most ${MAX_CONTENT_ORIGINS} origins`);
    } else {
      for (const [i, o] of doc.contentOrigins.entries()) {
        const problem = urlProblem(o);
        if (problem) problems.push(`contentOrigins[${i}] ${problem}`);
        else if (new URL(o as string).origin !== (o as string).replace(/\/$/, '')) problems.push(`contentOrigins[${i}] must be an origin (scheme://host[:port]), not ${o as string}`);
        else contentOrigins.push(new URL(o as string).origin);
      }
    }
  }

  let uais: string[] = [];
  if (doc.uais !== undefined) {
    if (!Array.isArray(doc.uais) || doc.uais.length > MAX_LIST || !doc.uais.every((u) => typeof u === 'string' && UAI_PATTERN.test(u))) {
      problems.push('uais must be an array of UAIs');
    } else uais = doc.uais as string[];
  }
  const schools: DiscoveredPeer['schools'] = [];
  if (doc.schools !== undefined) {
    if (!Array.isArray(doc.schools) || doc.schools.length > MAX_LIST) problems.push(`schools must be an array of at most ${MAX_LIST} entries`);
    else {
      for (const [i, s] of doc.schools.entries()) {
        const school = s as Record<string, unknown>;
        if (typeof s !== 'object' || s === null || typeof school.uai !== 'string' || !UAI_PATTERN.test(school.uai)) {
          problems.push(`schools[${i}].uai must be a UAI`);
          continue;
        }
        const text = (k: 'name' | 'town') => {
          const v = school[k];
          if (v === undefined) return undefined;
          if (typeof v !== 'string' || v.length === 0 || v.length > 200 || !NO_CONTROL_CHARS.test(v)) {
            problems.push(`schools[${i}].${k} must be 1-200 characters without control characters`);
            return undefined;
          }
          return v;
        };
        const name = text('name');
        const town = text('town');
        schools.push({ uai: school.uai, ...(name ? { name } : {}), ...(town ? { town } : {}) });
      }
    }
  }

  // Only shown to a teacher as a link, never called: an unusable one is dropped, not fatal.
  const portalUrl = doc.portalUrl !== undefined && !urlProblem(doc.portalUrl) ? new URL(doc.portalUrl as string).href : undefined;

  if (problems.length) throw new DiscoveryDocumentError(problems);
  const gatewayOrigin = new URL(expandTemplate(endpoints.itemContent, { transferId: 't', itemId: 'i' })).origin;
  return {
    entId: expected.entId,
    contractVersions: versions as string[],
    issuer,
    audience,
    jwksUri,
    endpoints,
    gatewayOrigin,
    contentOrigins: [...new Set(contentOrigins)].filter((o) => o !== gatewayOrigin),
    uais,
    schools,
    ...(portalUrl ? { portalUrl } : {}),
  };
}

/**
 * How long to keep a discovery document: the `max-age` of its Cache-Control (RFC 9111 §5.2.2.1),
 * within [min, max]; `no-store`/`no-cache` mean the minimum; no header, one hour (bounded).
 */
export function discoveryLifetimeSeconds(cacheControl: string | null, bounds: { minTtlSeconds: number; maxTtlSeconds: number }): number {
  const clamp = (n: number) => Math.min(Math.max(n, bounds.minTtlSeconds), bounds.maxTtlSeconds);
  const directives = cacheControlDirectives(cacheControl);
  if (directives.get('no-store') === true || directives.get('no-cache') === true) return bounds.minTtlSeconds;
  return clamp(maxAgeSeconds(directives, 10) ?? 3600);
}

/** Whether `url` is on `origin` (an absolute http(s) URL whose origin is exactly it). */
export function isOnOrigin(url: unknown, origin: string): boolean {
  if (typeof url !== 'string' || urlProblem(url)) return false;
  return new URL(url).origin === origin;
}
