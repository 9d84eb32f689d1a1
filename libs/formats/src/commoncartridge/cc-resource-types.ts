import { CcResourceKind, CcVersion } from './cc-types';

/**
 * Resource `type` strings, matched by pattern rather than by exact value:
 * real exporters mix versions (Canvas writes `imsdt_xmlv1p1`,
 * `imsqti_xmlv1p2/imscc_xmlv1p1/assessment` and `imsbasiclti_xmlv1p0` inside
 * CC 1.3 manifests), so a reader that only knew the strings of the manifest's
 * own version would lose most of a Canvas course.
 *
 * `v` captures the CC minor version the string belongs to (`1p1` → 1.1).
 */
export interface CcTypePattern {
  kind: CcResourceKind;
  pattern: RegExp;
  /** How the type is written in each version we write or validate. */
  canonical: Partial<Record<CcVersion, string>>;
  /** Human name. */
  label: string;
}

export const CC_TYPE_PATTERNS: readonly CcTypePattern[] = [
  { kind: 'webcontent', pattern: /^webcontent$/i, canonical: { '1.0': 'webcontent', '1.1': 'webcontent', '1.2': 'webcontent', '1.3': 'webcontent' }, label: 'web content' },
  {
    kind: 'weblink',
    pattern: /^imswl_xmlv1p(?<v>[0-3])$/i,
    canonical: { '1.0': 'imswl_xmlv1p0', '1.1': 'imswl_xmlv1p1', '1.2': 'imswl_xmlv1p2', '1.3': 'imswl_xmlv1p3' },
    label: 'web link',
  },
  {
    kind: 'discussion',
    pattern: /^imsdt_xmlv1p(?<v>[0-3])$/i,
    canonical: { '1.0': 'imsdt_xmlv1p0', '1.1': 'imsdt_xmlv1p1', '1.2': 'imsdt_xmlv1p2', '1.3': 'imsdt_xmlv1p3' },
    label: 'discussion topic',
  },
  {
    kind: 'assessment',
    pattern: /^imsqti_xmlv1p2\/imscc_xmlv1p(?<v>[0-3])\/assessment$/i,
    canonical: {
      '1.0': 'imsqti_xmlv1p2/imscc_xmlv1p0/assessment',
      '1.1': 'imsqti_xmlv1p2/imscc_xmlv1p1/assessment',
      '1.2': 'imsqti_xmlv1p2/imscc_xmlv1p2/assessment',
      '1.3': 'imsqti_xmlv1p2/imscc_xmlv1p3/assessment',
    },
    label: 'QTI assessment',
  },
  {
    kind: 'question-bank',
    pattern: /^imsqti_xmlv1p2\/imscc_xmlv1p(?<v>[0-3])\/question-bank$/i,
    canonical: {
      '1.0': 'imsqti_xmlv1p2/imscc_xmlv1p0/question-bank',
      '1.1': 'imsqti_xmlv1p2/imscc_xmlv1p1/question-bank',
      '1.2': 'imsqti_xmlv1p2/imscc_xmlv1p2/question-bank',
      '1.3': 'imsqti_xmlv1p2/imscc_xmlv1p3/question-bank',
    },
    label: 'QTI question bank',
  },
  {
    // CC 1.1 and 1.2 say imsbasiclti_xmlv1p0 (the LTI 1.0 link), CC 1.3 imsbasiclti_xmlv1p3.
    kind: 'lti',
    pattern: /^imsbasiclti_xmlv1p(?<v>[0-3])$/i,
    canonical: { '1.1': 'imsbasiclti_xmlv1p0', '1.2': 'imsbasiclti_xmlv1p0', '1.3': 'imsbasiclti_xmlv1p3' },
    label: 'LTI link',
  },
  {
    kind: 'associated-content',
    pattern: /^associatedcontent\/imscc_xmlv1p(?<v>[0-3])\/learning-application-resource$/i,
    canonical: {
      '1.0': 'associatedcontent/imscc_xmlv1p0/learning-application-resource',
      '1.1': 'associatedcontent/imscc_xmlv1p1/learning-application-resource',
      '1.2': 'associatedcontent/imscc_xmlv1p2/learning-application-resource',
      '1.3': 'associatedcontent/imscc_xmlv1p3/learning-application-resource',
    },
    label: 'associated content',
  },
  {
    // CC 1.3 assignment extension (also used by Canvas in 1.3 exports).
    kind: 'assignment',
    pattern: /^assignment_xmlv1p(?<v>0)$/i,
    canonical: { '1.3': 'assignment_xmlv1p0' },
    label: 'assignment',
  },
];

/** Types the CC 1.3 schema lists but that this library does not read (content kept as unknown). */
export const CC13_OTHER_TYPES = ['idpfepub_epubv3p0', 'imsapip_zipv1p0', 'imsiwb_iwbv1p0'] as const;

export interface CcTypeMatch {
  kind: CcResourceKind;
  /** CC version of the type string, when it says (the LTI `v1p0` string means CC 1.1/1.2, not 1.0). */
  typeVersion?: CcVersion;
  /** False when the string matched only after trimming / case folding. */
  exact: boolean;
}

export function classifyResourceType(type: string): CcTypeMatch {
  const trimmed = type.trim();
  for (const p of CC_TYPE_PATTERNS) {
    const m = p.pattern.exec(trimmed);
    if (!m) continue;
    const exact = trimmed === type && new RegExp(p.pattern.source).test(trimmed);
    let typeVersion: CcVersion | undefined;
    const v = m.groups?.v;
    if (p.kind === 'lti') typeVersion = v === '3' ? '1.3' : undefined;
    else if (p.kind === 'assignment') typeVersion = '1.3';
    else if (v !== undefined) typeVersion = `1.${v}` as CcVersion;
    return { kind: p.kind, typeVersion, exact };
  }
  return { kind: 'unknown', typeVersion: undefined, exact: true };
}

/** The type string to write for `kind` in CC `version`. */
export function canonicalResourceType(kind: CcResourceKind, version: CcVersion): string | undefined {
  return CC_TYPE_PATTERNS.find((p) => p.kind === kind)?.canonical[version];
}
