import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';

/**
 * What an operator sees (`GET /metrics`, Prometheus text format). One registry per gateway
 * process; the rest of the code counts through the small methods below, never through
 * prom-client directly, so that every series keeps its documented name and bounded labels
 * (README, "Metrics").
 *
 * Label values come from the code (job kinds, states, reason codes) or from the peer registry
 * (entId): anything else is counted as `other`, so that a peer cannot create series at will.
 */
const LABEL_VALUE = /^[A-Za-z0-9_.:-]{1,64}$/;

export function labelValue(value: string | undefined | null): string {
  return value && LABEL_VALUE.test(value) ? value : 'other';
}

/** Outbound calls that are not to a peer gateway carry one of these as `peer`. */
export type OutboundTarget = 'idp' | 'connector' | 's3' | 'matomo';

@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  private readonly outboundErrors = new Counter({
    name: 'ent_gateway_outbound_errors_total',
    help: 'Failed outbound calls, by peer (entId, or idp / connector / s3 / matomo) and stable reason code.',
    labelNames: ['peer', 'reason'] as const,
    registers: [this.registry],
  });
  private readonly fetchBytes = new Counter({
    name: 'ent_gateway_fetch_bytes_total',
    help: 'Bytes pulled from departure gateways (arrival side), by peer, counted as they arrive.',
    labelNames: ['peer'] as const,
    registers: [this.registry],
  });
  private readonly fetchSeconds = new Counter({
    name: 'ent_gateway_fetch_seconds_total',
    help: 'Time spent pulling objects, by peer: rate(fetch_bytes_total) / rate(fetch_seconds_total) is the throughput.',
    labelNames: ['peer'] as const,
    registers: [this.registry],
  });
  private readonly fetches = new Counter({
    name: 'ent_gateway_fetches_total',
    help: 'Object fetches that ended, by peer and outcome (ok, failed).',
    labelNames: ['peer', 'outcome'] as const,
    registers: [this.registry],
  });
  private readonly jobFailures = new Counter({
    name: 'ent_gateway_job_failures_total',
    help: 'Job attempts that failed in this process, by kind; final="true" when the job was given up.',
    labelNames: ['kind', 'final'] as const,
    registers: [this.registry],
  });

  private readonly databaseErrors = new Counter({
    name: 'ent_gateway_database_errors_total',
    help: 'Database connection errors met by this process (server stopped, failing over, connection cut), by source: idle-connection, checked-out-connection, query.',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });

  private readonly ownerProofs = new Counter({
    name: 'ent_gateway_owner_proofs_total',
    help: 'Owner proofs met on received offers (ADR 010), by result: VERIFIED, MISSING, or the reason one was refused.',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  // ---- gauges refreshed at each scrape (MetricsCollector)
  readonly jobs = new Gauge({
    name: 'ent_gateway_jobs',
    help: 'Jobs in the Postgres queue, by kind and state (PENDING, RUNNING, DONE, FAILED).',
    labelNames: ['kind', 'state'] as const,
    registers: [this.registry],
  });
  readonly jobQueueAge = new Gauge({
    name: 'ent_gateway_job_queue_age_seconds',
    help: 'Age of the oldest runnable job (due, not held by a live lease), by kind; 0 when none waits.',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly transfers = new Gauge({
    name: 'ent_gateway_transfers',
    help: 'Transfers known to this gateway, by role (DEPARTURE, ARRIVAL) and state.',
    labelNames: ['role', 'state'] as const,
    registers: [this.registry],
  });
  readonly databaseUp = new Gauge({
    name: 'ent_gateway_database_up',
    help: '1 when the database answered the scrape\'s queries, 0 otherwise.',
    registers: [this.registry],
  });
  readonly s3Up = new Gauge({
    name: 'ent_gateway_s3_up',
    help: '1 when the S3 bucket answered, 0 otherwise.',
    registers: [this.registry],
  });
  readonly dnmaQueue = new Gauge({
    name: 'ent_gateway_dnma_queue',
    help: 'DNMA (Matomo) hits waiting, by queue: main (queued or being sent) and dead_letter.',
    labelNames: ['queue'] as const,
    registers: [this.registry],
  });
  readonly dnmaOldest = new Gauge({
    name: 'ent_gateway_dnma_oldest_hit_age_seconds',
    help: 'Age of the oldest DNMA hit not yet delivered (either queue); 0 when none.',
    registers: [this.registry],
  });
  readonly dnmaEnabled = new Gauge({
    name: 'ent_gateway_dnma_enabled',
    help: '1 when audience measurement is configured (DNMA_MATOMO_URL), 0 otherwise.',
    registers: [this.registry],
  });

  constructor() {
    // Standard process series (process_*, nodejs_*): memory, CPU, event-loop lag, handles.
    collectDefaultMetrics({ register: this.registry });
  }

  /** A failed outbound call: `peer` is a registered peer's entId or an {@link OutboundTarget}; `reason` a stable code. */
  outboundError(peer: string, reason: string): void {
    this.outboundErrors.inc({ peer: labelValue(peer), reason: labelValue(reason) });
  }

  /** Bytes received from a peer, as they flow (call as often as convenient). */
  fetchedBytes(peer: string, bytes: number): void {
    if (bytes > 0) this.fetchBytes.inc({ peer: labelValue(peer) }, bytes);
  }

  /** One object fetch ended after `seconds` (successful or not). */
  fetchEnded(peer: string, seconds: number, outcome: 'ok' | 'failed'): void {
    const p = labelValue(peer);
    if (seconds > 0) this.fetchSeconds.inc({ peer: p }, seconds);
    this.fetches.inc({ peer: p, outcome });
  }

  jobFailed(kind: string, final: boolean): void {
    this.jobFailures.inc({ kind: labelValue(kind), final: String(final) });
  }

  /** The database could not be reached (ADR 018): counted, logged, never fatal. */
  databaseError(source: string): void {
    this.databaseErrors.inc({ source: labelValue(source) });
  }

  /** An offer arrived with a verified owner proof, none, or a refused one (`result` = status or reason code). */
  ownerProof(result: string): void {
    this.ownerProofs.inc({ result: labelValue(result) });
  }

  contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}
