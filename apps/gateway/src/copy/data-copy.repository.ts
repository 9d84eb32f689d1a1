import { Inject, Injectable } from '@nestjs/common';
import { Database, Queryable } from '@ent/persistence';
import { DATABASE } from '../infra/tokens';
import type { CopyItemOutcome } from './archive-layout';

export type DataCopyState = 'PREPARING' | 'READY' | 'FAILED' | 'EXPIRED';

export interface DataCopyRow {
  id: string;
  owner_id: string;
  state: DataCopyState;
  /** null: everything she has; else the content ids she picked. */
  scope: string[] | null;
  object_key: string | null;
  size_bytes: number | null;
  sha256: string | null;
  items: CopyItemOutcome[] | null;
  error: string | null;
  created_at: Date;
  ready_at: Date | null;
  expires_at: Date | null;
}

const COLUMNS = 'id, owner_id, state, scope, object_key, size_bytes::float8 AS size_bytes, sha256, items, error, created_at, ready_at, expires_at';

/** The only place that writes `data_copies`; state changes are guarded by the expected state. */
@Injectable()
export class DataCopyRepository {
  constructor(@Inject(DATABASE) readonly db: Database) {}

  /**
   * A new copy in PREPARING, unless she already has one being prepared (a double click, two
   * tabs): that one is answered instead (the partial unique index decides between replicas).
   */
  async createOrCurrent(tx: Queryable, id: string, ownerId: string, scope: string[] | null): Promise<{ row: DataCopyRow; created: boolean }> {
    const inserted = await tx.query<DataCopyRow>(
      `INSERT INTO data_copies (id, owner_id, state, scope) VALUES ($1, $2, 'PREPARING', $3::jsonb)
       ON CONFLICT (owner_id) WHERE state = 'PREPARING' DO NOTHING RETURNING ${COLUMNS}`,
      [id, ownerId, scope === null ? null : JSON.stringify(scope)],
    );
    if (inserted.rows[0]) return { row: inserted.rows[0], created: true };
    const current = await tx.query<DataCopyRow>(`SELECT ${COLUMNS} FROM data_copies WHERE owner_id = $1 AND state = 'PREPARING'`, [ownerId]);
    return { row: current.rows[0], created: false };
  }

  async get(q: Queryable, id: string): Promise<DataCopyRow | undefined> {
    return (await q.query<DataCopyRow>(`SELECT ${COLUMNS} FROM data_copies WHERE id = $1`, [id])).rows[0];
  }

  /** Her copies, newest first (never anybody else's). */
  async listFor(ownerId: string, limit = 20): Promise<DataCopyRow[]> {
    return (await this.db.query<DataCopyRow>(`SELECT ${COLUMNS} FROM data_copies WHERE owner_id = $1 ORDER BY created_at DESC LIMIT $2`, [ownerId, limit])).rows;
  }

  async markReady(tx: Queryable, id: string, done: { objectKey: string; sizeBytes: number; sha256: string; items: CopyItemOutcome[]; readyAt: Date; expiresAt: Date }): Promise<boolean> {
    const r = await tx.query(
      `UPDATE data_copies SET state = 'READY', object_key = $2, size_bytes = $3, sha256 = $4, items = $5::jsonb, ready_at = $6, expires_at = $7
       WHERE id = $1 AND state = 'PREPARING'`,
      [id, done.objectKey, done.sizeBytes, done.sha256, JSON.stringify(done.items), done.readyAt.toISOString(), done.expiresAt.toISOString()],
    );
    return r.rowCount > 0;
  }

  async markFailed(id: string, error: string): Promise<void> {
    await this.db.query(`UPDATE data_copies SET state = 'FAILED', error = $2 WHERE id = $1 AND state = 'PREPARING'`, [id, error.slice(0, 500)]);
  }

  async markExpired(id: string): Promise<void> {
    await this.db.query(`UPDATE data_copies SET state = 'EXPIRED', items = NULL WHERE id = $1 AND state IN ('READY', 'FAILED')`, [id]);
  }
}
