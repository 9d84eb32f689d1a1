import { FormatError } from '../errors';
import { escapeXmlAttr, escapeXmlText, XmlWriter } from '../xml/xml-escape';
import { writeDeterministicZip, writeDeterministicZipToFile, WrittenFile, ZipInputEntry } from '../zip/deterministic-zip';
import { writeQti } from './cc-qti';
import { canonicalResourceType } from './cc-resource-types';
import {
  CcAssignmentItem,
  CcCourse,
  CcItem,
  CcLtiItem,
  CcQuestion,
  CcQuizItem,
  CcWriteOptions,
  CcWriteVersion,
} from './cc-types';
import { CC_FILEBASE_TOKEN, CC_PROFILES, CC_SCHEMA_NAME, CcVersionProfile } from './cc-versions';
import { mapFeedback } from './cc-types';

const XSI_NS = 'http://www.w3.org/2001/XMLSchema-instance';
const REF_PATTERN = /\{\{ref:([^{}\s]{1,200})\}\}/g;

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
export function safeFileName(fileName: string, fallback: string): string {
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

/** Target of a `{{ref:KEY}}`: a web link's URL, or the package path of a resource's file. */
type RefTarget = { url: string } | { path: string };

/** `to` (package path) relative to the folder of `from` (package path), URL-encoded: `../web_resources/a.pdf`. */
export function relativePackagePath(from: string, to: string): string {
  const fromDir = from.split('/').slice(0, -1);
  const target = to.split('/');
  let common = 0;
  while (common < fromDir.length && common < target.length - 1 && fromDir[common] === target[common]) common++;
  return encodePath([...fromDir.slice(common).map(() => '..'), ...target.slice(common)].join('/'));
}

/**
 * Replaces `{{ref:KEY}}` in a document written at `fromPath` with the
 * target's link: a relative path (Moodle's page, forum and quiz imports
 * resolve relative paths; they leave `$IMS-CC-FILEBASE$` in page text as it
 * is, and resolve it in questions against the question's folder), or the
 * URL of a web link. Unknown keys are an error (a dangling link is a bug).
 */
function resolveRefs(text: string, refs: Map<string, RefTarget>, where: string, fromPath: string): string {
  return text.replace(REF_PATTERN, (_m, key: string) => {
    const target = refs.get(key);
    if (target === undefined) throw new FormatError('INVALID_INPUT', `${where}: unknown reference {{ref:${key}}}`);
    return 'url' in target ? target.url : relativePackagePath(fromPath, target.path);
  });
}

function referencedKeys(text: string): string[] {
  return [...text.matchAll(REF_PATTERN)].map((m) => m[1]);
}

/** Whether an HTML fragment shows nothing (no text, no image or embedded object). */
function isBlankHtml(html: string): boolean {
  if (/<(img|video|audio|iframe|object|embed|svg|math|canvas|input)\b/i.test(html)) return false;
  return html.replace(/<!--[\s\S]*?-->/g, '').replace(/<[^>]*>/g, '').replace(/&nbsp;|&#160;|\s/g, '') === '';
}

/**
 * A complete HTML page. An empty body gets the title (Moodle's importer fails
 * on empty page bodies under PHP 8).
 */
function pageDocument(title: string, html: string, language: string): string {
  if (/^\s*(<!doctype\s|<html[\s>])/i.test(html)) {
    const body = /<body([^>]*)>([\s\S]*?)<\/body>/i.exec(html);
    if (body && isBlankHtml(body[2])) return html.replace(body[0], `<body${body[1]}>\n<p>${escapeXmlText(title)}</p>\n</body>`);
    return html;
  }
  if (isBlankHtml(html)) html = `<p>${escapeXmlText(title)}</p>`;
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

/**
 * Opens a descriptor root. CC 1.0 descriptor schemas have unqualified
 * children: the root carries a prefix and the children no namespace.
 */
function openDescriptor(w: XmlWriter, p: CcVersionProfile, local: string, ns: string, xsd: string): string {
  const name = p.unqualifiedDescriptors ? `d:${local}` : local;
  w.open(name, {
    ...(p.unqualifiedDescriptors ? { 'xmlns:d': ns } : { xmlns: ns }),
    'xmlns:xsi': XSI_NS,
    'xsi:schemaLocation': `${ns} ${xsd}`,
  });
  return name;
}

function weblinkXml(p: CcVersionProfile, title: string, url: string): string {
  const w = new XmlWriter();
  const root = openDescriptor(w, p, 'webLink', p.weblinkNs, p.weblinkXsd);
  w.leaf('title', title);
  w.empty('url', { href: url, target: '_blank' });
  w.close(root);
  return w.toString();
}

function topicXml(p: CcVersionProfile, title: string, text: string, textType: string, attachments: string[]): string {
  const w = new XmlWriter();
  const root = openDescriptor(w, p, 'topic', p.discussionNs, p.discussionXsd);
  w.leaf('title', title);
  w.leaf('text', text, { texttype: textType });
  if (attachments.length > 0) {
    w.open('attachments');
    for (const href of attachments) w.empty('attachment', { href });
    w.close('attachments');
  }
  w.close(root);
  return w.toString();
}

function vcard(name: string): string {
  const esc = (s: string) => s.replace(/\\/g, '\\\\').replace(/([,;])/g, '\\$1').replace(/\r?\n/g, '\\n');
  return `BEGIN:VCARD\nVERSION:3.0\nFN:${esc(name)}\nEND:VCARD`;
}

function isoDate(d: Date, withFraction: boolean): string {
  // The CC 1.0 LOM dateTime pattern accepts a time zone only after fractional seconds.
  return withFraction ? d.toISOString().replace(/\.\d{3}Z$/, '.0Z') : d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}


const QTI_XSD: Record<CcWriteVersion, string> = {
  '1.0': 'http://www.imsglobal.org/profile/cc/ccv1p0/derived_schema/domainProfile_4/ims_qtiasiv1p2_localised.xsd',
  '1.1': 'http://www.imsglobal.org/profile/cc/ccv1p1/ccv1p1_qtiasiv1p2p1_v1p0.xsd',
  '1.3': 'http://www.imsglobal.org/profile/cc/ccv1p3/ccv1p3_qtiasiv1p2p1_v1p0.xsd',
};
/** CC 1.0 has no LTI resource type: LTI links are written as web links there. */
const LTI_CC_NS: Record<Exclude<CcWriteVersion, '1.0'>, { ns: string; xsd: string }> = {
  '1.1': { ns: 'http://www.imsglobal.org/xsd/imslticc_v1p0', xsd: 'http://www.imsglobal.org/xsd/lti/ltiv1p0/imslticc_v1p0.xsd' },
  '1.3': { ns: 'http://www.imsglobal.org/xsd/imslticc_v1p3', xsd: 'http://www.imsglobal.org/xsd/lti/ltiv1p3/imslticc_v1p3.xsd' },
};
const BLTI_NS = 'http://www.imsglobal.org/xsd/imsbasiclti_v1p0';
const LTICM_NS = 'http://www.imsglobal.org/xsd/imslticm_v1p0';
const LTICP_NS = 'http://www.imsglobal.org/xsd/imslticp_v1p0';
const ASSIGNMENT_NS = 'http://www.imsglobal.org/xsd/imscc_extensions/assignment';
const ASSIGNMENT_XSD = 'http://www.imsglobal.org/profile/cc/cc_extensions/cc_extresource_assignmentv1p0_v1p0.xsd';

function ltiXml(version: Exclude<CcWriteVersion, '1.0'>, item: CcLtiItem): string {
  const cc = LTI_CC_NS[version];
  const w = new XmlWriter();
  w.open('cartridge_basiclti_link', {
    xmlns: cc.ns,
    'xmlns:blti': BLTI_NS,
    'xmlns:lticm': LTICM_NS,
    'xmlns:lticp': LTICP_NS,
    'xmlns:xsi': XSI_NS,
    'xsi:schemaLocation': [
      `${cc.ns} ${cc.xsd}`,
      `${LTICP_NS} http://www.imsglobal.org/xsd/lti/ltiv1p0/imslticp_v1p0.xsd`,
      `${LTICM_NS} http://www.imsglobal.org/xsd/lti/ltiv1p0/imslticm_v1p0.xsd`,
      `${BLTI_NS} http://www.imsglobal.org/xsd/lti/ltiv1p0/imsbasiclti_v1p0p1.xsd`,
    ].join(' '),
  });
  w.leaf('blti:title', item.title);
  if (item.description) w.leaf('blti:description', item.description);
  const custom = Object.entries(item.custom ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (custom.length > 0) {
    w.open('blti:custom');
    for (const [name, value] of custom) w.leaf('lticm:property', value, { name });
    w.close('blti:custom');
  }
  w.leaf('blti:launch_url', item.launchUrl);
  if (item.secureLaunchUrl) w.leaf('blti:secure_launch_url', item.secureLaunchUrl);
  // The vendor is mandatory in the BasicLTI schema: the tool's host when none is given.
  const host = new URL(item.launchUrl).host;
  w.open('blti:vendor');
  w.leaf('lticp:code', item.vendor?.code || host);
  w.leaf('lticp:name', item.vendor?.name || host);
  w.close('blti:vendor');
  w.close('cartridge_basiclti_link');
  return w.toString();
}

function assignmentXml(id: string, item: CcAssignmentItem, text: string, attachments: string[]): string {
  const w = new XmlWriter();
  w.open('assignment', {
    xmlns: ASSIGNMENT_NS,
    'xmlns:xsi': XSI_NS,
    'xsi:schemaLocation': `${ASSIGNMENT_NS} ${ASSIGNMENT_XSD}`,
    identifier: id,
  });
  w.leaf('title', item.title);
  w.leaf('text', text, { texttype: item.textType ?? 'text/html' });
  if (attachments.length > 0) {
    w.open('attachments');
    for (const href of attachments) w.empty('attachment', { href, role: 'Learner' });
    w.close('attachments');
  }
  if (item.gradable !== undefined || item.pointsPossible !== undefined) {
    w.leaf('gradable', String(item.gradable ?? true), { points_possible: item.pointsPossible });
  }
  if (item.submissionFormats && item.submissionFormats.length > 0) {
    w.open('submission_formats');
    for (const f of item.submissionFormats) w.empty('format', { type: f });
    w.close('submission_formats');
  }
  w.close('assignment');
  return w.toString();
}

/** Every rich text of a quiz (stems, choices, feedback), for reference resolution. */
function mapQuizTexts(quiz: CcQuizItem, fn: (text: string, where: string) => string): CcQuizItem {
  const q2 = quiz.questions.map((q, i): CcQuestion => {
    const text = fn(q.text, `question ${i + 1}`);
    const feedback = q.feedback && mapFeedback(q.feedback, (t, slot) => fn(t, `question ${i + 1}, ${slot} feedback`));
    const withFeedback = feedback ? { feedback } : {};
    if (q.type === 'multiple-choice' || q.type === 'multiple-response') {
      return {
        ...q,
        text,
        ...withFeedback,
        choices: q.choices.map((c, j) => ({
          ...c,
          text: fn(c.text, `question ${i + 1}, choice ${j + 1}`),
          ...(c.feedback !== undefined ? { feedback: fn(c.feedback, `question ${i + 1}, choice ${j + 1} feedback`) } : {}),
        })),
      };
    }
    return { ...q, text, ...withFeedback };
  });
  return { ...quiz, questions: q2, ...(quiz.description !== undefined ? { description: fn(quiz.description, 'description') } : {}) };
}

function quizTexts(quiz: CcQuizItem): string[] {
  const out: string[] = [];
  mapQuizTexts(quiz, (t) => {
    out.push(t);
    return t;
  });
  return out;
}

type LeafItem = Exclude<CcItem, { kind: 'folder' } | { kind: 'alias' }>;

interface Planned {
  id: string;
  item: LeafItem;
  /** Package path of the resource's main file (descriptor for learning application objects). */
  path: string;
  inTree: boolean;
  dependencies: string[];
}

interface TreeNode {
  itemId: string;
  title: string;
  resourceId?: string;
  /** For aliases: resolved after planning. */
  aliasOf?: string;
  children: TreeNode[];
}

export interface CcWriteResult {
  entries: ZipInputEntry[];
  /** What the target version cannot carry (e.g. CC 1.1 has no assignment type). */
  losses: string[];
  date?: Date;
}

function checkUrl(value: string, where: string): void {
  requireText(value, where);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new FormatError('INVALID_INPUT', `${where} is not an absolute URL: ${value}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new FormatError('INVALID_INPUT', `${where} must be http(s): ${value}`);
}

/** Title of the folder that brings outline-less learning objects into the outline. */
export const OTHER_RESOURCES_TITLE = 'Autres ressources';

/** Keys that texts and attachments of `items` (recursively) point at. */
function referencedKeysIn(items: CcItem[], into = new Set<string>()): Set<string> {
  for (const i of items) {
    const texts =
      i.kind === 'page' ? [i.html]
      : i.kind === 'forum' || i.kind === 'assignment' ? [i.text]
      : i.kind === 'quiz' ? quizTexts(i)
      : [];
    for (const t of texts) if (typeof t === 'string') for (const k of referencedKeys(t)) into.add(k);
    if ((i.kind === 'forum' || i.kind === 'assignment') && Array.isArray(i.attachments)) for (const a of i.attachments) into.add(a);
    if (i.kind === 'folder' && Array.isArray(i.items)) referencedKeysIn(i.items, into);
  }
  return into;
}

/**
 * Moodle (and any importer that walks the organization) imports only what
 * the outline reaches. Learning objects of `extraResources` — everything
 * but question banks (CC forbids items pointing at them) and files that
 * another resource links to or attaches (they travel as its dependencies) —
 * are moved into a last top-level folder « Autres ressources », and the move
 * is reported.
 */
function bringIntoOutline(course: CcCourse, losses: string[]): CcCourse {
  const extras = Array.isArray(course.extraResources) ? course.extraResources : [];
  if (extras.length === 0) return course;
  const all = [...(Array.isArray(course.sections) ? course.sections.flatMap((s) => (Array.isArray(s?.items) ? s.items : [])) : []), ...(course.outline ?? []), ...extras];
  const referenced = referencedKeysIn(all);
  const stays = (e: CcItem) =>
    e?.kind === 'folder' || e?.kind === 'alias' || (e?.kind === 'quiz' && !!e.bank) || (e?.kind === 'file' && e.key !== undefined && referenced.has(e.key));
  const moved = extras.filter((e) => !stays(e));
  if (moved.length === 0) return course;
  losses.push(
    `${moved.length} resource(s) outside the outline placed in the folder "${OTHER_RESOURCES_TITLE}" at the end of the outline (importers such as Moodle take only what the outline reaches)`,
  );
  return { ...course, outline: [...(course.outline ?? []), { kind: 'folder', title: OTHER_RESOURCES_TITLE, items: moved }], extraResources: extras.filter(stays) };
}

/**
 * Plans the package: ids, paths, references, descriptors, manifest. Pure
 * (no I/O): the zip is written by the callers.
 */
export function planCommonCartridge(course: CcCourse, opts: CcWriteOptions): CcWriteResult {
  const version = opts.version;
  const p = CC_PROFILES[version];
  if (!p) throw new FormatError('INVALID_INPUT', `unsupported Common Cartridge version: ${String(version)}`);
  requireText(course.identifier, 'course.identifier');
  requireText(course.title, 'course.title');
  requireText(course.language, 'course.language');
  if (!Array.isArray(course.sections)) throw new FormatError('INVALID_INPUT', 'course.sections must be an array');
  const date = opts.date ?? toDate(course.updatedAt);
  const losses: string[] = [];
  course = bringIntoOutline(course, losses);

  // 1. Plan: ids and package paths for every item, in document order.
  const usedPaths = new Set<string>(['imsmanifest.xml']);
  const planned: Planned[] = [];
  const refs = new Map<string, RefTarget>();
  const resourceIdByKey = new Map<string, string>();
  const plannedByKey = new Map<string, Planned>();
  const aliases: { node: TreeNode; ref: string; where: string }[] = [];

  const planLeaf = (item: LeafItem, id: string, where: string, inTree: boolean): Planned => {
    let path: string;
    switch (item.kind) {
      case 'page':
        if (typeof item.html !== 'string') throw new FormatError('INVALID_INPUT', `${where}.html is required`);
        path = uniquePath('wiki_content', `${slugify(item.title, id.toLowerCase())}.html`, usedPaths);
        break;
      case 'file':
        requireText(item.fileName, `${where}.fileName`);
        requireText(item.mediaType, `${where}.mediaType`);
        if (!Buffer.isBuffer(item.data) && !(item.data && typeof (item.data as { path?: unknown }).path === 'string')) {
          throw new FormatError('INVALID_INPUT', `${where}.data must be a Buffer or { path }`);
        }
        path = uniquePath('web_resources', safeFileName(item.fileName, id.toLowerCase()), usedPaths);
        break;
      case 'link':
        checkUrl(item.url, `${where}.url`);
        path = `${id}/weblink.xml`;
        break;
      case 'forum':
        if (typeof item.text !== 'string') throw new FormatError('INVALID_INPUT', `${where}.text is required`);
        path = `${id}/topic.xml`;
        break;
      case 'quiz':
        if (item.bank && inTree) throw new FormatError('INVALID_INPUT', `${where} is a question bank: banks go in course.extraResources (CC forbids items pointing at them)`);
        if (!Array.isArray(item.questions)) throw new FormatError('INVALID_INPUT', `${where}.questions must be an array`);
        path = `${id}/${item.bank ? 'questionbank' : 'assessment'}.xml`;
        break;
      case 'lti':
        checkUrl(item.launchUrl, `${where}.launchUrl`);
        if (item.secureLaunchUrl) checkUrl(item.secureLaunchUrl, `${where}.secureLaunchUrl`);
        path = version === '1.0' ? `${id}/weblink.xml` : `${id}/basiclti.xml`;
        break;
      case 'assignment':
        if (typeof item.text !== 'string') throw new FormatError('INVALID_INPUT', `${where}.text is required`);
        path = version === '1.3' ? `${id}/assignment.xml` : uniquePath('wiki_content', `${slugify(item.title, id.toLowerCase())}.html`, usedPaths);
        break;
      default:
        throw new FormatError('INVALID_INPUT', `${where}.kind is unknown: ${String((item as { kind?: unknown }).kind)}`);
    }
    const r: Planned = { id, item, path, inTree, dependencies: [] };
    if (item.key !== undefined) {
      if (refs.has(item.key)) throw new FormatError('INVALID_INPUT', `${where}.key ${item.key} is used twice`);
      refs.set(item.key, item.kind === 'link' ? { url: item.url } : { path });
      resourceIdByKey.set(item.key, id);
      plannedByKey.set(item.key, r);
    }
    planned.push(r);
    return r;
  };

  const planItems = (items: CcItem[], prefix: string, where: string): TreeNode[] => {
    if (!Array.isArray(items)) throw new FormatError('INVALID_INPUT', `${where} must be an array`);
    return items.map((item, ii) => {
      const w = `${where}[${ii}]`;
      requireText(item?.title, `${w}.title`);
      const suffix = `${prefix}_${ii + 1}`;
      if (item.kind === 'folder') {
        return { itemId: `ITEM${suffix}`, title: item.title, children: planItems(item.items, suffix, `${w}.items`) };
      }
      if (item.kind === 'alias') {
        requireText(item.ref, `${w}.ref`);
        const node: TreeNode = { itemId: `ITEM${suffix}`, title: item.title, children: [] };
        aliases.push({ node, ref: item.ref, where: w });
        return node;
      }
      const r = planLeaf(item, `RES${suffix}`, w, true);
      return { itemId: `ITEM${suffix}`, title: item.title, resourceId: r.id, children: [] };
    });
  };

  const tree: TreeNode[] = course.sections.map((section, si) => {
    requireText(section?.title, `sections[${si}].title`);
    return { itemId: `SECTION_${si + 1}`, title: section.title, children: planItems(section.items, `_${si + 1}`, `sections[${si}].items`) };
  });
  if (course.outline !== undefined) tree.push(...planItems(course.outline, '_T', 'outline'));
  (course.extraResources ?? []).forEach((item, xi) => {
    const w = `extraResources[${xi}]`;
    requireText(item?.title, `${w}.title`);
    if (item.kind === 'folder' || item.kind === 'alias') throw new FormatError('INVALID_INPUT', `${w}: folders and aliases belong in the course tree`);
    planLeaf(item, `RES_X${xi + 1}`, w, false);
  });
  for (const a of aliases) {
    const target = plannedByKey.get(a.ref);
    if (!target) throw new FormatError('INVALID_INPUT', `${a.where}: unknown reference ${a.ref}`);
    if (target.item.kind === 'quiz' && target.item.bank) throw new FormatError('INVALID_INPUT', `${a.where}: an item cannot point at a question bank`);
    a.node.resourceId = target.id;
  }
  const banks = planned.filter((r) => r.item.kind === 'quiz' && r.item.bank);
  if (version !== '1.3' && banks.length > 1) {
    throw new FormatError('INVALID_INPUT', `CC ${version} allows one question bank, the course has ${banks.length}`);
  }

  // 2. Files of the package.
  const files: ZipInputEntry[] = [];
  const fileResourceIds = new Set(planned.filter((r) => r.item.kind === 'file').map((r) => r.id));
  // Dependencies: the files a text links to, plus attachments (files or pages: web content).
  const fileDeps = (texts: string[], attachmentKeys: string[] = []): string[] => {
    const deps: string[] = [];
    for (const key of texts.flatMap(referencedKeys)) {
      const rid = resourceIdByKey.get(key);
      if (rid && fileResourceIds.has(rid) && !deps.includes(rid)) deps.push(rid);
    }
    for (const key of attachmentKeys) {
      const rid = resourceIdByKey.get(key);
      if (rid && !deps.includes(rid)) deps.push(rid);
    }
    return deps;
  };
  const attachmentHrefs = (keys: string[] | undefined, where: string): string[] =>
    (keys ?? []).map((k) => {
      const target = plannedByKey.get(k);
      if (!target || (target.item.kind !== 'file' && target.item.kind !== 'page')) {
        throw new FormatError('INVALID_INPUT', `${where}: attachment ${k} is not the key of a file or page`);
      }
      return target.path;
    });
  for (const r of planned) {
    const item = r.item;
    switch (item.kind) {
      case 'page': {
        const html = resolveRefs(item.html, refs, `page "${item.title}"`, r.path);
        r.dependencies = fileDeps([item.html]);
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
        const given = resolveRefs(item.text, refs, `forum "${item.title}"`, r.path);
        // An empty topic text gets the title (Moodle's importer fails on empty bodies under PHP 8).
        const text = !isBlankHtml(given) ? given : item.textType === 'text/plain' ? item.title : `<p>${escapeXmlText(item.title)}</p>`;
        attachmentHrefs(item.attachments, `forum "${item.title}"`);
        r.dependencies = fileDeps([item.text], item.attachments);
        const attachments = r.dependencies.map((rid) => `${CC_FILEBASE_TOKEN}/${encodePath(planned.find((x) => x.id === rid)!.path)}`);
        files.push({ name: r.path, data: topicXml(p, item.title, text, item.textType ?? 'text/html', attachments) });
        break;
      }
      case 'quiz': {
        const resolved = mapQuizTexts(item, (t, where) => resolveRefs(t, refs, `quiz "${item.title}", ${where}`, r.path));
        r.dependencies = fileDeps(quizTexts(item));
        if (version !== '1.3' && resolved.description) {
          losses.push(`quiz "${item.title}": its introduction is not carried (no assessment rubric in the CC ${version} QTI profile)`);
          delete resolved.description;
        }
        files.push({ name: r.path, data: writeQti(resolved, r.id, QTI_XSD[version], `quiz "${item.title}"`) });
        break;
      }
      case 'lti':
        if (version === '1.0') {
          files.push({ name: r.path, data: weblinkXml(p, item.title, item.launchUrl) });
          losses.push(`LTI tool "${item.title}": written as a web link to its launch URL (CC 1.0 has no LTI links; the tool opens without LTI launch or custom parameters)`);
        } else {
          files.push({ name: r.path, data: ltiXml(version, item) });
        }
        break;
      case 'assignment': {
        const text = resolveRefs(item.text, refs, `assignment "${item.title}"`, r.path);
        const attachmentPaths = attachmentHrefs(item.attachments, `assignment "${item.title}"`);
        const attachments = attachmentPaths.map((a) => `${CC_FILEBASE_TOKEN}/${encodePath(a)}`);
        r.dependencies = fileDeps([item.text], item.attachments);
        if (version === '1.3') {
          files.push({ name: r.path, data: assignmentXml(r.id, item, text, attachments) });
        } else {
          // CC 1.0 and 1.1 have no assignment type (and 1.1 no intendeduse="assignment"): a page.
          const body = (item.textType === 'text/plain' ? `<p>${escapeXmlText(text)}</p>` : text) +
            (attachmentPaths.length > 0 ? `\n<ul>${attachmentPaths.map((a) => `<li><a href="${escapeXmlAttr(relativePackagePath(r.path, a))}">${escapeXmlText(a.split('/').pop() ?? a)}</a></li>`).join('')}</ul>` : '');
          files.push({ name: r.path, data: pageDocument(item.title, body, course.language) });
          if (item.gradable !== undefined || item.pointsPossible !== undefined || item.submissionFormats?.length) {
            losses.push(`assignment "${item.title}": written as a page; grading and submission settings are not carried by CC ${version}`);
          }
        }
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
      // The CC 1.1 manifest LOM binding allows only `value` in a role.
      if (p.lomRoleSource) w.leaf('lomimscc:source', 'LOMv1.0');
      w.leaf('lomimscc:value', 'author');
      w.close('lomimscc:role');
      w.leaf('lomimscc:entity', vcard(course.author));
    }
    if (date) {
      w.open('lomimscc:date');
      w.leaf('lomimscc:dateTime', isoDate(date, p.dateTimeFraction));
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
  const writeNode = (n: TreeNode) => {
    w.open('item', { identifier: n.itemId, identifierref: n.resourceId });
    w.leaf('title', n.title);
    n.children.forEach(writeNode);
    w.close('item');
  };
  tree.forEach(writeNode);
  w.close('item');
  w.close('organization');
  w.close('organizations');

  w.open('resources');
  for (const r of planned) {
    const kind = r.item.kind;
    const rk = kind === 'link' || (kind === 'lti' && version === '1.0') ? 'weblink' : kind === 'forum' ? 'discussion' : kind === 'quiz' ? (r.item.kind === 'quiz' && r.item.bank ? 'question-bank' : 'assessment') : kind === 'lti' ? 'lti' : kind === 'assignment' && version === '1.3' ? 'assignment' : 'webcontent';
    const type = canonicalResourceType(rk, version)!;
    const isWebContent = rk === 'webcontent';
    const wanted = r.item.kind === 'assignment' ? 'assignment' : r.item.kind === 'page' || r.item.kind === 'file' ? r.item.intendedUse : undefined;
    // Each version's package schema has its own list (1.1: no "assignment", 1.0: no intendeduse at all).
    const intendedUse = wanted !== undefined && p.intendedUses.includes(wanted) ? wanted : undefined;
    if (wanted !== undefined && intendedUse === undefined && r.item.kind !== 'assignment') {
      losses.push(`"${r.item.title}": its intended use (${wanted}) is not carried by CC ${version}`);
    }
    w.open('resource', { identifier: r.id, type, href: isWebContent ? r.path : undefined, intendeduse: intendedUse });
    w.empty('file', { href: r.path });
    for (const dep of r.dependencies) w.empty('dependency', { identifierref: dep });
    w.close('resource');
  }
  w.close('resources');
  w.close('manifest');

  return { entries: [{ name: 'imsmanifest.xml', data: w.toString() }, ...files], losses, date };
}

/**
 * Writes an IMS Common Cartridge package (1.0, 1.1 or 1.3) for a course: one
 * organization (rooted hierarchy) whose root item holds one item per section
 * (folders nest further), pages as `webcontent` under `wiki_content/`, files
 * as `webcontent` under `web_resources/`, links as `imswl` descriptors,
 * forums as `imsdt` descriptors, quizzes as CC-profile QTI 1.2 assessments,
 * question banks (in `extraResources`), LTI links and, in 1.3, assignments
 * (`assignment_xmlv1p0`; in 1.0 and 1.1 a page, grading declared lost).
 *
 * Links between items are written as paths relative to the document that
 * holds them (`../web_resources/x.pdf`), as Moodle's own exports do: Moodle's
 * page import resolves only those. Topic and assignment attachments keep the
 * `$IMS-CC-FILEBASE$/<path from the root>` form of the CC descriptors.
 * Output is deterministic: same course, same options, same bytes.
 */
export async function writeCommonCartridge(course: CcCourse, opts: CcWriteOptions): Promise<Buffer> {
  const plan = planCommonCartridge(course, opts);
  return writeDeterministicZip(plan.entries, { date: plan.date });
}

/**
 * Same package as `writeCommonCartridge`, streamed to `outPath` (files given
 * as `{ path }` are read while writing, so memory stays flat), atomically.
 * Returns size, SHA-256 and what the target version could not carry.
 */
export async function writeCommonCartridgeToFile(
  course: CcCourse,
  opts: CcWriteOptions,
  outPath: string,
): Promise<WrittenFile & { losses: string[] }> {
  const plan = planCommonCartridge(course, opts);
  const written = await writeDeterministicZipToFile(plan.entries, outPath, { date: plan.date });
  return { ...written, losses: plan.losses };
}
