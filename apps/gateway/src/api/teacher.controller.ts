import { Body, Controller, Delete, Get, Headers, HttpCode, Inject, Param, Post, Res, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsString, Matches } from 'class-validator';
import type { Response } from 'express';
import { ITEM_ID_PATTERN, OFFER_LIMITS, PROBLEM_TYPES, UAI_PATTERN } from '@ent/contract';
import { ProblemError } from '@ent/common';
import { extensionFor, safeFileName } from '../copy/archive-layout';
import { GATEWAY_CONFIG, GatewayConfig } from '../config';
import { analysisFr } from '../ui/progress.fr';
import { TeacherProfileGuard } from '../identity/teacher-profile.guard';
import { CurrentLogin, CurrentUser, LoginGrant, SessionUser } from '../identity/session-user';
import { TrackedPage } from '../infra/dnma-page.interceptor';
import { ArrivalService } from '../transfers/arrival.service';
import { DepartureService } from '../transfers/departure.service';

export class CreateTransferRequest {
  @Matches(UAI_PATTERN, { message: "Le code UAI de l'établissement d'arrivée doit compter 7 chiffres suivis d'une lettre majuscule (ex. 0690002B)." })
  arrivalUai: string;

  @IsArray({ message: 'Choisissez au moins un contenu à transférer.' })
  @ArrayMinSize(1, { message: 'Choisissez au moins un contenu à transférer.' })
  @ArrayMaxSize(OFFER_LIMITS.maxItems, { message: `Un transfert compte au plus ${OFFER_LIMITS.maxItems} contenus.` })
  @IsString({ each: true })
  @Matches(ITEM_ID_PATTERN, { each: true, message: 'Identifiant de contenu invalide.' })
  itemIds: string[];
}

export class DropItemsRequest {
  @IsArray({ message: 'Choisissez au moins un contenu à retirer.' })
  @ArrayMinSize(1, { message: 'Choisissez au moins un contenu à retirer.' })
  @ArrayMaxSize(OFFER_LIMITS.maxItems)
  @IsString({ each: true })
  @Matches(ITEM_ID_PATTERN, { each: true, message: 'Identifiant de contenu invalide.' })
  itemIds: string[];
}

/** No path characters, no controls, no bidi overrides (a "gpj.exe" trick), no quotes; the format's extension. */
function downloadName(title: string, format: string | null, mediaType: string | null): string {
  return safeFileName(title) + extensionFor(format ?? '', mediaType ?? undefined);
}

/**
 * The delivery index comes from another organisation's system and is served as it came (finding 5):
 * sandboxed, it runs in an opaque origin, so it can neither run a script, submit a form, navigate
 * (meta refresh included), be framed, nor read or use anything of the gateway's origin; its own
 * styles and inline images still show.
 */
export const DELIVERED_INDEX_HEADERS = {
  'Content-Security-Policy': "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
} as const;

