import { FormatError } from '../errors';
import { childrenNamed, parseXmlSafely, XmlElement } from '../xml/safe-xml';
import { MAX_DESCRIPTOR_BYTES } from './cc-package';
import { checkQtiProfile } from './cc-qti';
import { CcReadOptions, openCommonCartridge, OpenedCartridge } from './cc-read';
import { CcSourceInput } from './cc-package';
import { CcCartridge, CcFinding, CcResource, CcResourceKind } from './cc-types';
import { CC13_DISCUSSION_XSD, CC13_KNOWN_NAMESPACES, CC13_WEBLINK_XSD, cc13ManifestDriver, ccSchemaSet, findCc13SchemaDir, findCcSchemaDir, validateCc13Xsd, validateXsd, xmllintStatus } from './cc-xsd';

export interface CcValidateOptions extends CcReadOptions {
  /** Folder of the official CC 1.3 XSDs (default: see `findCc13SchemaDir`). */
  schemaDir?: string;
  /** Skip the XSD part (profile rules only). */
  skipXsd?: boolean;
}

export interface CcValidation {
  /** No finding of severity `error`. */
  valid: boolean;
  version: CcCartridge['version'];
  xsd: {
    /** True when the manifest was checked against the XSD. */
    checked: boolean;
    /** Why it was not (xmllint missing, schemas not found, not a 1.3 cartridge, skipped). */
    reason?: string;
    /** Documents checked: the manifest plus web link and discussion descriptors. */
    documents: number;
    xmllintVersion?: string;
    schemaDir?: string;
  };
  findings: CcFinding[];
  cartridge: CcCartridge;
}

const V13_WL_NS = 'http://www.imsglobal.org/xsd/imsccv1p3/imswl_v1p3';
const V13_DT_NS = 'http://www.imsglobal.org/xsd/imsccv1p3/imsdt_v1p3';

/**
 * Dependencies each kind may NOT have (schematron rule sets 1–6 and 11 of the
 * CC 1.3 CP profile), applied to the normalized kinds so that mixed-version
 * type strings are checked too.
 */
const FORBIDDEN_DEPENDENCIES: Partial<Record<CcResourceKind, { rule: string; kinds: Partial<Record<CcResourceKind, string>> }>> = {
  discussion: { rule: '1', kinds: { discussion: 'D', weblink: 'E', assessment: 'F', 'question-bank': 'G', lti: 'H' } },
  weblink: { rule: '2', kinds: {} },
  assessment: { rule: '3', kinds: { discussion: 'D', weblink: 'E', assessment: 'F', 'question-bank': 'G', lti: 'H' } },
  'question-bank': { rule: '4', kinds: { discussion: 'E', weblink: 'F', assessment: 'G', 'question-bank': 'H', lti: 'I' } },
  webcontent: { rule: '5', kinds: { discussion: 'A', weblink: 'B', assessment: 'C', 'question-bank': 'D', 'associated-content': 'E', lti: 'F' } },
  'associated-content': { rule: '6', kinds: { discussion: 'A', weblink: 'B', assessment: 'C', 'question-bank': 'D', 'associated-content': 'E', lti: 'F' } },
  lti: { rule: '11', kinds: { discussion: 'A', weblink: 'B', assessment: 'C', 'question-bank': 'D', webcontent: 'E', lti: 'F' } },
};

/** At most one `file` and no `href` on the resource (rules 1b/1c, 2b/2c, 3b/3c, 4c/4d). */
const SINGLE_FILE_NO_HREF: Partial<Record<CcResourceKind, [string, string]>> = {
  discussion: ['1B', '1C'],
  weblink: ['2B', '2C'],
  assessment: ['3B', '3C'],
  'question-bank': ['4C', '4D'],
};

const KIND_LABEL: Record<CcResourceKind, string> = {
  webcontent: 'Web Content',
  weblink: 'Web Link',
  discussion: 'Discussion Topic',
  assessment: 'Assessment',
  'question-bank': 'Question Bank',
  lti: 'BasicLTI link',
  'associated-content': 'Associated Content',
  assignment: 'Assignment',
  unknown: 'unknown resource',
};

/**
 * The profile rules the CC 1.3 XSD carries as schematron, plus the structural
 * rules of the profile that the XSD alone does not enforce across elements:
 * one root item, titles, references that resolve, allowed dependencies,
 * files present, QTI descriptors in the CC QTI profile.
 */
