/**
 * The executable converters (`EXECUTABLE_CONVERTERS`): for each, its
 * descriptor (what negotiation sees) and `run(input)`. Large data is
 * streamed: cartridges go through a temporary file and come out as a file
 * stream; an mbox is split message by message into a streamed zip; a zip of
 * `.eml` files is read entry by entry into a streamed mbox. Metadata
 * documents (LHÉO, ScoLOMFR, iCalendar) are read whole, bounded by
 * `maxInputBytes`.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { ZipFile } from 'yazl';
import { FormatError } from '../errors';
import { convertCommonCartridge } from '../commoncartridge/cc-convert';
import { CC_MEDIA_TYPES } from '../commoncartridge/cc-versions';
import { OTHER_RESOURCES_TITLE, writeCommonCartridge } from '../commoncartridge/cc-writer';
import { readCommonCartridge } from '../commoncartridge/cc-read';
import { cahierToCcWebContent } from '../icalendar/cahier';
import { downgradeLheo23to22, LHEO_MEDIA_TYPE, upgradeLheo22to23 } from '../lheo/lheo';
import { contactsCsvToVcards } from '../vcard/contacts-csv';
import { VCARD_MEDIA_TYPE } from '../vcard/vcard';
import { asRfc5322Message, emlFileName, emlToMbox, mboxEntry, splitMboxStream } from '../mbox/eml';
import { MBOX_MEDIA_TYPE } from '../mbox/mbox';
import { readScolomfr } from '../scolomfr/reader';
import { crosswalkScolomfrToSchemaOrg, SCHEMAORG_JSONLD_MEDIA_TYPE } from '../schemaorg/to-schemaorg';
import { schemaOrgToScolomfr as crosswalkSchemaOrgToScolomfr } from '../schemaorg/from-schemaorg';
import { readLrmi } from '../schemaorg/lrmi';
import { writeScolomfrRecord } from '../scolomfr/scolomfr';
import { openZipSafely } from '../zip/safe-zip';
import { DESCRIPTORS } from './descriptors';
import { DEFAULT_MAX_INPUT_BYTES, isZip, readAll, spool, streamThenCleanup } from './io';
import type { ConverterDescriptor, ConverterRunLoss, ConverterRunResult, ExecutableConverter } from './types';

/** The descriptor's losses whose code is in `codes`, with their details. */
function applied(d: ConverterDescriptor, found: { code: string; details?: string[] }[]): ConverterRunLoss[] {
  return d.losses
    .filter((l) => found.some((f) => f.code === l.code))
    .map((l) => ({ code: l.code, message: l.message, details: found.filter((f) => f.code === l.code).flatMap((f) => f.details ?? []) }));
}

function commonCartridge(descriptor: ConverterDescriptor, to: '1.1' | '1.3'): ExecutableConverter {
  return {
    descriptor,
    async run(input) {
      const src = await spool(input, 'source.imscc');
      try {
        const outPath = join(src.dir, 'converted.imscc');
        const r = await convertCommonCartridge({ path: src.path }, { to, outPath });
        const sourceManifest = to === '1.1' ? await manifestOf({ path: src.path }) : '';
        const found: { code: string; details: string[] }[] = [];
        const notes: string[] = [];
        for (const l of r.losses) {
          if (/^assignment |devoir/i.test(l)) found.push({ code: 'CC13_ASSIGNMENTS_DROPPED', details: [l] });
          else if (/curriculum|standard/i.test(l)) found.push({ code: 'CC12_CURRICULUM_STANDARDS_DROPPED', details: [l] });
          else if (/: question .* not carried|no question of a Common Cartridge type/.test(l)) found.push({ code: 'CC_QUESTION_TYPES_DROPPED', details: [l] });
          else if (/its introduction is not carried/.test(l)) found.push({ code: 'CC_QUIZ_INTRO_DROPPED', details: [l] });
          else if (l.includes(`"${OTHER_RESOURCES_TITLE}"`)) found.push({ code: 'CC_OUTLINE_COMPLETED', details: [l] });
          else notes.push(l);
        }
        if (to !== '1.3') {
          // What Moodle (the platform behind most arrivals that want CC 1.1) does with what was written.
          const written = await readCommonCartridge(outPath);
          const forums = written.resources.filter((x) => x.kind === 'discussion').length;
          if (forums > 0) found.push({ code: 'CC_MOODLE_FORUM_TOPIC_AS_INTRO', details: [`${forums} forum(s)`] });
          const roots = written.organization?.items ?? [];
          const sections = (roots.length === 1 ? roots[0].children : roots).filter((i) => i.children.length > 0).length;
          if (sections > 0) found.push({ code: 'CC_MOODLE_SECTION_TITLES', details: [`${sections} section(s)`] });
        }
        if (to === '1.1') {
          // What CC 1.1 has no place for, whatever the writer did with it: assignments (a CC 1.3 extension
          // resource, unknown to 1.1 importers) and curriculum standards metadata (CC 1.2+).
          const source = sourceManifest;
          const assignments = (source.match(/type\s*=\s*"assignment_xmlv1p0"/g) ?? []).length;
          if (assignments > 0 && !found.some((f) => f.code === 'CC13_ASSIGNMENTS_DROPPED')) {
            found.push({ code: 'CC13_ASSIGNMENTS_DROPPED', details: [`${assignments} devoir(s) (assignment_xmlv1p0) : ressource d'extension que les lecteurs CC 1.1 ignorent`] });
          }
          const standards = (source.match(/curriculumStandardsMetadataSet/g) ?? []).length;
          if (standards > 0 && !found.some((f) => f.code === 'CC12_CURRICULUM_STANDARDS_DROPPED')) {
            found.push({ code: 'CC12_CURRICULUM_STANDARDS_DROPPED', details: [`${standards} référence(s) aux programmes (curriculumStandardsMetadataSet)`] });
          }
        }
        await fs.rm(src.path, { force: true });
        if (r.from !== descriptor.from.replace('imscc-', '')) notes.push(`source detected as Common Cartridge ${r.from} (format ${r.fromFormat})`);
        return {
          output: streamThenCleanup(outPath, src.cleanup),
          mediaType: CC_MEDIA_TYPES[to],
          extension: '.imscc',
          losses: applied(descriptor, found),
          ...(notes.length > 0 ? { notes } : {}),
        };
      } catch (e) {
        await src.cleanup();
        throw e;
      }
    },
  };
}

