import { discoveryLifetimeSeconds, DiscoveryDocumentError, expandTemplate, isOnOrigin, parseDiscoveryDocument } from './discovery-document';

const EXPECTED = { entId: 'ent-b', issuer: 'https://idp.example.org' };

function vendorDocument(): Record<string, unknown> {
  return {
    contractVersions: ['1'],
    entId: 'ent-b',
    uais: ['0690002B'],
    schools: [{ uai: '0690002B', name: 'Collège Jean Moulin', town: 'Lyon' }],
    issuer: 'https://idp.example.org/',
    audience: 'https://ent-b.example.org',
    jwksUri: 'https://keys.ent-b.example.org/portability/keys.json',
    endpoints: {
      capabilities: 'https://api.ent-b.example.org/peer/caps',
      offers: 'https://api.ent-b.example.org/peer/offer-inbox',
      deliveries: 'https://api.ent-b.example.org/peer/offer-inbox/{offerId}/manifest',
      itemContent: 'https://api.ent-b.example.org/peer/x/{transferId}/{itemId}/bytes',
      receipt: 'https://api.ent-b.example.org/peer/x/{transferId}/ack',
    },
    contentOrigins: ['https://cdn.ent-b.example.org', 'https://api.ent-b.example.org'],
    limits: { maxItemsPerOffer: 500, maxBodyBytes: 1048576, maxItemBytes: 1e9, offerTtlSeconds: 3600 },
    aFutureMember: { ignored: true },
  };
}

function problemsOf(doc: unknown): string[] {
  try {
    parseDiscoveryDocument(doc, EXPECTED);
  } catch (err) {
    if (err instanceof DiscoveryDocumentError) return err.problems;
    throw err;
  }
  return [];
}

describe('parseDiscoveryDocument', () => {
  it('takes a vendor document with its own paths, hosts and unknown members', () => {
    const d = parseDiscoveryDocument(vendorDocument(), EXPECTED);
    expect(d.endpoints.deliveries).toBe('https://api.ent-b.example.org/peer/offer-inbox/{offerId}/manifest');
    expect(d.audience).toBe('https://ent-b.example.org');
    expect(d.jwksUri).toBe('https://keys.ent-b.example.org/portability/keys.json');
    expect(d.gatewayOrigin).toBe('https://api.ent-b.example.org');
    // The gateway's own origin is not repeated among the content origins.
    expect(d.contentOrigins).toEqual(['https://cdn.ent-b.example.org']);
    expect(d.schools).toEqual([{ uai: '0690002B', name: 'Collège Jean Moulin', town: 'Lyon' }]);
  });

  it('takes an older v1 document without contentOrigins nor schools', () => {
    const doc = vendorDocument();
    delete doc.contentOrigins;
    delete doc.schools;
    const d = parseDiscoveryDocument(doc, EXPECTED);
    expect(d.contentOrigins).toEqual([]);
    expect(d.schools).toEqual([]);
  });

  it('takes the optional portalUrl (a link for the teacher); drops, without refusing the document, one that is not http(s)', () => {
    expect(parseDiscoveryDocument(vendorDocument(), EXPECTED).portalUrl).toBeUndefined();
    expect(parseDiscoveryDocument({ ...vendorDocument(), portalUrl: 'https://ent-b.example.org/portail' }, EXPECTED).portalUrl).toBe('https://ent-b.example.org/portail');
    for (const bad of ['javascript:alert(1)', 'data:text/html,x', '//ent-b.example.org', 'https://u:p@ent-b.example.org/', 42, 'x'.repeat(3000)]) {
      const d = parseDiscoveryDocument({ ...vendorDocument(), portalUrl: bad }, EXPECTED);
      expect(d.portalUrl).toBeUndefined();
      expect(d.endpoints.offers).toBe('https://api.ent-b.example.org/peer/offer-inbox');
    }
  });

  it('takes the optional cancellation endpoint when published, and checks it like the others', () => {
    expect(parseDiscoveryDocument(vendorDocument(), EXPECTED).endpoints.cancellation).toBeUndefined();
    const doc = vendorDocument() as Record<string, any>;
    doc.endpoints.cancellation = 'https://api.ent-b.example.org/peer/offer-inbox/{offerId}/withdraw';
    expect(parseDiscoveryDocument(doc, EXPECTED).endpoints.cancellation).toBe('https://api.ent-b.example.org/peer/offer-inbox/{offerId}/withdraw');
    doc.endpoints.cancellation = 'https://api.ent-b.example.org/peer/offer-inbox/withdraw';
    expect(problemsOf(doc)).toContain('endpoints.cancellation must contain {offerId} exactly once');
  });

  const withChange = (change: (d: Record<string, any>) => void) => {
    const doc = vendorDocument();
    change(doc);
    return doc;
  };

  it.each([
    ['not an object', () => ['x'], 'JSON object'],
    ['another ENT', () => withChange((d) => (d.entId = 'ent-c')), 'entId'],
    ['no shared version', () => withChange((d) => (d.contractVersions = ['2'])), 'no version in common'],
    ['another IdP', () => withChange((d) => (d.issuer = 'https://evil.example.org')), 'issuer'],
    ['a relative endpoint', () => withChange((d) => (d.endpoints.offers = '/peer/offers')), 'endpoints.offers must be an absolute URL'],
    ['a non-http scheme', () => withChange((d) => (d.jwksUri = 'file:///etc/passwd')), 'jwksUri must be an http or https URL'],
    ['credentials in a URL', () => withChange((d) => (d.audience = 'https://u:p@ent-b.example.org')), 'audience must not carry credentials'],
    ['a fragment', () => withChange((d) => (d.endpoints.capabilities = 'https://api.ent-b.example.org/caps#x')), 'fragment'],
    ['a missing placeholder', () => withChange((d) => (d.endpoints.itemContent = 'https://api.ent-b.example.org/x/{transferId}/bytes')), '{itemId} exactly once'],
    ['a repeated placeholder', () => withChange((d) => (d.endpoints.deliveries = 'https://a.example.org/{offerId}/{offerId}')), '{offerId} exactly once'],
    ['an unknown placeholder', () => withChange((d) => (d.endpoints.receipt = 'https://a.example.org/{transferId}/{tenant}')), 'unknown placeholders {tenant}'],
    ['a placeholder in the host', () => withChange((d) => (d.endpoints.receipt = 'https://{transferId}.example.org/ack')), 'in the path'],
    ['a placeholder in the query', () => withChange((d) => (d.endpoints.deliveries = 'https://a.example.org/d?offer={offerId}')), 'in the path'],
    ['unbalanced braces', () => withChange((d) => (d.endpoints.receipt = 'https://a.example.org/{transferId}/ack}')), 'unbalanced'],
    ['a missing endpoint', () => withChange((d) => delete d.endpoints.receipt), 'endpoints.receipt must be a string'],
    ['a content origin with a path', () => withChange((d) => (d.contentOrigins = ['https://cdn.example.org/bucket'])), 'must be an origin'],
    ['too many content origins', () => withChange((d) => (d.contentOrigins = Array.from({ length: 21 }, (_, i) => `https://c${i}.example.org`))), 'at most 20'],
    ['a bad UAI', () => withChange((d) => (d.uais = ['0690002b'])), 'uais'],
    ['a school name with a control character', () => withChange((d) => (d.schools = [{ uai: '0690002B', name: 'a\u0007' }])), 'schools[0].name'],
    ['an over-long URL', () => withChange((d) => (d.jwksUri = `https://a.example.org/${'x'.repeat(2100)}`)), 'at most 2048'],
  ])('refuses %s', (_what, doc, expected) => {
    const found = problemsOf(doc());
    expect(found.join(' | ')).toContain(expected);
  });

  it('lists every problem at once', () => {
    const found = problemsOf(withChange((d) => {
      d.entId = 'ent-c';
      d.jwksUri = 'nope';
      d.endpoints.offers = 42;
    }));
    expect(found).toHaveLength(3);
  });
});