export async function checkCc13Profile(opened: OpenedCartridge): Promise<CcFinding[]> {
  const { cartridge: c, pkg, manifest } = opened;
  const out: CcFinding[] = [];
  const err = (code: string, message: string, path?: string) => out.push({ severity: 'error', code, message, ...(path ? { path } : {}) });
  const byId = new Map<string, CcResource>();
  for (const r of c.resources) if (!byId.has(r.identifier)) byId.set(r.identifier, r);

  // Organization: one, rooted hierarchy, one root item without title, titles below it.
  const org = c.organization;
  if (org) {
    if (org.structure !== 'rooted-hierarchy') err('CC13_ORGANIZATION_STRUCTURE', `organization structure must be "rooted-hierarchy", is ${JSON.stringify(org.structure)}`, 'imsmanifest.xml');
    if (org.items.length !== 1) err('CC13_SINGLE_ROOT_ITEM', `the organization must have exactly one root item, it has ${org.items.length}`, 'imsmanifest.xml');
    for (const root of org.items) {
      if (root.title !== undefined) err('CC13_ROOT_ITEM_TITLE', `the root item ${root.identifier} must not have a title (profile rule n)`, `item:${root.identifier}`);
      if (root.identifierref) err('CC13_ROOT_ITEM_REF', `the root item ${root.identifier} must not point at a resource`, `item:${root.identifier}`);
      const walk = (items: typeof root.children) => {
        for (const i of items) {
          if (!i.title || i.title.trim() === '') err('CC13_ITEM_TITLE', `item ${i.identifier} has no title (every item below the root needs one)`, `item:${i.identifier}`);
          if (i.identifierref) {
            const target = byId.get(i.identifierref);
            if (!target) err('CC13_IDENTIFIERREF', `item ${i.identifier} points at ${i.identifierref}, which is not a resource of the manifest`, `item:${i.identifier}`);
            else if (target.kind === 'question-bank') err('CC13_RULE_8A', `item ${i.identifier} points at the question bank ${target.identifier}`, `item:${i.identifier}`);
            if (i.children.length > 0) err('CC13_RULE_8B', `learning object item ${i.identifier} contains child items`, `item:${i.identifier}`);
          }
          walk(i.children);
        }
      };
      walk(root.children);
    }
  }

  // Resources: one raw element per resource, for the attributes the reading normalises.
  const resourcesEl = manifest.children.find((e) => e.local === 'resources' && e.ns === manifest.ns);
  const rawById = new Map<string, XmlElement>();
  for (const r of resourcesEl ? childrenNamed(resourcesEl, 'resource', manifest.ns) : []) rawById.set(r.attrs['identifier'] ?? '', r);
  const ids = new Map<string, number>();
  for (const r of c.resources) ids.set(r.identifier, (ids.get(r.identifier) ?? 0) + 1);
  for (const [id, n] of ids) if (n > 1) err('CC13_DUPLICATE_IDENTIFIER', `${n} resources share the identifier ${id}`, `resource:${id}`);

  for (const r of c.resources) {
    const where = `resource:${r.identifier}`;
    const raw = rawById.get(r.identifier);
    const rawFiles = raw ? childrenNamed(raw, 'file', manifest.ns).map((f) => f.attrs['href'] ?? '') : [];
    const label = KIND_LABEL[r.kind];
    if (r.kind === 'unknown') err('CC13_RESOURCE_TYPE', `resource ${r.identifier} has a type CC 1.3 does not define: ${JSON.stringify(r.type)}`, where);
    const single = SINGLE_FILE_NO_HREF[r.kind];
    if (single) {
      if (rawFiles.length > 1) err(`CC13_RULE_${single[0]}`, `${label} resource ${r.identifier} has ${rawFiles.length} file elements (at most one)`, where);
      if (raw?.attrs['href'] !== undefined) err(`CC13_RULE_${single[1]}`, `${label} resource ${r.identifier} must not have an href attribute`, where);
    }
    if (r.kind === 'weblink' && r.dependencies.length > 0) err('CC13_RULE_2D', `Web Link resource ${r.identifier} must not have dependencies`, where);
    const forbidden = FORBIDDEN_DEPENDENCIES[r.kind];
    const seen = new Set<string>();
    for (const d of r.dependencies) {
      if (d === r.identifier) err('CC13_RULE_7A', `resource ${r.identifier} depends on itself`, where);
      if (seen.has(d)) err('CC13_RULE_7B', `resource ${r.identifier} lists the dependency ${d} twice`, where);
      seen.add(d);
      const target = byId.get(d);
      if (!target) {
        err('CC13_DEPENDENCY_REF', `resource ${r.identifier} depends on ${d}, which is not a resource of the manifest`, where);
        continue;
      }
      const letter = forbidden?.kinds[target.kind];
      if (forbidden && letter) {
        err(`CC13_RULE_${forbidden.rule}${letter}`, `${label} resource ${r.identifier} has a prohibited dependency on ${KIND_LABEL[target.kind]} ${d}`, where);
      }
    }
    const hrefs = new Set<string>();
    for (const h of rawFiles) {
      if (hrefs.has(h)) err('CC13_RULE_9A', `resource ${r.identifier} lists the file ${h} twice`, where);
      hrefs.add(h);
    }
    if (raw?.attrs['href'] !== undefined) {
      if (rawFiles.length === 0) err('CC13_RULE_10A', `resource ${r.identifier} has an href but no file element`, where);
      else if (!rawFiles.includes(raw.attrs['href'])) err('CC13_RULE_10B', `resource ${r.identifier}: no file element has the href ${raw.attrs['href']}`, where);
    }
    if (pkg.kind !== 'manifest') {
      for (const f of r.files) {
        if (!/^[a-z][a-z0-9+.-]*:/i.test(f) && !pkg.files.has(f)) err('CC13_FILE_MISSING', `file ${f} of resource ${r.identifier} is not in the package`, f);
      }
    }
    // Descriptors the XSD cannot see (separate files): the expected root, and QTI in the CC profile.
    if (pkg.kind !== 'manifest' && !r.inline && r.files[0] && pkg.files.has(r.files[0])) {
      const expected: Partial<Record<CcResourceKind, string>> = {
        weblink: 'webLink',
        discussion: 'topic',
        assessment: 'questestinterop',
        'question-bank': 'questestinterop',
        lti: 'cartridge_basiclti_link',
        assignment: 'assignment',
      };
      const root = expected[r.kind];
      if (root) {
        let doc: XmlElement | undefined;
        try {
          doc = parseXmlSafely(await pkg.read(r.files[0], MAX_DESCRIPTOR_BYTES), { maxBytes: MAX_DESCRIPTOR_BYTES });
        } catch (e) {
          if (!(e instanceof FormatError)) throw e;
          err('CC13_DESCRIPTOR_UNREADABLE', `descriptor ${r.files[0]} of resource ${r.identifier}: ${e.message}`, r.files[0]);
        }
        if (doc && doc.local !== root) err('CC13_DESCRIPTOR_ROOT', `descriptor ${r.files[0]} of ${label} ${r.identifier} has root <${doc.name}>, expected <${root}>`, r.files[0]);
        else if (doc && root === 'questestinterop') {
          const qti = checkQtiProfile(doc, r.files[0]);
          out.push(...qti.map((f) => ({ ...f, code: `CC13_${f.code}` })));
          const isBank = doc.children.some((x) => x.local === 'objectbank');
          if (r.kind === 'assessment' && isBank) err('CC13_QTI_KIND', `assessment ${r.identifier} holds an objectbank`, r.files[0]);
          if (r.kind === 'question-bank' && !isBank) err('CC13_QTI_KIND', `question bank ${r.identifier} holds no objectbank`, r.files[0]);
        }
      }
    }
  }
  return out;
}