/** The text of a cartridge's `imsmanifest.xml` ('' when there is none). */
async function manifestOf(source: { path: string }): Promise<string> {
  const zip = await openZipSafely(source);
  try {
    return zip.has('imsmanifest.xml') ? (await zip.read('imsmanifest.xml', 32 * 1024 * 1024)).toString('utf8') : '';
  } finally {
    zip.close();
  }
}

/** Fixed DOS date (1980-01-01 00:00) as yazl reads it (local fields), for byte-identical outputs. */
const ZIP_MTIME = new Date(1980, 0, 1, 0, 0, 0);

const mboxToEmlConverter: ExecutableConverter = {
  descriptor: DESCRIPTORS.mboxToEml,
  async run(input) {
    const source = Buffer.isBuffer(input) ? Readable.from([input]) : input;
    const zip = new ZipFile();
    const out = zip.outputStream as Readable;
    (async () => {
      let i = 0;
      for await (const m of splitMboxStream(source)) {
        zip.addBuffer(m.raw, emlFileName(i++, m.raw), { mtime: ZIP_MTIME, mode: 0o100644, compress: true, forceDosTimestamp: true });
      }
      zip.end();
    })().catch((e: Error) => out.destroy(e));
    return { output: out, mediaType: 'application/zip', extension: '.zip', losses: [] };
  },
};

const emlToMboxConverter: ExecutableConverter = {
  descriptor: DESCRIPTORS.emlToMbox,
  async run(input, opts) {
    const max = opts?.maxInputBytes ?? DEFAULT_MAX_INPUT_BYTES;
    const src = Buffer.isBuffer(input) ? undefined : await spool(input, 'messages');
    try {
      const head = src ? await readHead(src.path) : (input as Buffer).subarray(0, 4);
      if (!isZip(head)) {
        // a single message
        const one = src ? await fs.readFile(src.path) : (input as Buffer);
        await src?.cleanup();
        return { output: emlToMbox([await readAll(one, max)]), mediaType: MBOX_MEDIA_TYPE, extension: '.mbox', losses: [] };
      }
      const zip = await openZipSafely(src ? { path: src.path } : (input as Buffer));
      const names = zip.entries.filter((e) => !e.isDirectory && /\.eml$/i.test(e.name)).map((e) => e.name).sort();
      if (names.length === 0) {
        zip.close();
        throw new FormatError('INVALID_INPUT', 'the zip holds no .eml file');
      }
      async function* entries(): AsyncGenerator<Buffer> {
        try {
          for (const n of names) yield mboxEntry(asRfc5322Message(await zip.read(n, max), n));
        } finally {
          zip.close();
          await src?.cleanup();
        }
      }
      return { output: Readable.from(entries()), mediaType: MBOX_MEDIA_TYPE, extension: '.mbox', losses: [] };
    } catch (e) {
      await src?.cleanup();
      throw e;
    }
  },
};

