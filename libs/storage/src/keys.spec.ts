import { InvalidObjectKeyError } from './errors';
import { assertValidObjectKey, assertValidPrefix } from './keys';

describe('object keys', () => {
  it.each([
    'transfers/0b6f/items/1/content',
    'a',
    'cahier de textes/Séance 1 — été.imscc',
    'x'.repeat(1024),
    'é'.repeat(512), // 1024 UTF-8 bytes
    'a..b/c..', // ".." inside a name is not a path segment
  ])('accepts %j', (key) => {
    expect(() => assertValidObjectKey(key)).not.toThrow();
  });

  it.each([
    ['', /empty/],
    ['/abs/key', /starts with "\/"/],
    ['../escape', /"\.\."/],
    ['a/../b', /"\.\."/],
    ['a/..', /"\.\."/],
    ['a\\..\\b', /"\.\."/],
    ['./a', /"\."/],
    ['x'.repeat(1025), /1024 bytes/],
    ['é'.repeat(513), /1024 bytes/],
    ['a\nb', /control/],
    ['a\u0000b', /control/],
    ['dir/', /ends with/],
    ['bad\uD800', /Unicode/],
  ])('rejects %j', (key, reason) => {
    expect(() => assertValidObjectKey(key)).toThrow(InvalidObjectKeyError);
    expect(() => assertValidObjectKey(key)).toThrow(reason);
  });

  it('rejects what is not a string', () => {
    expect(() => assertValidObjectKey(undefined)).toThrow(InvalidObjectKeyError);
    expect(() => assertValidObjectKey(42)).toThrow(InvalidObjectKeyError);
  });

  it('lets a prefix end with "/" and be empty only when allowed', () => {
    expect(() => assertValidPrefix('transfers/1/', false)).not.toThrow();
    expect(() => assertValidPrefix('', true)).not.toThrow();
    expect(() => assertValidPrefix('', false)).toThrow(InvalidObjectKeyError);
    expect(() => assertValidPrefix('../', true)).toThrow(InvalidObjectKeyError);
  });
});
