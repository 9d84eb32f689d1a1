import { CONTENT_CATEGORIES, ContentCategory } from '@ent/contract';
import { isAbsolute, join, resolve } from 'node:path';
import { ConfigError } from '@ent/common';

/**
 * Configuration of the simulated ENT, read only from the environment and
 * validated at boot. Every problem names its variable; main.ts exits with
 * code 1 on any of them.
 *
 * | variable                  | default            |
 * |---------------------------|--------------------|
 * | ENT_SIM_PORT              | 4101               |
 * | ENT_SIM_HOST              | 127.0.0.1          |
 * | ENT_SIM_PROFILE           | (required) ent-a or ent-b |
 * | ENT_SIM_CONNECTOR_TOKEN   | (required)         |
 * | ENT_SIM_DATA_DIR          | .data/<profile>    |
 * | ENT_SIM_MAX_ITEM_BYTES    | the profile's limit (ent-b: 1 GiB), else 2147483648 (2 GiB); set, it replaces the profile's |
 * | ENT_SIM_LATENCY_MS        | 0 (tests: simulated slowness) |
 * | ENT_SIM_CAPABILITIES_MAX_AGE | 60: `Cache-Control: max-age` of the capabilities, seconds (0: `no-cache`, asked for every offer) |
 * | ENT_SIM_EXTRA_ITEMS       | 0 (0–500; load tests)  |
 * | ENT_SIM_LARGE_ITEM_BYTES  | 0 (tests, benchmarks: one large PDF per teacher, up to 4 GiB, seeded in flat memory) |
 * | ENT_SIM_LARGE_ITEM_OWNERS | (every seeded teacher) comma-separated owners who get it |
 * | ENT_SIM_EXPORT_BYTES_PER_SECOND | 0 = unlimited (tests: a slow ENT link) |
 * | ENT_SIM_EXPORT_FORMATS    | all (tests: comma-separated format ids a fresh store offers, e.g. `imscc-1.3,ical,mbox,binary`) |
 * | ENT_SIM_ACCOUNTS          | — (every user is known) — tests: JSON array of the user ids with an account |
 * | ENT_SIM_GATEWAY_URL       | — (no events) — its gateway, to which it sends login and account events |
 *
 * ENT_SIM_EXTRA_ITEMS = N gives every teacher of the profile's seed N more
 * synthetic contents at seeding (first start on an empty data directory only):
 * a repeating mix of PDF, Common Cartridge 1.3/1.1 course, PDF, course, mbox
 * (`seed/extra-items.ts`), with deterministic bytes (same N, same sizes and
 * SHA-256). Ids: `<entId>-<owner>-extra-001` … For load tests (`bench/`).
 */
export const ENT_SIM_PROFILES = ['ent-a', 'ent-b', 'ent-b-moodle'] as const;
export type EntSimProfileName = (typeof ENT_SIM_PROFILES)[number];

export interface EntSimConfig {
  port: number;
  host: string;
  profile: EntSimProfileName;
  connectorToken: string;
  /** Absolute path. */
  dataDir: string;
  maxItemBytes: number;
  /**
   * ENT_SIM_MAX_ITEM_BYTES was set: it replaces the profile's own limit (ent-b: 1 GiB), lower or
   * higher, e.g. for a benchmark of 2 GiB items. Unset, the lower of the two applies.
   */
  maxItemBytesOverridesProfile?: true;
  /**
   * Simulated slowness (tests only): how long an export waits before its first byte, and an
   * import between receiving the body and committing it. Lets fault-injection tests kill a
   * gateway while it is staging or importing.
   */
  latencyMs: number;
  /**
   * ENT_SIM_CAPABILITIES_MAX_AGE: how long the gateway may reuse the capabilities (`Cache-Control:
   * max-age`, seconds; 0: `no-cache`). Tests that restart the ENT with other capabilities set 0.
   */
  capabilitiesMaxAge: number;
  /** ENT_SIM_CATEGORIES (tests): replaces the profile's native import abilities. */
  categoriesOverride?: { category: ContentCategory; imports: { format: string; mediaTypes?: string[] }[] }[];
  /** Synthetic contents added per seeded teacher at seeding (ENT_SIM_EXTRA_ITEMS, 0–500). */
  extraItems: number;
  /** ENT_SIM_LARGE_ITEM_BYTES: size of one large PDF seeded per teacher (0: none); multipart tests. */
  largeItemBytes: number;
  /** ENT_SIM_LARGE_ITEM_OWNERS: who gets the large PDF (absent: every seeded teacher). */
  largeItemOwners?: string[];
  /** ENT_SIM_EXPORT_BYTES_PER_SECOND: caps each export's throughput (0: unlimited); resume tests. */
  exportBytesPerSecond: number;
  /**
   * ENT_SIM_EXPORT_FORMATS: the only export formats a fresh store keeps (tests: a departure whose
   * courses exist in CC 1.3 only); contents left with no format are not seeded.
   */
  exportFormats?: string[];
  /**
   * ENT_SIM_ACCOUNTS (tests): the users this ENT has an account for; more are created through
   * `POST /sim/v1/accounts`. Undefined: every user is known (the demo's default).
   */
  accounts?: string[];
  /** ENT_SIM_GATEWAY_URL: where the connector events go (a login, an account created). */
  gatewayUrl?: string;
  /** ENT_SIM_METADATA_IMPORTS: metadata record formats the connector attaches to an import (default scolomfr-3.1). */
  metadataImports: string[];
}

