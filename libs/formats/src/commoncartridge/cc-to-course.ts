/**
 * Reader → writer mapping: turns a cartridge as read (`openCommonCartridge`)
 * into the `CcCourse` model the writer takes, so that read → write → read
 * keeps the outline (tree and titles), the files (bytes) and the links (web
 * links, LTI launch URLs, and links between pages and files, rewritten as
 * `{{ref:KEY}}` then `$IMS-CC-FILEBASE$/…`). What cannot be carried is
 * listed in `losses`, never dropped silently.
 */
import { posix } from 'node:path';
import { FormatError } from '../errors';
import { parseXmlSafely, XmlElement } from '../xml/safe-xml';
import { MAX_DESCRIPTOR_BYTES } from './cc-package';
import { parseQti } from './cc-qti';
import { findPackageFile, normalizeHref, OpenedCartridge } from './cc-read';
import { safeFileName } from './cc-writer';
import { CcAssignmentItem, CcCourse, CcFeedback, CcFileItem, CcItem, CcOrgItem, CcQuizItem, CcResource, mapFeedback } from './cc-types';

export interface CcCourseMapping {
  course: CcCourse;
  /** Human sentences: what the mapping could not carry into the model. */
  losses: string[];
}

export interface CcMappingOptions {
  /** Largest file read into memory when the source has no path on disk (default 256 MiB). */
  maxFileBytes?: number;
}

