import { Inject, Injectable, Optional } from '@nestjs/common';
import { Clock, CLOCK, processClock } from '@ent/common';
import { Database } from '@ent/persistence';
import { ObjectStore, UploadCheckpoint, UploadCheckpointStore } from '@ent/storage';
import { DATABASE, OBJECT_STORE } from '../infra/tokens';
import type { TransferRole } from './states';

/** The item whose progress counters an upload moves (ADR 016). */
export interface ProgressTarget {
  transferId: string;
  role: TransferRole;
  itemId: string;
}

/**
 * Multipart upload checkpoints in Postgres, one row per object key. Saved after each finished
 * part, outside any transfer transaction: a part that is up is up, whatever happens next.
 */
@Injectable()
export class UploadCheckpoints {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(OBJECT_STORE) private readonly store: ObjectStore,
    @Optional() @Inject(CLOCK) private readonly clock: Clock = processClock,
  ) {}

  /**
   * The checkpoints of one upload attempt. With `progress`, each save also moves the item's
   * counters (ADR 016): bytes up after each finished part — never per chunk — and, at the first
   * save of the attempt, where and when it started (a resume starts at the parts already up).
   */
  for(objectKey: string, progress?: ProgressTarget): UploadCheckpointStore {
    let attemptStarted = false;
    const count = async (bytes: number) => {
      if (!progress) return;
      const first = !attemptStarted;
      attemptStarted = true;
      await this.db.query(
        `UPDATE transfer_items SET bytes_done = $4, progress_at = $5,
                progress_since = CASE WHEN $6 THEN $5 ELSE COALESCE(progress_since, $5) END,
                progress_since_bytes = CASE WHEN $6 THEN $4 ELSE progress_since_bytes END
          WHERE transfer_id = $1 AND role = $2 AND item_id = $3`,
        [progress.transferId, progress.role, progress.itemId, bytes, this.clock.now().toISOString(), first],
      );
    };
    return {
      load: async () => {
        const r = await this.db.query<{ checkpoint: UploadCheckpoint }>('SELECT checkpoint FROM upload_checkpoints WHERE object_key = $1', [objectKey]);
        return r.rows[0]?.checkpoint;
      },
      save: async (cp) => {
        await this.db.query(
          `INSERT INTO upload_checkpoints (object_key, upload_id, checkpoint) VALUES ($1, $2, $3)
           ON CONFLICT (object_key) DO UPDATE SET upload_id = EXCLUDED.upload_id, checkpoint = EXCLUDED.checkpoint, updated_at = now()`,
          [objectKey, cp.uploadId, JSON.stringify(cp)],
        );
        await count(cp.bytes);
      },
      clear: async () => {
        await this.db.query('DELETE FROM upload_checkpoints WHERE object_key = $1', [objectKey]);
      },
    };
  }

  /**
   * Aborts the unfinished uploads under `prefix` (a transfer given up, expired or cleaned) and
   * forgets them, so that no part is left behind in the bucket. Returns how many there were.
   */
  async abandon(prefix: string): Promise<number> {
    const r = await this.db.query<{ object_key: string; upload_id: string }>(
      `SELECT object_key, upload_id FROM upload_checkpoints WHERE starts_with(object_key, $1)`,
      [prefix],
    );
    for (const row of r.rows) {
      // s3rver (the demo's embedded S3) cannot abort: its incomplete uploads die with its directory.
      await this.store.abortUpload(row.object_key, row.upload_id).catch(() => undefined);
      await this.db.query('DELETE FROM upload_checkpoints WHERE object_key = $1 AND upload_id = $2', [row.object_key, row.upload_id]);
    }
    return r.rows.length;
  }
}