/**
 * Validates a Common Cartridge 1.3 (zip, folder or manifest): the manifest
 * and the web link / discussion descriptors against the official CC 1.3 XSDs
 * with `xmllint` (when available: otherwise `xsd.checked` is false and a
 * warning says why), plus the profile rules of `checkCc13Profile`.
 */
export async function validateCommonCartridge13(source: CcSourceInput, options: CcValidateOptions = {}): Promise<CcValidation> {
  const opened = await openCommonCartridge(source, options);
  try {
    return await validateOpenedCc13(opened, options);
  } finally {
    opened.close();
  }
}

export async function validateOpenedCc13(opened: OpenedCartridge, options: CcValidateOptions = {}): Promise<CcValidation> {
  const { cartridge: c, pkg } = opened;
  const findings: CcFinding[] = [];
  const xsd: CcValidation['xsd'] = { checked: false, documents: 0 };
  if (c.version !== '1.3' && c.version !== 'thin-1.3') {
    findings.push({ severity: 'error', code: 'CC13_NOT_1_3', message: `this is a Common Cartridge ${c.version}, not 1.3`, path: 'imsmanifest.xml' });
    xsd.reason = `not a CC 1.3 cartridge (${c.version})`;
    return { valid: false, version: c.version, xsd, findings, cartridge: c };
  }
  findings.push(...(await checkCc13Profile(opened)));

  const status = options.skipXsd ? { ok: false } : xmllintStatus();
  const schemaDir = findCc13SchemaDir(options.schemaDir);
  if (options.skipXsd) xsd.reason = 'skipped on request';
  else if (!status.ok) xsd.reason = 'xmllint is not installed (Debian/Ubuntu: apt-get install libxml2-utils)';
  else if (!schemaDir) xsd.reason = 'the CC 1.3 XSDs were not found (set ENT_CC13_XSD_DIR or pass schemaDir)';
  if (xsd.reason) {
    if (!options.skipXsd) findings.push({ severity: 'warning', code: 'XSD_UNAVAILABLE', message: `XSD validation not run: ${xsd.reason}` });
  } else {
    xsd.xmllintVersion = status.version;
    xsd.schemaDir = schemaDir;
    const manifestXml = await pkg.read(pkg.manifestPath, 32 * 1024 * 1024);
    const run = await validateCc13Xsd(manifestXml, schemaDir!, cc13ManifestDriver(schemaDir!));
    xsd.checked = true;
    xsd.documents++;
    const unchecked = new Set<string>();
    for (const e of run.errors) {
      // An extension element whose schema is not in the official set (LTI link, assignment
      // extension): not the document's fault; said once per namespace.
      const m = /Element '\{([^}]*)\}[^']*': No matching global element declaration available/.exec(e.message);
      if (m && !CC13_KNOWN_NAMESPACES.has(m[1])) {
        if (!unchecked.has(m[1])) {
          unchecked.add(m[1]);
          findings.push({ severity: 'warning', code: 'XSD_SCHEMA_MISSING', message: `no XSD for namespace ${m[1]} in the CC 1.3 set: its elements were not checked`, path: e.line ? `imsmanifest.xml:${e.line}` : 'imsmanifest.xml' });
        }
        continue;
      }
      findings.push({ severity: 'error', code: 'XSD_INVALID', message: e.message, path: e.line ? `imsmanifest.xml:${e.line}` : 'imsmanifest.xml' });
    }
    // Descriptor files in the 1.3 namespaces that have an XSD in the set.
    if (pkg.kind !== 'manifest') {
      for (const r of c.resources) {
        if (r.inline || (r.kind !== 'weblink' && r.kind !== 'discussion')) continue;
        const file = r.files[0];
        if (!file || !pkg.files.has(file)) continue;
        const bytes = await pkg.read(file, MAX_DESCRIPTOR_BYTES);
        let ns = '';
        try {
          ns = parseXmlSafely(bytes, { maxBytes: MAX_DESCRIPTOR_BYTES }).ns;
        } catch {
          continue; // reported by the profile check
        }
        const schema = ns === V13_WL_NS ? CC13_WEBLINK_XSD : ns === V13_DT_NS ? CC13_DISCUSSION_XSD : undefined;
        if (!schema) {
          findings.push({ severity: 'error', code: 'XSD_NAMESPACE', message: `descriptor of ${r.identifier} is in ${ns || 'no namespace'}, not the CC 1.3 ${r.kind === 'weblink' ? 'web link' : 'discussion'} namespace`, path: file });
          continue;
        }
        const d = await validateCc13Xsd(bytes, schemaDir!, schema);
        xsd.documents++;
        for (const e of d.errors) findings.push({ severity: 'error', code: 'XSD_INVALID', message: e.message, path: e.line ? `${file}:${e.line}` : file });
      }
    }
  }
  return { valid: !findings.some((f) => f.severity === 'error'), version: c.version, xsd, findings, cartridge: c };
}

