/** Versions of IMS Common Cartridge this library writes. */
export type CcWriteVersion = '1.0' | '1.1' | '1.3';
/** Versions the reader recognises. */
export type CcVersion = '1.0' | '1.1' | '1.2' | '1.3';
/** Version as detected by `readCommonCartridge` (Thin CC told apart). */
export type CcDetectedVersion = CcVersion | 'thin-1.3';

interface CcItemBase {
  title: string;
  /**
   * Optional key other items refer to: `{{ref:KEY}}` in a page's HTML or a
   * forum's text is replaced with the link to this item inside the package
   * (`$IMS-CC-FILEBASE$/…` for pages and files, the URL itself for links).
   */
  key?: string;
}

/** CC `intendeduse` attribute of a resource (CC 1.1+). */
export type CcIntendedUse = 'assignment' | 'lessonplan' | 'syllabus' | 'unspecified';

export interface CcPageItem extends CcItemBase {
  kind: 'page';
  /** HTML fragment (body content) or full document. */
  html: string;
  intendedUse?: CcIntendedUse;
}

export interface CcFileItem extends CcItemBase {
  kind: 'file';
  fileName: string;
  mediaType: string;
  /** The bytes, or a file on disk read when the package is written (large files). */
  data: Buffer | { path: string };
  intendedUse?: CcIntendedUse;
}

export interface CcLinkItem extends CcItemBase {
  kind: 'link';
  url: string;
}

export interface CcForumItem extends CcItemBase {
  kind: 'forum';
  text: string;
  /** Default `text/html`. */
  textType?: 'text/plain' | 'text/html';
  /** Keys of file items attached to the topic (besides those linked from `text`). */
  attachments?: string[];
}

/** A text of a question or a choice; HTML unless said otherwise. */
export interface CcRichText {
  text: string;
  textType?: 'text/plain' | 'text/html';
}

export interface CcChoice extends CcRichText {
  correct: boolean;
  /** Shown when this choice is selected (QTI `itemfeedback`, HTML). */
  feedback?: string;
}

/** Question feedback (QTI `itemfeedback`, HTML): always shown, on a right answer, on a wrong one. */
export interface CcFeedback {
  general?: string;
  correct?: string;
  incorrect?: string;
}

/** The same feedback with `fn` applied to each text present. */
export function mapFeedback(f: CcFeedback, fn: (text: string, slot: keyof CcFeedback) => string): CcFeedback {
  const out: CcFeedback = {};
  for (const slot of ['general', 'correct', 'incorrect'] as const) if (f[slot] !== undefined) out[slot] = fn(f[slot]!, slot);
  return out;
}

interface CcQuestionBase extends CcRichText {
  /** Short name of the question (QTI `item/@title`). */
  title?: string;
  /** Weight of the question (`cc_weighting`), default 1. */
  points?: number;
  feedback?: CcFeedback;
}

/**
 * Questions of the CC QTI 1.2 profile (the six CC question types).
 * `fill-in-blank` is CC's `cc.fib`; `pattern-match` is written as `cc.fib`
 * with a `varsubstring` match.
 */
export type CcQuestion =
  | (CcQuestionBase & { type: 'multiple-choice'; choices: CcChoice[] })
  | (CcQuestionBase & { type: 'multiple-response'; choices: CcChoice[] })
  | (CcQuestionBase & { type: 'true-false'; answer: boolean })
  | (CcQuestionBase & { type: 'fill-in-blank'; answers: string[]; caseSensitive?: boolean })
  | (CcQuestionBase & { type: 'pattern-match'; patterns: string[] })
  | (CcQuestionBase & { type: 'essay' });

export interface CcQuizItem extends CcItemBase {
  kind: 'quiz';
  questions: CcQuestion[];
  /** HTML shown before the questions (written as the assessment's rubric). */
  description?: string;
  /** `cc_maxattempts`: a number or `unlimited` (default 1). */
  maxAttempts?: number | 'unlimited';
  /** `qmd_timelimit` in minutes. */
  timeLimitMinutes?: number;
  /**
   * A question bank instead of an assessment. Banks are never in the course
   * tree (CC forbids items pointing at them): put them in `course.extraResources`.
   */
  bank?: boolean;
}

export interface CcLtiItem extends CcItemBase {
  kind: 'lti';
  launchUrl: string;
  secureLaunchUrl?: string;
  description?: string;
  /** Custom launch parameters. */
  custom?: Record<string, string>;
  vendor?: { code: string; name: string };
}

export interface CcAssignmentItem extends CcItemBase {
  kind: 'assignment';
  /** Instructions. */
  text: string;
  textType?: 'text/plain' | 'text/html';
  gradable?: boolean;
  pointsPossible?: number;
  /** Accepted submission formats (`html`, `url`, `file`, `text`). */
  submissionFormats?: string[];
  /** Keys of file items attached to the assignment. */
  attachments?: string[];
}

/** A folder of the course tree (an item without resource, with children). */
export interface CcFolderItem extends CcItemBase {
  kind: 'folder';
  items: CcItem[];
}

/** A second place in the tree for an item written elsewhere: points at the same resource. */
export interface CcAliasItem extends CcItemBase {
  kind: 'alias';
  /** `key` of the item whose resource this one shows again. */
  ref: string;
}

export type CcItem =
  | CcPageItem
  | CcFileItem
  | CcLinkItem
  | CcForumItem
  | CcQuizItem
  | CcLtiItem
  | CcAssignmentItem
  | CcFolderItem
  | CcAliasItem;

