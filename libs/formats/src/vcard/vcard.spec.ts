import { parseVcard, vcard, writeVcard, foldVcardLine, escapeVcardText, unescapeVcardText } from './vcard';

describe('vCard (RFC 6350)', () => {
  const card = vcard('Marie Dupont-Léger', {
    n: { family: ['Dupont-Léger'], given: ['Marie'], additional: ['Anne', 'Claire'], prefixes: ['Mme'], suffixes: [] },
    org: ['Lycée Jean Moulin; Lyon', 'Physique, chimie'],
    title: 'Professeure agrégée',
    emails: [{ value: 'marie.dupont@ac-lyon.fr', types: ['work'] }],
    tels: [{ value: 'tel:+33-4-78-00-00-00', types: ['work', 'voice'] }],
    adrs: [{ poBox: '', extended: 'Bâtiment B', street: '1 rue de la République', locality: 'Lyon', region: '', postalCode: '69001', country: 'France', types: ['work'] }],
    note: 'Ligne 1\nLigne 2 ; avec, séparateurs \\ et une très longue phrase pour forcer le pliage à soixante-quinze octets — éàü',
    uid: 'urn:uuid:4fbe8971-0bc3-424c-9c26-36c3e1eff6b1',
    categories: ['collègues', 'physique'],
  });

  it('writes CRLF lines of at most 75 octets, folded and escaped', () => {
    const text = writeVcard(card);
    expect(text.startsWith('BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Marie Dupont-Léger\r\n')).toBe(true);
    expect(text.endsWith('END:VCARD\r\n')).toBe(true);
    for (const line of text.split('\r\n')) expect(Buffer.byteLength(line, 'utf8')).toBeLessThanOrEqual(75);
    expect(text).toContain('N:Dupont-Léger;Marie;Anne,Claire;Mme;\r\n');
    expect(text).toContain('ORG:Lycée Jean Moulin\\; Lyon;Physique\\, chimie\r\n');
    expect(text.replace(/\r\n /g, '')).toContain('NOTE:Ligne 1\\nLigne 2 \\; avec\\, séparateurs \\\\ et');
    expect(text).toContain('TEL;VALUE=uri;TYPE=work,voice:tel:+33-4-78-00-00-00');
  });

  it('round-trips through parseVcard', () => {
    const [back] = parseVcard(writeVcard(card));
    expect(back).toEqual(card);
  });

  it('never splits a UTF-8 sequence when folding', () => {
    const folded = foldVcardLine(`NOTE:${'é'.repeat(100)}`);
    for (const l of folded.split('\r\n')) expect(Buffer.from(l, 'utf8').toString('utf8')).toBe(l);
    expect(folded.replace(/\r\n /g, '')).toBe(`NOTE:${'é'.repeat(100)}`);
  });

  it('reads 3.0 and 2.1 cards: groups, lowercase BEGIN, quoted-printable, bare types, several cards', () => {
    const text = [
      'BEGIN:vcard',
      'VERSION:3.0',
      'FN;ENCODING=8BIT;CHARSET=UTF-8;LANGUAGE=fr-FR:Nadine',
      'N;ENCODING=8BIT;CHARSET=UTF-8;LANGUAGE=fr-FR:BOUETTE',
      'EMAIL;TYPE=INTERNET:nadine.bouette@ac-clermont.fr',
      'item1.URL:https://www.ac-clermont.fr',
      'END:vcard',
      'BEGIN:VCARD',
      'VERSION:2.1',
      'N:Martin;Henri',
      'TEL;WORK;VOICE:01 11 11 11 11',
      'NOTE;ENCODING=QUOTED-PRINTABLE;CHARSET=UTF-8:Acad=C3=A9mie de =',
      'Rennes',
      'X-CUSTOM;X-PARAM="a;b":value',
      'END:VCARD',
      '',
    ].join('\n');
    const [a, b] = parseVcard(text);
    expect(a).toMatchObject({ version: '3.0', fn: 'Nadine', n: { family: ['BOUETTE'] }, emails: [{ value: 'nadine.bouette@ac-clermont.fr', types: [] }], urls: ['https://www.ac-clermont.fr'] });
    expect(b).toMatchObject({ version: '2.1', fn: 'Henri Martin', tels: [{ value: '01 11 11 11 11', types: ['work', 'voice'] }], note: 'Académie de Rennes' });
    expect(b.extra).toEqual([{ name: 'X-CUSTOM', params: { 'X-PARAM': ['a;b'] }, value: 'value' }]);
    expect(parseVcard(writeVcard([a, b]))).toHaveLength(2);
  });

  it('escapes and unescapes TEXT', () => {
    const s = 'a\\b,c;d\ne';
    expect(escapeVcardText(s)).toBe('a\\\\b\\,c\\;d\\ne');
    expect(unescapeVcardText(escapeVcardText(s))).toBe(s);
  });

  it('refuses broken input', () => {
    expect(() => parseVcard('BEGIN:VCARD\nFN:x\n')).toThrow(/unterminated/);
    expect(() => parseVcard('FN:x\n')).toThrow(/outside/);
    expect(() => writeVcard(vcard(''))).toThrow(/fn/);
    expect(() => writeVcard(vcard('x', { uid: 'a\nb' }))).toThrow(/one line/);
  });
});
