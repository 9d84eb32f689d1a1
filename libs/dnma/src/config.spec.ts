import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DnmaConfigError, dnmaConfigFromEnv, dnmaWorkerSettingsFromEnv, replayDelayMs, resolveDnmaConfig, type DnmaConfigInput } from './config';
import { GATEWAY_PLAN_DE_MARQUAGE } from './plan';

const BASE: DnmaConfigInput = {
  matomoUrl: 'https://dnma.example.fr/',
  siteId: '12',
  tokenAuth: 'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6',
  hmacSecret: 'x'.repeat(32),
  exploitant: 'EXPLOITANT_TEST',
  plateforme: 'PLATEFORME_TEST',
  outil: 'PORTABILITE_ENT',
};

function errorOf(fn: () => unknown): DnmaConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof DnmaConfigError) return err;
    throw err;
  }
  throw new Error('expected a DnmaConfigError');
}

describe('resolveDnmaConfig', () => {
  it('applies the defaults: NATIF, WEB-PWA, the gateway plan, replays at 10 then 20 minutes', () => {
    const c = resolveDnmaConfig(BASE);
    expect(c).toMatchObject({
      matomoUrl: 'https://dnma.example.fr',
      trackerUrl: 'https://dnma.example.fr/matomo.php',
      siteId: 12,
      type: 'NATIF',
      technology: 'WEB-PWA',
      requestTimeoutMs: 10_000,
      batchSize: 50,
      leaseMs: 60_000,
      keepQueryString: false,
      replay: { delaysMs: [600_000, 1_200_000], growthFactor: 2, maxDelayMs: 21_600_000, batchSize: 500 },
    });
    expect(Object.keys(c.plan)).toEqual(Object.keys(GATEWAY_PLAN_DE_MARQUAGE));
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('keeps a tracker URL that already names the .php endpoint, and accepts http on loopback', () => {
    expect(resolveDnmaConfig({ ...BASE, matomoUrl: 'https://stats.example.fr/dnma/matomo.php' }).trackerUrl).toBe('https://stats.example.fr/dnma/matomo.php');
    expect(resolveDnmaConfig({ ...BASE, matomoUrl: 'http://127.0.0.1:8080' }).trackerUrl).toBe('http://127.0.0.1:8080/matomo.php');
  });

  it.each<[string, Partial<DnmaConfigInput>, string]>([
    ['plain http off loopback', { matomoUrl: 'http://dnma.example.fr' }, 'matomoUrl'],
    ['a token in the URL', { matomoUrl: 'https://dnma.example.fr/matomo.php?token_auth=x' }, 'matomoUrl'],
    ['not a URL', { matomoUrl: 'dnma' }, 'matomoUrl'],
    ['no site id', { siteId: undefined as never }, 'siteId'],
    ['a site id of 0', { siteId: 0 }, 'siteId'],
    ['a short token', { tokenAuth: 'abc' }, 'tokenAuth'],
    ['a token with spaces', { tokenAuth: 'abc def ghi jkl' }, 'tokenAuth'],
    ['a short HMAC secret', { hmacSecret: 'short' }, 'hmacSecret'],
    ['no exploitant', { exploitant: ' ' }, 'exploitant'],
    ['an e-mail as plateforme', { plateforme: 'admin@ent.fr' }, 'plateforme'],
    ['a 256-character outil', { outil: 'O'.repeat(256) }, 'outil'],
    ['an unknown type', { type: 'EXTERNE' as never }, 'type'],
    ['an unknown technology', { technology: 'WEB_PWA' as never }, 'technology'],
    ['a service outside the RFTI list', { plan: { home: { service: 'PORTABILITE' } } }, 'plan.home.service'],
    ['a module too long', { plan: { home: { service: 'PAGE_ENT', module: 'M'.repeat(256) } } }, 'plan.home.module'],
    ['an unknown plan field', { plan: { home: { service: 'PAGE_ENT', categorie: 'x' } as never } }, 'plan.home.categorie'],
    ['an empty plan', { plan: {} }, 'plan'],
    ['a bad page id', { plan: { 'a b': { service: 'PAGE_ENT' } } }, 'plan.a b'],
    ['an unknown profile in the precedence', { profilePrecedence: ['PROF'] as never }, 'profilePrecedence[0]'],
    ['an exploitant outside the reference list', { referenceLists: { exploitants: ['A', 'B'] } }, 'exploitant'],
    ['a lease not above twice the timeout', { requestTimeoutMs: 40_000, leaseMs: 60_000 }, 'leaseMs'],
    ['no replay delay', { replay: { delaysMs: [] } }, 'replay.delaysMs'],
    ['a negative replay delay', { replay: { delaysMs: [600_000, -1] } }, 'replay.delaysMs[1]'],
    ['a shrinking growth factor', { replay: { growthFactor: 0.5 } }, 'replay.growthFactor'],
    ['a cap below the last delay', { replay: { maxDelayMs: 60_000 } }, 'replay.maxDelayMs'],
    ['a batch of 0', { batchSize: 0 }, 'batchSize'],
  ])('refuses %s, naming the field', (_, change, field) => {
    const err = errorOf(() => resolveDnmaConfig({ ...BASE, ...change }));
    expect(err.field).toBe(field);
    expect(err.message).toContain(field);
  });

  it('derives a lease above twice the timeout', () => {
    expect(resolveDnmaConfig({ ...BASE, requestTimeoutMs: 30_000 }).leaseMs).toBe(90_000);
  });
});

describe('replayDelayMs', () => {
  const replay = resolveDnmaConfig(BASE).replay;
  it('replays 10 minutes after the first failure, 20 after the second, then doubles up to 6 hours', () => {
    const minutes = [1, 2, 3, 4, 5, 6, 7, 8, 20, 1000].map((n) => replayDelayMs(n, replay) / 60_000);
    expect(minutes).toEqual([10, 20, 40, 80, 160, 320, 360, 360, 360, 360]);
  });

  it('follows shortened delays (tests)', () => {
    const r = { delaysMs: [100, 200], growthFactor: 3, maxDelayMs: 1_000 };
    expect([1, 2, 3, 4, 5].map((n) => replayDelayMs(n, r))).toEqual([100, 200, 600, 1000, 1000]);
  });
});

describe('dnmaConfigFromEnv', () => {
  const env = {
    DNMA_MATOMO_URL: 'https://dnma.example.fr',
    DNMA_SITE_ID: '3',
    DNMA_TOKEN_AUTH: 'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6',
    DNMA_HMAC_SECRET: 's'.repeat(40),
    DNMA_EXPLOITANT: 'EXPLOITANT_TEST',
    DNMA_PLATEFORME: 'PLATEFORME_TEST',
    DNMA_OUTIL: 'PORTABILITE_ENT',
  };

  it('is off (undefined) without DNMA_MATOMO_URL', () => {
    expect(dnmaConfigFromEnv({})).toBeUndefined();
    expect(dnmaConfigFromEnv({ ...env, DNMA_MATOMO_URL: '' })).toBeUndefined();
  });

  it('reads every variable', () => {
    const c = dnmaConfigFromEnv({
      ...env,
      DNMA_TYPE: 'TIERS',
      DNMA_REPLAY_DELAYS_MS: '1000, 2000',
      DNMA_REPLAY_GROWTH_FACTOR: '1.5',
      DNMA_BATCH_SIZE: '20',
      DNMA_PLAN: JSON.stringify({ home: { service: 'ACCUEIL' } }),
      DNMA_PROFILE_PRECEDENCE: 'PARENT,ENSEIGNANT',
      DNMA_KEEP_QUERY_STRING: 'true',
    })!;
    expect(c).toMatchObject({ siteId: 3, type: 'TIERS', batchSize: 20, keepQueryString: true, replay: { delaysMs: [1000, 2000], growthFactor: 1.5 } });
    expect(c.plan).toEqual({ home: { service: 'ACCUEIL', actionName: 'home' } });
    expect(c.profilePrecedence.slice(0, 3)).toEqual(['PARENT', 'ENSEIGNANT', 'ADMIN_VIE_SCOL_TECH']);
  });

  it('reads the plan from DNMA_PLAN_FILE', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dnma-plan-'));
    const file = join(dir, 'plan.json');
    writeFileSync(file, JSON.stringify({ contents: { service: 'STOCKAGE_PARTAGE', module: 'PORTABILITE' } }));
    expect(Object.keys(dnmaConfigFromEnv({ ...env, DNMA_PLAN_FILE: file })!.plan)).toEqual(['contents']);
  });

  it('names the variable in its errors', () => {
    expect(errorOf(() => dnmaConfigFromEnv({ ...env, DNMA_SITE_ID: 'abc' })).field).toBe('DNMA_SITE_ID (siteId)');
    expect(errorOf(() => dnmaConfigFromEnv({ ...env, DNMA_HMAC_SECRET: undefined })).field).toBe('DNMA_HMAC_SECRET (hmacSecret)');
    expect(errorOf(() => dnmaConfigFromEnv({ ...env, DNMA_PLAN: '{' })).field).toBe('DNMA_PLAN');
    expect(errorOf(() => dnmaConfigFromEnv({ ...env, DNMA_PLAN: '{"x":{"service":"NOPE"}}' })).field).toBe('DNMA_PLAN (plan.x.service)');
    expect(errorOf(() => dnmaConfigFromEnv({ ...env, DNMA_REPLAY_DELAYS_MS: '600000,abc' })).field).toBe('DNMA_REPLAY_DELAYS_MS (replay.delaysMs[1])');
  });
});

describe('dnmaWorkerSettingsFromEnv', () => {
  it('reads DNMA_SENDERS and DNMA_RETENTION_DAYS with their defaults', () => {
    expect(dnmaWorkerSettingsFromEnv({})).toEqual({ senders: 1, retentionMs: 30 * 86_400_000 });
    expect(dnmaWorkerSettingsFromEnv({ DNMA_SENDERS: '3', DNMA_RETENTION_DAYS: '0' })).toEqual({ senders: 3, retentionMs: 0 });
    expect(errorOf(() => dnmaWorkerSettingsFromEnv({ DNMA_SENDERS: '0' })).field).toBe('DNMA_SENDERS');
  });
});
