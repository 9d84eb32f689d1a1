import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import type { Database } from '@ent/persistence';
import { PROBLEM_CONTENT_TYPE, PROBLEM_TYPES } from '@ent/contract';
import { ObjectStore } from '@ent/storage';
import { ConnectorClient } from '../connector/connector.client';
import { IdpClient } from '../identity/idp.client';
import type { Dnma } from '@ent/dnma';
import { DATABASE, DNMA, OBJECT_STORE } from '../infra/tokens';

/** Readiness: 200 when every dependency answers, otherwise a 503 problem naming the failing ones (`checks`). */
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
    const extra = { checks, ...(dnma !== undefined ? { dnma } : {}) };
    if (ok) {
      res.status(200).json({ status: 'ok', ...extra });
      return;
    }
    // Not ready: a problem (RFC 9457) whose type says whether the gateway's own database is away
    // (ADR 018) or another dependency, with every check as an extension member.
    const failing = Object.entries(checks).filter(([, c]) => !c.ok).map(([name]) => name);
    res.status(503).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify({
      type: database ? PROBLEM_TYPES.peerUnavailable : PROBLEM_TYPES.serviceUnavailable,
      title: 'Service unavailable',
      status: 503,
      detail: `Unreachable: ${failing.join(', ')}.`,
      ...extra,
    }));
  }
}
