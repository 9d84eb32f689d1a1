import { FormatError } from '../errors';
import { escapeXmlAttr, escapeXmlText, XmlWriter } from '../xml/xml-escape';
import { writeDeterministicZip, ZipInputEntry } from '../zip/deterministic-zip';
import { CcCourse, CcItem, CcWriteOptions } from './cc-types';
import { CC_FILEBASE_TOKEN, CC_PROFILES, CC_SCHEMA_NAME, CcVersionProfile } from './cc-versions';

const XSI_NS = 'http://www.w3.org/2001/XMLSchema-instance';
const REF_PATTERN = /\{\{ref:([^{}\s]{1,200})\}\}/g;

interface PlannedResource {
  id: string;
  itemId: string;
  section: number;
  item: CcItem;
  /** Package path of the resource's main file. */
  path: string;
  /** Resource ids this one depends on (files referenced from a page or forum). */
  dependencies: string[];
}

/** ASCII slug for file names inside the package (accents folded, other characters dropped). */
export function slugify(value: string, fallback: string): string {
  const slug = value
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/œ/g, 'oe')
    .replace(/Œ/g, 'OE')
    .replace(/æ/g, 'ae')
    .replace(/Æ/g, 'AE')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 80)
    .replace(/-+$/g, '');
  return slug || fallback;
}

/** Keeps the extension, slugs the rest: `Fiche méthode (v2).PDF` → `fiche-methode-v2.pdf`. */
function safeFileName(fileName: string, fallback: string): string {
  const base = fileName.split(/[\\/]/).pop() ?? '';
  const dot = base.lastIndexOf('.');
  const stem = dot > 0 ? base.slice(0, dot) : base;
  const ext = dot > 0 ? base.slice(dot + 1).toLowerCase().replace(/[^a-z0-9]/g, '').slice(0, 10) : '';
  const s = slugify(stem, fallback);
  return ext ? `${s}.${ext}` : s;
}

function uniquePath(dir: string, name: string, used: Set<string>): string {
  const dot = name.lastIndexOf('.');
  const stem = dot > 0 ? name.slice(0, dot) : name;
  const ext = dot > 0 ? name.slice(dot) : '';
  let candidate = `${dir}/${name}`;
  for (let n = 2; used.has(candidate.toLowerCase()); n++) candidate = `${dir}/${stem}-${n}${ext}`;
  used.add(candidate.toLowerCase());
  return candidate;
}

/** xs:ID-safe version of an arbitrary identifier. */
function toNcName(value: string, prefix: string): string {
  const cleaned = value.replace(/[^A-Za-z0-9._-]/g, '_');
  return /^[A-Za-z_]/.test(cleaned) ? cleaned : `${prefix}${cleaned}`;
}

function encodePath(path: string): string {
  return path
    .split('/')
    .map((s) => encodeURIComponent(s))
    .join('/');
}

const ALREADY_COMPRESSED = /^(image\/(jpeg|png|gif|webp)|video\/|audio\/|application\/(zip|gzip|x-7z-compressed|vnd\.ims\.))/;

function requireText(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw new FormatError('INVALID_INPUT', `${what} is required`);
  return value;
}

function toDate(value: Date | string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const d = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(d.getTime())) throw new FormatError('INVALID_INPUT', `invalid date: ${String(value)}`);
  return d;
}

/** Replaces `{{ref:KEY}}` with the target's link; unknown keys are an error (a dangling link is a bug). */
function resolveRefs(text: string, refs: Map<string, string>, where: string): string {
  return text.replace(REF_PATTERN, (_m, key: string) => {
    const target = refs.get(key);
    if (target === undefined) throw new FormatError('INVALID_INPUT', `${where}: unknown reference {{ref:${key}}}`);
    return target;
  });
}

function referencedKeys(text: string): string[] {
  return [...text.matchAll(REF_PATTERN)].map((m) => m[1]);
}

