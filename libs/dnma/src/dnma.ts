import type { Queryable } from '@ent/persistence';
import type { DnmaConfig } from './config';
import type { DnmaPageView } from './hit';
import { DnmaMetrics, purgeDnmaHits } from './metrics';
import { Poller } from './poller';
import { DnmaDeadLetterReplayer } from './replayer';
import { SILENT_LOGGER, systemClock, type DnmaRuntimeOptions } from './runtime-types';
import { DnmaSender } from './sender';
import { DnmaTracker, type TrackResult } from './tracker';
import type { MatomoTransport } from './transport';

export interface DnmaOptions extends DnmaRuntimeOptions {
  /** Sender workers in this process (each claims its own batches). Default 1. */
  senders?: number;
  /** SENT and DROPPED hits older than this are purged (hourly). Default 30 days; 0 keeps them for ever. */
  retentionMs?: number;
  transport?: MatomoTransport;
}

/**
 * Everything the gateway needs, wired: `track()` on every authenticated page view, `start()`
 * at boot, `stop()` at shutdown, `metrics.snapshot()` for /health.
 */
export class Dnma {
  readonly tracker: DnmaTracker;
  readonly senders: DnmaSender[];
  readonly replayer: DnmaDeadLetterReplayer;
  readonly metrics: DnmaMetrics;
  private readonly retention: Poller | undefined;

  constructor(db: Queryable, config: DnmaConfig, options: DnmaOptions = {}) {
    const count = Math.max(1, Math.floor(options.senders ?? 1));
    this.senders = Array.from({ length: count }, () => new DnmaSender(db, config, options));
    this.tracker = new DnmaTracker(db, config, { ...options, onQueued: () => this.senders[0].wake() });
    this.replayer = new DnmaDeadLetterReplayer(db, config, options);
    this.metrics = new DnmaMetrics(db, options);
    const retentionMs = options.retentionMs ?? 30 * 86_400_000;
    const now = options.now ?? systemClock;
    if (retentionMs > 0) {
      this.retention = new Poller(
        'dnma-retention',
        3_600_000,
        async () => {
          const purged = await purgeDnmaHits(db, new Date(now().getTime() - retentionMs));
          if (purged > 0) (options.logger ?? SILENT_LOGGER).log({ purged }, 'DNMA sent hits purged (retention)');
          return purged >= 10_000;
        },
        options.logger ?? SILENT_LOGGER,
      );
    }
  }

  track(pageView: DnmaPageView): Promise<TrackResult> {
    return this.tracker.track(pageView);
  }

  start(): void {
    for (const s of this.senders) s.start();
    this.replayer.start();
    this.retention?.start();
  }

  async stop(): Promise<void> {
    await Promise.all([...this.senders.map((s) => s.stop()), this.replayer.stop(), this.retention?.stop()]);
  }
}
