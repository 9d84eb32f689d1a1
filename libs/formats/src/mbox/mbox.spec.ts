import { FormatError } from '../errors';
import { parseMbox, writeMbox, MboxMessage } from './mbox';
import { decodeEncodedWords, decodeQuotedPrintable, encodeQuotedPrintable, encodeWords } from './mime';

const messages: MboxMessage[] = [
  {
    from: 'Élodie Girard <elodie.girard@ac-paris.fr>',
    to: ['Marie Dupont <marie.dupont@ac-paris.fr>'],
    subject: 'Réunion pédagogique — conseil de classe de 2nde 3 (jeudi 16 h 30, salle B12) : ordre du jour détaillé',
    date: new Date('2025-09-18T14:05:00Z'),
    messageId: 'msg-001@ent-a.example',
    text: 'Bonjour Marie,\n\nFrom the minutes of last year, we need:\n>From a previous mail\n.\nÀ jeudi !\nUne ligne très longue '.concat(
      'é'.repeat(120),
      '   \nFin avec espaces   ',
    ),
  },
  {
    from: 'lucas.moreau@ac-paris.fr',
    to: ['marie.dupont@ac-paris.fr', 'Vie scolaire <vie.scolaire@ac-paris.fr>', '"Dupont, Marie" <marie.d@ac-paris.fr>'],
    subject: 'TP spectroscopie',
    date: new Date('2025-09-19T07:30:09Z'),
    messageId: '<msg-002@ent-a.example>',
    text: 'Salut, le TP est prêt.\nFrom here on, all good.',
  },
];

describe('writeMbox', () => {
  const mbox = writeMbox(messages);
  const text = mbox.toString('utf8');

  it('parses back to the same messages', () => {
    const parsed = parseMbox(mbox);
    expect(parsed).toHaveLength(2);
    parsed.forEach((p, i) => {
      const m = messages[i];
      expect(p.subject).toBe(m.subject);
      expect(p.text).toBe(m.text);
      expect(p.date?.toISOString()).toBe(m.date.toISOString());
      expect(p.messageId).toBe(`<${m.messageId.replace(/^<|>$/g, '')}>`);
    });
    expect(decodeEncodedWords(parsed[0].from)).toBe('Élodie Girard <elodie.girard@ac-paris.fr>');
    expect(parsed[1].to).toEqual([
      'marie.dupont@ac-paris.fr',
      'Vie scolaire <vie.scolaire@ac-paris.fr>',
      '"Dupont, Marie" <marie.d@ac-paris.fr>',
    ]);
    expect(parsed[0].envelopeSender).toBe('elodie.girard@ac-paris.fr');
    expect(parsed[0].envelopeDate).toBe('Thu Sep 18 14:05:00 2025');
  });

  it('starts each message with an mbox From line and escapes body lines (mboxrd)', () => {
    const fromLines = text.split('\n').filter((l) => l.startsWith('From '));
    expect(fromLines).toEqual(['From elodie.girard@ac-paris.fr Thu Sep 18 14:05:00 2025', 'From lucas.moreau@ac-paris.fr Fri Sep 19 07:30:09 2025']);
    // QP encodes the F of a body "From " line, and ">From" gains one more ">".
    expect(text).toContain('\n=46rom the minutes');
    expect(text).toContain('\n>>From a previous mail');
    expect(text).not.toMatch(/\r/);
    // messages are separated by a blank line
    expect(text).toMatch(/\n\nFrom lucas\.moreau/);
  });

  it('keeps headers 7-bit, encodes non-ASCII subject and names (RFC 2047) and folds them', () => {
    const headerBlock = text.slice(0, text.indexOf('\n\n'));
    expect(headerBlock).toMatch(/^[\x00-\x7f]*$/);
    expect(headerBlock).toContain('Subject: =?UTF-8?B?');
    expect(headerBlock).toMatch(/^From: =\?UTF-8\?B\?[A-Za-z0-9+/=]+\?= <elodie\.girard@ac-paris\.fr>$/m);
    for (const line of headerBlock.split('\n')) expect(line.length).toBeLessThanOrEqual(78);
    for (const word of headerBlock.match(/=\?[^?]+\?B\?[^?]*\?=/g) ?? []) expect(word.length).toBeLessThanOrEqual(75);
    expect(headerBlock).toContain('Date: Thu, 18 Sep 2025 14:05:00 +0000');
    expect(headerBlock).toContain('Message-ID: <msg-001@ent-a.example>');
    expect(headerBlock).toContain('Content-Transfer-Encoding: quoted-printable');
    expect(headerBlock).toContain('Content-Type: text/plain; charset=utf-8');
  });

  it('keeps quoted-printable lines within 76 characters and ASCII', () => {
    const body = text.slice(text.indexOf('\n\n') + 2, text.indexOf('\nFrom lucas'));
    for (const line of body.split('\n')) {
      expect(line.length).toBeLessThanOrEqual(76);
      expect(line).toMatch(/^[\x00-\x7f]*$/);
    }
    // trailing spaces are encoded so that transports cannot strip them
    expect(body).toContain('=20');
  });

  it('is deterministic', () => {
    expect(writeMbox(messages).equals(mbox)).toBe(true);
  });

  it('refuses header injection and non-ASCII addresses', () => {
    expect(() => writeMbox([{ ...messages[1], subject: 'x\r\nBcc: evil@example.com' }])).toThrow(FormatError);
    expect(() => writeMbox([{ ...messages[1], to: ['élodie@ac-paris.fr'] }])).toThrow(FormatError);
    expect(() => writeMbox([{ ...messages[1], messageId: 'no-at-sign' }])).toThrow(FormatError);
    expect(() => writeMbox([{ ...messages[1], to: [] }])).toThrow(FormatError);
  });
});

describe('MIME helpers', () => {
  it('never splits a UTF-8 character across encoded-words', () => {
    const text = '😀é'.repeat(40);
    const words = encodeWords(text);
    expect(words.length).toBeGreaterThan(1);
    for (const w of words) {
      const b64 = /^=\?UTF-8\?B\?(.*)\?=$/.exec(w)![1];
      const decoded = Buffer.from(b64, 'base64').toString('utf8');
      expect(decoded).not.toContain('\uFFFD');
    }
    expect(decodeEncodedWords(words.join(' '))).toBe(text);
  });

  it('quoted-printable round-trips arbitrary text', () => {
    const sample = 'a=b\tc \nligne accentuée ' + 'x'.repeat(200) + '\n\nFrom x\n.\nfin ';
    expect(decodeQuotedPrintable(encodeQuotedPrintable(sample, '\n')).toString('utf8')).toBe(sample);
  });

  it('decodes Q encoded-words too', () => {
    expect(decodeEncodedWords('=?ISO-8859-1?Q?Caf=E9_cr=E8me?=')).toBe('Café crème');
  });
});
