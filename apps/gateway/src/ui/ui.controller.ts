import {
  ArgumentsHost, Body, Catch, Controller, ExceptionFilter, Get, HttpException, Inject, Injectable, Logger, Param, Post, Req, Res, UseFilters,
} from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import type { Request, Response } from 'express';
import { PROBLEM_TYPES } from '@ent/contract';
import { ProblemError } from '@ent/common';
import { CreateTransferRequest } from '../api/teacher.controller';
import { GATEWAY_CONFIG, GatewayConfig } from '../config';
import { mayUseService, refusalDetail } from '../identity/access-policy';
import type { SessionUser } from '../identity/session-user';
import { TrackedPage } from '../infra/dnma-page.interceptor';
import { normaliseUai, SchoolDirectory } from '../peers/school-directory';
import { ArrivalService } from '../transfers/arrival.service';
import { DepartureService } from '../transfers/departure.service';
import type { TransferView } from '../transfers/views';
import * as pages from './pages';
import * as control from './control.page';
import { Submissions } from '../transfers/submissions';
import { RETENTION_FR } from './labels.fr';
import { frameHeaders } from './embedding';
import { admittedUser, checkCsrf, entReturnFor, pageContext } from './ui-request';
import { databaseUnavailableProblem, DATABASE_UNAVAILABLE_TITLE_FR } from '../infra/database-errors';

declare module 'express-session' {
  interface SessionData {
    /** Anti-CSRF token of the UI's forms (synchroniser token, on top of SameSite=Lax). */
    csrf?: string;
    /** « Retour à mon ENT »: a `?retour=` the ENT gave, already checked against the allowed origins. */
    entReturn?: string;
    /** One-shot message shown on the next page. */
    flash?: { kind: 'info' | 'error'; text: string };
  }
}

const HTML = 'text/html; charset=utf-8';
// ADR 015: styles, fonts, icons and scripts from this origin only (DSFR is served by the gateway, no
// inline style or script); `data:` images for the few icons DSFR's stylesheet inlines; the live
// progress script reads this origin only; forms post only to this origin; framed only by this origin
// and the ENT origins listed in UI_FRAME_ANCESTORS (embedding.ts).
export const UI_CSP = "default-src 'none'; style-src 'self'; font-src 'self'; img-src 'self' data:; script-src 'self'; connect-src 'self'; " +
  "form-action 'self'; base-uri 'none'";

/** Longest search or field text read from the form; the rest is ignored. */
const MAX_QUERY = 200;

export function setHtmlHeaders(res: Response, embedding: GatewayConfig['embedding']): void {
  const framing = frameHeaders(embedding.frameAncestors);
  res.setHeader('Content-Type', HTML);
  res.setHeader('Content-Security-Policy', `${UI_CSP}; ${framing.frameAncestors}`);
  if (framing.xFrameOptions) res.setHeader('X-Frame-Options', framing.xFrameOptions);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Cache-Control', 'no-store');
}

/** Renders every error of the UI as a French page (never problem+json); 401 goes back to the home page. */
@Catch()
@Injectable()
export class UiErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('UiErrorFilter');
  constructor(@Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig) {}

  catch(err: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const req = host.switchToHttp().getRequest<Request>();
    err = databaseUnavailableProblem(err) ?? err;
    let status = 500;
    let title = 'Erreur inattendue';
    let detail = "Une erreur inattendue s'est produite. Réessayez ; si elle persiste, signalez-la à l'administrateur de l'ENT.";
    if (err instanceof ProblemError) {
      ({ status, title } = err);
      if (err.type === PROBLEM_TYPES.serviceUnavailable) title = DATABASE_UNAVAILABLE_TITLE_FR;
      detail = err.detail ?? err.title;
    } else if (err instanceof HttpException && err.getStatus() < 500) {
      status = err.getStatus();
      title = status === 404 ? 'Page introuvable' : 'Requête refusée';
      detail = status === 404 ? "Cette page n'existe pas." : "La requête n'a pas pu être traitée.";
    } else {
      this.logger.error({ err, requestId: req.headers['x-request-id'] }, 'UI page failed');
    }
    if (status === 401) {
      res.redirect(303, '/');
      return;
    }
    setHtmlHeaders(res, this.config.embedding);
    const user = req.session?.user;
    const entReturnUrl = req.session?.entReturn ?? this.config.embedding.returnUrl;
    res.status(status).send(pages.errorPage({ entId: this.config.entId, user, csrf: req.session?.csrf, entReturnUrl }, title, detail));
  }
}

