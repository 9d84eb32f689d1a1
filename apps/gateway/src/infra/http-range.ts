import type { ResumableSourceRequest } from '@ent/storage';

/**
 * HTTP side of a resumed download (RFC 9110 §14): ask for the bytes from `offset` on, on
 * condition that the representation is still the one whose strong ETag was recorded.
 * `If-Range` (the connector contract) answers the whole representation when it changed;
 * `If-Match` (S3, which has no If-Range) answers 412, and the caller asks again from 0.
 */
export function resumeHeaders(from: ResumableSourceRequest | undefined, validator: 'if-range' | 'if-match'): Record<string, string> {
  if (!from || from.offset <= 0 || !from.sourceTag) return {};
  return { range: `bytes=${from.offset}-`, [validator]: from.sourceTag };
}

/** A strong ETag of the response, usable as a validator later (a weak one is not: RFC 9110 §13.1.5). */
export function strongEtag(res: Response): string | undefined {
  const tag = res.headers.get('etag');
  return tag && /^"[\x21\x23-\x7e]*"$/.test(tag) ? tag : undefined;
}

/**
 * Where the body of `res` starts and how large the whole representation is. A 206 must start
 * exactly where it was asked to; anything else is a broken server, refused by the caller.
 */
export function servedRange(res: Response, asked: number): { offset: number; totalSize?: number } | { error: string } {
  if (res.status === 206) {
    const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(res.headers.get('content-range') ?? '');
    if (!m) return { error: `206 without a usable Content-Range (${res.headers.get('content-range')})` };
    const start = Number(m[1]);
    if (start !== asked) return { error: `206 starts at byte ${start}, asked ${asked}` };
    return { offset: start, ...(m[3] !== '*' ? { totalSize: Number(m[3]) } : {}) };
  }
  const length = res.headers.get('content-length');
  return { offset: 0, ...(length && /^\d+$/.test(length) ? { totalSize: Number(length) } : {}) };
}

export type RangeAnswer = { kind: 'whole' } | { kind: 'partial'; start: number; end: number } | { kind: 'unsatisfiable' };

/**
 * The server side of a resumed download (RFC 9110 §14.2, §13.1.5): which bytes of a representation
 * of `size` bytes, whose strong ETag is `etag`, to send. One range only (several get the whole
 * representation, which §14.2 allows); a syntactically invalid Range or another unit is ignored;
 * `If-Range` must name exactly our strong ETag (a weak tag or a date never matches), else the
 * whole representation goes, never a mix of two versions.
 */
export function requestedRange(headers: { range?: string; ifRange?: string }, etag: string, size: number): RangeAnswer {
  const { range, ifRange } = headers;
  if (!range) return { kind: 'whole' };
  if (ifRange !== undefined && ifRange.trim() !== etag) return { kind: 'whole' };
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(range);
  if (!m || (m[1] === '' && m[2] === '')) return { kind: 'whole' };
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (!Number.isSafeInteger(suffix)) return { kind: 'whole' };
    if (suffix === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const last = m[2] === '' ? Number.MAX_SAFE_INTEGER : Number(m[2]);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(last) || last < start) return { kind: 'whole' };
  if (start >= size) return { kind: 'unsatisfiable' };
  return { kind: 'partial', start, end: Math.min(last, size - 1) };
}
