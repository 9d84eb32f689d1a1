import session from 'express-session';
import type { Database } from '@ent/persistence';

/**
 * express-session store in Postgres (the `http_sessions` table): OIDC state,
 * nonce and the logged-in teacher survive a restart and are shared by
 * replicas. Never an in-memory store outside tests (ARCHITECTURE §6).
 */
export class PgSessionStore extends session.Store {
  private sweeper: NodeJS.Timeout;

  constructor(
    private readonly db: Database,
    private readonly defaultTtlMs = 8 * 3600_000,
  ) {
    super();
    this.sweeper = setInterval(() => void this.sweep().catch(() => undefined), 10 * 60_000);
    this.sweeper.unref();
  }

  override get(sid: string, cb: (err: unknown, session?: session.SessionData | null) => void): void {
    this.db
      .query<{ data: session.SessionData }>('SELECT data FROM http_sessions WHERE sid = $1 AND expires_at > now()', [sid])
      .then((r) => cb(null, r.rows[0]?.data ?? null), cb);
  }

  override set(sid: string, data: session.SessionData, cb?: (err?: unknown) => void): void {
    const expires = this.expiry(data);
    this.db
      .query(
        `INSERT INTO http_sessions (sid, data, expires_at) VALUES ($1, $2, $3)
         ON CONFLICT (sid) DO UPDATE SET data = EXCLUDED.data, expires_at = EXCLUDED.expires_at`,
        [sid, JSON.stringify(data), expires.toISOString()],
      )
      .then(() => cb?.(), (err) => cb?.(err));
  }

  override destroy(sid: string, cb?: (err?: unknown) => void): void {
    this.db.query('DELETE FROM http_sessions WHERE sid = $1', [sid]).then(() => cb?.(), (err) => cb?.(err));
  }

  override touch(sid: string, data: session.SessionData, cb?: (err?: unknown) => void): void {
    this.db
      .query('UPDATE http_sessions SET expires_at = $2 WHERE sid = $1', [sid, this.expiry(data).toISOString()])
      .then(() => cb?.(), (err) => cb?.(err));
  }

  close(): void {
    clearInterval(this.sweeper);
  }

  private expiry(data: session.SessionData): Date {
    const cookieExpiry = data?.cookie?.expires ? new Date(data.cookie.expires) : undefined;
    return cookieExpiry && !Number.isNaN(cookieExpiry.getTime()) ? cookieExpiry : new Date(Date.now() + this.defaultTtlMs);
  }

  private async sweep() {
    await this.db.query('DELETE FROM http_sessions WHERE expires_at <= now()');
  }
}