/**
 * The teacher transfer UI (§8.3 "IHM"): pick contents and the arrival school,
 * read the arrival's answer, confirm, follow, resume after a pause; at the
 * arrival, follow the import and download what could not be imported.
 * Everything the teacher reads is French; everything goes through the same
 * services as the JSON API.
 */
@ApiExcludeController()
@Controller()
@UseFilters(UiErrorFilter)
export class UiController {
  constructor(
    private readonly departure: DepartureService,
    private readonly arrival: ArrivalService,
    private readonly submissions: Submissions,
    private readonly schools: SchoolDirectory,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  @Get()
  @TrackedPage('home')
  async home(@Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<string> {
    setHtmlHeaders(res, this.config.embedding);
    const user = req.session?.user;
    if (!user) return pages.homeAnonymous({ entId: this.config.entId, entReturnUrl: this.entReturn(req) });
    const ctx = this.context(req);
    // The page login lands on: it explains (200); the pages behind it answer 403.
    if (!mayUseService(user, this.config.access)) return pages.homeRefused(ctx, refusalDetail(user));
    const [sent, received] = await Promise.all([this.departure.summaries(user), this.arrival.summaries(user)]);
    const schools = await this.schools.describe([...sent.map((t) => t.arrivalUai), ...received.map((t) => t.departureUai)]);
    return pages.home({ ...ctx, schools }, sent, received);
  }

  /** Step 1; `?recherche=` runs the school search as the form's « Rechercher » does (a link works too). */
  @Get('transferts/nouveau')
  @TrackedPage('transfer-new')
  async newTransfer(@Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<string> {
    const user = this.admitted(req);
    setHtmlHeaders(res, this.config.embedding);
    const recherche = typeof req.query?.recherche === 'string' ? req.query.recherche.slice(0, MAX_QUERY) : '';
    const form: pages.NewTransferForm = { recherche, arrivalUai: '', itemIds: [], errors: [] };
    if (recherche.trim()) await this.searchInto(form);
    return pages.newTransfer(this.context(req), await this.departure.listContents(user), form);
  }

  /**
   * Step 1's form. « Rechercher » and « Tout sélectionner » come back to the form (nothing created);
   * « Demander l’analyse » creates the draft and asks the arrival ENT at once (flows 2-3), the answer
   * then being on the status page. Every refusal comes back as French messages tied to their field.
   */
  @Post('transferts')
  async createTransfer(@Req() req: Request, @Res() res: Response, @Body() body: Record<string, unknown>): Promise<void> {
    const user = this.admitted(req);
    this.checkCsrf(req, body);
    const text = (v: unknown) => (typeof v === 'string' ? v.slice(0, MAX_QUERY) : '');
    const intent = text(body.intent) || 'analyse';
    const form: pages.NewTransferForm = {
      recherche: text(body.recherche),
      arrivalUai: normaliseUai(text(body.arrivalUai)) ?? '',
      itemIds: (Array.isArray(body.itemIds) ? body.itemIds : body.itemIds === undefined ? [] : [body.itemIds]).filter((v): v is string => typeof v === 'string'),
      errors: [],
    };
    const contents = () => this.departure.listContents(user);
    const again = async (status: number) => {
      setHtmlHeaders(res, this.config.embedding);
      res.status(status).send(pages.newTransfer(this.context(req), await contents(), form));
    };
    if (intent === 'tout' || intent === 'aucun') {
      form.itemIds = intent === 'tout' ? (await contents()).map((c) => c.id) : [];
      if (form.recherche.trim()) await this.searchInto(form);
      return again(200);
    }
    if (intent === 'recherche') {
      if (!form.recherche.trim()) form.errors.push({ field: 'recherche', message: 'Indiquez le nom, la ville ou le code UAI de votre nouvel établissement.' });
      else await this.searchInto(form);
      return again(form.errors.length ? 400 : 200);
    }
    // « Demander l'analyse »: the school picked among the results, or a UAI typed in the search field.
    const typedUai = normaliseUai(form.recherche);
    const arrivalUai = form.arrivalUai || typedUai || '';
    if (!arrivalUai) {
      if (form.recherche.trim()) {
        await this.searchInto(form);
        if (form.results?.length) form.errors.push({ field: 'arrivalUai', message: 'Choisissez votre nouvel établissement parmi les résultats.' });
      } else {
        form.errors.push({ field: 'recherche', message: 'Indiquez votre nouvel établissement : son nom, sa ville ou son code UAI.' });
      }
    }
    const dto = plainToInstance(CreateTransferRequest, { arrivalUai: arrivalUai || '0000000A', itemIds: form.itemIds });
    for (const e of await validate(dto)) {
      const field = e.property === 'itemIds' ? 'itemIds' : 'recherche';
      for (const message of new Set(Object.values(e.constraints ?? {}))) form.errors.push({ field, message });
    }
    let draftId: string | undefined;
    let status = 400;
    if (!form.errors.length) {
      try {
        // ADR 016: the form's one-time key: a double click creates one transfer, and lands on it.
        const once = typeof body._once === 'string' && body._once ? { key: body._once, scope: 'ui:create' } : undefined;
        draftId = (await this.departure.createDraft(user, arrivalUai, form.itemIds, once)).id;
      } catch (err) {
        if (!(err instanceof ProblemError) || err.status >= 500) throw err;
        const field = err.type === PROBLEM_TYPES.unknownArrival ? 'recherche' : err.status === 404 || err.type === PROBLEM_TYPES.validation ? 'itemIds' : 'general';
        form.errors.push({ field, message: err.detail ?? err.title });
        status = err.status;
      }
    }
    if (!draftId) {
      if (!form.recherche && arrivalUai) form.recherche = arrivalUai;
      return again(status);
    }
    // ADR 016: the arrival is asked by a job; the page says so at once and shows the answer when it comes.
    await this.act(req, () => this.departure.requestAnalysis(user, draftId!, req.session.login));
    res.redirect(303, `/transferts/${draftId}`);
  }

  @Get('transferts/:id')
  @TrackedPage('transfer-status')
  async departureStatus(@Req() req: Request, @Res({ passthrough: true }) res: Response, @Param('id') id: string): Promise<string> {
    const user = this.admitted(req);
    const view = await this.departure.view(user, id, false);
    setHtmlHeaders(res, this.config.embedding);
    return pages.departureStatus({ ...this.context(req), schools: await this.schools.describe([view.arrivalUai]) }, view);
  }

  @Post('transferts/:id/analyse')
  analyse(@Req() req: Request, @Res() res: Response, @Param('id') id: string, @Body() body: Record<string, unknown>): Promise<void> {
    return this.departureAction(req, res, body, id, (user) => this.departure.requestAnalysis(user, id, req.session.login));
  }

  @Post('transferts/:id/envoi')
  start(@Req() req: Request, @Res() res: Response, @Param('id') id: string, @Body() body: Record<string, unknown>): Promise<void> {
    return this.departureAction(req, res, body, id, (user) => this.departure.start(user, id), "Envoi lancé. Suivez son avancement ci-dessous.");
  }

  @Post('transferts/:id/reprise')
  resumeDelivery(@Req() req: Request, @Res() res: Response, @Param('id') id: string, @Body() body: Record<string, unknown>): Promise<void> {
    return this.departureAction(req, res, body, id, (user) => this.departure.resume(user, id), 'Envoi relancé.');
  }

  /** ADR 016: cancelling asks first. */
  @Get('transferts/:id/annulation')
  @TrackedPage('transfer-cancel')
  confirmCancel(@Req() req: Request, @Res({ passthrough: true }) res: Response, @Param('id') id: string): Promise<string> {
    return this.confirmation(req, res, id, control.confirmCancel);
  }

  @Get('transferts/:id/suppression')
  @TrackedPage('transfer-delete')
  confirmDelete(@Req() req: Request, @Res({ passthrough: true }) res: Response, @Param('id') id: string): Promise<string> {
    return this.confirmation(req, res, id, control.confirmDelete);
  }

  /** A confirmation page about one of her departure transfers (404 for anybody else). */
  private async confirmation(req: Request, res: Response, id: string, render: (ctx: pages.PageContext, t: TransferView) => string): Promise<string> {
    const view = await this.departure.view(this.admitted(req), id, false);
    setHtmlHeaders(res, this.config.embedding);
    return render(this.context(req), view);
  }

  /** Deletes a transfer she has not started; back to her list. */
  @Post('transferts/:id/suppression')
  async deleteDraft(@Req() req: Request, @Res() res: Response, @Param('id') id: string, @Body() body: Record<string, unknown>): Promise<void> {
    const user = this.admitted(req);
    this.checkCsrf(req, body);
    let failed = false;
    await this.once(req, body, user, async () => {
      try {
        await this.departure.deleteDraft(user, id);
        req.session.flash = { kind: 'info', text: 'Brouillon supprimé : rien n’a été envoyé.' };
      } catch (err) {
        if (!(err instanceof ProblemError) || err.status === 500) throw err;
        req.session.flash = { kind: 'error', text: err.detail ?? err.title };
        failed = true;
      }
    });
    res.redirect(303, failed ? `/transferts/${id}` : '/');
  }

  /** Takes items out of a transfer she has not started (ADR 016). */
  @Post('transferts/:id/retrait')
  drop(@Req() req: Request, @Res() res: Response, @Param('id') id: string, @Body() body: Record<string, unknown>): Promise<void> {
    const itemIds = (Array.isArray(body.itemIds) ? body.itemIds : [body.itemIds]).filter((v): v is string => typeof v === 'string').slice(0, 500);
    return this.departureAction(req, res, body, id, (user) => this.departure.dropItems(user, id, itemIds), 'Contenu retiré du transfert.');
  }

  @Post('transferts/:id/annulation')
  cancel(@Req() req: Request, @Res() res: Response, @Param('id') id: string, @Body() body: Record<string, unknown>): Promise<void> {
    return this.departureAction(req, res, body, id, (user) => this.departure.cancel(user, id), RETENTION_FR.cancelled);
  }

  @Get('recus/:id')
  @TrackedPage('received')
  async arrivalStatus(@Req() req: Request, @Res({ passthrough: true }) res: Response, @Param('id') id: string): Promise<string> {
    const user = this.admitted(req);
    const view = await this.arrival.view(user, id);
    setHtmlHeaders(res, this.config.embedding);
    return pages.arrivalStatus({ ...this.context(req), schools: await this.schools.describe([view.departureUai]) }, view);
  }

  /** The index of a received transfer as a page of this service (titles, formats, fiches, hashes). */
  @Get('recus/:id/index')
  @TrackedPage('received')
  async receivedIndex(@Req() req: Request, @Res({ passthrough: true }) res: Response, @Param('id') id: string): Promise<string> {
    const user = this.admitted(req);
    const view = await this.arrival.view(user, id);
    setHtmlHeaders(res, this.config.embedding);
    return pages.receivedIndex({ ...this.context(req), schools: await this.schools.describe([view.departureUai]) }, view);
  }

  @Post('recus/:id/reprise')
  resumeImport(@Req() req: Request, @Res() res: Response, @Param('id') id: string, @Body() body: Record<string, unknown>): Promise<void> {
    return this.arrivalAction(req, res, body, id, (user) => this.arrival.resume(user, id), 'Import relancé.');
  }

  /** ADR 010: « Accepter ces contenus » — they came without a proof that she asked. */
  @Post('recus/:id/accepter')
  accept(@Req() req: Request, @Res() res: Response, @Param('id') id: string, @Body() body: Record<string, unknown>): Promise<void> {
    return this.arrivalAction(req, res, body, id, (user) => this.arrival.accept(user, id), 'Contenus acceptés : l’import a commencé.');
  }

  @Post('recus/:id/refuser')
  refuse(@Req() req: Request, @Res() res: Response, @Param('id') id: string, @Body() body: Record<string, unknown>): Promise<void> {
    return this.arrivalAction(req, res, body, id, (user) => this.arrival.refuse(user, id), 'Contenus refusés : rien n’a été importé, les copies reçues sont supprimées.');
  }

  @Post('recus/:id/effacement')
  async erase(@Req() req: Request, @Res() res: Response, @Param('id') id: string, @Body() body: Record<string, unknown>): Promise<void> {
    const user = this.admitted(req);
    this.checkCsrf(req, body);
    await this.arrival.view(user, id);
    await this.act(req, () => this.arrival.erase(user, id), RETENTION_FR.erased);
    res.redirect(303, `/recus/${id}`);
  }

  @Post('deconnexion')
  async logout(@Req() req: Request, @Res() res: Response, @Body() body: Record<string, unknown>): Promise<void> {
    if (req.session?.user) this.checkCsrf(req, body);
    await new Promise<void>((resolve) => req.session.destroy(() => resolve()));
    res.clearCookie(this.config.session.cookieName);
    res.redirect(303, '/');
  }

  /** A form button on a departure transfer: the owner's only (404 for anybody else, before anything runs), then back to its page. */
  private departureAction(
    req: Request, res: Response, body: Record<string, unknown>, id: string, action: (user: SessionUser) => Promise<unknown>, success?: string,
  ): Promise<void> {
    return this.ownerAction(req, res, body, (user) => this.departure.view(user, id, false), action, success, `/transferts/${id}`);
  }

  /** The same on a received transfer. */
  private arrivalAction(
    req: Request, res: Response, body: Record<string, unknown>, id: string, action: (user: SessionUser) => Promise<unknown>, success: string,
  ): Promise<void> {
    return this.ownerAction(req, res, body, (user) => this.arrival.view(user, id), action, success, `/recus/${id}`);
  }

  private async ownerAction(
    req: Request, res: Response, body: Record<string, unknown>, owned: (user: SessionUser) => Promise<unknown>,
    action: (user: SessionUser) => Promise<unknown>, success: string | undefined, back: string,
  ): Promise<void> {
    const user = this.admitted(req);
    this.checkCsrf(req, body);
    await owned(user);
    await this.once(req, body, user, () => this.act(req, () => action(user), success));
    res.redirect(303, back);
  }

  /**
   * ADR 016: a form submitted twice (double click, resent form) acts once; the twin only goes
   * back to the page, which shows what the first one did.
   */
  private async once(req: Request, body: Record<string, unknown>, user: SessionUser, action: () => Promise<void>): Promise<void> {
    const key = typeof body._once === 'string' ? body._once : '';
    if (!key) return action();
    await this.submissions.once({ owner: user.identity, key, scope: `ui:${req.path}`, request: {} }, action);
  }

  /** Runs a teacher action; a refusal (4xx, 502 from the peer) becomes the French message of the next page. */
  private async act(req: Request, action: () => Promise<unknown>, success?: string): Promise<void> {
    try {
      await action();
      if (success) req.session.flash = { kind: 'info', text: success };
    } catch (err) {
      if (!(err instanceof ProblemError) || err.status === 500) throw err;
      req.session.flash = { kind: 'error', text: err.detail ?? err.title };
    }
  }

  private admitted(req: Request): SessionUser {
    return admittedUser(req, this.config);
  }

  private context(req: Request): pages.PageContext {
    return pageContext(req, this.config);
  }

  private entReturn(req: Request): string | undefined {
    return entReturnFor(req, this.config);
  }

  private checkCsrf(req: Request, body: Record<string, unknown>): void {
    checkCsrf(req, body);
  }

  /** The school search (by name, town or UAI) into the form: results, or a French message on the field. */
  private async searchInto(form: pages.NewTransferForm): Promise<void> {
    const results = await this.schools.search(form.recherche);
    form.results = results;
    if (!results.length) {
      const uai = normaliseUai(form.recherche);
      form.errors.push({
        field: 'recherche',
        message: uai
          ? `Aucun ENT partenaire ne sert l'établissement ${uai}. Vérifiez le code UAI ou cherchez l'établissement par son nom ou sa ville.`
          : `Aucun établissement partenaire ne correspond à « ${form.recherche.trim()} ». Essayez son nom, sa ville ou son code UAI (7 chiffres et une lettre).`,
      });
    }
  }
}
