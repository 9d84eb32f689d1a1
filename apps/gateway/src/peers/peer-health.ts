import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ItemFailureReason } from '@ent/contract';
import type { Database } from '@ent/persistence';
import { GATEWAY_CONFIG, GatewayConfig } from '../config';
import { DATABASE } from '../infra/tokens';

/**
 * Peers that keep failing or trickling are slowed down (issue 14, finding 3): after each failed
 * fetch their next fetches wait, twice as long each time (JOB_BACKOFF_BASE_MS … JOB_BACKOFF_MAX_MS),
 * across replicas (the table is shared); one success ends it. The operator reads why in the log,
 * the teacher on her received transfer.
 */
@Injectable()
export class PeerHealth {
  private readonly logger = new Logger('PeerHealth');

  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  /** When the peer's fetches may go again, if it is slowed down now. */
  async slowedUntil(entId: string): Promise<Date | undefined> {
    const r = await this.db.query<{ slowed_until: Date | string }>(
      `SELECT slowed_until FROM peer_health WHERE peer = $1 AND slowed_until > now()`, [entId]);
    return r.rows[0] ? new Date(r.rows[0].slowed_until) : undefined;
  }

  async failed(entId: string, reason: ItemFailureReason): Promise<Date> {
    const { backoffBaseMs, backoffMaxMs } = this.config.jobs;
    const r = await this.db.query<{ slowed_until: Date | string; consecutive_failures: number }>(
      `INSERT INTO peer_health (peer, consecutive_failures, slowed_until, last_reason, updated_at)
       VALUES ($1, 1, now() + ($2::int * interval '1 millisecond'), $4, now())
       ON CONFLICT (peer) DO UPDATE SET
         consecutive_failures = peer_health.consecutive_failures + 1,
         slowed_until = now() + (LEAST($3::bigint, $2::bigint * power(2, LEAST(peer_health.consecutive_failures, 30))::bigint) * interval '1 millisecond'),
         last_reason = $4, updated_at = now()
       RETURNING slowed_until, consecutive_failures`,
      [entId, backoffBaseMs, backoffMaxMs, reason],
    );
    const until = new Date(r.rows[0].slowed_until);
    this.logger.warn({ peer: entId, reason, consecutiveFailures: r.rows[0].consecutive_failures, slowedUntil: until.toISOString() }, 'peer slowed down');
    return until;
  }

  async succeeded(entId: string): Promise<void> {
    const r = await this.db.query(
      `UPDATE peer_health SET consecutive_failures = 0, slowed_until = NULL, updated_at = now() WHERE peer = $1 AND consecutive_failures > 0`, [entId]);
    if (r.rowCount > 0) this.logger.log({ peer: entId }, 'peer no longer slowed down');
  }
}
