import { createHash, createHmac } from 'node:crypto';
import { resolveDnmaConfig, type DnmaConfig, type DnmaConfigInput } from './config';
import { buildHit, formatCdt, mapNationalProfiles, matomoVisitorId, pseudonymiseUserId, randomRand, type DnmaHit, type DnmaPageView } from './hit';
import { GATEWAY_PLAN_DE_MARQUAGE } from './plan';
import { RFTI_SERVICES } from './rfti';
import { rftiProblems } from './testing/matomo-sim';

const SECRET = 'an-hmac-secret-of-at-least-32-characters!';
const BASE: DnmaConfigInput = {
  matomoUrl: 'https://dnma.example.fr',
  siteId: 7,
  tokenAuth: 'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6',
  hmacSecret: SECRET,
  exploitant: 'EXPLOITANT_TEST',
  plateforme: 'PLATEFORME_TEST',
  outil: 'PORTABILITE_ENT',
};
const config = resolveDnmaConfig(BASE);

function view(over: Partial<DnmaPageView> = {}, user: Partial<DnmaPageView['user']> = {}): DnmaPageView {
  return {
    pageId: 'contents',
    url: 'https://gw.ent-a.example.fr/contents?sort=date#top',
    referrer: 'https://gw.ent-a.example.fr/',
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0',
    at: new Date('2025-03-10T09:15:42.789+01:00'),
    ...over,
    user: {
      id: 'f3a9c2e1-marie-dupont-0750001A',
      profiles: ['National_ens'],
      uais: ['0750001a', '0690002B'],
      email: 'marie.dupont@ac-paris.fr',
      displayName: 'Marie Dupont',
      givenName: 'Marie',
      familyName: 'Dupont',
      ...user,
    },
  };
}

function hitOf(pv: DnmaPageView, cfg: DnmaConfig = config): { hit: DnmaHit; fixes: { code: string; field: string }[] } {
  const r = buildHit(pv, cfg, { rand: () => 'k3v9x2qa' });
  if (!('hit' in r)) throw new Error(`dropped: ${JSON.stringify(r.dropped)}`);
  return r;
}

const paramsOf = (hit: DnmaHit) => Object.fromEntries(hit.params);

