import { DynamicModule, Inject, Logger, Module, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { Clock, CLOCK, loggerParams, processClock } from '@ent/common';
import { Dnma, DNMA_MIGRATIONS } from '@ent/dnma';
import { Database, FinishedJobsPurge, JobWorker, migrate, MIGRATIONS, openDatabase } from '@ent/persistence';
import { ObjectStore } from '@ent/storage';
import { AuthController } from './api/auth.controller';
import { ConnectorEventsController } from './api/connector-events.controller';
import { ConnectorTokenGuard } from './connector/connector-token.guard';
import { DiscoveryController } from './api/discovery.controller';
import { HealthController } from './api/health.controller';
import { UiController } from './ui/ui.controller';
import { DataCopyController } from './ui/data-copy.controller';
import { AttestationController } from './ui/attestation.controller';
import { AttestationService } from './transfers/attestation';
import { DataCopyRepository } from './copy/data-copy.repository';
import { DataCopyService } from './copy/data-copy.service';
import { PeerController } from './api/peer.controller';
import { TeacherController } from './api/teacher.controller';
import { GATEWAY_CONFIG, GatewayConfig } from './config';
import { ConnectorClient } from './connector/connector.client';
import { IdpClient } from './identity/idp.client';
import { OidcGuard } from './identity/oidc.guard';
import { DnmaPageInterceptor } from './infra/dnma-page.interceptor';
import { DATABASE, DNMA, JOB_WORKER, OBJECT_STORE } from './infra/tokens';
import { databaseErrorReporter } from './infra/database-errors';
import { OUTBOUND_POLICY, OutboundPolicy } from './infra/outbound';
import { UploadCheckpoints } from './transfers/upload-checkpoints';
import { PeerAuthGuard } from './peers/peer-auth.guard';
import { PeerClient } from './peers/peer.client';
import { PeerDiscovery } from './peers/peer-discovery';
import { PeerRegistry } from './peers/peer-registry';
import { SchoolDirectory } from './peers/school-directory';
import { PeerHealth } from './peers/peer-health';
import { SigningService } from './peers/signing.service';
import { ArrivalService } from './transfers/arrival.service';
import { DepartureService } from './transfers/departure.service';
import { JobWake } from './transfers/job-wake';
import { MetricsCollector } from './metrics/metrics.collector';
import { OwnerProofVerifier } from './transfers/owner-proof';
import { MetricsController } from './metrics/metrics.controller';
import { ProgressController } from './ui/progress.controller';
import { MetricsService } from './metrics/metrics.service';
import { JOB_KINDS } from './transfers/states';
import { TransferRepository } from './transfers/transfer.repository';
import { Submissions } from './transfers/submissions';

/** Registers the background jobs and runs the worker for the life of the process. */
class JobsLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Jobs');
  /** Finished jobs go after JOB_RETENTION_SECONDS; every replica purges, at most hourly. */
  private readonly purge: FinishedJobsPurge;
  constructor(
    @Inject(JOB_WORKER) private readonly worker: JobWorker,
    @Inject(DATABASE) private readonly db: Database,
    @Inject(DNMA) private readonly dnma: Dnma | null,
    private readonly departure: DepartureService,
    private readonly arrival: ArrivalService,
    private readonly dataCopies: DataCopyService,
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
  ) {
    this.purge = new FinishedJobsPurge(db, {
      olderThanMs: config.jobs.retentionMs,
      everyMs: Math.min(3_600_000, Math.max(1_000, Math.floor(config.jobs.retentionMs / 4))),
      onPurged: (n) => this.logger.log({ purged: n, olderThanSeconds: config.jobs.retentionMs / 1000 }, 'finished jobs purged'),
      onError: (err) => this.logger.warn({ err: (err as Error).message }, 'finished jobs could not be purged now: next time'),
    });
  }

  onApplicationBootstrap() {
    this.worker.register(JOB_KINDS.analyse, (j) => this.departure.analyse(j), (j, e) => this.departure.analyseGaveUp(j, e));
    this.worker.register(JOB_KINDS.stageItem, (j) => this.departure.stageItem(j), (j, e) => this.departure.stageItemGaveUp(j, e));
    this.worker.register(JOB_KINDS.deliver, (j) => this.departure.deliver(j), (j, e) => this.departure.deliverGaveUp(j, e));
    this.worker.register(JOB_KINDS.cleanup, (j) => this.departure.cleanup(j));
    this.worker.register(JOB_KINDS.fetchObject, (j) => this.arrival.fetchObject(j), (j, e, c) => this.arrival.fetchGaveUp(j, e, c));
    this.worker.register(JOB_KINDS.importItem, (j) => this.arrival.importItem(j), (j, e) => this.arrival.importGaveUp(j, e));
    this.worker.register(JOB_KINDS.sendReceipt, (j) => this.arrival.sendReceipt(j), (j, e) => this.arrival.sendReceiptGaveUp(j, e));
    this.worker.register(JOB_KINDS.expireDeparture, (j) => this.departure.expire(j));
    this.worker.register(JOB_KINDS.expireArrival, (j) => this.arrival.expire(j));
    this.worker.register(JOB_KINDS.ownerDeadline, (j) => this.arrival.ownerDeadline(j));
    this.worker.register(JOB_KINDS.arrivalRetention, (j) => this.arrival.retention(j));
    this.worker.register(JOB_KINDS.removeStaged, (j) => this.departure.removeStagedJob(j), (j, e) => this.departure.removeStagedGaveUp(j, e));
    this.worker.register(JOB_KINDS.removeReceived, (j) => this.arrival.removeReceivedJob(j), (j, e) => this.arrival.removeReceivedGaveUp(j, e));
    this.worker.register(JOB_KINDS.buildDataCopy, (j) => this.dataCopies.build(j), (j, e) => this.dataCopies.buildGaveUp(j, e));
    this.worker.register(JOB_KINDS.expireDataCopy, (j) => this.dataCopies.expire(j));
    this.worker.start();
    this.purge.start();
    this.dnma?.start();
    this.logger.log({ workerId: this.worker.workerId, dnma: Boolean(this.dnma) }, 'job worker started');
  }

  async onApplicationShutdown() {
    await this.worker.stop();
    await this.purge.stop();
    await this.dnma?.stop();
    await this.db.close();
  }
}

