/**
 * Plug-ins of the metadata formats for the format registry of the
 * `ent-portability` command (`../inspect.ts`): inspectors for ScoLOMFR / LOM
 * records, LHÉO documents and schema.org JSON-LD, and file conversions
 * (LHÉO up/downgrade, LOM 1.x/2.x → ScoLOMFR 3.1, ScoLOMFR ↔ schema.org).
 * Nothing is registered on import: call `registerMetadataFormats()`.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { countFindings, registerConversion, registerInspector } from '../inspect';
import type { ConversionResult, FormatConversion, FormatInspector, InspectFinding, InspectReport } from '../inspect';
import { downgradeLheo23to22, upgradeLheo22to23, validateLheo, LHEO_NS } from '../lheo/lheo';
import { readScolomfr } from '../scolomfr/reader';
import { writeScolomfrRecord } from '../scolomfr/scolomfr';
import { upgradeScolomfr } from '../scolomfr/upgrade';
import { validateScolomfr } from '../scolomfr/validate';
import type { Finding } from '../scolomfr/findings';
import { crosswalkScolomfrToSchemaOrg } from '../schemaorg/to-schemaorg';
import { schemaOrgToScolomfr } from '../schemaorg/from-schemaorg';
import { readLrmi } from '../schemaorg/lrmi';
import { CONTACT_COLUMNS, contactsCsvToVcards, parseCsv } from '../vcard/contacts-csv';
import { DESCRIPTORS } from './descriptors';

const MAX = 64 * 1024 * 1024;
const asInspect = (f: Finding[]): InspectFinding[] => f.map((x) => ({ severity: x.severity, code: x.code, message: x.message, ...(x.path ? { path: x.path } : {}) }));

async function readBounded(path: string): Promise<Buffer> {
  const st = await fs.stat(path);
  if (st.size > MAX) throw new Error(`${path} is larger than ${MAX} bytes`);
  return fs.readFile(path);
}

function report(file: string, format: string, version: string | undefined, summary: Record<string, unknown>, validation: Record<string, unknown>, findings: InspectFinding[]): InspectReport {
  const counts = countFindings(findings);
  return { file, format, ...(version ? { version } : {}), valid: counts.error === 0, summary, validation, findings, counts };
}

export const scolomfrInspector: FormatInspector = {
  name: 'scolomfr',
  formats: ['scolomfr-3.1', 'lom'],
  detect: ({ isDirectory, head }) => !isDirectory && /<([\w-]+:)?lom[\s>]/.test(head.toString('utf8')) && head.includes('http://ltsc.ieee.org/xsd/LOM'),
  async inspect(path, options) {
    const xml = await readBounded(path);
    const v = await validateScolomfr(xml, { xsd: !options.skipXsd });
    const { record, declaredSchemas } = readScolomfr(xml);
    const legacy = v.findings.some((f) => f.code === 'SCOLOMFR_LEGACY_VALUE');
    const version = declaredSchemas.map((s) => /scolomfr\s*v?(\d+\.\d+)/i.exec(s)?.[1]).find(Boolean);
    return report(
      path,
      legacy ? 'lom' : 'scolomfr-3.1',
      version,
      {
        title: record.general.title?.[0]?.value,
        identifiers: record.general.identifiers,
        declaredSchemas,
        learningResourceTypes: record.educational.flatMap((e) => e.learningResourceTypes.map((t) => t.label ?? t.value)),
        classifications: record.classifications.length,
      },
      { xsd: v.xsd, vocabularies: v.vocabulariesChecked },
      asInspect(v.findings),
    );
  },
};

export const lheoInspector: FormatInspector = {
  name: 'lheo',
  formats: ['lheo-2.2', 'lheo-2.3'],
  detect: ({ isDirectory, head }) => !isDirectory && (head.includes(LHEO_NS['2.2']) || head.includes(LHEO_NS['2.3'])),
  async inspect(path, options) {
    const xml = await readBounded(path);
    const text = xml.toString('utf8');
    const count = (el: string) => (text.match(new RegExp(`<([\\w-]+:)?${el}[\\s>]`, 'g')) ?? []).length;
    const v = options.skipXsd ? undefined : await validateLheo(xml);
    const version = text.includes(LHEO_NS['2.3']) ? '2.3' : '2.2';
    return report(
      path,
      `lheo-${version}`,
      version,
      { formations: count('formation'), actions: count('action'), sessions: count('session'), resumesOffres: count('resume-offre') },
      { xsd: v?.xsd ?? { checked: false, unavailable: 'skipped' } },
      asInspect(v?.findings ?? []),
    );
  },
};

export const schemaOrgInspector: FormatInspector = {
  name: 'schemaorg-jsonld',
  formats: ['schemaorg-jsonld'],
  detect: ({ isDirectory, head }) => {
    if (isDirectory) return false;
    const t = head.toString('utf8');
    return /schema\.org/.test(t) && (/^\s*[{[]/.test(t) || /application\/ld\+json/.test(t));
  },
  async inspect(path) {
    const r = readLrmi(await readBounded(path));
    return report(
      path,
      'schemaorg-jsonld',
      undefined,
      { resources: r.items.map((i) => ({ type: i['@type'], name: i.name })) },
      { reader: 'readLrmi' },
      asInspect(r.findings),
    );
  },
};

const normHeader = (h: string) => h.normalize('NFD').replace(/[\u0300-\u036f]/g, '').trim().toLowerCase();
const CONTACT_HEADERS = new Set(Object.values(CONTACT_COLUMNS).map(normHeader));

/** An address book as webmails export it: a CSV whose header names at least two `contacts-csv` columns. */
export const contactsCsvInspector: FormatInspector = {
  name: 'contacts-csv',
  formats: ['contacts-csv'],
  detect: ({ isDirectory, head }) => {
    if (isDirectory) return false;
    const first = head.toString('utf8').replace(/^\uFEFF/, '').split(/\r?\n/)[0] ?? '';
    return first.split(',').filter((h) => CONTACT_HEADERS.has(normHeader(h.replace(/^"|"$/g, '')))).length >= 2;
  },
  async inspect(path) {
    const text = (await readBounded(path)).toString('utf8');
    const rows = parseCsv(text);
    const r = contactsCsvToVcards(text);
    const lost = r.losses.map((l) => ({ severity: 'info' as const, code: l.code, message: `${l.details.join(' ; ')}` }));
    return report(path, 'contacts-csv', undefined, { rows: rows.length - 1, contacts: r.contacts.length, columns: rows[0] }, { reader: 'contactsCsvToVcards' }, lost);
  },
};

