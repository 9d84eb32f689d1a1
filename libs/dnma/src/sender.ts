import { randomUUID } from 'node:crypto';
import type { Queryable } from '@ent/persistence';
import { replayDelayMs, type DnmaConfig } from './config';
import { Poller } from './poller';
import { SILENT_LOGGER, systemClock, type DnmaClock, type DnmaLogger, type DnmaRuntimeOptions } from './runtime-types';
import { MatomoTransportError, postToMatomo, type MatomoTransport } from './transport';

export interface DnmaSenderOptions extends DnmaRuntimeOptions {
  /** Recorded as `locked_by` and in the history; default `<pid>-<random>`. */
  workerId?: string;
  /** How requests reach Matomo (tests may inject one); default node http(s). */
  transport?: MatomoTransport;
}

export interface SendPassResult {
  /** Hits taken from the main queue in this pass (one request to Matomo). */
  claimed: number;
  sent: number;
  deadLettered: number;
  /** Why the batch (or part of it) went to the dead-letter queue: `HTTP_500`, `TIMEOUT`, `NETWORK ECONNREFUSED`, `MATOMO_INVALID`… */
  failure?: string;
}

interface ClaimedHit {
  id: number;
  query: string;
  dead_letters: number;
}

/**
 * A worker of the main queue (RFTI §4.2). Each pass claims a batch with
 * `FOR UPDATE SKIP LOCKED` (so any number of workers, in any number of processes, never take
 * the same hit), POSTs it to Matomo, and checks the answer: 200 or 204 → SENT; any other
 * status, a timeout or a network error → the whole batch goes to the dead-letter queue, due
 * for replay after the configured delay.
 *
 * token_auth travels in the POST body only: the form body of a single hit, or the JSON body
 * `{ requests: ["?idsite=…", …], token_auth }` of a bulk request. The URL is always the bare
 * tracker URL.
 *
 * Delivery is at least once: a worker that dies after Matomo accepted a batch but before it
 * marked it SENT leaves the batch claimed; it is sent again when the lease runs out.
 */
export class DnmaSender {
  readonly workerId: string;
  private readonly now: DnmaClock;
  private readonly logger: DnmaLogger;
  private readonly transport: MatomoTransport;
  private readonly poller: Poller;

  constructor(
    private readonly db: Queryable,
    private readonly config: DnmaConfig,
    options: DnmaSenderOptions = {},
  ) {
    this.workerId = options.workerId ?? `dnma-${process.pid}-${randomUUID().slice(0, 8)}`;
    this.now = options.now ?? systemClock;
    this.logger = options.logger ?? SILENT_LOGGER;
    this.transport = options.transport ?? postToMatomo;
    this.poller = new Poller(this.workerId, config.pollIntervalMs, async () => (await this.runOnce()).claimed >= config.batchSize, this.logger);
  }

  start(): void {
    this.poller.start();
  }

  /** Stops polling; waits for the batch under way (at most requestTimeoutMs). */
  stop(): Promise<void> {
    return this.poller.stop();
  }

  /** Sends now instead of at the next poll (after a hit was queued). */
  wake(): void {
    this.poller.wake();
  }

  /** Drains the main queue: passes until one claims nothing (tests, shutdown flush). */
  async drain(maxPasses = 10_000): Promise<SendPassResult> {
    const total: SendPassResult = { claimed: 0, sent: 0, deadLettered: 0 };
    for (let i = 0; i < maxPasses; i++) {
      const r = await this.runOnce();
      if (r.claimed === 0) break;
      total.claimed += r.claimed;
      total.sent += r.sent;
      total.deadLettered += r.deadLettered;
      total.failure = r.failure ?? total.failure;
    }
    return total;
  }

  /** One pass: claim a due batch, send it, record the outcome. */
  async runOnce(): Promise<SendPassResult> {
    const batch = await this.claim();
    if (batch.length === 0) return { claimed: 0, sent: 0, deadLettered: 0 };

    let failure: string | undefined;
    let rejected = new Set<number>();
    let status = 0;
    try {
      const { body, contentType } = this.requestBody(batch);
      const res = await this.transport(this.config.trackerUrl, body, contentType, this.config.requestTimeoutMs);
      status = res.status;
      if (res.status !== 200 && res.status !== 204) {
        failure = `HTTP_${res.status}`;
      } else if (batch.length > 1) {
        const verdict = this.readBulkAnswer(res.body, batch.length);
        if (verdict.error) failure = verdict.error;
        else rejected = new Set(verdict.invalid.map((i) => batch[i].id));
      }
    } catch (err) {
      failure =
        err instanceof MatomoTransportError
          ? err.kind === 'TIMEOUT'
            ? 'TIMEOUT'
            : `NETWORK${err.code ? ` ${err.code}` : ''}`
          : `NETWORK ${(err as Error)?.message ?? String(err)}`;
    }

    if (failure) {
      const dead = await this.deadLetter(batch, failure);
      return { claimed: batch.length, sent: 0, deadLettered: dead, failure };
    }
    const accepted = batch.filter((h) => !rejected.has(h.id));
    const sent = await this.markSent(accepted, status);
    let dead = 0;
    if (rejected.size > 0) dead = await this.deadLetter(batch.filter((h) => rejected.has(h.id)), 'MATOMO_INVALID');
    return { claimed: batch.length, sent, deadLettered: dead, failure: rejected.size > 0 ? 'MATOMO_INVALID' : undefined };
  }

