import { randomUUID } from 'node:crypto';
import type { Queryable } from '@ent/persistence';
import type { DnmaConfig } from './config';
import { Poller } from './poller';
import { SILENT_LOGGER, systemClock, type DnmaClock, type DnmaLogger, type DnmaRuntimeOptions } from './runtime-types';

export interface DnmaReplayerOptions extends DnmaRuntimeOptions {
  workerId?: string;
}

export interface ReplayPassResult {
  replayed: number;
  batches: number;
}

/**
 * The dead-letter worker (RFTI §4.2): puts the hits whose replay is due back in the main queue,
 * in batches of `replay.batchSize`, each batch one statement under `FOR UPDATE SKIP LOCKED`
 * (several replayers never replay a hit twice). Each replay is counted on the hit and written
 * to its history. When a hit is due was decided when it was dead-lettered: 10 min after the
 * first failure, 20 min after the second, then growing (see `replayDelayMs`).
 */
export class DnmaDeadLetterReplayer {
  readonly workerId: string;
  private readonly now: DnmaClock;
  private readonly logger: DnmaLogger;
  private readonly poller: Poller;

  constructor(
    private readonly db: Queryable,
    private readonly config: DnmaConfig,
    options: DnmaReplayerOptions = {},
  ) {
    this.workerId = options.workerId ?? `dnma-replay-${process.pid}-${randomUUID().slice(0, 8)}`;
    this.now = options.now ?? systemClock;
    this.logger = options.logger ?? SILENT_LOGGER;
    this.poller = new Poller(this.workerId, config.replay.pollIntervalMs, async () => {
      await this.runOnce();
      return false;
    }, this.logger);
  }

  start(): void {
    this.poller.start();
  }

  stop(): Promise<void> {
    return this.poller.stop();
  }

  wake(): void {
    this.poller.wake();
  }

  /** Moves every due dead-lettered hit back to the main queue, batch after batch. */
  async runOnce(maxBatches = 1_000): Promise<ReplayPassResult> {
    let replayed = 0;
    let batches = 0;
    for (; batches < maxBatches; ) {
      const n = await this.replayBatch();
      if (n === 0) break;
      batches++;
      replayed += n;
      if (n < this.config.replay.batchSize) break;
    }
    if (replayed > 0) this.logger.log({ worker: this.workerId, replayed, batches }, 'DNMA dead-lettered hits put back in the main queue');
    return { replayed, batches };
  }

  private async replayBatch(): Promise<number> {
    const now = this.now().toISOString();
    const r = await this.db.query<{ n: number }>(
      `WITH picked AS (
         SELECT id FROM dnma_hits
         WHERE state = 'DEAD' AND available_at <= $1
         ORDER BY available_at, id
         LIMIT $2
         FOR UPDATE SKIP LOCKED),
       moved AS (
         UPDATE dnma_hits h
         SET state = 'QUEUED', replays = h.replays + 1, available_at = $1, updated_at = $1,
             history = h.history || jsonb_build_array(jsonb_build_object('at', $3::text, 'event', 'REPLAYED', 'worker', $4::text, 'replay', h.replays + 1))
         FROM picked WHERE h.id = picked.id AND h.state = 'DEAD'
         RETURNING h.id),
       c AS (UPDATE dnma_counters SET value = value + (SELECT count(*) FROM moved) WHERE name = 'replayed')
       SELECT count(*)::int AS n FROM moved`,
      [now, this.config.replay.batchSize, now, this.workerId],
    );
    return Number(r.rows[0]?.n ?? 0);
  }
}