function pageDocument(title: string, html: string, language: string): string {
  if (/^\s*(<!doctype\s|<html[\s>])/i.test(html)) return html;
  return [
    '<!DOCTYPE html>',
    `<html lang="${escapeXmlAttr(language)}">`,
    '<head>',
    '<meta charset="utf-8">',
    `<title>${escapeXmlText(title)}</title>`,
    '</head>',
    '<body>',
    html,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

function weblinkXml(p: CcVersionProfile, title: string, url: string): string {
  const w = new XmlWriter();
  w.open('webLink', {
    xmlns: p.weblinkNs,
    'xmlns:xsi': XSI_NS,
    'xsi:schemaLocation': `${p.weblinkNs} ${p.weblinkXsd}`,
  });
  w.leaf('title', title);
  w.empty('url', { href: url, target: '_blank' });
  w.close('webLink');
  return w.toString();
}

function topicXml(p: CcVersionProfile, title: string, text: string, textType: string, attachments: string[]): string {
  const w = new XmlWriter();
  w.open('topic', {
    xmlns: p.discussionNs,
    'xmlns:xsi': XSI_NS,
    'xsi:schemaLocation': `${p.discussionNs} ${p.discussionXsd}`,
  });
  w.leaf('title', title);
  w.leaf('text', text, { texttype: textType });
  if (attachments.length > 0) {
    w.open('attachments');
    for (const href of attachments) w.empty('attachment', { href });
    w.close('attachments');
  }
  w.close('topic');
  return w.toString();
}

function vcard(name: string): string {
  const esc = (s: string) => s.replace(/\\/g, '\\\\').replace(/([,;])/g, '\\$1').replace(/\r?\n/g, '\\n');
  return `BEGIN:VCARD\nVERSION:3.0\nFN:${esc(name)}\nEND:VCARD`;
}

function isoDate(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Writes an IMS Common Cartridge package (1.1 or 1.3) for a course: one
 * organization (rooted hierarchy) whose root item holds one item per section,
 * pages as `webcontent` under `wiki_content/`, files as `webcontent` under
 * `web_resources/`, links as `imswl` descriptors and forums as `imsdt`
 * descriptors (one folder per learning application object).
 *
 * Links between items are written `$IMS-CC-FILEBASE$/<path from the package
 * root>` (the reading of the token that Moodle's importer applies). Output is
 * deterministic: same course, same options, same bytes.
 */
export async function writeCommonCartridge(course: CcCourse, opts: CcWriteOptions): Promise<Buffer> {
  const p = CC_PROFILES[opts.version];
  if (!p) throw new FormatError('INVALID_INPUT', `unsupported Common Cartridge version: ${String(opts.version)}`);
  requireText(course.identifier, 'course.identifier');
  requireText(course.title, 'course.title');
  requireText(course.language, 'course.language');
  if (!Array.isArray(course.sections)) throw new FormatError('INVALID_INPUT', 'course.sections must be an array');
  const date = opts.date ?? toDate(course.updatedAt);

  // 1. Plan: ids and package paths for every item, in document order.
  const usedPaths = new Set<string>(['imsmanifest.xml']);
  const planned: PlannedResource[] = [];
  const refs = new Map<string, string>();
  const resourceIdByKey = new Map<string, string>();
  course.sections.forEach((section, si) => {
    requireText(section?.title, `sections[${si}].title`);
    section.items.forEach((item, ii) => {
      const where = `sections[${si}].items[${ii}]`;
      requireText(item?.title, `${where}.title`);
      const id = `RES_${si + 1}_${ii + 1}`;
      const itemId = `ITEM_${si + 1}_${ii + 1}`;
      let path: string;
      switch (item.kind) {
        case 'page':
          if (typeof item.html !== 'string') throw new FormatError('INVALID_INPUT', `${where}.html is required`);
          path = uniquePath('wiki_content', `${slugify(item.title, `page-${si + 1}-${ii + 1}`)}.html`, usedPaths);
          break;
        case 'file':
          requireText(item.fileName, `${where}.fileName`);
          requireText(item.mediaType, `${where}.mediaType`);
          if (!Buffer.isBuffer(item.data)) throw new FormatError('INVALID_INPUT', `${where}.data must be a Buffer`);
          path = uniquePath('web_resources', safeFileName(item.fileName, `file-${si + 1}-${ii + 1}`), usedPaths);
          break;
        case 'link': {
          requireText(item.url, `${where}.url`);
          let url: URL;
          try {
            url = new URL(item.url);
          } catch {
            throw new FormatError('INVALID_INPUT', `${where}.url is not an absolute URL: ${item.url}`);
          }
          if (url.protocol !== 'http:' && url.protocol !== 'https:') {
            throw new FormatError('INVALID_INPUT', `${where}.url must be http(s): ${item.url}`);
          }
          path = `${id}/weblink.xml`;
          break;
        }
        case 'forum':
          if (typeof item.text !== 'string') throw new FormatError('INVALID_INPUT', `${where}.text is required`);
          path = `${id}/topic.xml`;
          break;
        default:
          throw new FormatError('INVALID_INPUT', `${where}.kind is unknown: ${String((item as { kind?: unknown }).kind)}`);
      }
      if (item.key !== undefined) {
        if (refs.has(item.key)) throw new FormatError('INVALID_INPUT', `${where}.key ${item.key} is used twice`);
        refs.set(item.key, item.kind === 'link' ? item.url : `${CC_FILEBASE_TOKEN}/${encodePath(path)}`);
        resourceIdByKey.set(item.key, id);
      }
      planned.push({ id, itemId, section: si, item, path, dependencies: [] });
    });
  });

  // 2. Files of the package.
  const files: ZipInputEntry[] = [];
  const fileResourceIds = new Set(planned.filter((r) => r.item.kind === 'file').map((r) => r.id));
  const dependenciesOf = (text: string): string[] => {
    const deps: string[] = [];
    for (const key of referencedKeys(text)) {
      const rid = resourceIdByKey.get(key);
      if (rid && fileResourceIds.has(rid) && !deps.includes(rid)) deps.push(rid);
    }
    return deps;
  };
  for (const r of planned) {
    const item = r.item;
    switch (item.kind) {
      case 'page': {
        const html = resolveRefs(item.html, refs, `page "${item.title}"`);
        r.dependencies = dependenciesOf(item.html);
        files.push({ name: r.path, data: pageDocument(item.title, html, course.language) });
        break;
      }
      case 'file':
        files.push({ name: r.path, data: item.data, store: ALREADY_COMPRESSED.test(item.mediaType) });
        break;
      case 'link':
        files.push({ name: r.path, data: weblinkXml(p, item.title, item.url) });
        break;
      case 'forum': {
        const text = resolveRefs(item.text, refs, `forum "${item.title}"`);
        r.dependencies = dependenciesOf(item.text);
        const attachments = r.dependencies.map((rid) => {
          const target = planned.find((x) => x.id === rid)!;
          return `${CC_FILEBASE_TOKEN}/${encodePath(target.path)}`;
        });
        files.push({ name: r.path, data: topicXml(p, item.title, text, item.textType ?? 'text/html', attachments) });
        break;
      }
    }
  }

  // 3. Manifest.
  const w = new XmlWriter();
  w.open('manifest', {
    identifier: toNcName(course.identifier, 'M_'),
    xmlns: p.cpNs,
    'xmlns:lomimscc': p.lomManifestNs,
    'xmlns:lom': p.lomResourceNs,
    'xmlns:xsi': XSI_NS,
    'xsi:schemaLocation': p.schemaLocation,
  });
  w.open('metadata');
  w.leaf('schema', CC_SCHEMA_NAME);
  w.leaf('schemaversion', p.schemaversion);
  w.open('lomimscc:lom');
  w.open('lomimscc:general');
  w.open('lomimscc:identifier');
  w.leaf('lomimscc:catalog', 'URI');
  w.leaf('lomimscc:entry', course.identifier);
  w.close('lomimscc:identifier');
  w.open('lomimscc:title');
  w.leaf('lomimscc:string', course.title, { language: course.language });
  w.close('lomimscc:title');
  w.leaf('lomimscc:language', course.language);
  if (course.description) {
    w.open('lomimscc:description');
    w.leaf('lomimscc:string', course.description, { language: course.language });
    w.close('lomimscc:description');
  }
  for (const kw of course.keywords ?? []) {
    w.open('lomimscc:keyword');
    w.leaf('lomimscc:string', kw, { language: course.language });
    w.close('lomimscc:keyword');
  }
  w.close('lomimscc:general');
  if (course.author || date) {
    w.open('lomimscc:lifeCycle');
    w.open('lomimscc:contribute');
    if (course.author) {
      w.open('lomimscc:role');
      w.leaf('lomimscc:source', 'LOMv1.0');
      w.leaf('lomimscc:value', 'author');
      w.close('lomimscc:role');
      w.leaf('lomimscc:entity', vcard(course.author));
    }
    if (date) {
      w.open('lomimscc:date');
      w.leaf('lomimscc:dateTime', isoDate(date));
      w.close('lomimscc:date');
    }
    w.close('lomimscc:contribute');
    w.close('lomimscc:lifeCycle');
  }
  w.close('lomimscc:lom');
  w.close('metadata');

  w.open('organizations');
  w.open('organization', { identifier: 'ORG_1', structure: 'rooted-hierarchy' });
  w.open('item', { identifier: 'ROOT' });
  course.sections.forEach((section, si) => {
    w.open('item', { identifier: `SECTION_${si + 1}` });
    w.leaf('title', section.title);
    for (const r of planned.filter((x) => x.section === si)) {
      w.open('item', { identifier: r.itemId, identifierref: r.id });
      w.leaf('title', r.item.title);
      w.close('item');
    }
    w.close('item');
  });
  w.close('item');
  w.close('organization');
  w.close('organizations');

  w.open('resources');
  for (const r of planned) {
    const isLao = r.item.kind === 'link' || r.item.kind === 'forum';
    const type = r.item.kind === 'link' ? p.weblinkType : r.item.kind === 'forum' ? p.discussionType : 'webcontent';
    w.open('resource', { identifier: r.id, type, href: isLao ? undefined : r.path });
    w.empty('file', { href: r.path });
    for (const dep of r.dependencies) w.empty('dependency', { identifierref: dep });
    w.close('resource');
  }
  w.close('resources');
  w.close('manifest');

  return writeDeterministicZip([{ name: 'imsmanifest.xml', data: w.toString() }, ...files], { date });
}
