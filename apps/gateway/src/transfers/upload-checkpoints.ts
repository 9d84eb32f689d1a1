import { Inject, Injectable } from '@nestjs/common';
import { Database } from '@ent/persistence';
import { ObjectStore, UploadCheckpoint, UploadCheckpointStore } from '@ent/storage';
import { DATABASE, OBJECT_STORE } from '../infra/tokens';

/**
 * Multipart upload checkpoints in Postgres, one row per object key. Saved after each finished
 * part, outside any transfer transaction: a part that is up is up, whatever happens next.
 */
@Injectable()
export class UploadCheckpoints {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(OBJECT_STORE) private readonly store: ObjectStore,
  ) {}

  for(objectKey: string): UploadCheckpointStore {
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