@Module({})
export class GatewayModule {
  static forRoot(config: GatewayConfig): DynamicModule {
    return {
      module: GatewayModule,
      imports: [LoggerModule.forRoot(loggerParams('gateway', config.logLevel))],
      controllers: [DiscoveryController, PeerController, AuthController, TeacherController, HealthController, UiController, ProgressController, DataCopyController, AttestationController, MetricsController, ConnectorEventsController],
      providers: [
        { provide: GATEWAY_CONFIG, useValue: config },
        // Domain time (ADR 011): the system time, which only a test-only preload can shift.
        { provide: CLOCK, useValue: processClock },
        {
          provide: OUTBOUND_POLICY,
          useFactory: () => new OutboundPolicy({ allowedCidrs: config.outboundAllowedCidrs, timeoutMs: config.limits.peerTimeoutMs, idleTimeoutMs: config.fetch.idleTimeoutMs }),
        },
        {
          provide: DATABASE,
          inject: [MetricsService],
          useFactory: async (metrics: MetricsService) => {
            const db = await openDatabase({
              url: config.database.url,
              pgliteDir: config.database.pgliteDir,
              preparedStatements: config.database.preparedStatements,
              // A failover is survived: logged, counted, and every user of the pool waits and retries (ADR 018).
              onError: databaseErrorReporter((source) => metrics.databaseError(source)),
            });
            // The DNMA tables exist even when measurement is off: switching it on needs no migration.
            const applied = await migrate(db, [...MIGRATIONS, ...DNMA_MIGRATIONS]);
            new Logger('Database').log({ kind: db.kind, applied }, 'database ready');
            return db;
          },
        },
        {
          provide: OBJECT_STORE,
          useFactory: async () => {
            const store = new ObjectStore(config.s3);
            try {
              await store.ensureBucket();
            } catch (err) {
              // Started anyway: /health says S3 is down and jobs retry.
              new Logger('ObjectStore').error({ err: (err as Error).message }, 'S3 bucket check failed');
            }
            return store;
          },
        },
        {
          provide: JOB_WORKER,
          inject: [DATABASE, MetricsService, CLOCK],
          useFactory: (db: Database, metrics: MetricsService, clock: Clock) =>
            new JobWorker(db, {
              now: () => clock.now(),
              pollIntervalMs: config.jobs.pollMs,
              leaseMs: config.jobs.leaseMs,
              backoffBaseMs: config.jobs.backoffBaseMs,
              backoffMaxMs: config.jobs.backoffMaxMs,
              maxAttempts: config.jobs.maxAttempts,
              concurrency: config.jobs.concurrency,
              concurrencyByKind: config.jobs.concurrencyByKind,
              groupLimit: config.jobs.perPeer,
              onDatabaseUnavailable: () => metrics.databaseError('jobs'),
              onError: (job, err, final) => {
                metrics.jobFailed(job.kind, final);
                new Logger('Jobs').warn({ jobId: job.id, kind: job.kind, attempt: job.attempts, final, err: (err as Error)?.message }, final ? 'job failed for good' : 'job failed, will retry');
              },
            }),
        },
        {
          provide: DNMA,
          inject: [DATABASE],
          useFactory: (db: Database) =>
            config.dnma ? new Dnma(db, config.dnma.config, { logger: new Logger('Dnma'), ...config.dnma.workers }) : null,
        },
        DnmaPageInterceptor,
        MetricsService,
        MetricsCollector,
        OwnerProofVerifier,
        TransferRepository,
        UploadCheckpoints,
        Submissions,
        ConnectorClient,
        ConnectorTokenGuard,
        IdpClient,
        PeerRegistry,
        PeerDiscovery,
        SchoolDirectory,
        PeerClient,
        PeerHealth,
        PeerAuthGuard,
        OidcGuard,
        SigningService,
        JobWake,
        DepartureService,
        ArrivalService,
        DataCopyRepository,
        DataCopyService,
        AttestationService,
        JobsLifecycle,
      ],
    };
  }
}
