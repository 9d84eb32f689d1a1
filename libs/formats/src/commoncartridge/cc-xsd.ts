/**
 * XSD validation of CC 1.3 documents with libxml2's `xmllint` (Debian
 * package `libxml2-utils`), against the official IMS schemas kept outside the
 * project (`../shared/corpus/schemas/commoncartridge/ccv1p3/`, or the folder
 * named by `ENT_CC13_XSD_DIR`, or an explicit `schemaDir`). The schemas
 * import each other by their public URLs: a generated XML catalog maps those
 * URLs onto the local files, and `--nonet` forbids any network access.
 *
 * When `xmllint` or the schemas are missing, the check says so (it never
 * passes silently).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

export const CC13_MANIFEST_XSD = 'ccv1p3_imscp_v1p2_v1p0.xsd';
export const CC13_WEBLINK_XSD = 'ccv1p3_imswl_v1p3.xsd';
export const CC13_DISCUSSION_XSD = 'ccv1p3_imsdt_v1p3.xsd';

let xmllintCache: { ok: boolean; version?: string } | undefined;

/** Whether `xmllint` can be run here (cached). */
export function xmllintStatus(): { ok: boolean; version?: string } {
  if (!xmllintCache) {
    const r = spawnSync('xmllint', ['--version'], { encoding: 'utf8' });
    const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
    xmllintCache = !r.error && r.status === 0 ? { ok: true, version: /using libxml version (\S+)/.exec(out)?.[1] } : { ok: false };
  }
  return xmllintCache;
}

/**
 * The folder of the CC 1.3 XSDs: `explicit`, else `ENT_CC13_XSD_DIR` (either
 * is authoritative), else `shared/corpus/schemas/commoncartridge/ccv1p3`
 * beside the repository (the layout of development machines and CI), searched
 * from this file upwards. `undefined` when none holds the schemas.
 */
export function findCc13SchemaDir(explicit?: string): string | undefined {
  const valid = (dir: string) => (existsSync(join(dir, CC13_MANIFEST_XSD)) ? dir : undefined);
  // An explicit folder (argument, then environment) is authoritative: no fallback.
  if (explicit) return valid(resolve(explicit));
  if (process.env.ENT_CC13_XSD_DIR) return valid(resolve(process.env.ENT_CC13_XSD_DIR));
  const candidates: string[] = [];
  for (let dir = __dirname; ; dir = dirname(dir)) {
    candidates.push(join(dir, 'shared', 'corpus', 'schemas', 'commoncartridge', 'ccv1p3'));
    if (dirname(dir) === dir) break;
  }
  return candidates.find((c) => valid(c) !== undefined);
}

const XML_XSD = `<?xml version="1.0"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="http://www.w3.org/XML/1998/namespace">
  <xs:attribute name="lang" type="xs:string"/>
  <xs:attribute name="space"><xs:simpleType><xs:restriction base="xs:NCName"><xs:enumeration value="default"/><xs:enumeration value="preserve"/></xs:restriction></xs:simpleType></xs:attribute>
  <xs:attribute name="base" type="xs:anyURI"/>
  <xs:attribute name="id" type="xs:ID"/>
</xs:schema>
`;

const catalogs = new Map<string, string>();

