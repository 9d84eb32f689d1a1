/**
 * `contacts-csv`: an address book as webmails export it (« Exporter les contacts (CSV) »):
 * RFC 4180 CSV, UTF-8, one header row naming the columns, one contact or list per row. The columns
 * this library knows are listed in `CONTACT_COLUMNS` (docs/formats-mail.md); any other column is
 * kept out of the vCard and reported.
 *
 * `contactsCsvToVcards` maps it onto vCard 4.0 and says what did not cross: the loss codes are
 * those of the `contacts-csv-to-vcard` converter descriptor.
 */
import { createHash } from 'node:crypto';
import { FormatError } from '../errors';
import { vcard, Vcard, writeVcard } from './vcard';

export const CONTACTS_CSV_MEDIA_TYPE = 'text/csv';

/** RFC 4180: fields separated by commas, optionally quoted (`""` for a quote), records by CRLF or LF. */
export function parseCsv(text: string, maxRows = 100_000): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  const s = text.replace(/^\uFEFF/, '');
  const endRow = () => {
    row.push(field);
    field = '';
    if (!(row.length === 1 && row[0] === '')) {
      if (rows.length >= maxRows) throw new FormatError('INVALID_INPUT', `more than ${maxRows} CSV rows`);
      rows.push(row);
    }
    row = [];
  };
  while (i < s.length) {
    const ch = s[i];
    if (quoted) {
      if (ch === '"' && s[i + 1] === '"') {
        field += '"';
        i += 2;
        continue;
      }
      if (ch === '"') quoted = false;
      else field += ch;
      i++;
      continue;
    }
    if (ch === '"' && field === '') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\r' && s[i + 1] === '\n') {
      endRow();
      i++;
    } else if (ch === '\n' || ch === '\r') endRow();
    else field += ch;
    i++;
  }
  if (quoted) throw new FormatError('INVALID_INPUT', 'CSV: a quoted field is not closed');
  if (field !== '' || row.length > 0) endRow();
  return rows;
}

/** The columns of a `contacts-csv` address book (header names, French, case and accents ignored when read). */
export const CONTACT_COLUMNS = {
  type: 'Type',
  givenName: 'Prénom',
  familyName: 'Nom',
  fullName: 'Nom affiché',
  email: 'Courriel',
  email2: 'Courriel 2',
  workPhone: 'Téléphone professionnel',
  homePhone: 'Téléphone personnel',
  mobilePhone: 'Téléphone mobile',
  organization: 'Organisation',
  title: 'Fonction',
  street: 'Adresse',
  postalCode: 'Code postal',
  locality: 'Ville',
  country: 'Pays',
  note: 'Notes',
  groups: 'Groupes',
  members: 'Membres',
} as const;

const norm = (h: string) => h.normalize('NFD').replace(/[\u0300-\u036f]/g, '').trim().toLowerCase();

export interface ContactsConversionLoss {
  code: 'CONTACTS_ENT_FIELDS_DROPPED' | 'CONTACTS_GROUPS_AS_CATEGORIES' | 'CONTACTS_LISTS_AS_GROUP_CARDS' | 'CONTACTS_EMPTY_ROWS_SKIPPED';
  details: string[];
}

export interface ContactsConversion {
  vcf: string;
  contacts: Vcard[];
  losses: ContactsConversionLoss[];
}

/** A row's type: a person (default) or a distribution list (`Liste`, members in `Membres`, separated by `;`). */
const isList = (v: string | undefined) => /^liste/i.test((v ?? '').trim());

