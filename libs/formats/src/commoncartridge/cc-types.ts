/** Versions of IMS Common Cartridge this library writes. */
export type CcWriteVersion = '1.1' | '1.3';
/** Versions the reader recognises. */
export type CcVersion = '1.0' | '1.1' | '1.2' | '1.3';

interface CcItemBase {
  title: string;
  /**
   * Optional key other items refer to: `{{ref:KEY}}` in a page's HTML or a
   * forum's text is replaced with the link to this item inside the package
   * (`$IMS-CC-FILEBASE$/…` for pages and files, the URL itself for links).
   */
  key?: string;
}

export interface CcPageItem extends CcItemBase {
  kind: 'page';
  /** HTML fragment (body content) or full document. */
  html: string;
}

export interface CcFileItem extends CcItemBase {
  kind: 'file';
  fileName: string;
  mediaType: string;
  data: Buffer;
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
}

export type CcItem = CcPageItem | CcFileItem | CcLinkItem | CcForumItem;

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