/** An XML catalog mapping the CC 1.3 schema URLs onto `schemaDir` (written once per process and folder). */
export function cc13CatalogFor(schemaDir: string): string {
  const known = catalogs.get(schemaDir);
  if (known) return known;
  const dir = join(tmpdir(), `ent-formats-cc13-${process.getuid?.() ?? 'u'}-${Buffer.from(schemaDir).toString('hex').slice(-24)}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'xml.xsd'), XML_XSD);
  const local = `file://${schemaDir}/`;
  const file = join(dir, 'catalog.xml');
  writeFileSync(
    file,
    `<?xml version="1.0"?>
<catalog xmlns="urn:oasis:names:tc:entity:xmlns:xml:catalog">
  <system systemId="http://www.imsglobal.org/xsd/w3/2001/xml.xsd" uri="file://${dir}/xml.xsd"/>
  <uri name="http://www.imsglobal.org/xsd/w3/2001/xml.xsd" uri="file://${dir}/xml.xsd"/>
  <rewriteSystem systemIdStartString="http://www.imsglobal.org/profile/cc/ccv1p3/LOM/" rewritePrefix="${local}"/>
  <rewriteSystem systemIdStartString="http://www.imsglobal.org/profile/cc/ccv1p3/" rewritePrefix="${local}"/>
  <rewriteURI uriStartString="http://www.imsglobal.org/profile/cc/ccv1p3/LOM/" rewritePrefix="${local}"/>
  <rewriteURI uriStartString="http://www.imsglobal.org/profile/cc/ccv1p3/" rewritePrefix="${local}"/>
</catalog>
`,
  );
  // Driver schema: the manifest schema plus the web link and discussion
  // schemas, so that descriptors embedded in a manifest (CC 1.3 inline
  // resources) are checked too (xmllint ignores xsi:schemaLocation hints).
  writeFileSync(
    join(dir, 'cc13-driver.xsd'),
    `<?xml version="1.0"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:import namespace="http://www.imsglobal.org/xsd/imsccv1p3/imscp_v1p1" schemaLocation="${local}${CC13_MANIFEST_XSD}"/>
  <xs:import namespace="http://www.imsglobal.org/xsd/imsccv1p3/imswl_v1p3" schemaLocation="${local}${CC13_WEBLINK_XSD}"/>
  <xs:import namespace="http://www.imsglobal.org/xsd/imsccv1p3/imsdt_v1p3" schemaLocation="${local}${CC13_DISCUSSION_XSD}"/>
</xs:schema>
`,
  );
  catalogs.set(schemaDir, file);
  return file;
}

/** The official schema sets of the versions validated here, by folder name under `schemas/commoncartridge/`. */
export type CcXsdVersion = '1.0' | '1.1' | '1.3';
const VERSION_DIRS: Record<CcXsdVersion, string> = { '1.0': 'ccv1p0', '1.1': 'ccv1p1', '1.3': 'ccv1p3' };

/** Schema of each document kind of a version (absolute paths), and the catalog xmllint needs. */
export interface CcSchemaSet {
  version: CcXsdVersion;
  dir: string;
  manifest: string;
  weblink: string;
  discussion: string;
  /** QTI 1.2.1 as profiled by the version (assessments and question banks). */
  qti?: string;
  /** Basic LTI link descriptor (CC 1.1). */
  lti?: string;
  /** Namespaces of the descriptors, to refuse a descriptor of another version. */
  weblinkNs: string;
  discussionNs: string;
  catalog: string;
}

/**
 * The folder of a version's XSDs: `explicit` (authoritative), else for 1.3
 * `findCc13SchemaDir()`, for 1.0 / 1.1 the sibling `ccv1p0` / `ccv1p1` of
 * the 1.3 folder (`ENT_CC13_XSD_DIR` names the 1.3 one), else beside the
 * repository as for 1.3.
 */
export function findCcSchemaDir(version: CcXsdVersion, explicit?: string): string | undefined {
  if (version === '1.3') return findCc13SchemaDir(explicit);
  const marker = version === '1.0' ? 'imscp_v1p2_localised.xsd' : 'ccv1p1_imscp_v1p2_v1p0.xsd';
  const valid = (dir: string) => (existsSync(join(dir, marker)) ? dir : undefined);
  if (explicit) return valid(resolve(explicit));
  const cc13 = findCc13SchemaDir();
  if (cc13) {
    const sibling = valid(join(dirname(cc13), VERSION_DIRS[version]));
    if (sibling || process.env.ENT_CC13_XSD_DIR) return sibling;
  }
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const found = valid(join(dir, 'shared', 'corpus', 'schemas', 'commoncartridge', VERSION_DIRS[version]));
    if (found) return found;
    if (dirname(dir) === dir) return undefined;
  }
}

const sets = new Map<string, CcSchemaSet>();

/**
 * The schemas of `version` in `dir`. CC 1.0 has no single manifest schema:
 * a generated driver imports the package schema and the LOM and
 * authorization profiles it refers to, as the official binding's users do.
 */
