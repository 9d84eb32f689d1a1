import { ArchivePaths, exportFormatFor, extensionFor, relativeHref, renderCopyIndex, safeFileName } from './archive-layout';

const content = (category: string, formats: string[]) => ({
  id: 'c1', title: 't', category, updatedAt: '2026-01-01T00:00:00Z', metadataFormats: [],
  formats: formats.map((format) => ({ format, mediaType: format === 'binary' ? 'application/pdf' : 'x/y', sizeBytes: 1 })),
}) as never;

describe('layout of a copy of her data', () => {
  it('takes courses as the ENT’s Common Cartridge, the cahier as iCalendar, mail as mbox, files as they are', () => {
    expect(exportFormatFor(content('PARCOURS_PEDAGOGIQUE', ['moodle-mbz', 'imscc-1.1', 'imscc-1.3']))?.format).toBe('imscc-1.1');
    expect(exportFormatFor(content('CAHIER_TEXTES', ['imscc-1.3', 'ical']))?.format).toBe('ical');
    expect(exportFormatFor(content('COURRIER_ELECTRONIQUE', ['eml', 'mbox']))?.format).toBe('mbox');
    expect(exportFormatFor(content('STOCKAGE_PARTAGE', ['binary']))?.format).toBe('binary');
    expect(exportFormatFor(content('STOCKAGE_PARTAGE', []))).toBeUndefined();
    expect(extensionFor('binary', 'application/pdf; charset=binary')).toBe('.pdf');
    expect(extensionFor('imscc-1.3')).toBe('.imscc');
  });

  it('makes names from titles others typed safe: no path, control or bidi characters, no leading dots', () => {
    expect(safeFileName('../../etc/passwd')).toBe('_.._etc_passwd');
    expect(safeFileName('Cours\u202Efdp.exe')).toBe('Cours_fdp.exe');
    expect(safeFileName('  ...  ')).toBe('contenu');
    expect(safeFileName('a'.repeat(300))).toHaveLength(120);
  });

  it('never hands out the same path twice (case-insensitively), and links to it relatively, encoded', () => {
    const paths = new ArchivePaths();
    expect(paths.forContent('PARCOURS_PEDAGOGIQUE', 'Optique', '.imscc')).toBe('cours/Optique.imscc');
    expect(paths.forContent('PARCOURS_PEDAGOGIQUE', 'optique', '.imscc')).toBe('cours/optique (2).imscc');
    expect(paths.forContent('GESTION_TEMPS', 'x', '')).toBe('autres/x');
    expect(relativeHref('cours/Séance #1 ?.imscc')).toBe('cours/S%C3%A9ance%20%231%20%3F.imscc');
  });

  it('writes an index.html with no script and relative links only, every title escaped', () => {
    const page = renderCopyIndex({ ownerName: 'Marie <b>', entId: 'ent-a', createdAt: new Date('2026-09-01T10:00:00Z') }, [
      { contentId: 'c1', title: '<script>alert(1)</script>', category: 'PARCOURS_PEDAGOGIQUE', sizeBytes: 1_200_000, files: [{ path: 'cours/a b.imscc', label: 'a', sizeBytes: 1_200_000 }] },
      { contentId: 'c2', title: 'Perdu', category: 'STOCKAGE_PARTAGE', files: [], missing: "votre ENT n'a pas pu l'exporter." },
    ], [{ path: 'metadonnees/index.jsonld', label: 'Index schema.org', sizeBytes: 10 }]);
    expect(page).not.toMatch(/<script/i);
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page).toContain('Marie &lt;b&gt;');
    expect(page).toContain('href="cours/a%20b.imscc"');
    expect(page).toContain('1,2 Mo');
    expect(page).toContain('Non copié');
    expect([...page.matchAll(/href="([^"]+)"/g)].every((m) => !/^[a-z]+:|^\//i.test(m[1]))).toBe(true);
  });
});
