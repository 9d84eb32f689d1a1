import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { createHash, timingSafeEqual } from 'node:crypto';
import { PROBLEM_TYPES } from '@ent/contract';
import { ProblemError } from '@ent/common';
import { GATEWAY_CONFIG, GatewayConfig } from '../config';
import { MetricsCollector } from './metrics.collector';
import { MetricsService } from './metrics.service';

const digest = (v: string) => createHash('sha256').update(v, 'utf8').digest();

/**
 * `GET /metrics` (Prometheus text format), for the operator only: it answers when `METRICS_TOKEN`
 * is set and the scraper presents it as a bearer token (Prometheus `authorization.credentials`).
 * Unset, the route does not exist (404): counts of transfers and peers' errors are not public.
 */
@ApiExcludeController()
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly metrics: MetricsService,
    private readonly collector: MetricsCollector,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  @Get()
  async scrape(@Req() req: Request, @Res() res: Response) {
    const expected = this.config.metricsToken;
    if (!expected) throw new ProblemError(404, PROBLEM_TYPES.notFound, 'Not found', 'No such resource.');
    const match = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
    // Compared as digests: constant time whatever the presented length.
    if (!match || !timingSafeEqual(digest(match[1]), digest(expected))) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="metrics"');
      throw new ProblemError(401, PROBLEM_TYPES.unauthenticated, 'Metrics token required', 'Present METRICS_TOKEN as a bearer token.');
    }
    await this.collector.refresh();
    const body = Buffer.from(await this.metrics.render(), 'utf8');
    // Written as prom-client states it (express would reorder the media type's parameters).
    res.writeHead(200, { 'Content-Type': this.metrics.contentType(), 'Content-Length': body.length, 'Cache-Control': 'no-store' });
    res.end(body);
  }
}