describe('discovery helpers', () => {
  it('expands templates with encoded values', () => {
    expect(expandTemplate('https://a.example.org/t/{transferId}/i/{itemId}/c', { transferId: 'abc', itemId: 'x y/z' })).toBe('https://a.example.org/t/abc/i/x%20y%2Fz/c');
  });

  it('compares origins exactly', () => {
    expect(isOnOrigin('https://a.example.org/x', 'https://a.example.org')).toBe(true);
    expect(isOnOrigin('https://a.example.org:8443/x', 'https://a.example.org')).toBe(false);
    expect(isOnOrigin('https://a.example.org.evil.net/x', 'https://a.example.org')).toBe(false);
    expect(isOnOrigin('http://a.example.org/x', 'https://a.example.org')).toBe(false);
    expect(isOnOrigin('https://user@a.example.org/x', 'https://a.example.org')).toBe(false);
    expect(isOnOrigin(42, 'https://a.example.org')).toBe(false);
  });

  it('honours max-age within the configured bounds', () => {
    const bounds = { minTtlSeconds: 60, maxTtlSeconds: 86_400 };
    expect(discoveryLifetimeSeconds('public, max-age=600', bounds)).toBe(600);
    expect(discoveryLifetimeSeconds('max-age=5', bounds)).toBe(60);
    expect(discoveryLifetimeSeconds('max-age=99999999', bounds)).toBe(86_400);
    expect(discoveryLifetimeSeconds('no-store', bounds)).toBe(60);
    expect(discoveryLifetimeSeconds('no-cache, max-age=600', bounds)).toBe(60);
    expect(discoveryLifetimeSeconds(null, bounds)).toBe(3600);
    expect(discoveryLifetimeSeconds('max-age=abc', bounds)).toBe(3600);
    expect(discoveryLifetimeSeconds(null, { minTtlSeconds: 0, maxTtlSeconds: 300 })).toBe(300);
  });
});
