import { randomUUID } from 'node:crypto';
/**
 * HTML built from tagged templates: every interpolated value is escaped unless
 * it is itself `Html` (the result of `html`…`` or `raw()`). Titles, reasons
 * and file names come from other organisations' systems; nothing of theirs
 * reaches a page unescaped.
 */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]);
}

type Part = Html | string | number | boolean | null | undefined | readonly Part[];

function render(part: Part): string {
  if (part === null || part === undefined || part === false || part === true) return '';
  if (part instanceof Html) return part.value;
  if (Array.isArray(part)) return part.map(render).join('');
  return escapeHtml(String(part));
}

export function html(strings: TemplateStringsArray, ...values: Part[]): Html {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1];
  return new Html(out);
}

/** For markup this code wrote itself; never for data. */
export function raw(markup: string): Html {
  return new Html(markup);
}

/** The service's name, in the header and at the end of every page title. */
export const SERVICE_NAME = 'Transfert de mes contenus';

/** Where the gateway serves the State design system from its installed package (ADR 015): never a CDN. */
export const DSFR_PATH = '/assets/dsfr';
/** The UI's own few rules on top of DSFR (ui-assets.ts), a file so that the CSP needs no inline style. */
export const UI_CSS_PATH = '/assets/ui/ui.css';

export interface PageUser {
  displayName: string;
  uais: string[];
}

export interface PageContext {
  entId: string;
  user?: PageUser;
  csrf?: string;
  /** One-shot message after an action (success or French error). */
  flash?: { kind: 'info' | 'error'; text: string };
  /** « Retour à mon ENT » (ENT_RETURN_URL, or an allowed `?retour=`): leaves the frame for the ENT. */
  entReturnUrl?: string;
  /** Names and towns of the schools the page mentions, by UAI (SchoolDirectory); a UAI not here is shown as such. */
  schools?: Record<string, { uai: string; name?: string; town?: string; portalUrl?: string }>;
}

/** One step of a journey: « Étape 2 sur 4 : Réponse de l’établissement d’arrivée ». */
export interface JourneyStep {
  index: number;
  count: number;
  title: string;
  /** The next step's title, said under the stepper; none on the last step. */
  next?: string;
}

export interface PageOptions {
  /** The page's `<h1>`; also the first part of the document title. */
  title: string;
  step?: JourneyStep;
  /** A form on the page has errors: the document title starts with « Erreur : » (RGAA 8.5/8.6). */
  hasErrors?: boolean;
  body: Html;
  /** Scripts of this origin that enhance the page (progressive enhancement: the page works without them). */
  scripts?: string[];
}

/** The document title: « Erreur : Étape 2 sur 4 — Réponse de l’établissement d’arrivée — Transfert de mes contenus ». */
export function documentTitle(options: Pick<PageOptions, 'title' | 'step' | 'hasErrors'>): string {
  const parts = options.step
    ? [`Étape ${options.step.index} sur ${options.step.count}`, options.step.title, ...(options.step.title === options.title ? [] : [options.title])]
    : [options.title];
  return `${options.hasErrors ? 'Erreur : ' : ''}${[...parts, SERVICE_NAME].join(' — ')}`;
}

/** `fr-stepper`: where she is in the journey, said as text (« Étape 2 sur 4 ») and drawn by DSFR. */
export function stepper(step: JourneyStep): Html {
  return html`<div class="fr-stepper">
<h2 class="fr-stepper__title">${step.title}<span class="fr-stepper__state">Étape ${step.index} sur ${step.count}</span></h2>
<div class="fr-stepper__steps" data-fr-current-step="${step.index}" data-fr-steps="${step.count}"></div>
${step.next ? html`<p class="fr-stepper__details"><span class="fr-text--bold">Étape suivante :</span> ${step.next}</p>` : html``}
</div>`;
}

/** `fr-alert`: a message; errors are announced at once (role=alert), the rest politely (role=status). */
export function alert(kind: 'info' | 'success' | 'warning' | 'error', body: Html | string, options: { title?: string; id?: string } = {}): Html {
  return html`<div class="fr-alert fr-alert--${kind} fr-alert--sm fr-mb-3w"${options.id ? html` id="${options.id}"` : html``} role="${kind === 'error' ? 'alert' : 'status'}">
${options.title ? html`<h3 class="fr-alert__title">${options.title}</h3>` : html``}<p>${body}</p></div>`;
}