/** The JSON API behind the teacher transfer UI (session-authenticated; messages in French). */
@ApiExcludeController()
@Controller('api')
@UseGuards(TeacherProfileGuard)
export class TeacherController {
  constructor(
    private readonly departure: DepartureService,
    private readonly arrival: ArrivalService,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  @Get('contents')
  @TrackedPage('contents')
  async contents(@CurrentUser() user: SessionUser) {
    return { items: await this.departure.listContents(user) };
  }

  /**
   * ADR 016: an `Idempotency-Key` header makes the creation safe to retry: the same key with the
   * same body answers the transfer the first request created; with another body, 422.
   */
  @Post('transfers')
  @TrackedPage('transfer-new')
  @HttpCode(201)
  create(@CurrentUser() user: SessionUser, @Body() body: CreateTransferRequest, @Headers('idempotency-key') key: string | undefined) {
    return this.departure.createDraft(user, body.arrivalUai, body.itemIds, key === undefined ? undefined : { key, scope: 'api:create' });
  }

  /** Takes items out before the transfer starts (ADR 016); the arrival's answer is filtered, not asked again. */
  @Post('transfers/:id/drop')
  @HttpCode(200)
  drop(@CurrentUser() user: SessionUser, @Param('id') id: string, @Body() body: DropItemsRequest) {
    return this.departure.dropItems(user, id, body.itemIds);
  }

  /** Deletes a transfer that has not started (ADR 016); deleting it again is a success. */
  @Delete('transfers/:id')
  @HttpCode(204)
  async remove(@CurrentUser() user: SessionUser, @Param('id') id: string): Promise<void> {
    await this.departure.deleteDraft(user, id);
  }

  @Get('transfers')
  async list(@CurrentUser() user: SessionUser) {
    return { items: await this.departure.list(user) };
  }

  @Get('transfers/:id')
  @TrackedPage('transfer-status')
  get(@CurrentUser() user: SessionUser, @Param('id') id: string) {
    return this.departure.view(user, id);
  }

  /**
   * Asks the arrival ENT what it will accept (§8.3 flows 2-3), as a job (ADR 016): 200 with the
   * answer when the arrival gives it at once; 202 with `analysis` (ASKING, or RETRYING by itself
   * while the arrival is unreachable) otherwise, to be followed on GET transfers/:id; 502 when the
   * arrival refused for good.
   */
  @Post('transfers/:id/analysis')
  @TrackedPage('transfer-analysis')
  async analyse(@CurrentUser() user: SessionUser, @CurrentLogin() login: LoginGrant | undefined, @Param('id') id: string, @Res({ passthrough: true }) res: Response) {
    await this.departure.requestAnalysis(user, id, login);
    const view = await this.departure.analysisOutcome(user, id, this.config.limits.peerTimeoutMs + 5_000);
    if (view.analysis?.state === 'FAILED') {
      throw new ProblemError(502, PROBLEM_TYPES.peerUnavailable, "L'ENT d'arrivée n'a pas répondu", analysisFr(view.analysis, view.arrivalEntId));
    }
    res.status(view.state === 'OFFERED' ? 202 : 200);
    if (view.state === 'OFFERED') res.setHeader('Location', `/api/transfers/${id}`);
    return view;
  }

  @Post('transfers/:id/start')
  @HttpCode(202)
  start(@CurrentUser() user: SessionUser, @Param('id') id: string) {
    return this.departure.start(user, id);
  }

  /** After the arrival ENT refused the delivery for lack of space (the transfer paused). */
  @Post('transfers/:id/resume')
  @HttpCode(202)
  resumeDelivery(@CurrentUser() user: SessionUser, @Param('id') id: string) {
    return this.departure.resume(user, id);
  }

  /** RGPD: she cancels until the delivery; nothing of it is left on either side. */
  @Post('transfers/:id/cancel')
  @HttpCode(200)
  cancel(@CurrentUser() user: SessionUser, @Param('id') id: string) {
    return this.departure.cancel(user, id);
  }

  /** The signed documents, for the teacher or an auditor. */
  @Get('transfers/:id/proof')
  proof(@CurrentUser() user: SessionUser, @Param('id') id: string) {
    return this.departure.receiptOf(user, id);
  }

  @Get('received')
  @TrackedPage('received')
  async received(@CurrentUser() user: SessionUser) {
    return { items: await this.arrival.list(user) };
  }

  @Get('received/:id')
  receivedOne(@CurrentUser() user: SessionUser, @Param('id') id: string) {
    return this.arrival.view(user, id);
  }

  /** After freeing space in the arrival ENT (the import paused on "destination full"). */
  @Post('received/:id/resume')
  @HttpCode(202)
  resume(@CurrentUser() user: SessionUser, @Param('id') id: string) {
    return this.arrival.resume(user, id);
  }

  /**
   * ADR 010: contents that came without a proof that their owner asked wait for her decision
   * (state AWAITING_ACCEPTANCE): accepting imports them now, refusing deletes the copies.
   */
  @Post('received/:id/accept')
  @HttpCode(200)
  accept(@CurrentUser() user: SessionUser, @Param('id') id: string) {
    return this.arrival.accept(user, id);
  }

  @Post('received/:id/refuse')
  @HttpCode(200)
  refuse(@CurrentUser() user: SessionUser, @Param('id') id: string) {
    return this.arrival.refuse(user, id);
  }

  /** RGPD: she erases what she received (our copies and what the database knew of the items). */
  @Post('received/:id/erase')
  @HttpCode(200)
  erase(@CurrentUser() user: SessionUser, @Param('id') id: string) {
    return this.arrival.erase(user, id);
  }

  /** The delivery index: index.html (a page), index.jsonld (schema.org), index.scolomfr.xml. */
  @Get('received/:id/index/:name')
  async index(@CurrentUser() user: SessionUser, @Param('id') id: string, @Param('name') name: string, @Res() res: Response) {
    const { stream, mediaType } = await this.arrival.indexFile(user, id, name);
    res.setHeader('Content-Type', mediaType);
    for (const [header, value] of Object.entries(DELIVERED_INDEX_HEADERS)) res.setHeader(header, value);
    stream.on('error', () => res.destroy());
    stream.pipe(res);
  }

  @Get('received/:id/items/:itemId/download')
  @TrackedPage('received-download')
  async download(@CurrentUser() user: SessionUser, @Param('id') id: string, @Param('itemId') itemId: string, @Res() res: Response) {
    const { stream, item } = await this.arrival.download(user, id, itemId);
    const name = downloadName(item.title, item.source_format, item.media_type);
    res.setHeader('Content-Type', item.media_type ?? 'application/octet-stream');
    if (item.size_bytes !== null) res.setHeader('Content-Length', String(item.size_bytes));
    res.setHeader('Content-Disposition', `attachment; filename="${name.replace(/[^\x20-\x7e]/g, '_').replace(/"/g, '')}"; filename*=UTF-8''${encodeURIComponent(name)}`);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    if (item.sha256) res.setHeader('Digest', `sha-256=${Buffer.from(item.sha256, 'hex').toString('base64')}`);
    stream.on('error', () => res.destroy());
    stream.pipe(res);
  }
}
