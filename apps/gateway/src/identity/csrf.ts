import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';

/** The session's anti-CSRF token (synchroniser token), created on first use. */
export function csrfToken(req: Request): string {
  req.session.csrf ??= randomBytes(24).toString('base64url');
  return req.session.csrf;
}

/** Whether `given` is the session's anti-CSRF token (constant time; no token in the session never matches). */
export function csrfMatches(req: Request, given: unknown): boolean {
  const expected = req.session?.csrf;
  const value = typeof given === 'string' ? given : '';
  return expected !== undefined && value.length === expected.length && timingSafeEqual(Buffer.from(value), Buffer.from(expected));
}
