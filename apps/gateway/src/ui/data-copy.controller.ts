import { Body, Controller, Get, Inject, Param, Post, Req, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { pipeline } from 'node:stream/promises';
import { ProblemError } from '@ent/common';
import { GATEWAY_CONFIG, GatewayConfig } from '../config';
import { DataCopyService } from '../copy/data-copy.service';
import { ConnectorClient } from '../connector/connector.client';
import { requestedRange } from '../infra/http-range';
import { TrackedPage } from '../infra/dnma-page.interceptor';
import { dataCopyHome, dataCopyStatus } from './data-copy.page';
import { setHtmlHeaders, UiErrorFilter } from './ui.controller';
import { admittedUser, checkCsrf, pageContext } from './ui-request';

/**
 * « Télécharger une copie de mes données » (RGPD art. 20, ADR 017): she asks, a job builds the
 * archive into S3, the page says it is being prepared, then offers the download — resumable
 * (Range / If-Range on a strong ETag), to her only.
 */
@ApiExcludeController()
@Controller('mes-donnees')
@UseFilters(UiErrorFilter)
export class DataCopyController {
  constructor(
    private readonly copies: DataCopyService,
    private readonly connector: ConnectorClient,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  @Get()
  @TrackedPage('data-copy')
  async home(@Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<string> {
    const user = admittedUser(req, this.config);
    const [contents, copies] = await Promise.all([this.connector.listContents(user.identity), this.copies.list(user)]);
    setHtmlHeaders(res, this.config.embedding);
    return dataCopyHome(pageContext(req, this.config), contents, copies, this.config.dataCopy.retentionSeconds);
  }

  @Post('copies')
  async request(@Req() req: Request, @Res() res: Response, @Body() body: Record<string, unknown>): Promise<void> {
    const user = admittedUser(req, this.config);
    checkCsrf(req, body);
    const picked = (Array.isArray(body.itemIds) ? body.itemIds : body.itemIds === undefined ? [] : [body.itemIds]).filter((v): v is string => typeof v === 'string');
    try {
      const copy = await this.copies.request(user, body.scope === 'selection' ? picked : null);
      req.session.flash = { kind: 'info', text: 'Votre copie est en préparation.' };
      res.redirect(303, `/mes-donnees/copies/${copy.id}`);
    } catch (err) {
      if (!(err instanceof ProblemError) || err.status >= 500) throw err;
      req.session.flash = { kind: 'error', text: err.detail ?? err.title };
      res.redirect(303, '/mes-donnees');
    }
  }

  @Get('copies/:id')
  @TrackedPage('data-copy-status')
  async status(@Req() req: Request, @Res({ passthrough: true }) res: Response, @Param('id') id: string): Promise<string> {
    const user = admittedUser(req, this.config);
    const copy = await this.copies.owned(user, id);
    setHtmlHeaders(res, this.config.embedding);
    return dataCopyStatus(pageContext(req, this.config), copy);
  }

  /** The archive, whole or from where an interrupted download stopped (RFC 9110 §14). */
  @Get('copies/:id/archive')
  async archive(@Req() req: Request, @Res() res: Response, @Param('id') id: string): Promise<void> {
    const user = admittedUser(req, this.config);
    const { row, size, etag, open } = await this.copies.archive(user, id);
    const day = new Date(row.created_at).toISOString().slice(0, 10);
    res.setHeader('Content-Type', 'application/zip');
    res.setHeader('Content-Disposition', `attachment; filename="copie-de-mes-donnees-${day}.zip"`);
    res.setHeader('Accept-Ranges', 'bytes');
    res.setHeader('ETag', etag);
    res.setHeader('Cache-Control', 'private, no-cache');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    const range = requestedRange({ range: req.headers.range, ifRange: req.get('if-range') }, etag, size);
    if (range.kind === 'unsatisfiable') {
      res.status(416).setHeader('Content-Range', `bytes */${size}`);
      res.end();
      return;
    }
    const partial = range.kind === 'partial' ? range : undefined;
    if (partial) {
      res.status(206).setHeader('Content-Range', `bytes ${partial.start}-${partial.end}/${size}`);
    }
    res.setHeader('Content-Length', String(partial ? partial.end - partial.start + 1 : size));
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const stream = await open(partial);
    // A client that goes away (the interruption a resume is for) just ends the read.
    await pipeline(stream, res).catch(() => undefined);
  }
}
