import { entReturnLink, frameHeaders, parseOriginList } from './embedding';

describe('embedding by the ENT: frame-ancestors and the return link', () => {
  describe('parseOriginList (UI_FRAME_ANCESTORS)', () => {
    it('accepts http(s) origins, trims a trailing slash, de-duplicates', () => {
      expect(parseOriginList('UI_FRAME_ANCESTORS', 'https://ent.example.fr, https://ent.example.fr/,http://127.0.0.1:4100')).toEqual({
        origins: ['https://ent.example.fr', 'http://127.0.0.1:4100'], problems: [],
      });
    });
    it('is empty when unset', () => {
      expect(parseOriginList('UI_FRAME_ANCESTORS', undefined)).toEqual({ origins: [], problems: [] });
      expect(parseOriginList('UI_FRAME_ANCESTORS', '  ')).toEqual({ origins: [], problems: [] });
    });
    it.each([
      ['*'], ['https://*.example.fr'], ['javascript:alert(1)'], ['data:text/html,x'], ['https://ent.example.fr/portail'],
      ['https://ent.example.fr?x=1'], ['https://user@ent.example.fr'], ['ent.example.fr'], ["'self'"], ['https://ent.example.fr;script-src *'],
    ])('refuses %s', (value) => {
      const { origins, problems } = parseOriginList('UI_FRAME_ANCESTORS', value);
      expect(origins).toEqual([]);
      expect(problems.length).toBeGreaterThan(0);
      expect(problems[0]).toMatch(/^UI_FRAME_ANCESTORS: /);
    });
  });

  describe('frameHeaders', () => {
    it('by default only this origin may frame the pages, in both headers', () => {
      expect(frameHeaders([])).toEqual({ frameAncestors: "frame-ancestors 'self'", xFrameOptions: 'SAMEORIGIN' });
    });
    it('lists exactly the configured origins, and drops X-Frame-Options that cannot name them', () => {
      const h = frameHeaders(['https://ent.example.fr', 'https://portail.example.fr']);
      expect(h.frameAncestors).toBe("frame-ancestors 'self' https://ent.example.fr https://portail.example.fr");
      // SAMEORIGIN would forbid the ENT in browsers that honour both; ALLOW-FROM is obsolete.
      expect(h.xFrameOptions).toBeUndefined();
    });
  });

  describe('entReturnLink', () => {
    const allowed = ['https://ent.example.fr'];
    const fallback = 'https://ent.example.fr/accueil';
    it('keeps a ?retour= on an allowed origin', () => {
      expect(entReturnLink('https://ent.example.fr/espace/classe?x=1', allowed, fallback)).toBe('https://ent.example.fr/espace/classe?x=1');
    });
    it.each([
      ['https://evil.example.com/'],
      ['https://ent.example.fr.evil.example.com/'],
      ['http://ent.example.fr/'],
      ['//evil.example.com/'],
      ['/relative'],
      ['javascript:alert(1)'],
      ['JavaScript:alert(document.cookie)'],
      ['data:text/html,<script>alert(1)</script>'],
      ['https://user:pw@ent.example.fr/'],
      ['not a url'],
      ['x'.repeat(3000)],
    ])('ignores %s and falls back to the configured return URL', (value) => {
      expect(entReturnLink(value, allowed, fallback)).toBe(fallback);
    });
    it('has no link when nothing is configured and the candidate is refused', () => {
      expect(entReturnLink('https://evil.example.com/', [], undefined)).toBeUndefined();
      expect(entReturnLink(undefined, allowed, undefined)).toBeUndefined();
    });
  });
});