/**
 * Validates a Common Cartridge 1.0 or 1.1 against the official XSDs of its
 * own version (`../shared/corpus/schemas/commoncartridge/ccv1p0`, `ccv1p1`,
 * the schemas Moodle checks an incoming cartridge with before importing it):
 * the manifest, then every web link, discussion, QTI and (1.1) LTI
 * descriptor file. A descriptor in another version's namespace is an error
 * (`XSD_NAMESPACE`). Without `xmllint` or the schemas, `xsd.checked` is false
 * and `XSD_UNAVAILABLE` says why.
 */
export async function validateOpenedCcLegacy(opened: OpenedCartridge, options: CcValidateOptions = {}): Promise<CcValidation> {
  const { cartridge: c, pkg } = opened;
  const findings: CcFinding[] = [];
  const xsd: CcValidation['xsd'] = { checked: false, documents: 0 };
  const version = c.version;
  if (version !== '1.0' && version !== '1.1') {
    xsd.reason = `not a CC 1.0 or 1.1 cartridge (${version})`;
    findings.push({ severity: 'error', code: 'CC_VERSION_NOT_VALIDATED', message: `this is a Common Cartridge ${version}, validated by validateCommonCartridge13 or not at all`, path: 'imsmanifest.xml' });
    return { valid: false, version, xsd, findings, cartridge: c };
  }
  const status = options.skipXsd ? { ok: false } : xmllintStatus();
  const dir = findCcSchemaDir(version, options.schemaDir);
  if (options.skipXsd) xsd.reason = 'skipped on request';
  else if (!status.ok) xsd.reason = 'xmllint is not installed (Debian/Ubuntu: apt-get install libxml2-utils)';
  else if (!dir) xsd.reason = `the CC ${version} XSDs were not found (pass schemaDir)`;
  if (xsd.reason) {
    if (!options.skipXsd) findings.push({ severity: 'warning', code: 'XSD_UNAVAILABLE', message: `XSD validation not run: ${xsd.reason}` });
    return { valid: !findings.some((f) => f.severity === 'error'), version, xsd, findings, cartridge: c };
  }
  const set = ccSchemaSet(version, dir!);
  xsd.xmllintVersion = status.version;
  xsd.schemaDir = dir;
  const report = (file: string, errors: { line?: number; message: string }[]) => {
    for (const e of errors) findings.push({ severity: 'error', code: 'XSD_INVALID', message: e.message, path: e.line ? `${file}:${e.line}` : file });
  };
  const manifest = await validateXsd(await pkg.read(pkg.manifestPath, 32 * 1024 * 1024), set.manifest, set.catalog);
  xsd.checked = true;
  xsd.documents++;
  report('imsmanifest.xml', manifest.errors);
  if (pkg.kind !== 'manifest') {
    for (const r of c.resources) {
      const schema =
        r.kind === 'weblink' ? set.weblink
        : r.kind === 'discussion' ? set.discussion
        : r.kind === 'assessment' || r.kind === 'question-bank' ? set.qti
        : r.kind === 'lti' ? set.lti
        : undefined;
      const file = r.files[0];
      if (!schema || r.inline || !file || !pkg.files.has(file)) continue;
      const bytes = await pkg.read(file, MAX_DESCRIPTOR_BYTES);
      let ns = '';
      try {
        ns = parseXmlSafely(bytes, { maxBytes: MAX_DESCRIPTOR_BYTES }).ns;
      } catch (e) {
        findings.push({ severity: 'error', code: 'XSD_INVALID', message: `not well-formed: ${(e as Error).message}`, path: file });
        continue;
      }
      const expectedNs = r.kind === 'weblink' ? set.weblinkNs : r.kind === 'discussion' ? set.discussionNs : undefined;
      if (expectedNs && ns !== expectedNs) {
        findings.push({ severity: 'error', code: 'XSD_NAMESPACE', message: `descriptor of ${r.identifier} is in ${ns || 'no namespace'}, not the CC ${version} ${r.kind === 'weblink' ? 'web link' : 'discussion'} namespace ${expectedNs}`, path: file });
        continue;
      }
      const run = await validateXsd(bytes, schema, set.catalog);
      xsd.documents++;
      report(file, run.errors);
    }
  }
  return { valid: !findings.some((f) => f.severity === 'error'), version, xsd, findings, cartridge: c };
}

/** Any version: 1.3 (and Thin 1.3) by `validateOpenedCc13`, 1.0 and 1.1 by `validateOpenedCcLegacy`. */
export async function validateCommonCartridge(source: CcSourceInput, options: CcValidateOptions = {}): Promise<CcValidation> {
  const opened = await openCommonCartridge(source, options);
  try {
    const v = opened.cartridge.version;
    return v === '1.0' || v === '1.1' ? await validateOpenedCcLegacy(opened, options) : await validateOpenedCc13(opened, options);
  } finally {
    opened.close();
  }
}
