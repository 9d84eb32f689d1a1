import { FormatError } from '../errors';

/**
 * Zip-slip protection: an entry name must be a relative path with forward
 * slashes, no `..` segment, no leading `/`, no backslash, no drive letter, no
 * NUL or other control character.
 */
export function unsafeEntryNameReason(name: string): string | null {
  if (name.length === 0) return 'empty name';
  if (name.length > 1024) return 'name longer than 1024 characters';
  if (name.startsWith('/')) return 'absolute path';
  if (name.includes('\\')) return 'backslash in path';
  if (/^[A-Za-z]:/.test(name)) return 'drive letter';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'control character in name';
  const segments = name.split('/');
  if (segments.some((s) => s === '..')) return "'..' path segment";
  return null;
}

export function assertSafeEntryName(name: string): void {
  const reason = unsafeEntryNameReason(name);
  if (reason) throw new FormatError('ZIP_UNSAFE_ENTRY_NAME', `unsafe zip entry name ${JSON.stringify(name)}: ${reason}`);
}