describe('buildHit: every parameter and dimension (RFTI §3.2)', () => {
  it('builds the full hit of an authenticated page view, in the RFTI order', () => {
    const { hit, fixes } = hitOf(view());
    const uid = createHmac('sha256', SECRET).update('f3a9c2e1-marie-dupont-0750001A').digest('hex');
    expect(hit.params).toEqual([
      ['idsite', '7'],
      ['rec', '1'],
      ['apiv', '1'],
      ['rand', 'k3v9x2qa'],
      ['uid', uid],
      ['_id', createHash('sha1').update(uid).digest('hex').slice(0, 16)],
      ['url', 'https://gw.ent-a.example.fr/contents'],
      ['url_ref', 'https://gw.ent-a.example.fr/'],
      ['dimension1', '0750001A,0690002B'],
      ['dimension2', 'ENSEIGNANT'],
      ['dimension3', 'EXPLOITANT_TEST'],
      ['dimension4', 'PLATEFORME_TEST'],
      ['dimension6', 'PORTABILITE_ENT'],
      ['dimension7', 'NATIF'],
      ['dimension8', 'STOCKAGE_PARTAGE'],
      ['dimension9', 'PORTABILITE'],
      ['dimension10', 'MES_CONTENUS'],
      ['dimension11', 'WEB-PWA'],
      ['action_name', 'Portabilité - Mes contenus'],
      ['cdt', '2025-03-10 08:15:42'],
      ['ua', 'Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0'],
    ]);
    expect(fixes).toEqual([]);
    expect(hit.cdt).toBe('2025-03-10 08:15:42');
    expect(hit.pageId).toBe('contents');
    expect(rftiProblems(paramsOf(hit))).toEqual([]);
  });

  it('encodes the query string so that Matomo reads back the same values', () => {
    const { hit } = hitOf(view());
    expect(hit.query.startsWith('?idsite=7&rec=1&apiv=1&rand=')).toBe(true);
    const back = Object.fromEntries(new URLSearchParams(hit.query.slice(1)));
    expect(back).toEqual(paramsOf(hit));
    expect(hit.query).not.toMatch(/token_auth/);
  });

  it.each(Object.keys(GATEWAY_PLAN_DE_MARQUAGE))('page "%s" of the gateway plan gives a valid hit with every mandatory dimension', (pageId) => {
    const { hit } = hitOf(view({ pageId }));
    const p = paramsOf(hit);
    expect(rftiProblems(p)).toEqual([]);
    const entry = GATEWAY_PLAN_DE_MARQUAGE[pageId];
    expect(p.dimension8).toBe(entry.service);
    expect(p.dimension9).toBe(entry.module);
    expect(p.dimension10).toBe(entry.rubrique);
    expect(p.action_name).toBe(entry.actionName);
    expect(RFTI_SERVICES).toContain(p.dimension8);
  });

  it('uses the UAI the page is about when there is one, upper-cased', () => {
    expect(paramsOf(hitOf(view({ uai: ' 0690002b ' })).hit).dimension1).toBe('0690002B');
  });

  it('deduplicates UAIs and removes invalid ones, saying so', () => {
    const { hit, fixes } = hitOf(view({}, { uais: ['0750001A', 'nope', '0750001a', '0690002B'] }));
    expect(paramsOf(hit).dimension1).toBe('0750001A,0690002B');
    expect(fixes).toEqual([{ field: 'dimension1', code: 'UAI_INVALID_REMOVED', detail: '1 value(s)' }]);
  });

  it('writes cdt in UTC whatever the offset of the date', () => {
    expect(formatCdt(new Date('2024-11-25T17:11:42+01:00'))).toBe('2024-11-25 16:11:42');
    expect(formatCdt(new Date('2024-06-30T23:59:59.999-02:00'))).toBe('2024-07-01 01:59:59');
  });

  it('draws rand from the CSPRNG: 8 characters [0-9a-z], different each time', () => {
    const draws = Array.from({ length: 200 }, randomRand);
    for (const r of draws) expect(r).toMatch(/^[0-9a-z]{8}$/);
    expect(new Set(draws).size).toBe(200);
    const r = buildHit(view(), config);
    expect('hit' in r && paramsOf(r.hit).rand).toMatch(/^[0-9a-z]{8}$/);
  });

  it('leaves out module and rubrique where the plan says so (the RFTI exception)', () => {
    const cfg = resolveDnmaConfig({ ...BASE, plan: { bare: { service: 'PAGE_ENT' } } });
    const p = paramsOf(hitOf(view({ pageId: 'bare' }), cfg).hit);
    expect(p).not.toHaveProperty('dimension9');
    expect(p).not.toHaveProperty('dimension10');
    expect(p.action_name).toBe('bare');
    expect(rftiProblems(p)).toEqual([]);
  });

  it('takes outil and type of a page from its plan entry when given', () => {
    const cfg = resolveDnmaConfig({ ...BASE, plan: { tiers: { service: 'RESSOURCE_DOCUMENTAIRE', outil: 'GAR_RESSOURCE', type: 'TIERS', module: 'M', rubrique: 'R' } } });
    const p = paramsOf(hitOf(view({ pageId: 'tiers' }), cfg).hit);
    expect([p.dimension6, p.dimension7]).toEqual(['GAR_RESSOURCE', 'TIERS']);
  });

  it('sends technology and type from the configuration', () => {
    const cfg = resolveDnmaConfig({ ...BASE, technology: 'APPLI_NATIVE', type: 'TIERS' });
    const p = paramsOf(hitOf(view(), cfg).hit);
    expect([p.dimension7, p.dimension11]).toEqual(['TIERS', 'APPLI_NATIVE']);
  });

  it('replaces UUID path segments (transfer ids) by :id unless configured to keep them', () => {
    const url = 'https://gw.example.fr/transferts/5B0C3C1E-1d7e-4a8e-9f0e-2f1d3c4b5a69/items/5b0c3c1e-1d7e-4a8e-9f0e-2f1d3c4b5a70';
    expect(paramsOf(hitOf(view({ url })).hit).url).toBe('https://gw.example.fr/transferts/:id/items/:id');
    const keep = resolveDnmaConfig({ ...BASE, keepIdsInUrl: true });
    expect(paramsOf(hitOf(view({ url }), keep).hit).url).toBe(url);
  });

  it('keeps the query string only when configured to', () => {
    const cfg = resolveDnmaConfig({ ...BASE, keepQueryString: true });
    expect(paramsOf(hitOf(view(), cfg).hit).url).toBe('https://gw.ent-a.example.fr/contents?sort=date');
  });
});