/** Metadata record formats the simulated ENT knows how to keep. */
export const ENT_SIM_METADATA_FORMATS = ['scolomfr-3.1', 'schemaorg-jsonld'];

export const ENT_SIM_DEFAULTS = {
  port: 4101,
  host: '127.0.0.1',
  maxItemBytes: 2 * 1024 * 1024 * 1024,
} as const;

/** RFC 6750 b64token, at least 16 characters. */
const TOKEN_PATTERN = /^[A-Za-z0-9\-._~+/]{16,512}=*$/;
export const ENT_SIM_EXTRA_ITEMS_MAX = 500;
export const ENT_SIM_LARGE_ITEM_MAX = 4 * 1024 * 1024 * 1024;

const HOST_PATTERN = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\]|[0-9A-Fa-f:.]+)$/;

export const ENT_SIM_CONFIG = Symbol('ENT_SIM_CONFIG');

/** Reads and validates the ENT_SIM_* variables; throws a ConfigError listing every bad one. */
export function loadEntSimConfig(env: NodeJS.ProcessEnv, cwd = process.cwd()): EntSimConfig {
  const problems: string[] = [];
  const read = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    if (!/^\d+$/.test(raw) || !Number.isSafeInteger(Number(raw))) {
      problems.push(`${name}: must be an integer, got ${JSON.stringify(raw)}`);
      return fallback;
    }
    const n = Number(raw);
    if (n < min || n > max) problems.push(`${name}: must be between ${min} and ${max}, got ${raw}`);
    return n;
  };

  const port = integer('ENT_SIM_PORT', ENT_SIM_DEFAULTS.port, 0, 65535);
  const host = read('ENT_SIM_HOST') ?? ENT_SIM_DEFAULTS.host;
  if (!HOST_PATTERN.test(host)) problems.push(`ENT_SIM_HOST: not a host name or IP address: ${JSON.stringify(host)}`);

  const profileRaw = read('ENT_SIM_PROFILE');
  let profile: EntSimProfileName = 'ent-a';
  if (profileRaw === undefined) problems.push(`ENT_SIM_PROFILE: is required (one of ${ENT_SIM_PROFILES.join(', ')})`);
  else if (!(ENT_SIM_PROFILES as readonly string[]).includes(profileRaw)) {
    problems.push(`ENT_SIM_PROFILE: must be one of ${ENT_SIM_PROFILES.join(', ')}, got ${JSON.stringify(profileRaw)}`);
  } else profile = profileRaw as EntSimProfileName;

  const token = env['ENT_SIM_CONNECTOR_TOKEN'];
  if (token === undefined || token === '') problems.push('ENT_SIM_CONNECTOR_TOKEN: is required');
  else if (!TOKEN_PATTERN.test(token)) {
    problems.push('ENT_SIM_CONNECTOR_TOKEN: must be at least 16 characters of [A-Za-z0-9-._~+/] (RFC 6750 token syntax)');
  }

  const maxItemBytes = integer('ENT_SIM_MAX_ITEM_BYTES', ENT_SIM_DEFAULTS.maxItemBytes, 1, Number.MAX_SAFE_INTEGER);
  const latencyMs = integer('ENT_SIM_LATENCY_MS', 0, 0, 600_000);
  const capabilitiesMaxAge = integer('ENT_SIM_CAPABILITIES_MAX_AGE', 60, 0, 86_400);
  let categoriesOverride: EntSimConfig['categoriesOverride'];
  const categoriesRaw = read('ENT_SIM_CATEGORIES');
  if (categoriesRaw !== undefined) {
    try {
      const parsed = JSON.parse(categoriesRaw) as EntSimConfig['categoriesOverride'];
      const ok = Array.isArray(parsed) && parsed.every((c) =>
        c && (CONTENT_CATEGORIES as readonly string[]).includes(c.category) && Array.isArray(c.imports) && c.imports.every((i) => i && typeof i.format === 'string'));
      if (ok) categoriesOverride = parsed;
      else problems.push('ENT_SIM_CATEGORIES: must be a JSON array of {category, imports: [{format, mediaTypes?}]} with known categories');
    } catch (err) {
      problems.push(`ENT_SIM_CATEGORIES: is not valid JSON (${(err as Error).message})`);
    }
  }
  const extraItems = integer('ENT_SIM_EXTRA_ITEMS', 0, 0, ENT_SIM_EXTRA_ITEMS_MAX);
  const largeItemBytes = integer('ENT_SIM_LARGE_ITEM_BYTES', 0, 0, ENT_SIM_LARGE_ITEM_MAX);
  const exportBytesPerSecond = integer('ENT_SIM_EXPORT_BYTES_PER_SECOND', 0, 0, Number.MAX_SAFE_INTEGER);
  const ownersRaw = read('ENT_SIM_LARGE_ITEM_OWNERS');
  const largeItemOwners = ownersRaw?.split(',').map((o) => o.trim());
  if (largeItemOwners && largeItemOwners.some((o) => !/^[A-Za-z0-9._:@-]{1,128}$/.test(o))) {
    problems.push('ENT_SIM_LARGE_ITEM_OWNERS: must be a comma-separated list of user ids ([A-Za-z0-9._:@-], 1–128 characters each)');
  }
  let exportFormats: string[] | undefined;
  const exportFormatsRaw = read('ENT_SIM_EXPORT_FORMATS');
  if (exportFormatsRaw !== undefined) {
    exportFormats = exportFormatsRaw.split(',').map((f) => f.trim());
    if (exportFormats.length > 20 || !exportFormats.every((f) => /^[a-z0-9][a-z0-9.-]{0,39}$/.test(f))) {
      problems.push(`ENT_SIM_EXPORT_FORMATS: must be a comma-separated list of format ids (e.g. imscc-1.3,ical), got ${JSON.stringify(exportFormatsRaw)}`);
    }
  }

  let accounts: string[] | undefined;
  const accountsRaw = read('ENT_SIM_ACCOUNTS');
  if (accountsRaw !== undefined) {
    try {
      const parsed = JSON.parse(accountsRaw) as unknown;
      if (Array.isArray(parsed) && parsed.every((a) => typeof a === 'string' && a.length > 0 && a.length <= 256)) accounts = parsed as string[];
      else problems.push('ENT_SIM_ACCOUNTS: must be a JSON array of user ids');
    } catch (err) {
      problems.push(`ENT_SIM_ACCOUNTS: is not valid JSON (${(err as Error).message})`);
    }
  }
  const gatewayUrl = read('ENT_SIM_GATEWAY_URL');
  if (gatewayUrl !== undefined && !/^https?:\/\/[^\s/]+(\/\S*)?$/.test(gatewayUrl)) problems.push(`ENT_SIM_GATEWAY_URL: must be an http(s) URL, got ${JSON.stringify(gatewayUrl)}`);

  const dataRaw = read('ENT_SIM_DATA_DIR') ?? join('.data', profile);
  if (dataRaw.includes('\0')) problems.push('ENT_SIM_DATA_DIR: contains a NUL character');
  const dataDir = isAbsolute(dataRaw) ? dataRaw : resolve(cwd, dataRaw);

  const metadataImports = (read('ENT_SIM_METADATA_IMPORTS') ?? 'scolomfr-3.1').split(',').map((f) => f.trim()).filter(Boolean);
  const unknownMetadata = metadataImports.filter((f) => !ENT_SIM_METADATA_FORMATS.includes(f));
  if (metadataImports.length === 0 || unknownMetadata.length) {
    problems.push(`ENT_SIM_METADATA_IMPORTS: a comma-separated list among ${ENT_SIM_METADATA_FORMATS.join(', ')}`);
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return { port, host, profile, connectorToken: token!, dataDir, maxItemBytes, latencyMs, capabilitiesMaxAge, extraItems, largeItemBytes, exportBytesPerSecond, metadataImports,
    ...(read('ENT_SIM_MAX_ITEM_BYTES') !== undefined ? { maxItemBytesOverridesProfile: true as const } : {}),
    ...(largeItemOwners ? { largeItemOwners } : {}),
    ...(categoriesOverride ? { categoriesOverride } : {}),
    ...(exportFormats ? { exportFormats } : {}),
    ...(accounts ? { accounts } : {}),
    ...(gatewayUrl ? { gatewayUrl: gatewayUrl.replace(/\/+$/, '') } : {}),
  };
}

/**
 * ENT_SIM_EXTRA_ITEMS alone, for the profiles' seed functions when their caller
 * passes no option (the store provider calls `profile.seed()`). Same rules as
 * loadEntSimConfig, which main.ts runs first: a bad value has already stopped
 * the process before any seeding.
 */
export function extraItemsFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env['ENT_SIM_EXTRA_ITEMS']?.trim();
  if (raw === undefined || raw === '') return 0;
  const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n) || n > ENT_SIM_EXTRA_ITEMS_MAX) {
    throw new ConfigError([`ENT_SIM_EXTRA_ITEMS: must be an integer between 0 and ${ENT_SIM_EXTRA_ITEMS_MAX}, got ${JSON.stringify(raw)}`]);
  }
  return n;
}
