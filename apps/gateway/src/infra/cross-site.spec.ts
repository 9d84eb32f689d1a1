import { crossSiteRefusal } from './cross-site';

describe('crossSiteRefusal (issue 14, finding 8)', () => {
  const own = 'https://portabilite.ent.example.fr';
  const trusted = ['https://ent.example.fr'];

  it('lets the gateway\'s own origin and a configured one through', () => {
    expect(crossSiteRefusal({ origin: own, secFetchSite: 'same-origin' }, own, trusted)).toBeUndefined();
    expect(crossSiteRefusal({ origin: 'https://ent.example.fr', secFetchSite: 'same-site' }, own, trusted)).toBeUndefined();
  });

  it('lets a client that sends neither header through (not a browser posting across sites)', () => {
    expect(crossSiteRefusal({}, own, trusted)).toBeUndefined();
    expect(crossSiteRefusal({ secFetchSite: 'none' }, own, trusted)).toBeUndefined();
    expect(crossSiteRefusal({ secFetchSite: 'same-origin' }, own, trusted)).toBeUndefined();
  });

  it('refuses a foreign, a sibling, a null origin, and same-site or cross-site without an origin', () => {
    for (const headers of [
      { origin: 'https://evil.example' },
      { origin: 'https://autre.ent.example.fr', secFetchSite: 'same-site' },
      { origin: 'null' },
      { origin: `${own}.evil.example` },
      { origin: 'http://portabilite.ent.example.fr' },
      { secFetchSite: 'same-site' },
      { secFetchSite: 'cross-site' },
    ]) {
      expect(crossSiteRefusal(headers, own, trusted)).toEqual(expect.any(String));
    }
  });
});
