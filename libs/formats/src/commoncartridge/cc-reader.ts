import { FormatError } from '../errors';
import { childrenNamed, descendantsNamed, firstChild, parseXmlSafely, XmlElement } from '../xml/safe-xml';
import { openZipSafely, ZipLimits, ZipSource } from '../zip/safe-zip';
import { CcManifestSummary, CcVersion } from './cc-types';

/** The manifest itself is bounded well below the package limits. */
const MAX_MANIFEST_BYTES = 32 * 1024 * 1024;

function versionFrom(schemaversion: string | undefined, ns: string): CcVersion | undefined {
  const m = /^\s*1\.([0-3])(\.\d+)?\s*$/.exec(schemaversion ?? '');
  if (m) return `1.${m[1]}` as CcVersion;
  const n = /imsccv1p([0-3])\//.exec(ns);
  if (n) return `1.${n[1]}` as CcVersion;
  // CC 1.0 uses the plain IMS CP namespace.
  if (ns === 'http://www.imsglobal.org/xsd/imscp_v1p1') return '1.0';
  return undefined;
}

function firstString(el: XmlElement | undefined): string | undefined {
  if (!el) return undefined;
  const s = firstChild(el, 'string');
  return (s ?? el).text.trim() || undefined;
}

/**
 * Summarises the `imsmanifest.xml` of a Common Cartridge package: version,
 * title, number of learning objects and resources. The zip is read with
 * limits (entries, expanded size, zip-slip names) and the XML without DTD or
 * entity support.
 */
export async function readCommonCartridgeManifest(zip: ZipSource, limits?: ZipLimits): Promise<CcManifestSummary> {
  const archive = await openZipSafely(zip, limits);
  let xml: Buffer;
  const names = new Set(archive.entries.map((e) => e.name));
  try {
    if (!archive.has('imsmanifest.xml')) {
      throw new FormatError('CC_INVALID_MANIFEST', 'not a Common Cartridge: no imsmanifest.xml at the package root');
    }
    xml = await archive.read('imsmanifest.xml', MAX_MANIFEST_BYTES);
  } finally {
    archive.close();
  }
  const root = parseXmlSafely(xml, { maxBytes: MAX_MANIFEST_BYTES });
  if (root.local !== 'manifest') {
    throw new FormatError('CC_INVALID_MANIFEST', `imsmanifest.xml root is <${root.name}>, expected <manifest>`);
  }
  const metadata = firstChild(root, 'metadata', root.ns);
  const schema = firstChild(metadata, 'schema', root.ns)?.text.trim() ?? '';
  const schemaversion = firstChild(metadata, 'schemaversion', root.ns)?.text.trim();
  const version = versionFrom(schemaversion, root.ns);
  if (!version) {
    throw new FormatError(
      'CC_INVALID_MANIFEST',
      `unrecognised Common Cartridge version (schemaversion ${JSON.stringify(schemaversion ?? null)}, namespace ${root.ns || 'none'})`,
    );
  }
  const lom = metadata?.children.find((c) => c.local === 'lom');
  const general = firstChild(lom, 'general');
  const organizations = firstChild(root, 'organizations', root.ns);
  const organization = organizations ? childrenNamed(organizations, 'organization', root.ns)[0] : undefined;
  const title =
    firstString(firstChild(general, 'title')) ?? firstChild(organization, 'title', root.ns)?.text.trim() ?? '';
  const items = organization ? descendantsNamed(organization, 'item', root.ns) : [];
  const resources = firstChild(root, 'resources', root.ns);
  const resourceList = resources ? childrenNamed(resources, 'resource', root.ns) : [];
  const missingFiles: string[] = [];
  const base0 = resources?.attrs['xml:base'] ?? '';
  for (const r of resourceList) {
    const base = base0 + (r.attrs['xml:base'] ?? '');
    for (const f of childrenNamed(r, 'file', root.ns)) {
      const href = f.attrs['href'] ?? '';
      if (href === '' || /^[a-z][a-z0-9+.-]*:/i.test(href)) continue;
      const path = (base + href).replace(/^\.\//, '');
      let decoded = path;
      try {
        decoded = decodeURIComponent(path);
      } catch {
        // keep the raw form
      }
      if (!names.has(path) && !names.has(decoded) && !missingFiles.includes(path)) missingFiles.push(path);
    }
  }
  return {
    version,
    schema,
    identifier: root.attrs['identifier'] ?? '',
    title,
    itemCount: items.filter((i) => (i.attrs['identifierref'] ?? '') !== '').length,
    resourceCount: resourceList.length,
    missingFiles,
  };
}
