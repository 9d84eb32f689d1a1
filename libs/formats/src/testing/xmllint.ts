/**
 * Test support only (not exported by the library): XSD validation with
 * libxml2's xmllint against the official schemas kept in ../shared/corpus.
 * The schemas are read where they are; nothing is copied into the project.
 * The CC 1.3 schemas import each other by their public URLs: a throwaway XML
 * catalog maps those URLs onto the local files (and onto a minimal xml.xsd for
 * the xml: attributes), so validation never touches the network.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { cc13CatalogFor } from '../commoncartridge/cc-xsd';

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

/** The library's own catalog (cc-xsd): tests check with exactly what `validateCommonCartridge13` uses. */
const cc13Catalog = () => cc13CatalogFor(CC13_SCHEMA_DIR);

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