export function ccSchemaSet(version: CcXsdVersion, dir: string): CcSchemaSet {
  const key = `${version}\0${dir}`;
  const known = sets.get(key);
  if (known) return known;
  const catalog = cc13CatalogFor(version === '1.3' ? dir : findCc13SchemaDir() ?? dir);
  let set: CcSchemaSet;
  if (version === '1.3') {
    set = {
      version, dir, catalog,
      manifest: cc13ManifestDriver(dir),
      weblink: join(dir, CC13_WEBLINK_XSD),
      discussion: join(dir, CC13_DISCUSSION_XSD),
      weblinkNs: 'http://www.imsglobal.org/xsd/imsccv1p3/imswl_v1p3',
      discussionNs: 'http://www.imsglobal.org/xsd/imsccv1p3/imsdt_v1p3',
    };
  } else if (version === '1.1') {
    set = {
      version, dir, catalog,
      manifest: join(dir, 'ccv1p1_imscp_v1p2_v1p0.xsd'),
      weblink: join(dir, 'ccv1p1_imswl_v1p1.xsd'),
      discussion: join(dir, 'ccv1p1_imsdt_v1p1.xsd'),
      qti: join(dir, 'ccv1p1_qtiasiv1p2p1_v1p0.xsd'),
      lti: join(dir, 'imslticc_v1p0p1.xsd'),
      weblinkNs: 'http://www.imsglobal.org/xsd/imsccv1p1/imswl_v1p1',
      discussionNs: 'http://www.imsglobal.org/xsd/imsccv1p1/imsdt_v1p1',
    };
  } else {
    const driver = join(dirname(catalog), `cc10-driver-${Buffer.from(dir).toString('hex').slice(-24)}.xsd`);
    writeFileSync(
      driver,
      `<?xml version="1.0"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:import namespace="http://www.imsglobal.org/xsd/imscc/imscp_v1p1" schemaLocation="file://${dir}/imscp_v1p2_localised.xsd"/>
  <xs:import namespace="http://ltsc.ieee.org/xsd/imscc/LOM" schemaLocation="file://${dir}/domainProfile_1/lomLoose_localised.xsd"/>
  <xs:import namespace="http://ltsc.ieee.org/xsd/LOM" schemaLocation="file://${dir}/domainProfile_2/lomLoose_localised.xsd"/>
  <xs:import namespace="http://www.imsglobal.org/xsd/imsccauth_v1p0" schemaLocation="file://${dir}/domainProfile_0/imsccauth_v1p0_localised.xsd"/>
</xs:schema>
`,
    );
    set = {
      version, dir, catalog,
      manifest: driver,
      weblink: join(dir, 'domainProfile_5', 'imswl_v1p0_localised.xsd'),
      discussion: join(dir, 'domainProfile_6', 'imsdt_v1p0_localised.xsd'),
      qti: join(dir, 'domainProfile_4', 'ims_qtiasiv1p2_localised.xsd'),
      weblinkNs: 'http://www.imsglobal.org/xsd/imswl_v1p0',
      discussionNs: 'http://www.imsglobal.org/xsd/imsdt_v1p0',
    };
  }
  sets.set(key, set);
  return set;
}

/** Namespaces whose schemas the CC 1.3 set in the corpus provides. */
export const CC13_KNOWN_NAMESPACES = new Set([
  'http://www.imsglobal.org/xsd/imsccv1p3/imscp_v1p1',
  'http://www.imsglobal.org/xsd/imsccv1p3/imswl_v1p3',
  'http://www.imsglobal.org/xsd/imsccv1p3/imsdt_v1p3',
  'http://ltsc.ieee.org/xsd/imsccv1p3/LOM/manifest',
  'http://ltsc.ieee.org/xsd/imsccv1p3/LOM/resource',
  'http://ltsc.ieee.org/xsd/imsccv1p3/LOM/imscclti',
  'http://www.imsglobal.org/xsd/imsccv1p3/imscsmd_v1p0',
  'http://www.imsglobal.org/xsd/imsccv1p3/imsccauth_v1p3',
]);

/** The manifest driver schema (manifest + inline web links and topics) for `schemaDir`. */
export function cc13ManifestDriver(schemaDir: string): string {
  return join(dirname(cc13CatalogFor(schemaDir)), 'cc13-driver.xsd');
}

export interface XsdError {
  line?: number;
  message: string;
}

export interface XsdRun {
  ok: boolean;
  errors: XsdError[];
}

/**
 * Validates `xml` (given on stdin, never written to disk) against
 * `schemaDir/schemaFile`. Throws when xmllint cannot be started.
 */
export function validateCc13Xsd(xml: Buffer | string, schemaDir: string, schemaFile: string, timeoutMs = 120_000): Promise<XsdRun> {
  const schema = schemaFile.startsWith('/') ? schemaFile : join(schemaDir, schemaFile);
  return validateXsd(xml, schema, cc13CatalogFor(schemaDir), timeoutMs);
}

/** Validates `xml` (on stdin) against the absolute `schema`, with `catalog` for remote imports. */
export function validateXsd(xml: Buffer | string, schema: string, catalog: string, timeoutMs = 120_000): Promise<XsdRun> {
  const env = { ...process.env, XML_CATALOG_FILES: catalog };
  return new Promise((resolvePromise, reject) => {
    const child = spawn('xmllint', ['--noout', '--nonet', '--schema', schema, '-'], { env, stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => {
      if (stderr.length < 1_000_000) stderr += d;
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const errors: XsdError[] = [];
      for (const line of stderr.split('\n')) {
        const t = line.trim();
        if (!t || /^- validates$/.test(t) || /^- fails to validate$/.test(t)) continue;
        const m = /^-:(\d+):\s*(.*)$/.exec(t);
        errors.push(m ? { line: Number(m[1]), message: m[2] } : { message: t });
      }
      resolvePromise({ ok: code === 0, errors: code === 0 ? [] : errors.length ? errors : [{ message: `xmllint exited with code ${code}` }] });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(xml);
  });
}