/** Writes `data` to `outPath` atomically; size and SHA-256. */
async function writeOut(outPath: string, data: Buffer): Promise<ConversionResult['output']> {
  const tmp = join(dirname(outPath), `.${basename(outPath)}.partial-${process.pid}`);
  await fs.writeFile(tmp, data, { flag: 'w', mode: 0o644 });
  await fs.rename(tmp, outPath);
  return { path: outPath, size: data.length, sha256: createHash('sha256').update(data).digest('hex') };
}

const conversion = (from: string[], to: string, description: string, run: (input: Buffer) => Promise<{ out: Buffer; losses: string[]; fromFormat: string }>): FormatConversion => ({
  from,
  to,
  description,
  async convert(input, outPath) {
    const r = await run(await readBounded(input));
    return { from: r.fromFormat, to, output: await writeOut(outPath, r.out), losses: r.losses };
  },
});

const lossSentences = (losses: { message: string; details?: string[] }[]) => losses.map((l) => `${l.message}${l.details?.length ? ` (${l.details.join(' ; ')})` : ''}`);

export const METADATA_FILE_CONVERSIONS: readonly FormatConversion[] = [
  conversion(['contacts-csv'], 'vcard', 'Carnet d\u2019adresses (CSV) → vCard 4.0 (RFC 6350)', async (x) => {
    const r = contactsCsvToVcards(x);
    const messages = new Map(DESCRIPTORS.contactsCsvToVcard.losses.map((l) => [l.code, l.message]));
    return { out: Buffer.from(r.vcf, 'utf8'), losses: lossSentences(r.losses.map((l) => ({ message: messages.get(l.code) ?? l.code, details: l.details }))), fromFormat: 'contacts-csv' };
  }),
  conversion(['lheo-2.2'], 'lheo-2.3', 'LHÉO 2.2 → LHÉO 2.3 (change list 2.3)', async (x) => {
    const r = upgradeLheo22to23(x);
    return { out: Buffer.from(r.xml), losses: [], fromFormat: 'lheo-2.2' };
  }),
  conversion(['lheo-2.3'], 'lheo-2.2', 'LHÉO 2.3 → LHÉO 2.2 (2.3-only data kept in extras)', async (x) => {
    const r = downgradeLheo23to22(x);
    return { out: Buffer.from(r.xml), losses: lossSentences(r.losses), fromFormat: 'lheo-2.3' };
  }),
  conversion(['lom', 'scolomfr-3.1'], 'scolomfr-3.1', 'LOM / ScoLOMFR 1.x–2.x → ScoLOMFR 3.1 (official migration tables)', async (x) => {
    const r = upgradeScolomfr(x);
    return {
      out: Buffer.from(r.xml),
      losses: r.unmapped.map((u) => `${u.path} « ${u.value} » : ${u.reason}`),
      fromFormat: 'lom',
    };
  }),
  conversion(['scolomfr-3.1'], 'schemaorg-jsonld', 'ScoLOMFR 3.1 → schema.org / LRMI JSON-LD', async (x) => {
    const { jsonld, losses } = crosswalkScolomfrToSchemaOrg(readScolomfr(x).record);
    return { out: Buffer.from(`${JSON.stringify(jsonld, null, 2)}\n`), losses: lossSentences(losses), fromFormat: 'scolomfr-3.1' };
  }),
  conversion(['schemaorg-jsonld'], 'scolomfr-3.1', 'schema.org / LRMI JSON-LD (first resource) → ScoLOMFR 3.1', async (x) => {
    const { items } = readLrmi(x);
    if (items.length === 0) throw new Error('no schema.org resource in the file');
    const { record, losses } = schemaOrgToScolomfr(items[0]);
    const extra = items.length > 1 ? [`${items.length - 1} ressource(s) supplémentaire(s) du fichier non converties`] : [];
    return { out: Buffer.from(writeScolomfrRecord(record)), losses: [...lossSentences(losses), ...extra], fromFormat: 'schemaorg-jsonld' };
  }),
];

export const METADATA_INSPECTORS: readonly FormatInspector[] = [scolomfrInspector, lheoInspector, schemaOrgInspector, contactsCsvInspector];

let registered = false;

/** Adds the metadata inspectors and conversions to the `ent-portability` registry (once). */
export function registerMetadataFormats(): void {
  if (registered) return;
  registered = true;
  for (const i of METADATA_INSPECTORS) registerInspector(i);
  for (const c of METADATA_FILE_CONVERSIONS) registerConversion(c);
}
