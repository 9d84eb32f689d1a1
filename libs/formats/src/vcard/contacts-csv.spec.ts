import { FormatError } from '../errors';
import { contactsCsvToVcards, parseCsv, writeContactsCsv } from './contacts-csv';
import { parseVcard } from './vcard';

describe('contacts-csv → vCard', () => {
  const columns = ['Type', 'Prénom', 'Nom', 'Courriel', 'Téléphone mobile', 'Organisation', 'Fonction', 'Groupes', 'Membres', 'Profil ENT', 'Classes', 'Identifiant ENT', 'Notes'];
  const csv = writeContactsCsv(columns, [
    { Prénom: 'Inès', Nom: 'Haddad', Courriel: 'ines.haddad@ac-paris.fr', 'Profil ENT': 'Élève', Classes: '2nde 3', 'Identifiant ENT': 'a1b2c3' },
    { Prénom: 'Thomas', Nom: 'Lefèvre', Courriel: 'thomas.lefevre@ac-paris.fr', Fonction: 'CPE', Groupes: 'Vie scolaire; Sorties', Notes: 'Bureau 12, « vie scolaire »\nmardi et jeudi' },
    { Type: 'Liste', Nom: 'Équipe pédagogique 2nde 3', Courriel: 'equipe.2nde3@ac-paris.fr', Membres: 'lucas.moreau@ac-paris.fr; marie.dupont@ac-paris.fr; pas une adresse' },
    {},
  ]);

  it('reads RFC 4180 CSV (quotes, doubled quotes, CRLF inside a quoted field)', () => {
    expect(parseCsv('a,"b ""c""","d\r\ne"\r\n1,2,3\r\n')).toEqual([['a', 'b "c"', 'd\r\ne'], ['1', '2', '3']]);
    expect(() => parseCsv('a,"b')).toThrow(/not closed/);
  });

  it('maps every contact, and declares each thing vCard does not hold', () => {
    const r = contactsCsvToVcards(csv);
    for (const line of r.vcf.split('\r\n')) expect(Buffer.byteLength(line, 'utf8')).toBeLessThanOrEqual(75);
    const cards = parseVcard(r.vcf);
    expect(cards.map((c) => [c.version, c.fn])).toEqual([['4.0', 'Inès Haddad'], ['4.0', 'Thomas Lefèvre'], ['4.0', 'Équipe pédagogique 2nde 3']]);
    expect(cards[0].n).toMatchObject({ family: ['Haddad'], given: ['Inès'] });
    expect(cards[1].note).toBe('Bureau 12, « vie scolaire »\nmardi et jeudi');
    expect(cards[1].title).toBe('CPE');
    expect(cards[1].categories).toEqual(['Vie scolaire', 'Sorties']);
    expect(cards[2].kind).toBe('group');
    expect(cards[2].extra.filter((p) => p.name === 'MEMBER').map((m) => m.value)).toEqual(['mailto:lucas.moreau@ac-paris.fr', 'mailto:marie.dupont@ac-paris.fr']);
    // Stable UIDs: the same book gives the same bytes.
    expect(cards.every((c) => /^urn:uuid:[0-9a-f-]{36}$/.test(c.uid ?? ''))).toBe(true);
    expect(contactsCsvToVcards(csv).vcf).toBe(r.vcf);
    expect(r.losses).toEqual([
      { code: 'CONTACTS_ENT_FIELDS_DROPPED', details: ['Profil ENT', 'Classes', 'Identifiant ENT'] },
      { code: 'CONTACTS_GROUPS_AS_CATEGORIES', details: ['Thomas Lefèvre : Vie scolaire, Sorties'] },
      { code: 'CONTACTS_LISTS_AS_GROUP_CARDS', details: ['Équipe pédagogique 2nde 3'] },
    ]);
    // Nothing of the ENT-only columns in the vCards.
    expect(r.vcf).not.toContain('a1b2c3');
    expect(r.vcf).not.toContain('Élève');
  });

  it('declares nothing it did not lose, and refuses what is not an address book', () => {
    expect(contactsCsvToVcards('Prénom,Nom,Courriel\r\nLucas,Moreau,lucas.moreau@ac-paris.fr\r\n').losses).toEqual([]);
    expect(contactsCsvToVcards('Nom,Courriel\r\n,\r\n"",""\r\nMoreau,\r\n').losses).toEqual([]);
    expect(contactsCsvToVcards('Nom,Courriel,Notes\r\n,,juste une note\r\nMoreau,,\r\n').losses).toEqual([{ code: 'CONTACTS_EMPTY_ROWS_SKIPPED', details: ['ligne 2'] }]);
    expect(() => contactsCsvToVcards('')).toThrow(FormatError);
    expect(() => contactsCsvToVcards('Nom,Courriel\r\n')).toThrow(/no contact/);
    expect(() => contactsCsvToVcards('a,b\r\n1,2\r\n')).toThrow(/not an address book/);
  });
});