  private requestBody(batch: ClaimedHit[]): { body: string; contentType: string } {
    if (batch.length === 1) {
      // One hit: the tracking parameters and token_auth as a form body.
      return {
        body: `${batch[0].query.slice(1)}&token_auth=${encodeURIComponent(this.config.tokenAuth)}`,
        contentType: 'application/x-www-form-urlencoded',
      };
    }
    // Several: Matomo bulk tracking.
    return {
      body: JSON.stringify({ requests: batch.map((h) => h.query), token_auth: this.config.tokenAuth }),
      contentType: 'application/json',
    };
  }

  /**
   * Matomo answers a bulk request with `{"status":"success","tracked":n,"invalid":m,"invalid_indices":[…]}`
   * (indices when authenticated). An `error` status fails the batch; invalid requests go to the
   * dead-letter queue alone.
   */
  private readBulkAnswer(body: string, size: number): { error?: string; invalid: number[] } {
    if (!body.trim().startsWith('{')) return { invalid: [] };
    let doc: { status?: unknown; invalid?: unknown; invalid_indices?: unknown };
    try {
      doc = JSON.parse(body);
    } catch {
      return { invalid: [] };
    }
    if (doc.status === 'error') return { error: 'MATOMO_ERROR', invalid: [] };
    const indices = Array.isArray(doc.invalid_indices)
      ? doc.invalid_indices.filter((i): i is number => Number.isInteger(i) && i >= 0 && i < size)
      : [];
    if (indices.length === 0 && typeof doc.invalid === 'number' && doc.invalid > 0) {
      this.logger.warn({ worker: this.workerId, invalid: doc.invalid, size }, 'Matomo reports invalid requests in a bulk without saying which');
    }
    return { invalid: [...new Set(indices)] };
  }

  private async claim(): Promise<ClaimedHit[]> {
    const now = this.now();
    const r = await this.db.query<ClaimedHit>(
      `WITH picked AS (
         SELECT id FROM dnma_hits
         WHERE (state = 'QUEUED' AND available_at <= $1) OR (state = 'SENDING' AND locked_until < $1)
         ORDER BY available_at, id
         LIMIT $2
         FOR UPDATE SKIP LOCKED)
       UPDATE dnma_hits h
       SET state = 'SENDING', attempts = h.attempts + 1, locked_by = $3, locked_until = $4, updated_at = $1,
           history = CASE WHEN h.state = 'SENDING'
             THEN h.history || jsonb_build_array(jsonb_build_object('at', $5::text, 'event', 'LEASE_EXPIRED', 'worker', h.locked_by))
             ELSE h.history END
       FROM picked WHERE h.id = picked.id
       RETURNING h.id, h.query, h.dead_letters`,
      [now.toISOString(), this.config.batchSize, this.workerId, new Date(now.getTime() + this.config.leaseMs).toISOString(), now.toISOString()],
    );
    return r.rows.sort((a, b) => a.id - b.id);
  }

  private async markSent(hits: ClaimedHit[], status: number): Promise<number> {
    if (hits.length === 0) return 0;
    const at = this.now().toISOString();
    const entry = JSON.stringify([{ at, event: 'SENT', worker: this.workerId, status, batch: hits.length }]);
    const r = await this.db.query<{ id: number }>(
      `WITH done AS (
         UPDATE dnma_hits
         SET state = 'SENT', sent_at = $2, locked_by = NULL, locked_until = NULL, last_error = NULL, updated_at = $2,
             history = history || $4::jsonb
         WHERE id = ANY($1::bigint[]) AND state = 'SENDING' AND locked_by = $3
         RETURNING id),
       c AS (UPDATE dnma_counters SET value = value + (SELECT count(*) FROM done) WHERE name = 'sent')
       SELECT id FROM done`,
      [hits.map((h) => h.id), at, this.workerId, entry],
    );
    if (r.rows.length < hits.length) {
      this.logger.warn({ worker: this.workerId, lost: hits.length - r.rows.length }, 'DNMA lease ran out during a send: another worker may send these hits again');
    }
    return r.rows.length;
  }

  private async deadLetter(hits: ClaimedHit[], reason: string): Promise<number> {
    if (hits.length === 0) return 0;
    const now = this.now();
    const at = now.toISOString();
    const plan: Record<string, { due: string; entry: Record<string, unknown> }> = {};
    for (const h of hits) {
      const deadLetters = h.dead_letters + 1;
      const due = new Date(now.getTime() + replayDelayMs(deadLetters, this.config.replay)).toISOString();
      plan[String(h.id)] = { due, entry: { at, event: 'DEAD_LETTERED', worker: this.workerId, reason, deadLetters, replayAt: due } };
    }
    const r = await this.db.query<{ id: number }>(
      `WITH plan AS (
         SELECT key::bigint AS id, (value->>'due')::timestamptz AS due, value->'entry' AS entry FROM jsonb_each($1::jsonb)),
       moved AS (
         UPDATE dnma_hits h
         SET state = 'DEAD', dead_letters = h.dead_letters + 1, available_at = plan.due, locked_by = NULL, locked_until = NULL,
             last_error = $2, updated_at = $3, history = h.history || jsonb_build_array(plan.entry)
         FROM plan WHERE h.id = plan.id AND h.state = 'SENDING' AND h.locked_by = $4
         RETURNING h.id),
       c AS (UPDATE dnma_counters SET value = value + (SELECT count(*) FROM moved) WHERE name = 'dead_lettered')
       SELECT id FROM moved`,
      [JSON.stringify(plan), reason, at, this.workerId],
    );
    this.logger.warn(
      { worker: this.workerId, hits: r.rows.length, reason, firstReplayAt: Object.values(plan)[0]?.due },
      'DNMA hits moved to the dead-letter queue',
    );
    return r.rows.length;
  }
}