/** A form posting to this origin with the anti-CSRF token; `kind` picks the DSFR button style. */
export function postButton(ctx: PageContext, action: string, text: string, kind: 'primary' | 'secondary' | 'tertiary' = 'primary', id?: string): Html {
  const cls = kind === 'primary' ? 'fr-btn' : `fr-btn fr-btn--${kind}`;
  // _once: this rendered form's one-time key (ADR 016): a double click acts once.
  return html`<form method="post" action="${action}" class="fr-my-2w"><input type="hidden" name="_csrf" value="${ctx.csrf ?? ''}"><input type="hidden" name="_once" value="${randomUUID()}"><button type="submit" class="${cls}"${id ? html` id="${id}"` : html``}>${text}</button></form>`;
}

/**
 * « Actualiser »: a page whose transfer still moves never reloads itself (RGAA 13.1); without script
 * she reloads it with this link, and the live script (progression) updates the page in place.
 */
export function refreshLink(pageUrl: string): Html {
  return html`<p class="fr-my-2w" id="actualiser"><a class="fr-btn fr-btn--secondary fr-icon-refresh-line fr-btn--icon-left" href="${pageUrl}">Actualiser</a></p>`;
}

function headerTools(ctx: PageContext): Html {
  const items: Html[] = [];
  if (ctx.user) items.push(html`<li><span class="fr-btn fr-btn--tertiary-no-outline fr-icon-account-circle-line fr-btn--icon-left ui-identity">${ctx.user.displayName}</span></li>`);
  if (ctx.entReturnUrl) items.push(html`<li><a class="fr-btn fr-icon-arrow-go-back-line fr-btn--icon-left" href="${ctx.entReturnUrl}" target="_top">Retour à mon ENT</a></li>`);
  if (ctx.user) {
    items.push(html`<li><form method="post" action="/deconnexion"><input type="hidden" name="_csrf" value="${ctx.csrf ?? ''}"><button type="submit" class="fr-btn fr-icon-logout-box-r-line fr-btn--icon-left">Se déconnecter</button></form></li>`);
  }
  if (!items.length) return html``;
  return html`<div class="fr-header__tools"><div class="fr-header__tools-links"><ul class="fr-btns-group">${items}</ul></div></div>`;
}

/**
 * The one page shell of every teacher page (ADR 015): DSFR header with the Marianne block and the
 * service name, skip links, `<main id="contenu">`, footer, `lang="fr"`, and a title that says the step
 * and « Erreur : » when a form came back with errors. Nothing inline: the CSP allows this origin only.
 */
export function layout(ctx: PageContext, options: PageOptions): string {
  const flash = ctx.flash ? alert(ctx.flash.kind === 'error' ? 'error' : 'success', ctx.flash.text, { id: 'message' }) : html``;
  const scripts = (options.scripts ?? []).map((src) => html`<script src="${src}" defer></script>`);
  return html`<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${documentTitle(options)}</title>
<link rel="stylesheet" href="${DSFR_PATH}/dsfr.min.css">
<link rel="stylesheet" href="${UI_CSS_PATH}"><link rel="icon" href="${DSFR_PATH}/favicon/favicon.svg" type="image/svg+xml">${scripts}</head>
<body>
<div class="fr-skiplinks"><nav class="fr-container" aria-label="Accès rapide"><ul class="fr-skiplinks__list">
<li><a class="fr-link" href="#contenu">Contenu</a></li><li><a class="fr-link" href="#pied-de-page">Pied de page</a></li></ul></nav></div>
<header class="fr-header"><div class="fr-header__body"><div class="fr-container"><div class="fr-header__body-row">
<div class="fr-header__brand fr-enlarge-link"><div class="fr-header__brand-top"><div class="fr-header__logo"><p class="fr-logo">République<br>Française</p></div></div>
<div class="fr-header__service"><a href="/" title="Accueil — ${SERVICE_NAME}"><p class="fr-header__service-title">${SERVICE_NAME}</p></a>
<p class="fr-header__service-tagline">Emporter ses contenus d’un ENT à l’autre</p></div></div>
${headerTools(ctx)}</div></div></div></header>
<main id="contenu" tabindex="-1" class="fr-container fr-py-4w">
<h1>${options.title}</h1>${options.step ? stepper(options.step) : html``}${flash}${options.body}
</main>
<footer class="fr-footer" id="pied-de-page"><div class="fr-container"><div class="fr-footer__body">
<div class="fr-footer__brand fr-enlarge-link"><a href="/" title="Retour à l’accueil — ${SERVICE_NAME}"><p class="fr-logo">République<br>Française</p></a></div>
<div class="fr-footer__content"><p class="fr-footer__content-desc">${SERVICE_NAME} : le service de portabilité de votre ENT transfère vos contenus vers l’ENT de votre nouvel établissement (§8.3 du cadre d’interopérabilité des ENT).</p></div>
</div></div></footer>
</body></html>`.value;
}