async function readHead(path: string): Promise<Buffer> {
  const fh = await fs.open(path, 'r');
  try {
    const b = Buffer.alloc(4);
    const { bytesRead } = await fh.read(b, 0, 4, 0);
    return b.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** An address book (webmail CSV export) → vCard 4.0, reporting what vCard does not hold. */
const contactsCsvToVcard: ExecutableConverter = {
  descriptor: DESCRIPTORS.contactsCsvToVcard,
  async run(input, opts) {
    const csv = await readAll(input, opts?.maxInputBytes);
    const { vcf, contacts, losses } = contactsCsvToVcards(csv);
    return {
      output: Buffer.from(vcf, 'utf8'),
      mediaType: VCARD_MEDIA_TYPE,
      extension: '.vcf',
      losses: applied(DESCRIPTORS.contactsCsvToVcard, losses),
      notes: [`${contacts.length} contact(s)`],
    };
  },
};

function lheo(descriptor: ConverterDescriptor, direction: 'up' | 'down'): ExecutableConverter {
  return {
    descriptor,
    async run(input, opts) {
      const xml = await readAll(input, opts?.maxInputBytes);
      const r = direction === 'up' ? upgradeLheo22to23(xml) : downgradeLheo23to22(xml);
      return {
        output: Buffer.from(r.xml, 'utf8'),
        mediaType: LHEO_MEDIA_TYPE,
        extension: '.xml',
        losses: applied(descriptor, r.losses),
        notes: r.changes.map((c) => `${c.code} ${c.path} : ${c.detail}`),
      };
    },
  };
}

const icalToImscc13: ExecutableConverter = {
  descriptor: DESCRIPTORS.icalToImscc13,
  async run(input, opts) {
    const ics = await readAll(input, opts?.maxInputBytes);
    const { course, losses } = cahierToCcWebContent(ics);
    const zip = await writeCommonCartridge(course, { version: '1.3' });
    return { output: zip, mediaType: CC_MEDIA_TYPES['1.3'], extension: '.imscc', losses: applied(DESCRIPTORS.icalToImscc13, losses) };
  },
};

const scolomfrToSchemaOrg: ExecutableConverter = {
  descriptor: DESCRIPTORS.scolomfrToSchemaOrg,
  async run(input, opts) {
    const xml = await readAll(input, opts?.maxInputBytes);
    const { record, findings } = readScolomfr(xml);
    const { jsonld, losses } = crosswalkScolomfrToSchemaOrg(record);
    return {
      output: Buffer.from(`${JSON.stringify(jsonld, null, 2)}\n`, 'utf8'),
      mediaType: SCHEMAORG_JSONLD_MEDIA_TYPE,
      extension: '.jsonld',
      losses: applied(DESCRIPTORS.scolomfrToSchemaOrg, losses),
      ...(findings.length > 0 ? { notes: findings.map((f) => `${f.code} ${f.path ?? ''} ${f.message}`) } : {}),
    };
  },
};

/** schema.org / LRMI JSON-LD → ScoLOMFR 3.1: the first resource of the document, through the crosswalk. */
const schemaOrgToScolomfr: ExecutableConverter = {
  descriptor: DESCRIPTORS.schemaOrgToScolomfr,
  async run(input, opts) {
    const text = await readAll(input, opts?.maxInputBytes);
    const { items } = readLrmi(text);
    if (items.length === 0) throw new FormatError('INVALID_INPUT', 'no schema.org resource in the JSON-LD document');
    const { record, losses } = crosswalkSchemaOrgToScolomfr(items[0]);
    return {
      output: Buffer.from(writeScolomfrRecord(record), 'utf8'),
      mediaType: 'application/xml',
      extension: '.xml',
      losses: applied(DESCRIPTORS.schemaOrgToScolomfr, losses),
      ...(items.length > 1 ? { notes: [`${items.length - 1} more resource(s) in the document not converted`] } : {}),
    };
  },
};

export const EXECUTABLE_CONVERTERS: readonly ExecutableConverter[] = Object.freeze([
  commonCartridge(DESCRIPTORS.imscc11To13, '1.3'),
  commonCartridge(DESCRIPTORS.imscc13To11, '1.1'),
  mboxToEmlConverter,
  emlToMboxConverter,
  contactsCsvToVcard,
  lheo(DESCRIPTORS.lheo22To23, 'up'),
  lheo(DESCRIPTORS.lheo23To22, 'down'),
  icalToImscc13,
  scolomfrToSchemaOrg,
  schemaOrgToScolomfr,
]);

/** The descriptors of some converters (all executable ones by default), for the capabilities document and negotiation. */
export function descriptorsOf(converters: readonly ExecutableConverter[] = EXECUTABLE_CONVERTERS): ConverterDescriptor[] {
  return converters.map((c) => c.descriptor);
}

export function findExecutableConverter(id: string, converters: readonly ExecutableConverter[] = EXECUTABLE_CONVERTERS): ExecutableConverter | undefined {
  return converters.find((c) => c.descriptor.id === id);
}
