import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Controller, Get, Inject, Param, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { GATEWAY_CONFIG, GatewayConfig } from '../config';
import { TeacherProfileGuard } from '../identity/teacher-profile.guard';
import type { SessionUser } from '../identity/session-user';
import { ArrivalService } from '../transfers/arrival.service';
import { DepartureService } from '../transfers/departure.service';
import { ProgressionDocument, progressionOf } from './progress.fr';

/** The browser script, compiled from progression.client.ts beside this file; read once. */
let script: Promise<Buffer> | undefined;

/**
 * Live progress for the status pages (ADR 016): a small JSON document per transfer, polled by a
 * script served from this origin (CSP `script-src 'self'`). Session-authenticated, owner only
 * (404 for anybody else), never cached, errors as problem+json; no audience hit (it is not a page).
 */
@ApiExcludeController()
@Controller()
export class ProgressController {
  constructor(
    private readonly departure: DepartureService,
    private readonly arrival: ArrivalService,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  @Get('transferts/:id/progression')
  async departureProgress(@Req() req: Request, @Res({ passthrough: true }) res: Response, @Param('id') id: string): Promise<ProgressionDocument> {
    return progressionOf(await this.departure.view(this.admitted(req, res), id, false));
  }

  @Get('recus/:id/progression')
  async arrivalProgress(@Req() req: Request, @Res({ passthrough: true }) res: Response, @Param('id') id: string): Promise<ProgressionDocument> {
    return progressionOf(await this.arrival.view(this.admitted(req, res), id));
  }

  /** `no-store` first, so that refusals (401, 403, 404 as problem+json) are never cached either. */
  private admitted(req: Request, res: Response): SessionUser {
    res.setHeader('Cache-Control', 'no-store');
    new TeacherProfileGuard(this.config).check(req.session?.user);
    return req.session!.user!;
  }

  @Get('assets/progression.js')
  async script(@Res() res: Response): Promise<void> {
    script ??= readFile(join(__dirname, 'progression.client.js'));
    const body = await script.catch((err) => {
      script = undefined;
      throw err;
    });
    res.setHeader('Content-Type', 'text/javascript; charset=utf-8');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Cache-Control', 'public, max-age=300');
    res.send(body);
  }
}
