import { FormatError } from '../errors';
import { childrenNamed, firstChild, parseXmlSafely, XmlElement } from '../xml/safe-xml';
import { ZipLimits } from '../zip/safe-zip';
import { DESCRIPTOR_ROOTS, parseDescriptor } from './cc-descriptors';
import { CcPackage, CcSourceInput, manifestBytes, MAX_DESCRIPTOR_BYTES, MAX_MANIFEST_BYTES, openCcPackage } from './cc-package';
import { CC13_OTHER_TYPES, classifyResourceType } from './cc-resource-types';
import {
  CcCartridge,
  CcDetectedVersion,
  CcFinding,
  CcOrganization,
  CcOrgItem,
  CcResource,
  CcResourceKind,
  CcStats,
  CcVersion,
} from './cc-types';

export interface CcReadOptions extends ZipLimits {
  /** Parse the descriptors (weblink, topic, LTI, assignment, QTI) for `details` (default true). */
  readDescriptors?: boolean;
}

/** An opened cartridge: the reading plus access to its files (for conversion). */
export interface OpenedCartridge {
  cartridge: CcCartridge;
  pkg: CcPackage;
  manifest: XmlElement;
  close(): void;
}

const CP_PLAIN_NS = 'http://www.imsglobal.org/xsd/imscp_v1p1';
const CC_NS = /^http:\/\/www\.imsglobal\.org\/xsd\/imsccv1p([1-3])\/imscp_v1p1$/;
/** The namespace of the official CC 1.0 package binding (`imscp_v1p2_localised.xsd`), also used by Moodle's 1.0 exports. */
const CC10_NS = 'http://www.imsglobal.org/xsd/imscc/imscp_v1p1';
const CC_SCHEMAS = ['IMS Common Cartridge', 'IMS Thin Common Cartridge'];
/** Children of a resource that are CP structure, not inline content. */
const CP_CHILDREN = new Set(['metadata', 'file', 'dependency']);
const INLINE_ROOTS = new Set(Object.values(DESCRIPTOR_ROOTS));

function firstString(el: XmlElement | undefined): string | undefined {
  if (!el) return undefined;
  const s = firstChild(el, 'string') ?? firstChild(el, 'langstring');
  return (s ?? el).text.trim() || undefined;
}

export type NormalizedHref = { kind: 'path'; path: string } | { kind: 'external'; url: string } | { kind: 'outside'; raw: string };

/** Package-relative form of an href (`./a/../b.html` → `b.html`); URLs and escaping paths told apart. */
export function normalizeHref(raw: string): NormalizedHref {
  const href = raw.trim();
  if (/^[a-z][a-z0-9+.-]*:/i.test(href) && !/^[a-z]:[\\/]/i.test(href)) return { kind: 'external', url: href };
  if (href.startsWith('/') || href.startsWith('\\') || /^[a-z]:/i.test(href)) return { kind: 'outside', raw };
  const out: string[] = [];
  for (const seg of href.replace(/\\/g, '/').split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length === 0) return { kind: 'outside', raw };
      out.pop();
    } else out.push(seg);
  }
  return { kind: 'path', path: out.join('/') };
}