describe('buildHit: pseudonymisation and personal data', () => {
  const RAW = 'f3a9c2e1-marie-dupont-0750001A';

  it('sends a keyed HMAC of the id, never the id; stable for a user, different with another key', () => {
    const a = paramsOf(hitOf(view()).hit);
    const b = paramsOf(hitOf(view({ pageId: 'home' })).hit);
    const other = paramsOf(hitOf(view(), resolveDnmaConfig({ ...BASE, hmacSecret: 'another-secret-of-at-least-32-characters' })).hit);
    expect(a.uid).toMatch(/^[0-9a-f]{64}$/);
    expect(a.uid).toBe(pseudonymiseUserId(RAW, SECRET));
    expect(b.uid).toBe(a.uid);
    expect(other.uid).not.toBe(a.uid);
    expect(a._id).toBe(matomoVisitorId(a.uid));
    expect(a.uid).not.toBe(createHash('sha256').update(RAW).digest('hex')); // keyed, not a bare hash
  });

  it.each([
    ['the raw id in the path', `https://gw.example.fr/users/${RAW}/contents`, 'user id'],
    ['the raw id URL-encoded', `https://gw.example.fr/u/${encodeURIComponent('f3a9c2e1 marie dupont 0750001A'.replace(/ /g, '-'))}`, 'user id'],
    ['an e-mail in the path', 'https://gw.example.fr/u/marie.dupont%40ac-paris.fr', 'e-mail address'],
    ['a name in the path', 'https://gw.example.fr/teachers/dupont/contents', 'name'],
    ['an accented name', 'https://gw.example.fr/teachers/DUPONT', 'name'],
  ])('omits a URL that carries %s', (_, url, detail) => {
    const { hit, fixes } = hitOf(view({ url, referrer: url }));
    const p = paramsOf(hit);
    expect(p).not.toHaveProperty('url');
    expect(p).not.toHaveProperty('url_ref');
    expect(fixes).toEqual([
      { field: 'url', code: 'URL_PERSONAL_DATA_OMITTED', detail },
      { field: 'url_ref', code: 'URL_PERSONAL_DATA_OMITTED', detail },
    ]);
    expect(rftiProblems(p)).toEqual([]);
  });

  it('drops the query string that may carry personal data (default)', () => {
    const { hit } = hitOf(view({ url: 'https://gw.example.fr/contents?email=marie.dupont@ac-paris.fr&user=' + RAW }));
    expect(paramsOf(hit).url).toBe('https://gw.example.fr/contents');
  });

  it('never lets the raw id, the e-mail or the names appear outside uid/_id', () => {
    const pv = view({
      url: `https://gw.example.fr/x/${RAW}?mail=marie.dupont@ac-paris.fr`,
      referrer: 'https://gw.example.fr/Marie-Dupont',
      userAgent: 'Mozilla/5.0 marie.dupont@ac-paris.fr',
    });
    const { hit } = hitOf(pv);
    const decoded = decodeURIComponent(hit.query).toLowerCase();
    for (const secret of [RAW.toLowerCase(), 'marie.dupont@ac-paris.fr', 'marie', 'dupont']) {
      expect(decoded).not.toContain(secret);
    }
    for (const [k, v] of hit.params) {
      if (k === 'uid' || k === '_id') continue;
      expect(v.toLowerCase()).not.toContain(RAW.toLowerCase());
    }
    expect(paramsOf(hit).ua).toBe('unknown');
  });

  it('strips credentials from a URL', () => {
    const { hit, fixes } = hitOf(view({ url: 'https://bob:pw@gw.example.fr/contents' }));
    expect(paramsOf(hit).url).toBe('https://gw.example.fr/contents');
    expect(fixes).toContainEqual({ field: 'url', code: 'URL_CREDENTIALS_REMOVED' });
  });
});

