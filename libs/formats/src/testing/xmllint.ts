/**
 * Test support only (not exported by the library): XSD validation with
 * libxml2's xmllint against the official schemas kept in ../shared/corpus.
 * The schemas are read where they are; nothing is copied into the project.
 * The CC 1.3 schemas import each other by their public URLs: a throwaway XML
 * catalog maps those URLs onto the local files (and onto a minimal xml.xsd for
 * the xml: attributes), so validation never touches the network.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const CORPUS_DIR = resolve(__dirname, '../../../../../shared/corpus');
export const CC13_SCHEMA_DIR = join(CORPUS_DIR, 'schemas/commoncartridge/ccv1p3');
export const SCOLOMFR_SCHEMA = join(CORPUS_DIR, 'schemas/scolomfr-3.1/scolomfr.xsd');

export function xmllintAvailable(): boolean {
  try {
    execFileSync('xmllint', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const XML_XSD = `<?xml version="1.0"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="http://www.w3.org/XML/1998/namespace">
  <xs:attribute name="lang" type="xs:string"/>
  <xs:attribute name="space"><xs:simpleType><xs:restriction base="xs:NCName"><xs:enumeration value="default"/><xs:enumeration value="preserve"/></xs:restriction></xs:simpleType></xs:attribute>
  <xs:attribute name="base" type="xs:anyURI"/>
  <xs:attribute name="id" type="xs:ID"/>
</xs:schema>
`;

let catalogFile: string | undefined;

function cc13Catalog(): string {
  if (catalogFile) return catalogFile;
  // One fixed folder, rewritten by every run (nothing accumulates in the temp directory).
  const dir = join(tmpdir(), `ent-formats-ccxsd-${process.getuid?.() ?? 'u'}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'xml.xsd'), XML_XSD);
  const local = `file://${CC13_SCHEMA_DIR}/`;
  catalogFile = join(dir, 'catalog.xml');
  writeFileSync(
    catalogFile,
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
  return catalogFile;
}

export interface XsdResult {
  ok: boolean;
  output: string;
}

/** Validates `xml` against `schemaPath`; `cc13` adds the catalog for the CC 1.3 schema imports. */
export function validateWithXsd(xml: string | Buffer, schemaPath: string, opts: { cc13?: boolean } = {}): XsdResult {
  if (!existsSync(schemaPath)) throw new Error(`schema not found: ${schemaPath}`);
  const dir = mkdtempSync(join(tmpdir(), 'xsdcheck-'));
  const file = join(dir, 'doc.xml');
  writeFileSync(file, xml);
  const env = { ...process.env, ...(opts.cc13 ? { XML_CATALOG_FILES: cc13Catalog() } : {}) };
  try {
    const r = spawnSync('xmllint', ['--noout', '--nonet', '--schema', schemaPath, file], { env, encoding: 'utf8' });
    return { ok: r.status === 0, output: `${r.stdout ?? ''}${r.stderr ?? ''}`.trim() };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