/** The package file an href names, trying it as written then URL-decoded; `undefined` if absent. */
export function findPackageFile(files: ReadonlySet<string>, path: string): string | undefined {
  if (files.has(path)) return path;
  let decoded: string | undefined;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    decoded = undefined;
  }
  if (decoded !== undefined && files.has(decoded)) return decoded;
  const noQuery = path.replace(/[?#].*$/, '');
  if (noQuery !== path) return findPackageFile(files, noQuery);
  return undefined;
}

function decodeForDisplay(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

function parseItems(el: XmlElement, ns: string): CcOrgItem[] {
  return childrenNamed(el, 'item', ns).map((item) => {
    const title = firstChild(item, 'title', ns)?.text.trim();
    const ref = item.attrs['identifierref']?.trim();
    return {
      identifier: item.attrs['identifier'] ?? '',
      ...(ref ? { identifierref: ref } : {}),
      ...(title !== undefined ? { title } : {}),
      children: parseItems(item, ns),
    };
  });
}

function walkItems(items: CcOrgItem[], fn: (item: CcOrgItem, depth: number, parent?: CcOrgItem) => void, depth = 0, parent?: CcOrgItem): void {
  for (const i of items) {
    fn(i, depth, parent);
    walkItems(i.children, fn, depth + 1, i);
  }
}

interface VersionDecision {
  version: CcDetectedVersion;
  findings: CcFinding[];
}

function decideVersion(ns: string, schema: string, schemaversion: string | undefined, typeVersions: CcVersion[], hasCcTypes: boolean): VersionDecision {
  const findings: CcFinding[] = [];
  const sv = /^\s*1\.([0-3])(\.\d+)*\s*$/.exec(schemaversion ?? '');
  const svVersion = sv ? (`1.${sv[1]}` as CcVersion) : undefined;
  const nsMatch = ns === CC10_NS ? ['', '0'] : CC_NS.exec(ns);
  let version: CcVersion;
  if (nsMatch) {
    version = `1.${nsMatch[1]}` as CcVersion;
    if (svVersion && svVersion !== version) {
      findings.push({
        severity: 'warning',
        code: 'CC_VERSION_MISMATCH',
        message: `the manifest namespace is CC ${version} but schemaversion says ${schemaversion}; the namespace wins (it decides the schema)`,
        path: 'imsmanifest.xml',
      });
    }
    if (!schemaversion) findings.push({ severity: 'warning', code: 'CC_NO_SCHEMAVERSION', message: 'metadata/schemaversion is missing', path: 'imsmanifest.xml' });
  } else if (ns === CP_PLAIN_NS) {
    // CC 1.0 is written in the plain IMS CP 1.1 namespace.
    if (svVersion) {
      version = svVersion;
      if (svVersion !== '1.0') {
        findings.push({
          severity: 'warning',
          code: 'CC_VERSION_MISMATCH',
          message: `schemaversion ${schemaversion} in the plain IMS CP namespace (CC ${svVersion} has its own namespace)`,
          path: 'imsmanifest.xml',
        });
      }
    } else if (hasCcTypes) {
      version = typeVersions.includes('1.0') || typeVersions.length === 0 ? '1.0' : typeVersions.sort().reverse()[0];
      findings.push({
        severity: 'warning',
        code: 'CC_NO_SCHEMAVERSION',
        message: `no metadata/schemaversion: Common Cartridge ${version} inferred from the resource types`,
        path: 'imsmanifest.xml',
      });
    } else {
      throw new FormatError(
        'CC_INVALID_MANIFEST',
        'an IMS Content Package, not a Common Cartridge: no Common Cartridge schemaversion nor resource type',
        'NOT_A_CARTRIDGE',
      );
    }
  } else if (svVersion && /common cartridge/i.test(schema)) {
    version = svVersion;
    findings.push({
      severity: 'warning',
      code: 'CC_UNKNOWN_NAMESPACE',
      message: `unknown manifest namespace ${JSON.stringify(ns)}; version ${svVersion} taken from schemaversion`,
      path: 'imsmanifest.xml',
    });
  } else {
    throw new FormatError(
      'CC_INVALID_MANIFEST',
      `unrecognised Common Cartridge version (schemaversion ${JSON.stringify(schemaversion ?? null)}, namespace ${ns || 'none'})`,
      'UNKNOWN_VERSION',
    );
  }
  let detected: CcDetectedVersion = version;
  if (schema === 'IMS Thin Common Cartridge') {
    if (version === '1.3') detected = 'thin-1.3';
    else findings.push({ severity: 'warning', code: 'CC_SCHEMA_UNEXPECTED', message: `Thin Common Cartridge exists in CC 1.3 only, this manifest is ${version}`, path: 'imsmanifest.xml' });
  } else if (schema && !CC_SCHEMAS.includes(schema)) {
    findings.push({ severity: 'warning', code: 'CC_SCHEMA_UNEXPECTED', message: `metadata/schema is ${JSON.stringify(schema)}, expected "IMS Common Cartridge"`, path: 'imsmanifest.xml' });
  } else if (!schema && version !== '1.0') {
    findings.push({ severity: 'warning', code: 'CC_NO_SCHEMA', message: 'metadata/schema is missing', path: 'imsmanifest.xml' });
  }
  return { version: detected, findings };
}

export function formatIdOf(version: CcDetectedVersion): string {
  return version === 'thin-1.3' ? 'thincc-1.3' : `imscc-${version}`;
}

/**
 * Reads a Common Cartridge 1.0–1.3 or Thin CC 1.3: a zip package (Buffer or
 * path), an extracted folder, or a manifest alone. Returns the version (from
 * the manifest namespace and schemaversion), the organization tree, every
 * resource with its type as found and its normalized kind (matched by
 * pattern across versions), what the descriptors say, and findings for
 * everything odd, unknown or broken. It fails only when the input is not a
 * readable cartridge at all (typed `FormatError`).
 */
export async function openCommonCartridge(source: CcSourceInput, options: CcReadOptions = {}): Promise<OpenedCartridge> {
  const pkg = await openCcPackage(source, options);
  try {
    const xml = await manifestBytes(pkg);
    const manifest = parseXmlSafely(xml, { maxBytes: MAX_MANIFEST_BYTES });
    const cartridge = await interpret(pkg, manifest, options);
    return { cartridge, pkg, manifest, close: () => pkg.close() };
  } catch (e) {
    pkg.close();
    throw e;
  }
}

export async function readCommonCartridge(source: CcSourceInput, options: CcReadOptions = {}): Promise<CcCartridge> {
  const opened = await openCommonCartridge(source, options);
  opened.close();
  return opened.cartridge;
}

async function interpret(pkg: CcPackage, root: XmlElement, options: CcReadOptions): Promise<CcCartridge> {
  if (root.local !== 'manifest') {
    throw new FormatError('CC_INVALID_MANIFEST', `imsmanifest.xml root is <${root.name}>, expected <manifest>`, 'NOT_A_MANIFEST');
  }
  const ns = root.ns;
  const findings: CcFinding[] = [...pkg.findings];
  const add = (severity: CcFinding['severity'], code: string, message: string, path?: string) => findings.push({ severity, code, message, ...(path ? { path } : {}) });

  const metadata = firstChild(root, 'metadata', ns);
  const schema = firstChild(metadata, 'schema', ns)?.text.trim() ?? '';
  const schemaversion = firstChild(metadata, 'schemaversion', ns)?.text.trim() || undefined;
  const lom = metadata?.children.find((c) => c.local === 'lom');
  const general = firstChild(lom, 'general');

  // Resources first: their type strings help date a manifest without schemaversion.
  const resourcesEl = firstChild(root, 'resources', ns);
  if (!firstChild(root, 'organizations', ns)) add('warning', 'CC_MISSING_ELEMENT', 'the manifest has no <organizations> element', 'imsmanifest.xml');
  if (!resourcesEl) add('warning', 'CC_MISSING_ELEMENT', 'the manifest has no <resources> element', 'imsmanifest.xml');
  const resourceEls = resourcesEl ? childrenNamed(resourcesEl, 'resource', ns) : [];
  const classified = resourceEls.map((r) => ({ el: r, type: r.attrs['type'] ?? '', match: classifyResourceType(r.attrs['type'] ?? '') }));
  const typeVersions = [...new Set(classified.map((c) => c.match.typeVersion).filter((v): v is CcVersion => v !== undefined))];
  const hasCcTypes = classified.some((c) => c.match.kind !== 'unknown' && c.match.kind !== 'webcontent');
  const decided = decideVersion(ns, schema, schemaversion, typeVersions, hasCcTypes);
  findings.push(...decided.findings);
  const version = decided.version;
  const numeric: CcVersion = version === 'thin-1.3' ? '1.3' : version;

  // Organization.
  const orgsEl = firstChild(root, 'organizations', ns);
  const orgEls = orgsEl ? childrenNamed(orgsEl, 'organization', ns) : [];
  if (orgEls.length > 1) add('warning', 'CC_MULTIPLE_ORGANIZATIONS', `${orgEls.length} organizations; CC allows one, the first is read`, 'imsmanifest.xml');
  let organization: CcOrganization | null = null;
  if (orgEls.length > 0) {
    const o = orgEls[0];
    const orgTitle = firstChild(o, 'title', ns)?.text.trim();
    organization = {
      identifier: o.attrs['identifier'] ?? '',
      structure: o.attrs['structure'] ?? '',
      ...(orgTitle ? { title: orgTitle } : {}),
      items: parseItems(o, ns),
    };
    if (organization.structure !== 'rooted-hierarchy') {
      add('warning', 'CC_ORGANIZATION_STRUCTURE', `organization structure is ${JSON.stringify(organization.structure)}, CC requires "rooted-hierarchy"`, 'imsmanifest.xml');
    }
    if (organization.items.length !== 1) {
      add('warning', 'CC_ROOT_ITEMS', `the organization has ${organization.items.length} root items; CC requires exactly one (the course outline hangs below it)`, 'imsmanifest.xml');
    }
  } else {
    add('info', 'CC_NO_ORGANIZATION', 'no organization: the cartridge has resources but no course outline', 'imsmanifest.xml');
  }

  // Resources.
  const manifestBase = root.attrs['xml:base'] ?? '';
  const resourcesBase = resourcesEl?.attrs['xml:base'] ?? '';
  const files = pkg.files;
  const listed = new Set<string>();
  const resources: CcResource[] = [];
  const seenIds = new Map<string, number>();
  const reportedMixed = new Set<string>();
  for (const { el: r, type, match } of classified) {
    const id = r.attrs['identifier'] ?? '';
    const where = `resource:${id}`;
    if (!id) add('error', 'CC_MISSING_IDENTIFIER', 'a resource has no identifier', 'imsmanifest.xml');
    seenIds.set(id, (seenIds.get(id) ?? 0) + 1);
    const base = manifestBase + resourcesBase + (r.attrs['xml:base'] ?? '');
    const resolveHref = (raw: string, what: string): string | undefined => {
      const n = normalizeHref(base + raw);
      if (n.kind === 'external') return n.url;
      if (n.kind === 'outside') {
        add('error', 'CC_HREF_OUTSIDE_PACKAGE', `${what} ${JSON.stringify(raw)} of resource ${id} points outside the package`, where);
        return undefined;
      }
      if (pkg.kind === 'manifest') return decodeForDisplay(n.path);
      const found = findPackageFile(files, n.path);
      if (found) {
        listed.add(found);
        return found;
      }
      add('error', 'CC_MISSING_FILE', `${what} ${decodeForDisplay(n.path)} of resource ${id} is not in the package`, decodeForDisplay(n.path));
      return decodeForDisplay(n.path);
    };
    const fileList: string[] = [];
    for (const f of childrenNamed(r, 'file', ns)) {
      const href = f.attrs['href'];
      if (!href) {
        add('warning', 'CC_FILE_WITHOUT_HREF', `a file of resource ${id} has no href`, where);
        continue;
      }
      const p = resolveHref(href, 'file');
      if (p !== undefined && !fileList.includes(p)) fileList.push(p);
    }
    let href: string | undefined;
    if (r.attrs['href']) {
      const n = normalizeHref(base + r.attrs['href']);
      const inFiles = n.kind === 'path' && fileList.some((f) => f === n.path || f === decodeForDisplay(n.path));
      href = inFiles && n.kind === 'path' ? fileList.find((f) => f === n.path || f === decodeForDisplay(n.path)) : resolveHref(r.attrs['href'], 'href');
    }
    const dependencies = childrenNamed(r, 'dependency', ns)
      .map((d) => d.attrs['identifierref']?.trim() ?? '')
      .filter((d) => d !== '');
    const variant = r.children.find((c) => c.local === 'variant' && c.ns !== ns);
    const descriptorRoot = DESCRIPTOR_ROOTS[match.kind];
    // Inline descriptor (CC 1.3 "flat" / Thin CC): a descriptor root element inside the resource.
    const inlineEl = r.children.find((c) => !CP_CHILDREN.has(c.local) && c.ns !== ns && INLINE_ROOTS.has(c.local));
    const resource: CcResource = {
      identifier: id,
      type,
      kind: match.kind,
      ...(match.typeVersion ? { typeVersion: match.typeVersion } : {}),
      ...(href !== undefined ? { href } : {}),
      files: fileList,
      dependencies,
      inline: inlineEl !== undefined,
      ...(r.attrs['intendeduse'] ? { intendedUse: r.attrs['intendeduse'] } : {}),
      ...(variant?.attrs['identifierref'] ? { variantOf: variant.attrs['identifierref'] } : {}),
    };
    if (match.kind === 'unknown') {
      if ((CC13_OTHER_TYPES as readonly string[]).includes(type.trim())) {
        add('info', 'CC_RESOURCE_TYPE_UNSUPPORTED', `resource ${id} has type ${type}, which this reader keeps as is without interpreting it`, where);
      } else {
        add('warning', 'CC_RESOURCE_TYPE_UNKNOWN', `resource ${id} has an unknown type ${JSON.stringify(type)}: kept as unknown`, where);
      }
    } else if (!match.exact) {
      add('warning', 'CC_RESOURCE_TYPE_SPELLING', `resource ${id}: type ${JSON.stringify(type)} read as ${match.kind} (case or spaces differ from the specification)`, where);
    }
    if (match.typeVersion && match.typeVersion !== numeric && !(match.kind === 'lti' && numeric !== '1.3')) {
      const key = `${type}`;
      if (!reportedMixed.has(key)) {
        reportedMixed.add(key);
        const count = classified.filter((c) => c.type === type).length;
        add('info', 'CC_TYPE_VERSION_MIXED', `${count} resource(s) of type ${type} (a CC ${match.typeVersion} type) in a CC ${numeric} manifest; read as ${match.kind}`, where);
      }
    }
    if (match.kind === 'lti' && numeric === '1.3' && match.typeVersion === undefined) {
      const key = type;
      if (!reportedMixed.has(key)) {
        reportedMixed.add(key);
        add('info', 'CC_TYPE_VERSION_MIXED', `LTI links typed ${type} (the CC 1.1/1.2 string) in a CC 1.3 manifest; read as lti`, where);
      }
    }
    // Descriptor.
    if (options.readDescriptors !== false && descriptorRoot) {
      let descriptor: XmlElement | undefined;
      let descriptorPath = where;
      if (inlineEl) descriptor = inlineEl;
      else {
        const file = fileList[0];
        if (file && pkg.kind !== 'manifest' && files.has(file)) {
          descriptorPath = file;
          try {
            descriptor = parseXmlSafely(await pkg.read(file, MAX_DESCRIPTOR_BYTES), { maxBytes: MAX_DESCRIPTOR_BYTES });
          } catch (e) {
            if (!(e instanceof FormatError)) throw e;
            add('error', 'CC_DESCRIPTOR_UNREADABLE', `descriptor of resource ${id} cannot be read: ${e.message}`, file);
          }
        } else if (!file && pkg.kind !== 'manifest') {
          add('warning', 'CC_DESCRIPTOR_MISSING', `resource ${id} (${match.kind}) has neither a descriptor file nor inline content`, where);
        }
      }
      if (descriptor) {
        try {
          resource.details = parseDescriptor(match.kind, descriptor);
        } catch (e) {
          add('warning', 'CC_DESCRIPTOR_UNEXPECTED', `resource ${id} (${match.kind}): ${e instanceof Error ? e.message : String(e)}`, descriptorPath);
        }
      }
    }
    resources.push(resource);
  }
  for (const [id, n] of seenIds) if (id && n > 1) add('error', 'CC_DUPLICATE_IDENTIFIER', `${n} resources share the identifier ${id}`, `resource:${id}`);

  // Cross references.
  const byId = new Map(resources.map((r) => [r.identifier, r]));
  for (const r of resources) {
    for (const d of r.dependencies) {
      if (!byId.has(d)) add('error', 'CC_DANGLING_DEPENDENCY', `resource ${r.identifier} depends on ${d}, which is not in the manifest`, `resource:${r.identifier}`);
    }
    if (r.variantOf && !byId.has(r.variantOf)) add('warning', 'CC_DANGLING_VARIANT', `resource ${r.identifier} is a variant of ${r.variantOf}, which is not in the manifest`, `resource:${r.identifier}`);
  }
  let items = 0;
  let learningObjects = 0;
  const itemIds = new Map<string, number>();
  if (organization) {
    walkItems(organization.items, (item, depth) => {
      itemIds.set(item.identifier, (itemIds.get(item.identifier) ?? 0) + 1);
      if (depth === 0) return; // the root item is not part of the outline
      items++;
      if (item.identifierref) {
        learningObjects++;
        const target = byId.get(item.identifierref);
        if (!target) add('error', 'CC_DANGLING_IDENTIFIERREF', `item ${item.identifier} (${JSON.stringify(item.title ?? '')}) points at ${item.identifierref}, which is not in the manifest`, `item:${item.identifier}`);
        else if (target.kind === 'question-bank') add('warning', 'CC_QUESTION_BANK_IN_TREE', `item ${item.identifier} points at the question bank ${target.identifier} (CC forbids it)`, `item:${item.identifier}`);
        if (item.children.length > 0) add('warning', 'CC_LEARNING_OBJECT_WITH_CHILDREN', `item ${item.identifier} points at a resource and also has child items`, `item:${item.identifier}`);
      }
      if (!item.title) add('warning', 'CC_ITEM_WITHOUT_TITLE', `item ${item.identifier} has no title`, `item:${item.identifier}`);
    });
    for (const [id, n] of itemIds) if (n > 1) add('warning', 'CC_DUPLICATE_ITEM_IDENTIFIER', `${n} items share the identifier ${id}`, `item:${id}`);
  }
  if (version === 'thin-1.3') {
    const other = resources.filter((r) => r.kind !== 'weblink' && r.kind !== 'lti');
    if (other.length > 0) add('warning', 'CC_THIN_UNEXPECTED_RESOURCE', `a Thin CC carries web links and LTI links only; it has ${other.length} other resource(s) (${[...new Set(other.map((r) => r.kind))].join(', ')})`, 'imsmanifest.xml');
  }
  if (pkg.kind !== 'manifest') {
    const unlisted = [...files].filter((f) => f !== pkg.manifestPath && !listed.has(f)).sort();
    if (unlisted.length > 0) {
      add('info', 'CC_UNLISTED_FILES', `${unlisted.length} file(s) of the package are listed by no resource (e.g. ${unlisted.slice(0, 3).join(', ')})`, unlisted[0]);
    }
  }

  const byKind: Partial<Record<CcResourceKind, number>> = {};
  for (const r of resources) byKind[r.kind] = (byKind[r.kind] ?? 0) + 1;
  const stats: CcStats = { items, learningObjects, folders: items - learningObjects, resources: resources.length, files: files.size, byKind };
  const title = firstString(firstChild(general, 'title')) ?? organization?.title ?? '';
  if (!title) add('warning', 'CC_NO_TITLE', 'the cartridge has no title (metadata/lom/general/title)', 'imsmanifest.xml');
  const description = firstString(firstChild(general, 'description'));
  const language = firstChild(general, 'language')?.text.trim() || undefined;
  return {
    source: pkg.kind,
    version,
    formatId: formatIdOf(version),
    schema,
    ...(schemaversion ? { schemaversion } : {}),
    namespace: ns,
    identifier: root.attrs['identifier'] ?? '',
    title,
    ...(description ? { description } : {}),
    ...(language ? { language } : {}),
    organization,
    resources,
    files: [...files].sort(),
    stats,
    findings,
  };
}

/** Every item of the outline (below the root item), depth first. */
export function outlineItems(cartridge: CcCartridge): CcOrgItem[] {
  const out: CcOrgItem[] = [];
  if (!cartridge.organization) return out;
  walkItems(cartridge.organization.items, (i, depth) => {
    if (depth > 0) out.push(i);
  });
  return out;
}

