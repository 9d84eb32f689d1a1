import type { NextFunction, Request, Response } from 'express';
import { PROBLEM_CONTENT_TYPE, PROBLEM_TYPES } from '@ent/contract';

export interface RateLimitOptions {
  /** Requests allowed per client and window. */
  max: number;
  windowMs: number;
  /** Which requests count (others pass untouched). */
  applies: (req: Request) => boolean;
  /** Key of the client: its address by default (set `trust proxy` behind a reverse proxy). */
  key?: (req: Request) => string;
  now?: () => number;
}

/**
 * Fixed-window limit per client, in this process. A first line against floods
 * of the public endpoints; with N replicas the effective limit is N times this,
 * and an operator's reverse proxy should carry the shared limit.
 */
export function rateLimit(options: RateLimitOptions) {
  const now = options.now ?? Date.now;
  const windows = new Map<string, { start: number; count: number }>();
  let lastSweep = now();
  return (req: Request, res: Response, next: NextFunction) => {
    if (!options.applies(req)) return next();
    const t = now();
    if (t - lastSweep > options.windowMs) {
      for (const [k, w] of windows) if (t - w.start >= options.windowMs) windows.delete(k);
      lastSweep = t;
    }
    const key = options.key ? options.key(req) : req.ip ?? req.socket.remoteAddress ?? 'unknown';
    let w = windows.get(key);
    if (!w || t - w.start >= options.windowMs) {
      w = { start: t, count: 0 };
      windows.set(key, w);
    }
    w.count++;
    if (w.count <= options.max) return next();
    const retryAfter = Math.max(1, Math.ceil((w.start + options.windowMs - t) / 1000));
    res.setHeader('Retry-After', String(retryAfter));
    res.status(429).type(PROBLEM_CONTENT_TYPE).send(
      JSON.stringify({
        type: PROBLEM_TYPES.rateLimited,
        title: 'Too many requests',
        status: 429,
        detail: `Trop de requêtes : réessayez dans ${retryAfter} s.`,
        instance: req.originalUrl?.split('?')[0],
        requestId: (req as Request & { id?: string }).id,
      }),
    );
  };
}