const MEDIA_TYPES: Record<string, string> = {
  html: 'text/html',
  htm: 'text/html',
  txt: 'text/plain',
  css: 'text/css',
  js: 'text/javascript',
  json: 'application/json',
  xml: 'application/xml',
  pdf: 'application/pdf',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  svg: 'image/svg+xml',
  webp: 'image/webp',
  mp3: 'audio/mpeg',
  mp4: 'video/mp4',
  webm: 'video/webm',
  zip: 'application/zip',
  doc: 'application/msword',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  odt: 'application/vnd.oasis.opendocument.text',
  ppt: 'application/vnd.ms-powerpoint',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  xls: 'application/vnd.ms-excel',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

export function mediaTypeOf(path: string): string {
  const ext = /\.([A-Za-z0-9]{1,10})$/.exec(path)?.[1]?.toLowerCase() ?? '';
  return MEDIA_TYPES[ext] ?? 'application/octet-stream';
}

const isHtml = (path: string) => /\.x?html?$/i.test(path);
const FILEBASE = /^(?:\$|%24)IMS[-_]CC[-_]FILEBASE(?:\$|%24)/i;
const WIKI_REF = /^(?:\$|%24)WIKI_REFERENCE(?:\$|%24)\/pages\/([^?#]+)/i;
const CANVAS_OBJECT = /^(?:\$|%24)CANVAS_OBJECT_REFERENCE(?:\$|%24)\/([a-z_]+)\/([^?#/]+)/i;
const CANVAS_TOKEN = /^(?:\$|%24)(CANVAS_[A-Z_]+|WIKI_REFERENCE)(?:\$|%24)/i;
const ATTR = /(\s(?:href|src)\s*=\s*)("([^"]*)"|'([^']*)')/gi;

function decodeHtmlAttr(v: string): string {
  return v.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'");
}

function splitSuffix(v: string): { path: string; suffix: string } {
  const i = v.search(/[?#]/);
  return i < 0 ? { path: v, suffix: '' } : { path: v.slice(0, i), suffix: v.slice(i) };
}

/**
 * Maps an opened cartridge to a course. `losses` names everything not
 * carried: unknown resource types, question types without CC equivalent,
 * exporter-specific data (Canvas course settings…), broken references.
 */
export async function cartridgeToCourse(opened: OpenedCartridge, options: CcMappingOptions = {}): Promise<CcCourseMapping> {
  const { cartridge: c, pkg } = opened;
  const maxFileBytes = options.maxFileBytes ?? 256 * 1024 * 1024;
  const losses: string[] = [];
  const byId = new Map<string, CcResource>();
  for (const r of c.resources) if (!byId.has(r.identifier)) byId.set(r.identifier, r);
  const extras: CcItem[] = [];
  /** Resource id → key of the item written for it. */
  const keyOfResource = new Map<string, string>();
  /** Resource ids already turned into an item (first occurrence). */
  const mapped = new Set<string>();
  /** Package path → key of the item that carries the file. */
  const keyOfFile = new Map<string, string>();
  /** Package path → resource whose main file it is (webcontent / associated content). */
  const mainFileOwner = new Map<string, CcResource>();
  let counter = 0;
  const newKey = (prefix: string) => `${prefix}${++counter}`;

  const mainFile = (r: CcResource): string | undefined => {
    const m = r.href && pkg.files.has(r.href) ? r.href : r.files.find((f) => pkg.files.has(f));
    return m;
  };
  for (const r of c.resources) {
    if (r.kind !== 'webcontent' && r.kind !== 'associated-content') continue;
    const m = mainFile(r);
    if (m && !mainFileOwner.has(m)) mainFileOwner.set(m, r);
  }
  // Keys reserved for every resource the outline points at, so that links
  // found on the way resolve to the tree item rather than to a copy.
  const reserve = (items: CcOrgItem[]) => {
    for (const i of items) {
      if (i.identifierref && byId.has(i.identifierref) && !keyOfResource.has(i.identifierref)) {
        keyOfResource.set(i.identifierref, newKey('r'));
      }
      reserve(i.children);
    }
  };
  reserve(c.organization?.items ?? []);

  const readBytes = async (path: string): Promise<Buffer | { path: string }> => {
    const disk = pkg.diskPath(path);
    if (disk) return { path: disk };
    return pkg.read(path, maxFileBytes);
  };
  const readText = async (path: string): Promise<string> => (await pkg.read(path, MAX_DESCRIPTOR_BYTES)).toString('utf8');

  /** Package path an item was made from (sort tie-breaker). */
  const sourcePathOf = new WeakMap<CcItem, string>();
  const fileItem = async (path: string, title: string, key: string, intendedUse?: string): Promise<CcFileItem> => {
    const item: CcFileItem = {
      kind: 'file',
      key,
      title,
      fileName: posix.basename(path),
      mediaType: mediaTypeOf(path),
      data: await readBytes(path),
      ...(isIntendedUse(intendedUse) ? { intendedUse } : {}),
    };
    sourcePathOf.set(item, path);
    return item;
  };

  /**
   * Key of the item carrying this package file: the item of the resource whose
   * main file it is (mapped outside the outline if it is not in it), or a new
   * extra file item.
   */
  const ensureFile = async (path: string): Promise<string> => {
    const known = keyOfFile.get(path);
    if (known) return known;
    const owner = mainFileOwner.get(path);
    if (owner) {
      const reserved = keyOfResource.get(owner.identifier);
      if (reserved) {
        keyOfFile.set(path, reserved);
        return reserved;
      }
      if (owner.kind === 'webcontent' || isHtml(path)) {
        const k = await mapExtra(owner);
        if (k) return k;
      }
    }
    const key = newKey('f');
    keyOfFile.set(path, key);
    extras.push(await fileItem(path, posix.basename(path), key));
    return key;
  };

  let unresolvedLinks = 0;
  const unresolvedExamples: string[] = [];
  /** Rewrites internal links of an HTML text into `{{ref:KEY}}`. `base` is the folder of the document. */
  const rewriteLinks = async (html: string, base: string, where: string): Promise<string> => {
    const safe = html.replace(/\{\{ref:/g, '{{ref&#58;');
    const matches = [...safe.matchAll(ATTR)];
    if (matches.length === 0) return safe;
    let out = '';
    let last = 0;
    for (const m of matches) {
      const raw = m[3] ?? m[4] ?? '';
      const quote = m[3] !== undefined ? '"' : "'";
      const replacement = await resolveLink(decodeHtmlAttr(raw), base);
      out += safe.slice(last, m.index!);
      if (replacement === undefined) {
        out += m[0];
      } else if (replacement === null) {
        out += m[0];
        unresolvedLinks++;
        if (unresolvedExamples.length < 3) unresolvedExamples.push(`${where}: ${raw}`);
      } else {
        out += `${m[1]}${quote}${replacement.replace(/&/g, '&amp;').replace(/"/g, '&quot;')}${quote}`;
      }
      last = m.index! + m[0].length;
    }
    return out + safe.slice(last);
  };

  /** `undefined`: external or anchor, left alone; `null`: internal but unresolved; else the new value. */
  const resolveLink = async (value: string, base: string): Promise<string | null | undefined> => {
    const v = value.trim();
    if (v === '' || v.startsWith('#') || v.startsWith('//')) return undefined;
    const canvasObject = CANVAS_OBJECT.exec(v);
    if (canvasObject) {
      const target = byId.get(decodeURIComponent(canvasObject[2]));
      if (target) {
        const key = keyOfResource.get(target.identifier) ?? (await mapExtra(target));
        if (key) return `{{ref:${key}}}`;
      }
      return null;
    }
    const wiki = WIKI_REF.exec(v);
    let candidates: string[] = [];
    let suffix = '';
    if (wiki) {
      // Canvas names the page by its slug or by its resource identifier.
      const slug = decodeURIComponent(wiki[1]);
      const target = byId.get(slug);
      if (target) {
        const key = keyOfResource.get(target.identifier) ?? (await mapExtra(target));
        if (key) return `{{ref:${key}}}${splitSuffix(v).suffix}`;
      }
      candidates = [`wiki_content/${slug}.html`, `wiki_content/${slug}`];
      suffix = splitSuffix(v).suffix;
    } else if (FILEBASE.test(v)) {
      const rest = splitSuffix(v.replace(FILEBASE, ''));
      suffix = rest.suffix;
      const r = rest.path;
      const rel = r.replace(/^\/+/, '');
      candidates = r.startsWith('/') ? [rel, `web_resources/${rel}`, posix.join(base, rel)] : [posix.join(base, rel), rel, `web_resources/${rel}`];
      // Canvas also writes $IMS_CC_FILEBASE$/files/<name> for web_resources/<name>.
      if (/^files\//.test(rel)) candidates.push(`web_resources/${rel.slice('files/'.length)}`);
    } else if (CANVAS_TOKEN.test(v)) {
      return null;
    } else if (/^[a-z][a-z0-9+.-]*:/i.test(v) || v.startsWith('/')) {
      return undefined;
    } else {
      const rest = splitSuffix(v);
      suffix = rest.suffix;
      candidates = [posix.join(base, rest.path)];
      // "../x" written from a file at the package root (seen in IMS test data): the root is meant.
      candidates.push(rest.path);
    }
    for (const c of [...candidates]) if (c.startsWith('../')) candidates.push(c.replace(/^(\.\.\/)+/, ''));
    for (const cand of candidates) {
      const n = normalizeHref(cand);
      if (n.kind !== 'path') continue;
      const found = findPackageFile(pkg.files, n.path);
      if (found) return `{{ref:${await ensureFile(found)}}}${suffix}`;
    }
    return null;
  };

  const readDescriptor = async (r: CcResource): Promise<{ root: XmlElement; path: string } | undefined> => {
    if (r.inline) {
      const el = findInline(opened.manifest, r.identifier);
      return el ? { root: el, path: '' } : undefined;
    }
    const file = r.files[0];
    if (!file || !pkg.files.has(file)) return undefined;
    try {
      return { root: parseXmlSafely(await pkg.read(file, MAX_DESCRIPTOR_BYTES), { maxBytes: MAX_DESCRIPTOR_BYTES }), path: file };
    } catch (e) {
      if (e instanceof FormatError) return undefined;
      throw e;
    }
  };

  /** Builds the item for a resource (first occurrence); `undefined` when it cannot be carried. */
  const buildItem = async (r: CcResource, title: string | undefined, key: string): Promise<CcItem | undefined> => {
    const label = title ?? r.identifier;
    switch (r.kind) {
      case 'webcontent':
      case 'associated-content': {
        const main = mainFile(r);
        if (!main) {
          losses.push(`"${label}" (${r.identifier}): none of its files is in the package`);
          return undefined;
        }
        let item: CcItem;
        if (isHtml(main)) {
          const html = await rewriteLinks(await readText(main), posix.dirname(main), main);
          item = { kind: 'page', key, title: title ?? htmlTitle(html) ?? posix.basename(main), html, ...(isIntendedUse(r.intendedUse) ? { intendedUse: r.intendedUse } : {}) };
          sourcePathOf.set(item, main);
        } else {
          item = await fileItem(main, title ?? posix.basename(main), key, r.intendedUse);
        }
        keyOfFile.set(main, key);
        for (const f of r.files) if (f !== main && pkg.files.has(f)) await ensureFile(f);
        return item;
      }
      case 'weblink': {
        const d = r.details?.kind === 'weblink' ? r.details : undefined;
        if (!d?.url || !/^https?:\/\//i.test(d.url)) {
          losses.push(`web link "${label}" (${r.identifier}): no usable http(s) URL`);
          return undefined;
        }
        return { kind: 'link', key, title: title ?? d.title ?? d.url, url: d.url };
      }
      case 'discussion': {
        const d = r.details?.kind === 'discussion' ? r.details : undefined;
        const desc = await readDescriptor(r);
        const base = desc?.path ? posix.dirname(desc.path) : '';
        const textType = d?.textType === 'text/plain' ? 'text/plain' : 'text/html';
        const text = textType === 'text/html' ? await rewriteLinks(d?.text ?? '', base, `topic ${r.identifier}`) : (d?.text ?? '');
        const attachments: string[] = [];
        for (const a of d?.attachments ?? []) {
          const resolved = await resolveLink(a, base);
          const k = resolved ? /^\{\{ref:([^}]+)\}\}/.exec(resolved)?.[1] : undefined;
          if (k && !attachments.includes(k)) attachments.push(k);
          else if (!k) losses.push(`discussion "${label}": attachment ${a} not found in the package`);
        }
        for (const k of await carryDependencies(r, label)) if (!attachments.includes(k)) attachments.push(k);
        return { kind: 'forum', key, title: title ?? d?.title ?? label, text, textType, ...(attachments.length ? { attachments } : {}) };
      }
      case 'assessment':
      case 'question-bank': {
        const desc = await readDescriptor(r);
        if (!desc || desc.root.local !== 'questestinterop') {
          losses.push(`${r.kind} "${label}" (${r.identifier}): its QTI file is missing or unreadable`);
          return undefined;
        }
        const qti = parseQti(desc.root);
        const base = desc.path ? posix.dirname(desc.path) : '';
        const questions: CcQuizItem['questions'] = [];
        for (const q of qti.questions) {
          if (!q.question) {
            losses.push(`${r.kind} "${label}": question ${JSON.stringify(q.title ?? q.profile)} not carried (${q.unsupported})`);
            continue;
          }
          const x = q.question;
          const text = x.textType === 'text/plain' ? x.text : await rewriteLinks(x.text, base, `${r.identifier}`);
          // Feedback is HTML (itemfeedback mattext): its links are rewritten like the stems'.
          let feedback: CcFeedback | undefined;
          if (x.feedback) {
            feedback = {};
            for (const slot of ['general', 'correct', 'incorrect'] as const) if (x.feedback[slot] !== undefined) feedback[slot] = await rewriteLinks(x.feedback[slot]!, base, r.identifier);
          }
          const withFeedback = feedback ? { feedback } : {};
          if (x.type === 'multiple-choice' || x.type === 'multiple-response') {
            const choices = [];
            for (const ch of x.choices) {
              choices.push({
                ...ch,
                text: ch.textType === 'text/plain' ? ch.text : await rewriteLinks(ch.text, base, r.identifier),
                ...(ch.feedback !== undefined ? { feedback: await rewriteLinks(ch.feedback, base, r.identifier) } : {}),
              });
            }
            questions.push({ ...x, text, ...withFeedback, choices });
          } else questions.push({ ...x, text, ...withFeedback });
        }
        if (questions.length === 0) {
          losses.push(`${r.kind} "${label}" (${r.identifier}): no question of a Common Cartridge type, not carried`);
          return undefined;
        }
        const quiz: CcQuizItem = {
          kind: 'quiz',
          key,
          title: title ?? qti.title ?? label,
          questions,
          ...(qti.description ? { description: await rewriteLinks(qti.description, base, r.identifier) } : {}),
          ...(qti.maxAttempts !== undefined ? { maxAttempts: clampAttempts(qti.maxAttempts, label, losses) } : {}),
          ...(qti.timeLimitMinutes !== undefined ? { timeLimitMinutes: qti.timeLimitMinutes } : {}),
          ...(r.kind === 'question-bank' ? { bank: true } : {}),
        };
        await carryDependencies(r, label);
        return quiz;
      }
      case 'lti': {
        const d = r.details?.kind === 'lti' ? r.details : undefined;
        const url = d?.launchUrl ?? d?.secureLaunchUrl;
        if (!url || !/^https?:\/\//i.test(url)) {
          losses.push(`LTI link "${label}" (${r.identifier}): no usable launch URL`);
          return undefined;
        }
        return {
          kind: 'lti',
          key,
          title: title ?? d?.title ?? label,
          launchUrl: url,
          ...(d?.secureLaunchUrl && d.secureLaunchUrl !== url && /^https?:\/\//i.test(d.secureLaunchUrl) ? { secureLaunchUrl: d.secureLaunchUrl } : {}),
          ...(d?.description ? { description: d.description } : {}),
          ...(d && Object.keys(d.custom).length ? { custom: d.custom } : {}),
          ...(d?.vendor && d.vendor.code && d.vendor.name ? { vendor: d.vendor } : {}),
        };
      }
      case 'assignment': {
        const d = r.details?.kind === 'assignment' ? r.details : undefined;
        const desc = await readDescriptor(r);
        const base = desc?.path ? posix.dirname(desc.path) : '';
        const textType = d?.textType === 'text/plain' ? 'text/plain' : 'text/html';
        const text = textType === 'text/html' ? await rewriteLinks(d?.text ?? '', base, r.identifier) : (d?.text ?? '');
        const attachments: string[] = [];
        for (const a of d?.attachments ?? []) {
          const resolved = await resolveLink(a, base);
          const k = resolved ? /^\{\{ref:([^}]+)\}\}/.exec(resolved)?.[1] : undefined;
          if (k) attachments.push(k);
          else losses.push(`assignment "${label}": attachment ${a} not found in the package`);
        }
        const inText = referencedKeysOf(text);
        for (const k of await carryDependencies(r, label)) if (!attachments.includes(k) && !inText.has(k)) attachments.push(k);
        const item: CcAssignmentItem = {
          kind: 'assignment',
          key,
          title: title ?? d?.title ?? label,
          text,
          textType,
          ...(d?.gradable !== undefined ? { gradable: d.gradable } : {}),
          ...(d?.pointsPossible !== undefined ? { pointsPossible: d.pointsPossible } : {}),
          ...(d?.submissionFormats.length ? { submissionFormats: d.submissionFormats } : {}),
          ...(attachments.length ? { attachments } : {}),
        };
        return item;
      }
      default:
        losses.push(`"${label}" (${r.identifier}): resource type ${JSON.stringify(r.type)} is unknown, not carried`);
        return undefined;
    }
  };

  /**
   * Files of the resources `r` depends on: content files (images, documents)
   * are carried and their keys returned (as attachments); exporter metadata
   * (XML files of associated content, e.g. Canvas topic/quiz meta) is
   * reported as not carried.
   */
  const carryDependencies = async (r: CcResource, label: string): Promise<string[]> => {
    const keys: string[] = [];
    for (const dep of r.dependencies) {
      const d = byId.get(dep);
      if (!d || (d.kind !== 'associated-content' && d.kind !== 'webcontent')) continue;
      const content = d.files.filter((f) => pkg.files.has(f) && !/\.(xml|qti)$/i.test(f));
      const missing = d.files.filter((f) => !pkg.files.has(f));
      const meta = d.files.filter((f) => pkg.files.has(f) && !content.includes(f) && !keyOfFile.has(f));
      if (missing.length > 0) losses.push(`"${label}": ${missing.length} file(s) of ${d.identifier} missing from the package (${missing.join(', ')})`);
      for (const f of content) {
        const k = await ensureFile(f);
        if (!keys.includes(k)) keys.push(k);
      }
      if (meta.length > 0 && d.kind === 'associated-content') {
        losses.push(`"${label}": exporter data of ${d.identifier} (${meta.join(', ')}) not carried`);
      }
      if (d.kind === 'associated-content') mapped.add(d.identifier);
    }
    return keys;
  };

  /** Maps a resource outside the outline into `extraResources`; returns its key. */
  const mapExtra = async (r: CcResource): Promise<string | undefined> => {
    if (mapped.has(r.identifier)) return keyOfResource.get(r.identifier);
    mapped.add(r.identifier);
    const key = keyOfResource.get(r.identifier) ?? newKey('r');
    keyOfResource.set(r.identifier, key);
    const main = mainFile(r);
    if (main && (r.kind === 'webcontent' || r.kind === 'associated-content') && !keyOfFile.has(main)) keyOfFile.set(main, key);
    const item = await buildItem(r, undefined, key);
    if (!item) {
      keyOfResource.delete(r.identifier);
      if (main && keyOfFile.get(main) === key) keyOfFile.delete(main);
      return undefined;
    }
    extras.push(item);
    return key;
  };

  const mapNodes = async (nodes: CcOrgItem[], path: string): Promise<CcItem[]> => {
    const out: CcItem[] = [];
    for (const n of nodes) {
      const title = n.title && n.title.trim() !== '' ? n.title : undefined;
      if (!n.identifierref) {
        if (!title) losses.push(`folder ${n.identifier} has no title; named after its identifier`);
        out.push({ kind: 'folder', title: title ?? n.identifier, items: await mapNodes(n.children, `${path}/${title ?? n.identifier}`) });
        continue;
      }
      // An item whose resource cannot be carried stays in the outline as a heading.
      const heading = (): CcItem => ({ kind: 'folder', title: title ?? n.identifier, items: [] });
      const r = byId.get(n.identifierref);
      if (!r) {
        losses.push(`item "${title ?? n.identifier}" points at ${n.identifierref}, which is not in the manifest: kept as a heading without content`);
        out.push(heading());
        continue;
      }
      if (r.kind === 'question-bank') {
        losses.push(`item "${title ?? n.identifier}" points at a question bank (CC forbids it): kept as a heading, the bank outside the outline`);
        await mapExtra(r);
        out.push(heading());
        continue;
      }
      if (mapped.has(r.identifier)) {
        // Second place in the outline for the same resource.
        const key = keyOfResource.get(r.identifier);
        out.push(key ? { kind: 'alias', title: title ?? r.identifier, ref: key } : heading());
      } else {
        mapped.add(r.identifier);
        const key = keyOfResource.get(r.identifier)!;
        const item = await buildItem(r, title, key);
        if (item) out.push(item);
        else {
          keyOfResource.delete(r.identifier);
          out.push(heading());
        }
      }
      if (n.children.length > 0) {
        losses.push(`item "${title ?? n.identifier}" has both a resource and child items; the children follow it in the same folder`);
        out.push(...(await mapNodes(n.children, path)));
      }
    }
    return out;
  };

  // The outline: the children of the root item (one root, as CC requires).
  const roots = c.organization?.items ?? [];
  const top = roots.length === 1 ? roots[0].children : roots;
  if (roots.length > 1) losses.push(`the organization has ${roots.length} root items; they became the top level of the outline`);
  const outline = await mapNodes(top, '');

  // Resources outside the outline.
  for (const r of c.resources) {
    if (mapped.has(r.identifier)) continue;
    if (r.variantOf) {
      mapped.add(r.identifier);
      losses.push(`${r.identifier}: fallback variant of ${r.variantOf}, not carried (the resource itself is)`);
      continue;
    }
    if (r.kind === 'associated-content') {
      const m = mainFile(r);
      if (m && keyOfFile.has(m)) continue;
      // An HTML page kept outside the outline (Canvas CC 1.1 assignments, syllabus): carried as a page.
      if (m && isHtml(m)) {
        await mapExtra(r);
        continue;
      }
      mapped.add(r.identifier);
      losses.push(
        m
          ? `${r.identifier}: associated content outside the outline (${r.files.length} file(s), e.g. ${m}) not carried: exporter-specific data`
          : `${r.identifier}: associated content none of whose files is in the package, not carried`,
      );
      continue;
    }
    if (r.kind === 'webcontent') {
      const m = mainFile(r);
      if (m && keyOfFile.has(m) && r.files.every((f) => !pkg.files.has(f) || keyOfFile.has(f))) continue;
    }
    await mapExtra(r);
  }
  if (unresolvedLinks > 0) {
    losses.push(`${unresolvedLinks} internal link(s) could not be resolved to a file of the package and were left as they are (e.g. ${unresolvedExamples.join('; ')})`);
  }
  const listed = new Set(c.resources.flatMap((r) => r.files));
  const unlisted = c.files.filter((f) => f !== 'imsmanifest.xml' && !listed.has(f) && !keyOfFile.has(f));
  if (unlisted.length > 0) losses.push(`${unlisted.length} file(s) listed by no resource not carried (e.g. ${unlisted.slice(0, 3).join(', ')})`);

  // Resources outside the outline come in discovery order, which depends on how the source
  // nests its files; a fixed order (kind, then name) makes read → write → read a fixed point.
  const rank: Record<string, number> = { page: 0, file: 1, link: 2, forum: 3, quiz: 4, lti: 5, assignment: 6 };
  const sortKey = (i: CcItem): (string | number)[] => {
    const src = sourcePathOf.get(i) ?? '';
    if (i.kind === 'file') return [rank.file, ...naturalNameKey(safeFileName(i.fileName, 'file'))];
    return [rank[i.kind] ?? 9, i.title.normalize('NFC').toLowerCase(), ...naturalNameKey(src)];
  };
  const cmp = (a: (string | number)[], b: (string | number)[]): number => {
    for (let k = 0; k < Math.max(a.length, b.length); k++) {
      if (a[k] === b[k]) continue;
      return (a[k] ?? '') < (b[k] ?? '') ? -1 : 1;
    }
    return 0;
  };
  extras.sort((a, b) => cmp(sortKey(a), sortKey(b)));

  // Metadata the course model has no place for.
  const standards = countLocal(opened.manifest, 'curriculumStandardsMetadataSet');
  if (standards > 0) losses.push(`${standards} curriculum standards metadata set(s) (imscsmd) not carried`);
  const keywords = lomKeywords(opened.manifest);

  // The course identifier: the LOM catalog entry when there is one (what our writer puts
  // there), else the manifest identifier.
  const lomEntry = findLomIdentifier(opened.manifest);
  const course: CcCourse = {
    identifier: lomEntry || c.identifier || 'cartridge',
    title: c.title || c.organization?.title || 'Untitled cartridge',
    language: c.language || 'und',
    ...(c.description ? { description: c.description } : {}),
    ...(keywords.length ? { keywords } : {}),
    sections: [],
    outline,
    ...(extras.length ? { extraResources: extras } : {}),
  };
  dropDanglingRefs(course, losses);
  return { course, losses };
}

/** Keys defined by items of the course (tree and extras). */
function definedKeys(items: CcItem[], into = new Set<string>()): Set<string> {
  for (const i of items) {
    if (i.key) into.add(i.key);
    if (i.kind === 'folder') definedKeys(i.items, into);
  }
  return into;
}

/**
 * A link resolved to an item that could not be built in the end (e.g. a quiz
 * without CC questions) would dangle: it becomes `#` and is reported.
 */
function dropDanglingRefs(course: CcCourse, losses: string[]): void {
  const keys = definedKeys([...course.sections.flatMap((s) => s.items), ...(course.outline ?? []), ...(course.extraResources ?? [])]);
  let dropped = 0;
  const fix = (t: string) =>
    t.replace(/\{\{ref:([^{}\s]{1,200})\}\}/g, (m, k: string) => {
      if (keys.has(k)) return m;
      dropped++;
      return '#';
    });
  const visit = (items: CcItem[]): CcItem[] =>
    items
      .map((i): CcItem => {
        switch (i.kind) {
          case 'folder':
            return { ...i, items: visit(i.items) };
          case 'page':
            return { ...i, html: fix(i.html) };
          case 'forum':
            return { ...i, text: fix(i.text), ...(i.attachments ? { attachments: i.attachments.filter((a) => keys.has(a)) } : {}) };
          case 'assignment':
            return { ...i, text: fix(i.text), ...(i.attachments ? { attachments: i.attachments.filter((a) => keys.has(a)) } : {}) };
          case 'quiz':
            return {
              ...i,
              ...(i.description !== undefined ? { description: fix(i.description) } : {}),
              questions: i.questions.map((q) => {
                const withFeedback = q.feedback ? { feedback: mapFeedback(q.feedback, fix) } : {};
                return q.type === 'multiple-choice' || q.type === 'multiple-response'
                  ? { ...q, text: fix(q.text), ...withFeedback, choices: q.choices.map((c) => ({ ...c, text: fix(c.text), ...(c.feedback !== undefined ? { feedback: fix(c.feedback) } : {}) })) }
                  : { ...q, text: fix(q.text), ...withFeedback };
              }),
            };
          default:
            return i;
        }
      })
      .map((i): CcItem => (i.kind === 'alias' && !keys.has(i.ref) ? { kind: 'folder', title: i.title, items: [] } : i));
  course.sections = course.sections.map((s) => ({ ...s, items: visit(s.items) }));
  if (course.outline) course.outline = visit(course.outline);
  if (course.extraResources) course.extraResources = visit(course.extraResources);
  if (dropped > 0) losses.push(`${dropped} link(s) to resources that could not be carried were replaced by "#"`);
}

function referencedKeysOf(text: string): Set<string> {
  return new Set([...text.matchAll(/\{\{ref:([^{}\s]{1,200})\}\}/g)].map((m) => m[1]));
}

function isIntendedUse(v: string | undefined): v is 'assignment' | 'lessonplan' | 'syllabus' | 'unspecified' {
  return v === 'assignment' || v === 'lessonplan' || v === 'syllabus' || v === 'unspecified';
}

function clampAttempts(v: number | 'unlimited', label: string, losses: string[]): number | 'unlimited' {
  if (v === 'unlimited' || (v >= 1 && v <= 5)) return v;
  losses.push(`quiz "${label}": ${v} attempts cannot be written (CC allows 1 to 5 or unlimited); written as unlimited`);
  return 'unlimited';
}

function htmlTitle(html: string): string | undefined {
  const m = /<title[^>]*>([^<]*)<\/title>/i.exec(html);
  const t = m?.[1]?.trim();
  return t ? t.replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>') : undefined;
}

function countLocal(el: XmlElement, local: string): number {
  let n = 0;
  const walk = (e: XmlElement) => {
    for (const c of e.children) {
      if (c.local === local) n++;
      else walk(c);
    }
  };
  walk(el);
  return n;
}

function lomKeywords(manifest: XmlElement): string[] {
  const metadata = manifest.children.find((c) => c.local === 'metadata' && c.ns === manifest.ns);
  const general = metadata?.children.find((c) => c.local === 'lom')?.children.find((c) => c.local === 'general');
  return (general?.children ?? [])
    .filter((c) => c.local === 'keyword')
    .map((k) => (k.children.find((c) => c.local === 'string' || c.local === 'langstring') ?? k).text.trim())
    .filter((k) => k !== '');
}

function findLomIdentifier(manifest: XmlElement): string | undefined {
  const metadata = manifest.children.find((c) => c.local === 'metadata' && c.ns === manifest.ns);
  const lom = metadata?.children.find((c) => c.local === 'lom');
  const general = lom?.children.find((c) => c.local === 'general');
  const identifier = general?.children.find((c) => c.local === 'identifier');
  const entry = identifier?.children.find((c) => c.local === 'entry')?.text.trim();
  return entry || undefined;
}

/** Sort key of a package path: folder-free name, with a writer-added "-N" suffix read as a number. */
function naturalNameKey(path: string): [string, number, string, string] {
  const base = posix.basename(path).normalize('NFC').toLowerCase();
  const dot = base.lastIndexOf('.');
  const stem = dot > 0 ? base.slice(0, dot) : base;
  const ext = dot > 0 ? base.slice(dot) : '';
  const m = /^(.*)-(\d{1,6})$/.exec(stem);
  return m ? [m[1], Number(m[2]), ext, path] : [stem, 1, ext, path];
}

function findInline(manifest: XmlElement, id: string): XmlElement | undefined {
  const resources = manifest.children.find((c) => c.local === 'resources');
  const r = resources?.children.find((c) => c.local === 'resource' && c.attrs['identifier'] === id);
  return r?.children.find((c) => c.ns !== manifest.ns && ['webLink', 'topic', 'cartridge_basiclti_link', 'assignment', 'questestinterop'].includes(c.local));
}