/** Reads a `contacts-csv` address book and writes it as vCard 4.0, with what did not cross. */
export function contactsCsvToVcards(input: string | Buffer): ContactsConversion {
  const rows = parseCsv(Buffer.isBuffer(input) ? input.toString('utf8') : input);
  if (rows.length === 0) throw new FormatError('INVALID_INPUT', 'the address book is empty (no header row)');
  const header = rows[0].map(norm);
  const known = new Map(Object.entries(CONTACT_COLUMNS).map(([k, v]) => [norm(v), k as keyof typeof CONTACT_COLUMNS]));
  const index: Partial<Record<keyof typeof CONTACT_COLUMNS, number>> = {};
  const dropped: { name: string; at: number }[] = [];
  header.forEach((h, at) => {
    const key = known.get(h);
    if (key !== undefined && index[key] === undefined) index[key] = at;
    else if (h !== '') dropped.push({ name: rows[0][at].trim(), at });
  });
  if (index.email === undefined && index.familyName === undefined && index.fullName === undefined) {
    throw new FormatError('INVALID_INPUT', `not an address book: the header names none of ${CONTACT_COLUMNS.familyName}, ${CONTACT_COLUMNS.fullName}, ${CONTACT_COLUMNS.email}`);
  }
  const contacts: Vcard[] = [];
  const droppedUsed = new Set<string>();
  const grouped: string[] = [];
  const listsWithMembers: string[] = [];
  const skipped: string[] = [];
  rows.slice(1).forEach((r, n) => {
    const get = (k: keyof typeof CONTACT_COLUMNS) => {
      const at = index[k];
      return at === undefined ? '' : (r[at] ?? '').trim();
    };
    const given = get('givenName');
    const family = get('familyName');
    const emails = [get('email'), get('email2')].filter(Boolean);
    const fn = get('fullName') || [given, family].filter(Boolean).join(' ') || get('organization') || emails[0] || '';
    if (!fn) {
      if (r.some((f) => f.trim())) skipped.push(`ligne ${n + 2}`);
      return;
    }
    const list = isList(get('type'));
    const contact = vcard(fn, {
      ...(list ? { kind: 'group' } : {}),
      ...(given || family ? { n: { family: family ? [family] : [], given: given ? [given] : [], additional: [], prefixes: [], suffixes: [] } } : {}),
      emails: emails.map((value) => ({ value, types: [] })),
      tels: [
        ...(get('workPhone') ? [{ value: get('workPhone'), types: ['work', 'voice'] }] : []),
        ...(get('homePhone') ? [{ value: get('homePhone'), types: ['home', 'voice'] }] : []),
        ...(get('mobilePhone') ? [{ value: get('mobilePhone'), types: ['cell'] }] : []),
      ],
      ...(get('organization') ? { org: [get('organization')] } : {}),
      ...(get('title') ? { title: get('title') } : {}),
      ...(get('note') ? { note: get('note') } : {}),
    });
    if (get('street') || get('locality') || get('postalCode') || get('country')) {
      contact.adrs.push({ poBox: '', extended: '', street: get('street'), locality: get('locality'), region: '', postalCode: get('postalCode'), country: get('country'), types: ['work'] });
    }
    const groups = get('groups').split(';').map((g) => g.trim()).filter(Boolean);
    if (groups.length) {
      contact.categories.push(...groups);
      grouped.push(`${fn} : ${groups.join(', ')}`);
    }
    if (list) {
      // RFC 6350 §6.6.5: a group's members as URIs; only e-mail addresses can be named outside the ENT.
      for (const m of get('members').split(';').map((x) => x.trim())) {
        if (/^[^\s@,;:<>"]+@[^\s@,;:<>"]+$/.test(m)) contact.extra.push({ name: 'MEMBER', params: {}, value: `mailto:${m}` });
      }
      listsWithMembers.push(fn);
    }
    contact.uid = stableUid(contact);
    for (const d of dropped) if ((r[d.at] ?? '').trim()) droppedUsed.add(d.name);
    contacts.push(contact);
  });
  const losses: ContactsConversionLoss[] = [];
  if (droppedUsed.size) losses.push({ code: 'CONTACTS_ENT_FIELDS_DROPPED', details: [...droppedUsed] });
  if (grouped.length) losses.push({ code: 'CONTACTS_GROUPS_AS_CATEGORIES', details: grouped });
  if (listsWithMembers.length) losses.push({ code: 'CONTACTS_LISTS_AS_GROUP_CARDS', details: listsWithMembers });
  if (skipped.length) losses.push({ code: 'CONTACTS_EMPTY_ROWS_SKIPPED', details: skipped });
  if (contacts.length === 0) throw new FormatError('INVALID_INPUT', 'the address book holds no contact');
  return { vcf: writeVcard(contacts), contacts, losses };
}

/** A UID derived from what identifies the contact: the same book always gives the same bytes, and a re-import can match cards. */
function stableUid(c: Vcard): string {
  const h = createHash('sha256').update(JSON.stringify([c.kind ?? '', c.fn, c.emails.map((e) => e.value.toLowerCase()), c.tels.map((t) => t.value)])).digest('hex');
  return `urn:uuid:${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${((parseInt(h[16], 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Writes an address book as `contacts-csv` (the ENT simulator's export), every field quoted where needed. */
export function writeContactsCsv(columns: readonly string[], rows: readonly Record<string, string>[]): string {
  const cell = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  return [columns.map(cell).join(','), ...rows.map((r) => columns.map((c) => cell(r[c] ?? '')).join(','))].join('\r\n') + '\r\n';
}
