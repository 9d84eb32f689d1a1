import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import type { Database } from '@ent/persistence';
import { ObjectStore } from '@ent/storage';
import { ConnectorClient } from '../connector/connector.client';
import { IdpClient } from '../identity/idp.client';
import type { Dnma } from '@ent/dnma';
import { DATABASE, DNMA, OBJECT_STORE } from '../infra/tokens';

/** Liveness and dependencies: 200 when all are reachable, 503 otherwise, with the detail. */
@ApiExcludeController()
@Controller('health')
export class HealthController {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(OBJECT_STORE) private readonly store: ObjectStore,
    private readonly idp: IdpClient,
    private readonly connector: ConnectorClient,
    @Inject(DNMA) private readonly dnma: Dnma | null,
  ) {}

  @Get()
  async health(@Res() res: Response) {
    const [database, s3, idp, connector] = await Promise.all([
      this.db.query('SELECT 1').then(() => true, () => false),
      this.store.ping(),
      this.idp.ping(),
      this.connector.ping(),
    ]);
    const checks = {
      database: { ok: database, kind: this.db.kind },
      s3: { ok: s3 },
      idp: { ok: idp },
      connector: { ok: connector },
    };
    const ok = database && s3 && idp && connector;
    // Informational: a Matomo backlog is queued safely and must not make the gateway unhealthy.
    const dnma = this.dnma ? await this.dnma.metrics.snapshot().catch(() => null) : undefined;
    res.status(ok ? 200 : 503).json({ status: ok ? 'ok' : 'degraded', checks, ...(dnma !== undefined ? { dnma } : {}) });
  }
}
