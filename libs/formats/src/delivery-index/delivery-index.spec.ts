import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseXmlSafely } from '../xml/safe-xml';
import { serializeXml } from '../scolomfr/xml-tree';
import { SCOLOMFR_TERMS, writeScolomfrRecord } from '../scolomfr/scolomfr';
import { validateScolomfr } from '../scolomfr/validate';
import { xmllintAvailable } from '../scolomfr/xsd';
import { buildDeliveryIndex, DeliveryIndexItem, DELIVERY_INDEX_NS, frenchSize } from './delivery-index';

jest.setTimeout(60_000);

const CORPUS = resolve(__dirname, '../../../..', '..', 'shared', 'corpus');
const official = readFileSync(join(CORPUS, 'scolomfr/records/official_ExempleManuelReferenceScoLOMFRv3-1.xml'), 'utf8');
const sha = (c: string) => c.repeat(64);

const items: DeliveryIndexItem[] = [
  { itemId: 'res-1', title: 'La bataille de Verdun', category: 'STOCKAGE_PARTAGE', format: 'binary', mediaType: 'application/pdf', sizeBytes: 8192, sha256: sha('a'), scolomfr: official },
  {
    itemId: 'res-2',
    title: 'Fiche méthode <script>alert("x")</script> & co',
    category: 'PARCOURS_PEDAGOGIQUE',
    format: 'imscc-1.3',
    mediaType: 'application/vnd.ims.imsccv1p3',
    sizeBytes: 1_234_567,
    sha256: sha('b'),
    scolomfr: writeScolomfrRecord({
      identifier: 'https://ent-a.example/r/2',
      title: 'Fiche méthode',
      description: 'Démarche scientifique',
      language: 'fr',
      keywords: [],
      author: 'Marie Dupont',
      date: '2025-09-10',
      learningResourceType: SCOLOMFR_TERMS.lrtMethodologie,
      educationalLevel: SCOLOMFR_TERMS.levelLyceeGT,
      format: 'application/pdf',
      size: 10,
    }),
  },
  { itemId: 'mail', title: 'Boîte de réception', category: 'COURRIER_ELECTRONIQUE', format: 'mbox', mediaType: 'application/mbox', sizeBytes: 42, sha256: sha('c') },
  { itemId: 'bad', title: 'Notice cassée', category: 'STOCKAGE_PARTAGE', format: 'binary', mediaType: 'image/png', sizeBytes: 0, sha256: sha('d'), scolomfr: '<lom' },
];
const meta = { offerId: 'offer-42', departure: { id: 'ent-a', name: 'ENT A', uai: '0290076A' }, arrival: 'ent-b', issuedAt: '2025-10-01T08:30:00Z' };

describe('buildDeliveryIndex', () => {
  const index = buildDeliveryIndex(items, meta);

  it('lists every item in ScoLOMFR XML, each <lom> valid on its own', async () => {
    const root = parseXmlSafely(index['index.scolomfr.xml']);
    expect(root).toMatchObject({ local: 'index', ns: DELIVERY_INDEX_NS });
    expect(root.attrs).toMatchObject({ offerId: 'offer-42', departure: 'ent-a', arrival: 'ent-b', issuedAt: '2025-10-01T08:30:00.000Z', items: '4' });
    expect(root.children.map((c) => [c.attrs.itemId, c.attrs.metadata, c.attrs.sha256.slice(0, 1)])).toEqual([
      ['res-1', 'departure', 'a'],
      ['res-2', 'departure', 'b'],
      ['mail', 'generated', 'c'],
      ['bad', 'generated', 'd'],
    ]);
    expect(root.children[3].attrs.note).toMatch(/illisible/);
    if (xmllintAvailable()) {
      for (const item of root.children) {
        const r = await validateScolomfr(serializeXml(item.children[0]), { vocabularies: true });
        expect({ id: item.attrs.itemId, errors: r.findings.filter((f) => f.severity === 'error') }).toEqual({ id: item.attrs.itemId, errors: [] });
      }
    }
  });

  it('lists every item as schema.org JSON-LD', () => {
    const list = JSON.parse(index['index.jsonld']);
    expect(list).toMatchObject({ '@context': 'https://schema.org/', '@type': 'ItemList', numberOfItems: 4, sourceOrganization: { identifier: 'ent-a', name: 'ENT A' } });
    expect(list.itemListElement.map((e: { position: number; item: { '@type': string; sha256: string } }) => [e.position, e.item['@type'], e.item.sha256[0]])).toEqual([
      [1, 'LearningResource', 'a'],
      [2, 'LearningResource', 'b'],
      [3, 'MediaObject', 'c'],
      [4, 'MediaObject', 'd'],
    ]);
    expect(list.itemListElement[0].item.name).toBe('La bataille de Verdun');
    expect(list.itemListElement[2].item.contentSize).toBe('42 octets');
  });

  it('writes a French page with every value escaped', () => {
    const html = index['index.html'];
    expect(html).toContain('<html lang="fr">');
    expect(html).toContain('Index de la livraison offer-42');
    expect(html).toContain('Fiche méthode &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co');
    expect(html).not.toContain('<script>');
    expect(html).toContain('Courrier électronique');
    expect(html).toContain('1,2 Mo');
    expect(html).toContain('ENT A (ent-a) — UAI 0290076A');
    expect(html).toContain('mercredi 1 octobre 2025');
    expect(html).toContain('niveau : lycée général et technologique');
  });

  it('is deterministic and checks its input', () => {
    expect(buildDeliveryIndex(items, meta)).toEqual(index);
    expect(() => buildDeliveryIndex([{ ...items[2], sha256: 'xyz' }], meta)).toThrow(/sha256/);
    expect(() => buildDeliveryIndex([items[2], items[2]], meta)).toThrow(/unique/);
    expect(() => buildDeliveryIndex(items, { ...meta, issuedAt: 'hier' })).toThrow(/issuedAt/);
    expect(frenchSize(999)).toBe('999 octets');
    expect(frenchSize(1_500_000_000)).toBe('1,5 Go');
  });
});