describe('buildHit: lengths (255, 1024, 200, 16)', () => {
  it('truncates url and url_ref to 1024 characters without cutting an escape', () => {
    const long = `https://gw.example.fr/${'a'.repeat(1000)}/${'%C3%A9'.repeat(100)}`;
    const { hit, fixes } = hitOf(view({ url: long, referrer: long }));
    const p = paramsOf(hit);
    expect(p.url.length).toBeLessThanOrEqual(1024);
    expect(p.url_ref.length).toBeLessThanOrEqual(1024);
    expect(p.url).toMatch(/(%[0-9A-F]{2}|[a-z/])$/);
    expect(() => decodeURI(p.url)).not.toThrow();
    expect(fixes.map((f) => f.code)).toEqual(['URL_TRUNCATED', 'URL_TRUNCATED']);
  });

  it('keeps dimension1 within 255 characters by keeping the UAIs that fit', () => {
    const uais = Array.from({ length: 40 }, (_, i) => `07500${String(i).padStart(2, '0')}A`);
    const { hit, fixes } = hitOf(view({}, { uais }));
    const d1 = paramsOf(hit).dimension1;
    expect(d1.length).toBeLessThanOrEqual(255);
    expect(d1.split(',')).toEqual(uais.slice(0, 28));
    expect(fixes).toEqual([{ field: 'dimension1', code: 'UAI_LIST_TRUNCATED', detail: '40 UAIs, 28 kept' }]);
  });

  it('keeps uid within 200 and _id at 16', () => {
    const p = paramsOf(hitOf(view({}, { id: 'x'.repeat(5000) })).hit);
    expect(p.uid.length).toBeLessThanOrEqual(200);
    expect(p._id).toMatch(/^[0-9a-f]{16}$/);
  });

  it('caps the User-Agent, strips control characters, and fills a missing one', () => {
    const long = hitOf(view({ userAgent: 'A'.repeat(5000) }));
    expect(paramsOf(long.hit).ua.length).toBe(1024);
    expect(long.fixes).toContainEqual({ field: 'ua', code: 'UA_TRUNCATED', detail: 'to 1024 characters' });
    expect(paramsOf(hitOf(view({ userAgent: 'Mozilla\r\n/5.0\u0000' })).hit).ua).toBe('Mozilla/5.0');
    const none = hitOf(view({ userAgent: undefined }));
    expect(paramsOf(none.hit).ua).toBe('unknown');
    expect(none.fixes).toContainEqual({ field: 'ua', code: 'UA_MISSING_REPLACED' });
  });

  it('drops, with a reason, a hit whose configured dimension is too long (a configuration built by hand)', () => {
    const handMade: DnmaConfig = { ...config, exploitant: 'E'.repeat(256) };
    const r = buildHit(view(), handMade);
    expect(r).toMatchObject({ dropped: { code: 'INVALID_DIMENSION', field: 'dimension3' } });
  });
});

