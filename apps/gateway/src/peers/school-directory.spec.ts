import type { GatewayConfig, PeerEntry } from '../config';
import type { DiscoveredPeer } from './discovery-document';
import type { PeerDiscovery } from './peer-discovery';
import type { PeerRegistry } from './peer-registry';
import { foldText, MAX_SEARCH_RESULTS, normaliseUai, School, SchoolDirectory, searchSchools } from './school-directory';

const SCHOOLS: School[] = [
  { uai: '0690002B', name: 'Lycée Ampère', town: 'Lyon' },
  { uai: '0690003C', name: 'Collège Jean-Moulin', town: 'Lyon' },
  { uai: '0130004D', name: 'Lycée Thiers', town: 'Marseille' },
  { uai: '0310005E' },
];

describe('school search (issue 16: by name or town, not only UAI)', () => {
  it('normalises a UAI typed in lower case or with spaces, and refuses what is not one', () => {
    expect(normaliseUai('0690002b')).toBe('0690002B');
    expect(normaliseUai(' 0690 002 B ')).toBe('0690002B');
    expect(normaliseUai('069002B')).toBeUndefined();
    expect(normaliseUai('Lyon')).toBeUndefined();
  });

  it('ignores case, accents, hyphens and apostrophes', () => {
    expect(foldText('Collège Jean-Moulin')).toBe('college jean moulin');
    expect(foldText("  L'Île-d'Yeu ")).toBe('l ile d yeu');
  });

  it('finds by name, by town, by both, by the start of a word, and an exact UAI', () => {
    expect(searchSchools(SCHOOLS, 'ampere').map((s) => s.uai)).toEqual(['0690002B']);
    expect(searchSchools(SCHOOLS, 'LYON').map((s) => s.uai)).toEqual(['0690003C', '0690002B']);
    expect(searchSchools(SCHOOLS, 'lycée lyon').map((s) => s.uai)).toEqual(['0690002B']);
    expect(searchSchools(SCHOOLS, 'jean moul').map((s) => s.uai)).toEqual(['0690003C']);
    expect(searchSchools(SCHOOLS, '0310005e').map((s) => s.uai)).toEqual(['0310005E']);
    expect(searchSchools(SCHOOLS, 'Lycée').map((s) => s.name)).toEqual(['Lycée Ampère', 'Lycée Thiers']);
    expect(searchSchools(SCHOOLS, 'Atlantide')).toEqual([]);
    expect(searchSchools(SCHOOLS, ' - ')).toEqual([]);
    // Not a substring match inside words: « on » does not find « Lyon ».
    expect(searchSchools(SCHOOLS, 'on')).toEqual([]);
  });

  it('bounds the results', () => {
    const many = Array.from({ length: 100 }, (_, i) => ({ uai: `${String(1000000 + i)}A`, name: `Collège ${i}`, town: 'Lille' }));
    expect(searchSchools(many, 'lille')).toHaveLength(MAX_SEARCH_RESULTS);
  });
});

describe('SchoolDirectory', () => {
  const peerB: PeerEntry = { entId: 'ent-b', clientId: 'b', discoveryUrl: 'https://b/.well-known/ent-portability', uais: ['0690002B', '0690003C'] };
  const peerC: PeerEntry = { entId: 'ent-c', clientId: 'c', discoveryUrl: 'https://c/.well-known/ent-portability', uais: ['0130004D'] };
  const config = { uais: ['0750001A'], publication: { schools: [{ uai: '0750001A', name: 'Lycée Victor-Hugo', town: 'Paris' }] } } as unknown as GatewayConfig;
  const registry = { all: () => [peerB, peerC] } as unknown as PeerRegistry;

  function directory(docs: Record<string, Partial<DiscoveredPeer> | Error>): SchoolDirectory {
    const discovery = {
      get: async (peer: PeerEntry) => {
        const doc = docs[peer.entId];
        if (doc instanceof Error) throw doc;
        return doc as DiscoveredPeer;
      },
    } as unknown as PeerDiscovery;
    return new SchoolDirectory(registry, discovery, config);
  }

  it('names the arrival schools from each partner\'s discovery, only for the UAIs PEERS routes to it, with its portal', async () => {
    const dir = directory({
      'ent-b': {
        schools: [{ uai: '0690002B', name: 'Lycée Ampère', town: 'Lyon' }, { uai: '0130004D', name: 'Usurpé par B', town: 'Marseille' }],
        portalUrl: 'https://ent-b.example.fr/',
      },
      'ent-c': new Error('down'),
    });
    const all = await dir.arrivals();
    expect(all).toEqual([
      { uai: '0690002B', name: 'Lycée Ampère', town: 'Lyon', portalUrl: 'https://ent-b.example.fr/' },
      { uai: '0690003C', portalUrl: 'https://ent-b.example.fr/' },
      // ent-c is down: its school keeps its UAI, and B cannot name it.
      { uai: '0130004D' },
    ]);
    expect((await dir.search('marseille'))).toEqual([]);
    expect((await dir.search('0130004d')).map((s) => s.uai)).toEqual(['0130004D']);
    expect(await dir.describe(['0750001A', '0690002B', '0999999Z'])).toEqual({
      '0750001A': { uai: '0750001A', name: 'Lycée Victor-Hugo', town: 'Paris' },
      '0690002B': { uai: '0690002B', name: 'Lycée Ampère', town: 'Lyon', portalUrl: 'https://ent-b.example.fr/' },
    });
  });
});
