import { ConfigError } from '@ent/common';
import { loadGatewayConfig } from './config';

const valid = {
  ENT_ID: 'ent-a',
  GATEWAY_UAIS: '0750001A, 0750002B',
  S3_ENDPOINT: 'http://127.0.0.1:7480',
  S3_ACCESS_KEY: 'k',
  S3_SECRET_KEY: 's',
  S3_BUCKET: 'gateway-a',
  OIDC_ISSUER: 'http://127.0.0.1:4000/',
  OIDC_CLIENT_ID: 'gateway-a',
  OIDC_CLIENT_SECRET: 'secret',
  CONNECTOR_URL: 'http://127.0.0.1:4101',
  CONNECTOR_TOKEN: '0123456789abcdef',
  SESSION_SECRET: 'x'.repeat(32),
  PEERS: JSON.stringify([{ entId: 'ent-b', clientId: 'gateway-b', baseUrl: 'http://127.0.0.1:4002/', uais: ['0690002B'] }]),
};

function problems(env: Record<string, string | undefined>): string[] {
  try {
    loadGatewayConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('gateway configuration', () => {
  it('loads a valid environment with defaults and normalised URLs', () => {
    const c = loadGatewayConfig(valid);
    expect(c.uais).toEqual(['0750001A', '0750002B']);
    expect(c.port).toBe(4001);
    expect(c.publicUrl).toBe('http://127.0.0.1:4001');
    expect(c.oidc.issuer).toBe('http://127.0.0.1:4000');
    expect(c.oidc.identityClaim).toBe('sub');
    // A baseUrl entry (compatibility) finds its discovery document at the well-known path.
    expect(c.peers[0]).toEqual({ entId: 'ent-b', clientId: 'gateway-b', discoveryUrl: 'http://127.0.0.1:4002/.well-known/ent-portability', uais: ['0690002B'] });
    expect(c.discovery).toEqual({ minTtlSeconds: 60, maxTtlSeconds: 86_400, maxBytes: 65_536 });
    expect(c.publication).toEqual({ contentOrigins: ['http://127.0.0.1:7480'], schools: [] });
    expect(c.database.url).toBeUndefined();
    expect(c.limits.maxBodyBytes).toBe(1_048_576);
    expect(c.access).toEqual({ anyAccount: false, profiles: ['National_ens', 'National_doc', 'National_dir'] });
  });

  it('gives job kinds their own slots, configurable per kind, with a per-peer bound', () => {
    const d = loadGatewayConfig(valid).jobs;
    expect(d).toMatchObject({ concurrency: 8, perPeer: 8, concurrencyByKind: { 'arrival.fetch-object': 16 } });
    const c = loadGatewayConfig({ ...valid, JOB_CONCURRENCY: '3', JOB_CONCURRENCY_PER_PEER: '1', JOB_CONCURRENCY_BY_KIND: 'arrival.fetch-object=16, departure.stage-item=8' }).jobs;
    expect(c).toMatchObject({ concurrency: 3, perPeer: 1, concurrencyByKind: { 'arrival.fetch-object': 16, 'departure.stage-item': 8 } });
    expect(problems({ ...valid, JOB_CONCURRENCY_BY_KIND: 'arrival.fetch=4' })[0]).toMatch(/^JOB_CONCURRENCY_BY_KIND: "arrival.fetch=4" must be kind=slots/);
    expect(problems({ ...valid, JOB_CONCURRENCY_BY_KIND: 'arrival.fetch-object=0' })[0]).toMatch(/^JOB_CONCURRENCY_BY_KIND/);
    expect(problems({ ...valid, JOB_CONCURRENCY: '0' }).join()).toMatch(/JOB_CONCURRENCY/);
  });

  it('keeps /metrics off unless METRICS_TOKEN is set', () => {
    expect(loadGatewayConfig(valid).metricsToken).toBeUndefined();
    expect(loadGatewayConfig({ ...valid, METRICS_TOKEN: 'm'.repeat(40) }).metricsToken).toBe('m'.repeat(40));
  });

  it('embedding by the ENT: nobody but this origin frames the pages by default, no return link', () => {
    expect(loadGatewayConfig(valid).embedding).toEqual({ frameAncestors: [], returnUrl: undefined, returnOrigins: [] });
  });

  it('reads UI_FRAME_ANCESTORS and ENT_RETURN_URL; a ?retour= may only point to those origins', () => {
    const c = loadGatewayConfig({ ...valid, UI_FRAME_ANCESTORS: 'https://ent.example.fr, https://portail.example.fr/', ENT_RETURN_URL: 'https://www.example.fr/accueil' });
    expect(c.embedding).toEqual({
      frameAncestors: ['https://ent.example.fr', 'https://portail.example.fr'],
      returnUrl: 'https://www.example.fr/accueil',
      returnOrigins: ['https://ent.example.fr', 'https://portail.example.fr', 'https://www.example.fr'],
    });
  });

  it('reads CSRF_TRUSTED_ORIGINS as origins (none by default: only the gateway\'s own)', () => {
    expect(loadGatewayConfig(valid).csrfTrustedOrigins).toEqual([]);
    expect(loadGatewayConfig({ ...valid, CSRF_TRUSTED_ORIGINS: 'https://ent.example.fr/, https://ent.example.fr' }).csrfTrustedOrigins).toEqual(['https://ent.example.fr']);
  });

  it.each([
    [{ UI_FRAME_ANCESTORS: '*' }, /^UI_FRAME_ANCESTORS: /],
    [{ UI_FRAME_ANCESTORS: 'https://ent.example.fr/portail' }, /^UI_FRAME_ANCESTORS: /],
    [{ UI_FRAME_ANCESTORS: "'self' https://ent.example.fr" }, /^UI_FRAME_ANCESTORS: /],
    [{ ENT_RETURN_URL: 'javascript:alert(1)' }, /^ENT_RETURN_URL: /],
    [{ ENT_RETURN_URL: 'data:text/html,x' }, /^ENT_RETURN_URL: /],
    [{ ENT_RETURN_URL: '/accueil' }, /^ENT_RETURN_URL: /],
    [{ CSRF_TRUSTED_ORIGINS: '*' }, /^CSRF_TRUSTED_ORIGINS: /],
    [{ CSRF_TRUSTED_ORIGINS: 'https://ent.example.fr/portail' }, /^CSRF_TRUSTED_ORIGINS: /],
    [{ DEPARTURE_HISTORY_GRACE_DAYS: '-1' }, /DEPARTURE_HISTORY_GRACE_DAYS/],
    [{ DEPARTURE_HISTORY_GRACE_DAYS: '400' }, /DEPARTURE_HISTORY_GRACE_DAYS/],
    [{ ANALYSIS_RETRY_WINDOW_SECONDS: '5' }, /ANALYSIS_RETRY_WINDOW_SECONDS/],
    [{ ANALYSIS_RETRY_MAX_DELAY_MS: 'soon' }, /ANALYSIS_RETRY_MAX_DELAY_MS/],
  ])('refuses %j at start', (extra, message) => {
    expect(problems({ ...valid, ...extra }).some((p) => message.test(p))).toBe(true);
  });

  it('DATA_COPY_RETENTION_SECONDS: a copy of her data is kept 7 days by default, between a minute and 31 days', () => {
    expect(loadGatewayConfig(valid).dataCopy).toEqual({ retentionSeconds: 604_800 });
    expect(loadGatewayConfig({ ...valid, DATA_COPY_RETENTION_SECONDS: '86400' }).dataCopy.retentionSeconds).toBe(86_400);
    for (const bad of ['0', '59', String(32 * 86_400), 'week']) {
      expect(problems({ ...valid, DATA_COPY_RETENTION_SECONDS: bad }).join(' ')).toContain('DATA_COPY_RETENTION_SECONDS');
    }
  });

  it('JOB_RETENTION_SECONDS: finished jobs are purged after 30 days by default, between an hour and 400 days', () => {
    expect(loadGatewayConfig(valid).jobs.retentionMs).toBe(30 * 86_400_000);
    expect(loadGatewayConfig({ ...valid, JOB_RETENTION_SECONDS: '3600' }).jobs.retentionMs).toBe(3_600_000);
    for (const bad of ['59', '3599', String(401 * 86_400), 'abc', '-1']) {
      expect(problems({ ...valid, JOB_RETENTION_SECONDS: bad }).join(' ')).toContain('JOB_RETENTION_SECONDS');
    }
  });

  it('S3_IDLE_TIMEOUT_SECONDS: a silent S3 request is cut after 2 minutes by default, between 5 s and an hour', () => {
    expect(loadGatewayConfig(valid).s3.idleTimeoutMs).toBe(120_000);
    expect(loadGatewayConfig({ ...valid, S3_IDLE_TIMEOUT_SECONDS: '30' }).s3.idleTimeoutMs).toBe(30_000);
    for (const bad of ['0', '4', '3601', 'soon']) {
      expect(problems({ ...valid, S3_IDLE_TIMEOUT_SECONDS: bad }).join(' ')).toContain('S3_IDLE_TIMEOUT_SECONDS');
    }
  });

  it('DATABASE_PREPARED_STATEMENTS: on unless set to false (for a pooler that cannot carry them)', () => {
    expect(loadGatewayConfig(valid).database.preparedStatements).toBe(true);
    expect(loadGatewayConfig({ ...valid, DATABASE_PREPARED_STATEMENTS: 'false' }).database.preparedStatements).toBe(false);
    expect(problems({ ...valid, DATABASE_PREPARED_STATEMENTS: 'no' }).join(' ')).toContain('DATABASE_PREPARED_STATEMENTS');
  });

  it('DEPARTURE_HISTORY_GRACE_DAYS: 120 days after the end of a past attachment by default', () => {
    expect(loadGatewayConfig(valid).departure.historyGraceMs).toBe(120 * 86_400_000);
    expect(loadGatewayConfig({ ...valid, DEPARTURE_HISTORY_GRACE_DAYS: '0' }).departure.historyGraceMs).toBe(0);
  });

  it('ANALYSIS_RETRY_*: the arrival is asked again for 15 minutes by default, waits from 2 s doubling up to 60 s', () => {
    expect(loadGatewayConfig(valid).departure.analysisRetry).toEqual({ baseMs: 2_000, maxDelayMs: 60_000, windowMs: 900_000 });
    expect(loadGatewayConfig({ ...valid, ANALYSIS_RETRY_MAX_DELAY_MS: '500', ANALYSIS_RETRY_WINDOW_SECONDS: '30' }).departure.analysisRetry)
      .toEqual({ baseMs: 500, maxDelayMs: 500, windowMs: 30_000 });
  });

  it('reads PORTABILITY_PROFILES as a list, or * for any signed-in account', () => {
    expect(loadGatewayConfig({ ...valid, PORTABILITY_PROFILES: ' National_ens , National_dir' }).access).toEqual({ anyAccount: false, profiles: ['National_ens', 'National_dir'] });
    expect(loadGatewayConfig({ ...valid, PORTABILITY_PROFILES: '*' }).access).toEqual({ anyAccount: true });
  });

  it('reads discovery URLs, content origins and schools', () => {
    const c = loadGatewayConfig({
      ...valid,
      PEERS: JSON.stringify([{ entId: 'ent-b', clientId: 'gateway-b', discoveryUrl: 'https://b.example.org/ent/discovery.json', baseUrl: 'https://ignored.example.org', uais: ['0690002B'] }]),
      GATEWAY_CONTENT_ORIGINS: 'https://cdn.example.org, https://cdn2.example.org/',
      GATEWAY_SCHOOLS: JSON.stringify([{ uai: '0750001A', name: 'Collège Jean Moulin', town: 'Paris' }, { uai: '0750002B' }]),
    });
    expect(c.peers[0].discoveryUrl).toBe('https://b.example.org/ent/discovery.json');
    expect(c.publication.contentOrigins).toEqual(['http://127.0.0.1:7480', 'https://cdn.example.org', 'https://cdn2.example.org']);
    expect(c.publication.schools).toEqual([{ uai: '0750001A', name: 'Collège Jean Moulin', town: 'Paris' }, { uai: '0750002B' }]);
  });

  it.each([
    ['ENT_ID', { ENT_ID: undefined }],
    ['GATEWAY_UAIS', { GATEWAY_UAIS: '750001A' }],
    ['GATEWAY_PORT', { GATEWAY_PORT: '99999' }],
    ['S3_ENDPOINT', { S3_ENDPOINT: 'not a url' }],
    ['SESSION_SECRET', { SESSION_SECRET: 'short' }],
    ['CONNECTOR_TOKEN', { CONNECTOR_TOKEN: 'short' }],
    ['OIDC_ISSUER', { OIDC_ISSUER: undefined }],
    ['PEERS', { PEERS: '[{' }],
    ['PEERS[0].uais', { PEERS: JSON.stringify([{ entId: 'ent-b', clientId: 'b', baseUrl: 'http://x:1', uais: ['nope'] }]) }],
    ['PEERS[0].discoveryUrl', { PEERS: JSON.stringify([{ entId: 'ent-b', clientId: 'b', uais: ['0690002B'] }]) }],
    ['PEERS[0].discoveryUrl', { PEERS: JSON.stringify([{ entId: 'ent-b', clientId: 'b', discoveryUrl: 'ftp://x/d', uais: ['0690002B'] }]) }],
    ['PEERS', { PEERS: JSON.stringify([{ entId: 'ent-b', clientId: 'b', baseUrl: 'http://x:1', uais: ['0690002B'] }, { entId: 'ent-c', clientId: 'b', baseUrl: 'http://y:1', uais: ['0690003C'] }]) }],
    ['PEER_DISCOVERY_MIN_TTL_SECONDS', { PEER_DISCOVERY_MIN_TTL_SECONDS: '7200', PEER_DISCOVERY_MAX_TTL_SECONDS: '3600' }],
    ['PEER_DISCOVERY_MAX_BYTES', { PEER_DISCOVERY_MAX_BYTES: '10' }],
    ['GATEWAY_CONTENT_ORIGINS', { GATEWAY_CONTENT_ORIGINS: 'https://cdn.example.org/path' }],
    ['GATEWAY_CONTENT_ORIGINS', { GATEWAY_CONTENT_ORIGINS: 'not-a-url' }],
    ['GATEWAY_SCHOOLS', { GATEWAY_SCHOOLS: '{}' }],
    ['GATEWAY_SCHOOLS[0].uai', { GATEWAY_SCHOOLS: JSON.stringify([{ uai: '0690002B', name: 'Ailleurs' }]) }],
    ['GATEWAY_SCHOOLS[0].name', { GATEWAY_SCHOOLS: JSON.stringify([{ uai: '0750001A', name: 'a\u0000b' }]) }],
    ['SIGNING_JWKS', { SIGNING_JWKS: '{"keys":[]}' }],
    ['SIGNING_JWKS_FILE', { SIGNING_JWKS_FILE: '/nonexistent/jwks.json' }],
    ['PORTABILITY_PROFILES', { PORTABILITY_PROFILES: '*,National_ens' }],
    ['PORTABILITY_PROFILES', { PORTABILITY_PROFILES: 'National_ens,,National_dir' }],
    ['PORTABILITY_PROFILES', { PORTABILITY_PROFILES: 'National_ens;National_dir' }],
    ['METRICS_TOKEN', { METRICS_TOKEN: 'too-short' }],
    ['METRICS_TOKEN', { METRICS_TOKEN: `${'x'.repeat(32)} with spaces` }],
  ])('names %s when it is wrong', (name, override) => {
    const found = problems({ ...valid, ...override });
    expect(found.length).toBeGreaterThan(0);
    expect(found.some((p) => p.startsWith(`${name}:`) || p.startsWith(`${name}.`))).toBe(true);
  });
});
