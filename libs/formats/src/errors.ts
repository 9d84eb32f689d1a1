/**
 * Errors raised by the formats library. `code` is stable (callers switch on
 * it, e.g. to map it onto an RFC 9457 problem type); `message` is for humans.
 */
export type FormatErrorCode =
  | 'INVALID_INPUT'
  | 'XML_MALFORMED'
  | 'XML_FORBIDDEN_CONSTRUCT'
  | 'XML_TOO_LARGE'
  | 'ZIP_MALFORMED'
  | 'ZIP_UNSAFE_ENTRY_NAME'
  | 'ZIP_TOO_MANY_ENTRIES'
  | 'ZIP_TOO_LARGE'
  | 'ZIP_ENTRY_MISSING'
  | 'CC_INVALID_MANIFEST';

export class FormatError extends Error {
  constructor(
    readonly code: FormatErrorCode,
    message: string,
    /**
     * Optional finer cause within `code`, stable too (e.g. `ZIP_UNSAFE_ENTRY_NAME`
     * + `PATH_TRAVERSAL` | `SYMLINK` | `BIDI_CONTROL`…, `XML_FORBIDDEN_CONSTRUCT`
     * + `EXTERNAL_ENTITY` | `ENTITY_DECLARATION`…). See docs/formats-commoncartridge.md.
     */
    readonly reason?: string,
  ) {
    super(message);
    this.name = 'FormatError';
  }
}
