import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { digestLheoXsd, renderLheoSchemaTables } from './schema-digest';
import { LHEO_22, LHEO_23 } from './schema-tables';

const CORPUS = resolve(__dirname, '../../../..', '..', 'shared', 'corpus');

describe('LHÉO schema tables', () => {
  const d22 = digestLheoXsd(readFileSync(join(CORPUS, 'schemas/lheo/lheo-2.2.regenerated.xsd')));
  const d23 = digestLheoXsd(readFileSync(join(CORPUS, 'schemas/lheo/lheo-2.3.xsd')));

  it('are what the official XSDs say (regenerate with UPDATE_LHEO_TABLES=1)', () => {
    const file = join(__dirname, 'schema-tables.ts');
    const text = renderLheoSchemaTables(d22, d23);
    if (process.env.UPDATE_LHEO_TABLES === '1') writeFileSync(file, text);
    expect(readFileSync(file, 'utf8')).toBe(text);
    expect(LHEO_22).toEqual(d22);
    expect(LHEO_23).toEqual(d23);
  });

  it('show 2.3 as a superset of 2.2 with the namespaces of the change list', () => {
    expect(LHEO_22.namespace).toBe('http://www.lheo.org/2.2');
    expect(LHEO_23.namespace).toBe('http://lheo.gouv.fr/2.3');
    for (const name of Object.keys(LHEO_22.elements)) expect(LHEO_23.elements[name]).toBeDefined();
    expect(LHEO_23.elements.action.attributes).toEqual(expect.arrayContaining(['uri', 'horodatage-creation', 'horodatage-modification', 'horodatage-export']));
    expect(LHEO_22.elements.action.attributes).not.toContain('uri');
    expect(LHEO_22.elements['code-CERTIFINFO'].facets?.maxLength).toBe(6);
    expect(LHEO_23.elements['code-CERTIFINFO'].facets?.maxLength).toBe(10);
    expect(LHEO_23.elements.adresse.children?.[0]).toEqual({ name: 'denomination', min: 0, max: 1 });
  });
});