describe('buildHit: profile (RFTI §2.2.5)', () => {
  it.each([
    ['National_elv', 'ELEVE'],
    ['National_ens', 'ENSEIGNANT'],
    ['National_doc', 'ENSEIGNANT'],
    ['National_tut', 'PARENT'],
    ['National_dir', 'ADMIN_VIE_SCOL_TECH'],
    ['National_evs', 'ADMIN_VIE_SCOL_TECH'],
    ['National_eta', 'ADMIN_VIE_SCOL_TECH'],
    ['National_col', 'PERSONNEL_COLLECTIVITE'],
    ['National_aca', 'AUTRE'],
    ['compte_local_formation', 'AUTRE'],
    ['NATIONAL_ENS', 'ENSEIGNANT'],
    [' national_doc ', 'ENSEIGNANT'],
  ])('%s → %s', (national, expected) => {
    expect(mapNationalProfiles([national])).toBe(expected);
    expect(paramsOf(hitOf(view({}, { profiles: [national] })).hit).dimension2).toBe(expected);
  });

  it('no profile → AUTRE', () => {
    expect(mapNationalProfiles([])).toBe('AUTRE');
    expect(mapNationalProfiles(undefined)).toBe('AUTRE');
  });

  it.each([
    [['National_elv', 'National_ens'], 'ENSEIGNANT'],
    [['National_dir', 'National_ens'], 'ENSEIGNANT'],
    [['National_tut', 'National_dir'], 'ADMIN_VIE_SCOL_TECH'],
    [['National_tut', 'National_col'], 'PERSONNEL_COLLECTIVITE'],
    [['National_elv', 'National_tut'], 'PARENT'],
    [['National_aca', 'National_elv'], 'ELEVE'],
    [['inconnu', 'National_doc'], 'ENSEIGNANT'],
  ])('several profiles %j → %s (documented precedence)', (profiles, expected) => {
    expect(mapNationalProfiles(profiles)).toBe(expected);
  });

  it('follows a configured precedence', () => {
    const cfg = resolveDnmaConfig({ ...BASE, profilePrecedence: ['ADMIN_VIE_SCOL_TECH'] });
    expect(cfg.profilePrecedence[0]).toBe('ADMIN_VIE_SCOL_TECH');
    expect(paramsOf(hitOf(view({}, { profiles: ['National_ens', 'National_dir'] }), cfg).hit).dimension2).toBe('ADMIN_VIE_SCOL_TECH');
  });
});

describe('buildHit: dropped with a reason, never sent malformed', () => {
  it('a service outside the RFTI list', () => {
    const handMade: DnmaConfig = { ...config, plan: { ...config.plan, odd: { service: 'TRANSFERT_ENT', module: 'M', rubrique: 'R' } } };
    expect(buildHit(view({ pageId: 'odd' }), handMade)).toEqual({
      dropped: { code: 'INVALID_SERVICE', field: 'dimension8', message: '"TRANSFERT_ENT" is not a service of the RFTI §2.2.2 list' },
      fixes: [],
    });
  });

  it('a page that is not in the plan de marquage', () => {
    expect(buildHit(view({ pageId: 'login' }), config)).toMatchObject({ dropped: { code: 'UNKNOWN_PAGE', field: 'pageId' } });
  });

  it('a page view without an authenticated user', () => {
    expect(buildHit({ ...view(), user: undefined as never }, config)).toMatchObject({ dropped: { code: 'NOT_AUTHENTICATED' } });
    expect(buildHit(view({}, { id: '  ' }), config)).toMatchObject({ dropped: { code: 'NOT_AUTHENTICATED' } });
  });

  it('a user with no valid UAI', () => {
    expect(buildHit(view({}, { uais: ['abc', ''] }), config)).toMatchObject({ dropped: { code: 'NO_UAI', field: 'dimension1' } });
  });

  it('an invalid date', () => {
    expect(buildHit(view({ at: new Date('nope') }), config)).toMatchObject({ dropped: { code: 'INVALID_DATE', field: 'at' } });
  });

  it('never throws on garbage', () => {
    expect(() => buildHit({} as never, config)).not.toThrow();
    expect(() => buildHit({ pageId: 'home', user: { id: 'x', profiles: 'National_ens', uais: 'nope' } } as never, config)).not.toThrow();
  });
});
