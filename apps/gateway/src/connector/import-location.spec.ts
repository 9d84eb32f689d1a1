import { importLocation } from './import-location';

describe('importLocation (connector import answer `location`)', () => {
  const origins = { connectorUrl: 'https://api.ent-b.example.fr/connector/v1', returnOrigins: ['https://ent-b.example.fr'] };

  it('keeps an http(s) URL on the connector\'s or the portal\'s origin', () => {
    expect(importLocation('https://api.ent-b.example.fr/espace/marie/contenus/42', origins)).toBe('https://api.ent-b.example.fr/espace/marie/contenus/42');
    expect(importLocation('https://ent-b.example.fr/cahier-de-textes/seance/7?onglet=1', origins)).toBe('https://ent-b.example.fr/cahier-de-textes/seance/7?onglet=1');
  });

  it.each([
    ['another site', 'https://evil.example.com/phish'],
    ['a look-alike host', 'https://ent-b.example.fr.evil.example.com/x'],
    ['javascript:', 'javascript:alert(1)'],
    ['data:', 'data:text/html,<script>alert(1)</script>'],
    ['a relative path', '/espace/marie/contenus/42'],
    ['a protocol-relative URL', '//ent-b.example.fr/x'],
    ['credentials', 'https://user:pass@ent-b.example.fr/x'],
    ['another port', 'https://ent-b.example.fr:8443/x'],
    ['an overlong URL', `https://ent-b.example.fr/${'a'.repeat(3000)}`],
    ['a number', 42],
    ['nothing', undefined],
  ])('drops %s', (_, candidate) => {
    expect(importLocation(candidate, origins)).toBeUndefined();
  });
});
