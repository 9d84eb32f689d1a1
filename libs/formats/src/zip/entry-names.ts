import { FormatError } from '../errors';

/** Maximum number of `/`-separated segments in an entry name (default of the readers). */
export const DEFAULT_MAX_PATH_DEPTH = 32;

/**
 * Stable sub-codes (`FormatError.reason`) of `ZIP_UNSAFE_ENTRY_NAME`.
 */
export type UnsafeNameReason =
  | 'EMPTY_NAME'
  | 'NAME_TOO_LONG'
  | 'ABSOLUTE_PATH'
  | 'BACKSLASH'
  | 'DRIVE_LETTER'
  | 'CONTROL_CHARACTER'
  | 'PATH_TRAVERSAL'
  | 'PATH_TOO_DEEP'
  | 'BIDI_CONTROL'
  | 'UNICODE_LOOKALIKE'
  | 'INVALID_UTF8'
  | 'DUPLICATE_NAME'
  | 'SYMLINK'
  | 'SPECIAL_FILE';

export interface UnsafeName {
  reason: UnsafeNameReason;
  /** Human explanation, e.g. `'..' path segment`. */
  message: string;
}

// Bidirectional controls (LRE/RLE/PDF/LRO/RLO, LRI/RLI/FSI/PDI, LRM/RLM/ALM): a
// name such as "invoice\u202Efdp.exe" displays as "invoiceexe.pdf".
const BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * Classifies an entry name: `null` when it is a safe relative path, the
 * precise reason otherwise. Zip-slip protection: a relative path with forward
 * slashes, no `..` segment, no leading `/`, no backslash, no drive letter, no
 * NUL or other control character, no bidirectional override, no character
 * that NFKC-normalises into a path separator or a `..` segment, bounded depth.
 */
export function classifyEntryName(name: string, maxDepth = DEFAULT_MAX_PATH_DEPTH): UnsafeName | null {
  if (name.length === 0) return { reason: 'EMPTY_NAME', message: 'empty name' };
  if (name.length > 1024) return { reason: 'NAME_TOO_LONG', message: 'name longer than 1024 characters' };
  if (CONTROL.test(name)) return { reason: 'CONTROL_CHARACTER', message: 'control character (NUL, newline…) in name' };
  if (name.startsWith('/')) return { reason: 'ABSOLUTE_PATH', message: 'absolute path' };
  if (/^[A-Za-z]:/.test(name)) return { reason: 'DRIVE_LETTER', message: 'drive letter (absolute Windows path)' };
  if (name.includes('\\')) return { reason: 'BACKSLASH', message: 'backslash in path (a Windows separator)' };
  const segments = name.split('/');
  if (segments.some((s) => s === '..')) return { reason: 'PATH_TRAVERSAL', message: "'..' path segment (zip slip)" };
  if (BIDI.test(name)) return { reason: 'BIDI_CONTROL', message: 'bidirectional control character (e.g. RTL override) in name' };
  const nfkc = name.normalize('NFKC');
  if (nfkc !== name) {
    const n = nfkc.split('/');
    if (n.length !== segments.length || n.some((s) => s === '..' || s === '.') || nfkc.includes('\\') || /^[A-Za-z]:/.test(nfkc)) {
      return { reason: 'UNICODE_LOOKALIKE', message: 'character that normalises to a path separator or dot segment (e.g. fullwidth ．．／)' };
    }
  }
  const depth = segments.filter((s) => s !== '').length;
  if (depth > maxDepth) return { reason: 'PATH_TOO_DEEP', message: `path has ${depth} segments, limit is ${maxDepth}` };
  return null;
}

/** Backward-compatible form: the human reason, or `null` when the name is safe. */
export function unsafeEntryNameReason(name: string): string | null {
  return classifyEntryName(name)?.message ?? null;
}

export function unsafeEntryNameError(name: string, unsafe: UnsafeName): FormatError {
  return new FormatError(
    'ZIP_UNSAFE_ENTRY_NAME',
    `unsafe zip entry name ${JSON.stringify(name)}: ${unsafe.message}`,
    unsafe.reason,
  );
}

export function assertSafeEntryName(name: string): void {
  const unsafe = classifyEntryName(name);
  if (unsafe) throw unsafeEntryNameError(name, unsafe);
}
