import { InvalidObjectKeyError } from './errors';

/** S3's own limit on a key, in UTF-8 bytes. */
export const MAX_OBJECT_KEY_BYTES = 1024;

// C0 controls and DEL: they break S3 XML listings and log lines, and no ENT needs them.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;
// A lone UTF-16 surrogate cannot be encoded in UTF-8: the key sent would not be the key given.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Keys are built from transfer and item ids that come from peers, so they are checked before
 * any request: no absolute key, no `.`/`..` segment (even if S3 treats keys as opaque strings,
 * anything that later maps a key onto a path or URL must not be steered out of its prefix),
 * no control character, at most 1024 UTF-8 bytes.
 */
export function assertValidObjectKey(key: unknown): asserts key is string {
  assertKeyLike(key, false);
}

/** Same rules as a key, but a prefix may end with `/`; `allowEmpty` for listing a whole bucket. */
export function assertValidPrefix(prefix: unknown, allowEmpty: boolean): asserts prefix is string {
  if (prefix === '' && allowEmpty) return;
  assertKeyLike(prefix, true);
}

function assertKeyLike(key: unknown, isPrefix: boolean): asserts key is string {
  if (typeof key !== 'string') throw new InvalidObjectKeyError(key, 'not a string');
  if (key.length === 0) throw new InvalidObjectKeyError(key, 'empty');
  if (Buffer.byteLength(key, 'utf8') > MAX_OBJECT_KEY_BYTES) {
    throw new InvalidObjectKeyError(key, `longer than ${MAX_OBJECT_KEY_BYTES} bytes`);
  }
  if (key.startsWith('/')) throw new InvalidObjectKeyError(key, 'starts with "/"');
  if (CONTROL_CHARS.test(key)) throw new InvalidObjectKeyError(key, 'contains a control character');
  if (LONE_SURROGATE.test(key)) throw new InvalidObjectKeyError(key, 'is not well-formed Unicode');
  const segments = key.split(/[/\\]/);
  if (isPrefix && segments[segments.length - 1] === '') segments.pop();
  for (const segment of segments) {
    if (segment === '..' || segment === '.') throw new InvalidObjectKeyError(key, `contains a "${segment}" segment`);
  }
  if (!isPrefix && key.endsWith('/')) throw new InvalidObjectKeyError(key, 'ends with "/"');
}
