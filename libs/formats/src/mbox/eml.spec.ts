import { Readable } from 'node:stream';
import { parseMbox, writeMbox, MboxMessage } from './mbox';
import { emlToMbox, mboxToEml, splitMbox, splitMboxStream, envelopeFor } from './eml';

const messages: MboxMessage[] = [
  {
    from: 'Marie Dupont <marie.dupont@ac-lyon.fr>',
    to: ['Jean Martin <jean.martin@ac-lyon.fr>'],
    subject: 'Conseil de classe — 2nde 3',
    date: new Date('2025-11-20T17:05:00Z'),
    text: 'Bonjour,\n\nFrom now on, le conseil a lieu mardi.\n>From the notes\n\nMarie',
    messageId: 'm1@ent-a.example',
  },
  {
    from: 'jean.martin@ac-lyon.fr',
    to: ['marie.dupont@ac-lyon.fr'],
    subject: 'Re: Conseil de classe',
    date: new Date('2025-11-21T07:00:00Z'),
    text: 'Bien reçu.\n',
    messageId: 'm2@ent-a.example',
  },
];

describe('mbox ↔ eml', () => {
  const mbox = writeMbox(messages);

  it('splits an mbox into one CRLF .eml per message, undoing the >From quoting', () => {
    const files = mboxToEml(mbox);
    expect(files.map((f) => f.name)).toEqual(['0001-conseil-de-classe-2nde-3.eml', '0002-re-conseil-de-classe.eml']);
    const first = files[0].data.toString('utf8');
    expect(first.replace(/\r\n/g, '')).not.toMatch(/\n/);
    expect(first).toMatch(/^From: /);
    expect(first).not.toMatch(/^From marie/m);
    // the writer encodes a leading "From " as =46rom (quoted-printable); a ">From " line is mboxrd-quoted and comes back
    expect(first).toContain('\r\n=46rom now on, le conseil a lieu mardi.\r\n>From the notes\r\n');
    const raw = mboxToEml('From a@b Thu Jan  1 00:00:00 1970\nFrom: a@b\n\n>From here\n>>From there\n\n');
    expect(raw[0].data.toString()).toBe('From: a@b\r\n\r\nFrom here\r\n>From there\r\n');
  });

  it('comes back to the same mailbox (mboxrd, same envelopes)', () => {
    const again = emlToMbox(mboxToEml(mbox));
    expect(parseMbox(again).map((m) => [m.subject, m.text, m.messageId])).toEqual(parseMbox(mbox).map((m) => [m.subject, m.text, m.messageId]));
    expect(again.toString('utf8')).toBe(mbox.toString('utf8'));
  });

  it('streams: the same messages from a chunked stream as from memory', async () => {
    const chunks = [];
    for (let i = 0; i < mbox.length; i += 7) chunks.push(mbox.subarray(i, i + 7));
    const streamed = [];
    for await (const m of splitMboxStream(Readable.from(chunks))) streamed.push(m);
    expect(streamed).toEqual(splitMbox(mbox));
  });

  it('keeps 8-bit (Latin-1) bodies byte for byte', () => {
    const latin1 = Buffer.concat([
      Buffer.from('From x@y Thu Jan  1 00:00:00 1970\nFrom: x@y\nSubject: t\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: 8bit\n\n'),
      Buffer.from([0xe9, 0xe0, 0x0a]),
    ]);
    const [eml] = mboxToEml(latin1);
    expect(eml.data.subarray(-4)).toEqual(Buffer.from([0xe9, 0xe0, 0x0d, 0x0a]));
  });

  it('writes an envelope from the headers and refuses non-messages', () => {
    expect(envelopeFor(Buffer.from('From: "A" <a@b.fr>\r\nDate: Tue, 02 Sep 2025 08:00:00 +0200\r\n\r\nx'))).toBe('a@b.fr Tue Sep  2 06:00:00 2025');
    expect(() => emlToMbox([Buffer.from('\x00\x01binary')])).toThrow(/RFC 5322/);
    expect(() => splitMbox('not an mbox\n')).toThrow(/From /);
  });
});