export interface CcSection {
  title: string;
  items: CcItem[];
}

export interface CcCourse {
  identifier: string;
  title: string;
  /** BCP 47 tag, e.g. `fr` or `fr-FR`. */
  language: string;
  description?: string;
  keywords?: string[];
  /** Author's display name (written as a vCard in the LOM lifeCycle). */
  author?: string;
  /** Last modification; also the timestamp of every zip entry (determinism). */
  updatedAt?: Date | string;
  sections: CcSection[];
  /**
   * Top-level entries written after `sections` (below the root item): folders
   * and learning objects. Lets a course whose outline has learning objects at
   * its top level (Thin CC, some exporters) keep that shape.
   */
  outline?: CcItem[];
  /**
   * Resources written into the package but not placed in the course tree:
   * files that pages link to, question banks, pages or activities that the
   * source kept outside its outline. Referenced by `key` like tree items.
   */
  extraResources?: CcItem[];
}

export interface CcWriteOptions {
  version: CcWriteVersion;
  /** Overrides `course.updatedAt` as the zip entry date. */
  date?: Date;
}

export interface CcManifestSummary {
  version: CcVersion;
  /** `IMS Common Cartridge` or `IMS Thin Common Cartridge` (as written in the manifest). */
  schema: string;
  identifier: string;
  title: string;
  /** Organization items that point at a resource (`identifierref`): the learning objects. */
  itemCount: number;
  resourceCount: number;
  /**
   * Files that resources reference (`<file href>`) but that the package does
   * not contain: non-empty means a truncated or corrupt cartridge.
   */
  missingFiles: string[];
}

// ---------------------------------------------------------------------------
// Full reader (readCommonCartridge)
// ---------------------------------------------------------------------------

export type CcResourceKind =
  | 'webcontent'
  | 'weblink'
  | 'discussion'
  | 'assessment'
  | 'question-bank'
  | 'lti'
  | 'associated-content'
  | 'assignment'
  | 'unknown';

export type CcFindingSeverity = 'error' | 'warning' | 'info';

export interface CcFinding {
  severity: CcFindingSeverity;
  /** Stable code (`CC_MISSING_FILE`, `CC13_RULE_2D`, `XSD_INVALID`…). */
  code: string;
  message: string;
  /** Where: a package path, `imsmanifest.xml:LINE`, or `resource:ID` / `item:ID`. */
  path?: string;
}

export interface CcOrgItem {
  identifier: string;
  identifierref?: string;
  title?: string;
  children: CcOrgItem[];
}

export interface CcOrganization {
  identifier: string;
  structure: string;
  /** Title of the organization element itself, rarely present. */
  title?: string;
  /** The root item(s); CC requires exactly one, with the course outline as its children. */
  items: CcOrgItem[];
}

/** What the reader understood of a resource's descriptor (file or inline XML). */
export type CcResourceDetails =
  | { kind: 'weblink'; title?: string; url?: string }
  | { kind: 'discussion'; title?: string; text?: string; textType?: string; attachments: string[] }
  | { kind: 'lti'; title?: string; description?: string; launchUrl?: string; secureLaunchUrl?: string; custom: Record<string, string>; vendor?: { code: string; name: string } }
  | { kind: 'assignment'; title?: string; text?: string; textType?: string; gradable?: boolean; pointsPossible?: number; submissionFormats: string[]; attachments: string[] }
  | {
      kind: 'assessment' | 'question-bank';
      title?: string;
      ident?: string;
      /** Questions by CC profile (`cc.multiple_choice.v0p1`…, or the item's own type when it has none). */
      questionTypes: Record<string, number>;
      questionCount: number;
    };

export interface CcResource {
  identifier: string;
  /** `type` attribute exactly as found. */
  type: string;
  kind: CcResourceKind;
  /** CC version the type string belongs to (`imsdt_xmlv1p1` → `1.1`), when it says. */
  typeVersion?: CcVersion;
  /** `href` attribute, with `xml:base` applied. */
  href?: string;
  /** `file/@href`s with `xml:base` applied, package-relative, decoded. */
  files: string[];
  dependencies: string[];
  /** The descriptor is embedded in the manifest (CC 1.3 / Thin CC), not in a file. */
  inline: boolean;
  intendedUse?: string;
  /** `cpx:variant/@identifierref`: this resource is a fallback for another. */
  variantOf?: string;
  details?: CcResourceDetails;
}

export interface CcStats {
  /** Every `item` below the root item(s). */
  items: number;
  /** Items that point at a resource (learning objects). */
  learningObjects: number;
  /** Items without resource (folders, headings). */
  folders: number;
  resources: number;
  /** Regular files in the package (0 for a manifest read alone). */
  files: number;
  byKind: Partial<Record<CcResourceKind, number>>;
}

export interface CcCartridge {
  /** What was read: a zip package, an extracted folder, or a manifest alone. */
  source: 'package' | 'directory' | 'manifest';
  version: CcDetectedVersion;
  /** Registry format id: `imscc-1.0` … `imscc-1.3`, `thincc-1.3`. */
  formatId: string;
  /** `metadata/schema` as written. */
  schema: string;
  schemaversion?: string;
  /** Namespace of the manifest root element. */
  namespace: string;
  identifier: string;
  title: string;
  description?: string;
  language?: string;
  organization: CcOrganization | null;
  resources: CcResource[];
  /** Package file paths (regular files), sorted. */
  files: string[];
  stats: CcStats;
  findings: CcFinding[];
}
