import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { Database, Queryable } from '@ent/persistence';
import { PROBLEM_TYPES } from '@ent/contract';
import { ProblemError } from '@ent/common';
import { DATABASE } from '../infra/tokens';

/** A form's one-time key, or the teacher API's Idempotency-Key: 1 to 255 visible ASCII characters. */
export const SUBMISSION_KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

export interface Submission {
  /** Per owner: a key names one submission of hers, never anybody else's. */
  owner: string;
  key: string;
  /** What the key was used for (`ui:create`, `ui:/transferts/…/envoi`, `api:create`). */
  scope: string;
  /** The request it came with: the same key with another request is refused, never mixed up. */
  request: unknown;
}

export function requestDigest(request: unknown): string {
  return createHash('sha256').update(JSON.stringify(request ?? null)).digest('hex');
}

/**
 * Server-side record of submitted forms and idempotency keys (ADR 016): a second identical
 * submission — a double click, a resent form, a client retrying after a lost answer — finds what
 * the first one did instead of doing it again. Claimed in the same transaction as the change it
 * guards where there is one (a new transfer), so that the two commit together or not at all; on
 * Postgres a concurrent twin waits on the key's row and then sees it.
 */
@Injectable()
export class Submissions {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  /**
   * Claims the key. `first`: nobody used it, go ahead. Otherwise what the first submission
   * recorded (`resourceId`), or a 422 when the key came with another request.
   */
  async claim(q: Queryable, s: Submission, resourceId: string | null = null): Promise<{ first: true } | { first: false; resourceId: string | null }> {
    if (!SUBMISSION_KEY_PATTERN.test(s.key)) {
      throw new ProblemError(400, PROBLEM_TYPES.validation, 'Clé de soumission invalide', 'La clé de soumission doit compter de 1 à 255 caractères ASCII visibles.');
    }
    const digest = requestDigest(s.request);
    // A twin comes within seconds; her keys older than a week are of no use any more (one indexed delete per claim, bounded per owner).
    await q.query(`DELETE FROM submissions WHERE owner_identity = $1 AND created_at < now() - interval '7 days'`, [s.owner]);
    const inserted = await q.query(
      `INSERT INTO submissions (owner_identity, key, scope, request_digest, resource_id) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (owner_identity, key) DO NOTHING`,
      [s.owner, s.key, s.scope, digest, resourceId],
    );
    if (inserted.rowCount > 0) return { first: true };
    const r = await q.query<{ scope: string; request_digest: string; resource_id: string | null }>(
      'SELECT scope, request_digest, resource_id FROM submissions WHERE owner_identity = $1 AND key = $2', [s.owner, s.key],
    );
    const earlier = r.rows[0];
    if (!earlier || earlier.scope !== s.scope || earlier.request_digest !== digest) {
      throw new ProblemError(422, PROBLEM_TYPES.validation, 'Clé déjà utilisée',
        'Cette clé de soumission a déjà servi pour une autre demande : utilisez une nouvelle clé pour chaque demande différente.');
    }
    return { first: false, resourceId: earlier.resource_id };
  }

  /** Runs `action` once per key: a twin submission returns false without running it. A failed action frees the key. */
  async once(s: Submission, action: () => Promise<unknown>): Promise<boolean> {
    const claimed = await this.claim(this.db, s);
    if (!claimed.first) return false;
    try {
      await action();
    } catch (err) {
      await this.db.query('DELETE FROM submissions WHERE owner_identity = $1 AND key = $2', [s.owner, s.key]);
      throw err;
    }
    return true;
  }
}
