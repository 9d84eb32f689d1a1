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
  };
}

export const CC_PROFILES: Record<CcWriteVersion, CcVersionProfile> = {
  '1.1': profile('v1p1', '1.1.0'),
  '1.3': profile('v1p3', '1.3.0'),
};

/** Media types of the cartridge packages (registry ids `imscc-1.1`, `imscc-1.3`). */
export const CC_MEDIA_TYPES: Record<CcWriteVersion, string> = {
  '1.1': CC_PROFILES['1.1'].mediaType,
  '1.3': CC_PROFILES['1.3'].mediaType,
};

export const CC_SCHEMA_NAME = 'IMS Common Cartridge';
/** Token standing for the cartridge root in links written inside resources. */
export const CC_FILEBASE_TOKEN = '$IMS-CC-FILEBASE$';
