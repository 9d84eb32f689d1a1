import { CcWriteVersion } from './cc-types';

export interface CcVersionProfile {
  schemaversion: string;
  cpNs: string;
  lomManifestNs: string;
  lomResourceNs: string;
  schemaLocation: string;
  weblinkType: string;
  weblinkNs: string;
  weblinkXsd: string;
  discussionType: string;
  discussionNs: string;
  discussionXsd: string;
  mediaType: string;
  /** `lifeCycle/contribute/role` may carry `source` (1.0, 1.3); the CC 1.1 manifest LOM binding allows `value` only. */
  lomRoleSource: boolean;
  /** Values the package schema allows for `resource/@intendeduse` (none in CC 1.0). */
  intendedUses: readonly string[];
  /**
   * Children of the web link / topic descriptors are unqualified (CC 1.0
   * schemas: `elementFormDefault="unqualified"`): the root is written with a
   * prefix and its children without namespace.
   */
  unqualifiedDescriptors: boolean;
  /** LOM `dateTime` with the fractional seconds the CC 1.0 pattern requires before `Z`. */
  dateTimeFraction: boolean;
}

const XSD_BASE = 'http://www.imsglobal.org/profile/cc';

function profile(v: 'v1p1' | 'v1p3', schemaversion: string): CcVersionProfile {
  const cpNs = `http://www.imsglobal.org/xsd/imscc${v}/imscp_v1p1`;
  const lomManifestNs = `http://ltsc.ieee.org/xsd/imscc${v}/LOM/manifest`;
  const lomResourceNs = `http://ltsc.ieee.org/xsd/imscc${v}/LOM/resource`;
  const base = `${XSD_BASE}/cc${v}`;
  return {
    schemaversion,
    cpNs,
    lomManifestNs,
    lomResourceNs,
    schemaLocation: [
      `${cpNs} ${base}/cc${v}_imscp_v1p2_v1p0.xsd`,
      `${lomManifestNs} ${base}/LOM/cc${v}_lommanifest_v1p0.xsd`,
      `${lomResourceNs} ${base}/LOM/cc${v}_lomresource_v1p0.xsd`,
    ].join(' '),
    weblinkType: `imswl_xml${v}`,
    weblinkNs: `http://www.imsglobal.org/xsd/imscc${v}/imswl_${v}`,
    weblinkXsd: `${base}/cc${v}_imswl_${v}.xsd`,
    discussionType: `imsdt_xml${v}`,
    discussionNs: `http://www.imsglobal.org/xsd/imscc${v}/imsdt_${v}`,
    discussionXsd: `${base}/cc${v}_imsdt_${v}.xsd`,
    mediaType: `application/vnd.ims.imscc${v}`,
    lomRoleSource: v === 'v1p3',
    intendedUses: v === 'v1p3' ? ['assignment', 'lessonplan', 'syllabus', 'unspecified'] : ['lessonplan', 'syllabus', 'unspecified'],
    unqualifiedDescriptors: false,
    dateTimeFraction: false,
  };
}

/**
 * CC 1.0: the manifest is an IMS CP 1.1 manifest in the CC 1.0 namespace
 * (`imscc/imscp_v1p1`), manifest LOM in `imscc/LOM`, resource LOM in the
 * plain IEEE LOM namespace, descriptors in `imswl_v1p0` / `imsdt_v1p0` (the
 * namespaces and schema locations of the official 1.0 bindings and of the
 * 1.0 packages Moodle writes).
 */
function profile10(): CcVersionProfile {
  const cpNs = 'http://www.imsglobal.org/xsd/imscc/imscp_v1p1';
  const lomManifestNs = 'http://ltsc.ieee.org/xsd/imscc/LOM';
  const lomResourceNs = 'http://ltsc.ieee.org/xsd/LOM';
  const base = `${XSD_BASE}/ccv1p0/derived_schema`;
  return {
    schemaversion: '1.0.0',
    cpNs,
    lomManifestNs,
    lomResourceNs,
    schemaLocation: [
      `${cpNs} ${base}/imscp_v1p2_localised.xsd`,
      `${lomManifestNs} ${base}/domainProfile_1/lomLoose_localised.xsd`,
      `${lomResourceNs} ${base}/domainProfile_2/lomLoose_localised.xsd`,
    ].join(' '),
    weblinkType: 'imswl_xmlv1p0',
    weblinkNs: 'http://www.imsglobal.org/xsd/imswl_v1p0',
    weblinkXsd: `${base}/domainProfile_5/imswl_v1p0_localised.xsd`,
    discussionType: 'imsdt_xmlv1p0',
    discussionNs: 'http://www.imsglobal.org/xsd/imsdt_v1p0',
    discussionXsd: `${base}/domainProfile_6/imsdt_v1p0_localised.xsd`,
    mediaType: 'application/vnd.ims.imsccv1p0',
    lomRoleSource: true,
    intendedUses: [],
    unqualifiedDescriptors: true,
    dateTimeFraction: true,
  };
}

export const CC_PROFILES: Record<CcWriteVersion, CcVersionProfile> = {
  '1.0': profile10(),
  '1.1': profile('v1p1', '1.1.0'),
  '1.3': profile('v1p3', '1.3.0'),
};

/** Media types of the cartridge packages (registry ids `imscc-1.0`, `imscc-1.1`, `imscc-1.3`). */
export const CC_MEDIA_TYPES: Record<CcWriteVersion, string> = {
  '1.0': CC_PROFILES['1.0'].mediaType,
  '1.1': CC_PROFILES['1.1'].mediaType,
  '1.3': CC_PROFILES['1.3'].mediaType,
};

export const CC_SCHEMA_NAME = 'IMS Common Cartridge';
/** Token standing for the cartridge root in links written inside resources. */
export const CC_FILEBASE_TOKEN = '$IMS-CC-FILEBASE$';
