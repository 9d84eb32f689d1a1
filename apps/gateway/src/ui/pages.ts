import type { ConnectorContent } from '@ent/contract';
import type { ItemView, TransferSummary, TransferView } from '../transfers/views';
import { alert, Html, html, JourneyStep, layout, PageContext, postButton, refreshLink } from './html';
import {
  ARRIVAL_STATE_FR, arrivalSummaryFr, BADGE_KIND, capitalise, CATEGORY_FR, dateFr, dayFr, DECISION_DONE_FR, DECISION_FR, decisionSummaryFr, DEPARTURE_STATE_FR,
  DEPARTURE_STEPS, FAILURE_REASON_FR, formatFr, ITEM_STATE_FR, label, RETENTION_FR, schoolFr, SETTLED_STATES, sizeFr,
} from './labels.fr';
import { controlLinks, dropForm, onceField } from './control.page';
import { PROGRESSION_SCRIPT, progressCells, progressHead } from './progress.page';

/**
 * The teacher transfer UI: server-rendered French pages on the State design system (ADR 015) that
 * work without JavaScript (forms and links only), under a strict CSP, in any ENT's frame or browser.
 */

export type { PageContext, PageUser } from './html';

/** « Étape N sur 4 » of the departure journey (fr-stepper). */
function departureStep(index: number): JourneyStep {
  return { index, count: DEPARTURE_STEPS.length, title: DEPARTURE_STEPS[index - 1], next: DEPARTURE_STEPS[index] };
}

/** Where a departure transfer stands in the journey; none once it stopped (cancelled, expired, failed). */
export function departureStepOf(state: string): number | undefined {
  if (state === 'DRAFT' || state === 'OFFERED' || state === 'ANSWERED') return 2;
  if (state === 'STAGING' || state === 'PAUSED') return 3;
  if (state === 'DELIVERED' || state === 'RECEIPTED' || state === 'CLEANED') return 4;
  return undefined;
}

function school(ctx: PageContext, uai: string): string {
  return schoolFr(ctx.schools?.[uai], uai);
}

/**
 * fr-table: its own horizontal scroll, so a wide table never widens the page at 360 px; the scroll
 * container takes the keyboard focus (RGAA 12.13, axe scrollable-region-focusable) and is named.
 */
export function table(caption: string, head: Html, rows: Html[], id?: string): Html {
  return html`<div class="fr-table fr-table--no-caption fr-table--multiline"${id ? html` id="${id}"` : html``}><div class="fr-table__wrapper">
<div class="fr-table__container" tabindex="0" role="region" aria-label="Tableau : ${caption}"><div class="fr-table__content">
<table><caption>${caption}</caption><thead>${head}</thead><tbody>${rows}</tbody></table></div></div></div></div>`;
}

/**
 * The hooks of the live progress script (progressive enhancement): the section it polls, and one
 * polite live region for what it announces. Without script, « Actualiser » reloads the page.
 */
function progression(t: TransferView, pageUrl: string, content: Html, heading: string): Html {
  const head = progressHead(t);
  return html`<section id="progression" data-progress-url="${pageUrl}/progression" aria-labelledby="progression-titre"${head.attributes}>
<h2 id="progression-titre">${heading}</h2>
${head.body}
${SETTLED_STATES.has(t.state) ? html`` : refreshLink(pageUrl)}
<p id="progression-annonce" class="fr-sr-only" aria-live="polite"></p>
${content}</section>`;
}

/** fr-badge for a state: its colour says whether something is wrong, waits for her, or is done. */
function badge(text: string, kind: string): Html {
  return html`<span class="fr-badge fr-badge--sm fr-badge--${kind}">${text}</span>`;
}

function stateBadge(table: Record<string, string>, state: string): Html {
  return badge(label(table, state), BADGE_KIND[state] ?? 'info');
}

/** « Terminé » at the arrival only when nothing waits for her: an item to download says so. */
function arrivalStateBadge(t: { state: string }, waiting: number): Html {
  if (t.state === 'DONE' && waiting) {
    return badge(waiting === 1 ? 'Importé, sauf 1 contenu à télécharger' : `Importé, sauf ${waiting} contenus à télécharger`, 'warning');
  }
  return stateBadge(ARRIVAL_STATE_FR, t.state);
}

function transferRows(ctx: PageContext, transfers: TransferSummary[], kind: 'sent' | 'received'): Html {
  if (transfers.length === 0) {
    return html`<p class="ui-muted">${kind === 'sent' ? 'Aucun transfert envoyé pour le moment.' : 'Aucun contenu reçu pour le moment.'}</p>`;
  }
  const rows = transfers.map((t) => {
    const href = kind === 'sent' ? `/transferts/${t.id}` : `/recus/${t.id}`;
    const where = kind === 'sent' ? t.arrivalUai : t.departureUai;
    const state = kind === 'sent' ? stateBadge(DEPARTURE_STATE_FR, t.state) : arrivalStateBadge(t, t.awaitingManualDownload);
    return html`<tr><td><a href="${href}">${dateFr(t.createdAt)}</a></td><td>${school(ctx, where)}</td><td>${t.itemCount}</td><td>${state}</td></tr>`;
  });
  const head = html`<tr><th scope="col">Demandé le</th><th scope="col">${kind === 'sent' ? 'Établissement d’arrivée' : 'Établissement de départ'}</th><th scope="col">Contenus</th><th scope="col">État</th></tr>`;
  return table(kind === 'sent' ? 'Transferts envoyés' : 'Contenus reçus', head, rows);
}

export function homeAnonymous(ctx: PageContext): string {
  return layout(ctx, { title: 'Emporter ses contenus dans son nouvel établissement', body: html`
<p>Vous changez d’établissement ? Transférez vos contenus (cahier de textes, cours, ressources pédagogiques, courrier, documents) vers l’ENT de votre nouvel établissement.</p>
<p>Les contenus que l’ENT d’arrivée sait lire y sont importés automatiquement à votre première connexion ; les autres vous y attendent en téléchargement. Vos contenus d’origine restent dans votre ENT actuel.</p>
<p><a class="fr-btn" href="/auth/login">Se connecter avec le Guichet Agents</a></p>` });
}

export function homeRefused(ctx: PageContext, detail: string): string {
  return layout(ctx, { title: 'Accès non autorisé', body: alert('error', detail) });
}

export function home(ctx: PageContext, sent: TransferSummary[], received: TransferSummary[]): string {
  return layout(ctx, { title: 'Mes transferts de contenus', body: html`
<p><a class="fr-btn" href="/transferts/nouveau">Préparer un transfert vers un autre établissement</a></p>
<p><a class="fr-link" href="/mes-donnees">Télécharger une copie de mes données</a></p>
<h2>Transferts envoyés</h2>${transferRows(ctx, sent, 'sent')}
<h2>Contenus reçus d’un autre ENT</h2>${transferRows(ctx, received, 'received')}` });
}

/** A field of the form with what is wrong with it; `general` errors belong to no field. */
export type NewTransferField = 'recherche' | 'arrivalUai' | 'itemIds' | 'general';

export interface NewTransferForm {
  /** What she typed to find her school: a name, a town or a UAI. */
  recherche: string;
  /** The school she picked among the results (a UAI). */
  arrivalUai: string;
  itemIds: string[];
  errors: { field: NewTransferField; message: string }[];
  /** Schools found for `recherche` (radio buttons); undefined when no search ran. */
  results?: { uai: string; name?: string; town?: string }[];
}

/** DSFR error message under a field, tied to it by `aria-describedby`. */
function fieldError(id: string, messages: string[]): Html {
  return messages.length ? html`<p class="fr-error-text" id="${id}">${messages.join(' ')}</p>` : html``;
}

/**
 * Error summary (GOV.UK / DSFR habit): first in the page, focused on load (`autofocus`, so without
 * script), each message a link to its field.
 */
function errorSummary(title: string, errors: { message: string; href?: string }[]): Html {
  if (!errors.length) return html``;
  return html`<div class="fr-alert fr-alert--error fr-mb-4w" role="alert" id="erreurs" tabindex="-1" autofocus>
<h2 class="fr-alert__title">${title}</h2>
<ul>${errors.map((e) => html`<li>${e.href ? html`<a href="${e.href}">${e.message}</a>` : e.message}</li>`)}</ul></div>`;
}

function contentHint(c: ConnectorContent): string {
  const first = c.formats[0];
  const parts = [label(CATEGORY_FR, c.category), first ? formatFr(first.format, first.mediaType) : undefined, first?.sizeBytes !== undefined ? sizeFr(first.sizeBytes) : undefined];
  return parts.filter(Boolean).join(' · ');
}

export function newTransfer(ctx: PageContext, contents: ConnectorContent[], form: NewTransferForm): string {
  const errorsOf = (field: NewTransferField) => form.errors.filter((e) => e.field === field).map((e) => e.message);
  const hasErrors = form.errors.length > 0;
  const searchErrors = [...errorsOf('recherche'), ...errorsOf('arrivalUai')];
  const itemErrors = errorsOf('itemIds');
  const results = form.results ?? [];
  const summary = errorSummary('Le transfert n’a pas pu être préparé', form.errors.map((e) => ({
    message: e.message,
    href: e.field === 'recherche' ? '#recherche' : e.field === 'arrivalUai' ? (results.length ? '#ecole-0' : '#recherche') : e.field === 'itemIds' && contents.length ? '#item-0' : undefined,
  })));

  const resultList = form.results === undefined
    ? html``
    : results.length
      ? html`<fieldset class="fr-fieldset${errorsOf('arrivalUai').length ? html` fr-fieldset--error` : html``}" id="ecoles" aria-labelledby="ecoles-legende${errorsOf('arrivalUai').length ? html` ecoles-erreur` : html``}">
<legend class="fr-fieldset__legend" id="ecoles-legende">${results.length === 1 ? 'Établissement trouvé' : `${results.length} établissements trouvés`}</legend>
${results.map((s, i) => html`<div class="fr-fieldset__element"><div class="fr-radio-group">
<input type="radio" id="ecole-${i}" name="arrivalUai" value="${s.uai}"${form.arrivalUai === s.uai || results.length === 1 ? html` checked` : html``}>
<label class="fr-label" for="ecole-${i}">${schoolFr(s, s.uai)}<span class="fr-hint-text">Code UAI ${s.uai}</span></label></div></div>`)}
${errorsOf('arrivalUai').length ? html`<div class="fr-messages-group" id="ecoles-erreur"><p class="fr-message fr-message--error">${errorsOf('arrivalUai').join(' ')}</p></div>` : html``}
</fieldset>`
      : html``;

  const allChosen = contents.length > 0 && contents.every((c) => form.itemIds.includes(c.id));
  const boxes = contents.map((c, i) => html`<div class="fr-fieldset__element"><div class="fr-checkbox-group">
<input type="checkbox" name="itemIds" value="${c.id}" id="item-${i}"${form.itemIds.includes(c.id) ? html` checked` : html``}${itemErrors.length ? html` aria-describedby="contenus-erreur"` : html``}>
<label class="fr-label" for="item-${i}">${c.title}<span class="fr-hint-text">${contentHint(c)}</span></label></div></div>`);
  const contentList = contents.length
    ? html`<fieldset class="fr-fieldset${itemErrors.length ? html` fr-fieldset--error` : html``}" id="contenus" aria-labelledby="contenus-legende${itemErrors.length ? html` contenus-erreur` : html``}">
<legend class="fr-fieldset__legend" id="contenus-legende">Contenus à emporter<span class="fr-hint-text">Cochez ce que vous emportez ; vos contenus d’origine restent dans votre ENT actuel.</span></legend>
<div class="fr-fieldset__element"><button type="submit" name="intent" value="${allChosen ? 'aucun' : 'tout'}" class="fr-btn fr-btn--tertiary fr-btn--sm">${allChosen ? 'Tout désélectionner' : 'Tout sélectionner'}</button></div>
${boxes}
${itemErrors.length ? html`<div class="fr-messages-group" id="contenus-erreur"><p class="fr-message fr-message--error">${itemErrors.join(' ')}</p></div>` : html``}
</fieldset>`
    : html`<p class="ui-muted">Votre espace ne contient aucun contenu transférable.</p>`;

  return layout(ctx, { title: DEPARTURE_STEPS[0], step: departureStep(1), hasErrors, body: html`${summary}
<form method="post" action="/transferts" novalidate>
<input type="hidden" name="_csrf" value="${ctx.csrf ?? ''}">${onceField()}
<h2>Votre nouvel établissement</h2>
<div class="fr-input-group${searchErrors.length ? html` fr-input-group--error` : html``}">
<label class="fr-label" for="recherche">Nom, ville ou code UAI de votre nouvel établissement<span class="fr-hint-text">Par exemple « Lycée Ampère », « Lyon » ou « 0690002B » (le code UAI figure sur votre arrêté d’affectation).</span></label>
<div class="ui-search-row"><input class="fr-input${searchErrors.length ? html` fr-input--error` : html``}" type="search" id="recherche" name="recherche" value="${form.recherche}" autocomplete="off" spellcheck="false"${searchErrors.length ? html` aria-invalid="true" aria-describedby="recherche-erreur"` : html``}>
<button type="submit" name="intent" value="recherche" class="fr-btn fr-btn--secondary">Rechercher</button></div>
${fieldError('recherche-erreur', searchErrors)}
</div>
${resultList}
<h2>Vos contenus</h2>
${contentList}
<p class="fr-mt-4w"><button type="submit" name="intent" value="analyse" class="fr-btn">Demander l’analyse à l’ENT d’arrivée</button></p>
<p class="ui-muted">L’établissement d’arrivée indiquera, pour chaque contenu, s’il sera importé automatiquement ou s’il vous faudra le télécharger. Rien n’est envoyé avant votre confirmation.</p>
</form>` });
}

function reasonsOf(item: ItemView): Html {
  const lines = [...item.reasons.map((r) => r.message), ...item.losses.map((l) => `Perte à la conversion : ${l.message}`)];
  if (item.lastError) lines.push(FAILURE_REASON_FR[item.lastError] ?? FAILURE_REASON_FR.UNSPECIFIED);
  return lines.length ? html`<ul class="ui-reasons">${lines.map((l) => html`<li>${l}</li>`)}</ul>` : html``;
}

/** RGPD: what crosses, to whom, how long each side keeps it — before she confirms, and after. */
function departureLifetimes(ctx: PageContext, t: TransferView, accepted: number): Html {
  const lines: string[] = [];
  if (t.state === 'ANSWERED' && accepted) lines.push(RETENTION_FR.crossing(accepted, school(ctx, t.arrivalUai)));
  if (!['CANCELLED', 'EXPIRED', 'CLEANED', 'FAILED'].includes(t.state)) lines.push(RETENTION_FR.departureKeeps(dayFr(t.expiresAt)));
  if (['CLEANED', 'EXPIRED'].includes(t.state)) lines.push(RETENTION_FR.originalsKept);
  if (t.arrivalRetention && !['CANCELLED', 'FAILED'].includes(t.state)) {
    lines.push(RETENTION_FR.arrivalWaits(dayFr(t.arrivalRetention.awaitsOwnerUntil)));
    lines.push(RETENTION_FR.arrivalKeepsCopies(t.arrivalRetention.keepsReceivedCopiesDays));
  }
  return lines.length ? html`<ul id="lifetimes">${lines.map((l) => html`<li>${l}</li>`)}</ul>` : html``;
}

const CANCELLABLE = ['DRAFT', 'OFFERED', 'ANSWERED', 'STAGING', 'PAUSED'];
const ERASABLE = ['DONE', 'PARTIAL', 'FAILED', 'EXPIRED'];

/** The cells the live script fills (data-field); without script they show what the page knew. */
function itemCells(i: ItemView): Html {
  return progressCells(i, stateBadge(ITEM_STATE_FR, i.state));
}

/** « Sera importé » until her new ENT said it imported the item (the receipt), « importé » after. */
function decisionCell(i: ItemView): Html {
  if (i.state === 'DROPPED') return html`Retiré du transfert`;
  if (!i.decision) return html`<span class="ui-muted">En attente de l’analyse</span>`;
  const done = i.localId !== null && !i.lastError;
  const text = label(done ? DECISION_DONE_FR : DECISION_FR, i.decision);
  const kind = i.decision === 'REFUSED' ? 'error' : i.decision === 'MANUAL' ? 'warning' : done ? 'success' : 'info';
  return html`${badge(text, kind)}${reasonsOf(i)}`;
}

const DEPARTURE_TITLES: Record<string, string> = {
  DRAFT: 'Réponse de l’établissement d’arrivée',
  OFFERED: 'Réponse de l’établissement d’arrivée',
  ANSWERED: 'Réponse de l’établissement d’arrivée',
  STAGING: 'Envoi de vos contenus',
  PAUSED: 'Envoi de vos contenus',
  DELIVERED: 'Livraison et import',
  RECEIPTED: 'Livraison et import',
  CLEANED: 'Livraison et import',
  CANCELLED: 'Transfert annulé',
  EXPIRED: 'Transfert expiré',
  FAILED: 'Transfert en échec',
};

/** After delivery: the one thing she does next, with the link when her new ENT published its portal. */
function nextStepsDeparture(ctx: PageContext, t: TransferView): Html {
  if (!['DELIVERED', 'RECEIPTED', 'CLEANED'].includes(t.state)) return html``;
  const portal = ctx.schools?.[t.arrivalUai]?.portalUrl;
  return html`<div class="fr-callout fr-my-3w" id="prochaine-etape">
<h2 class="fr-callout__title">Connectez-vous à votre nouvel ENT</h2>
<p class="fr-callout__text">Vos contenus y sont importés à votre première connexion ; ceux qui ne peuvent pas l’être vous y attendent en téléchargement, dans « Transfert de mes contenus ».</p>
${portal ? html`<a class="fr-btn" href="${portal}" target="_top">Aller sur l’ENT de ${school(ctx, t.arrivalUai)}</a>` : html``}
</div>`;
}

export function departureStatus(ctx: PageContext, t: TransferView): string {
  const pageUrl = `/transferts/${t.id}`;
  const going = (i: ItemView) => i.state !== 'DROPPED' && i.decision && i.decision !== 'REFUSED';
  const accepted = t.items.filter(going).length;
  const rows = t.items.map((i) => html`<tr data-item-id="${i.itemId}"><td>${i.title}<p class="ui-muted">${label(CATEGORY_FR, i.category)}</p></td>
<td>${decisionCell(i)}${dropForm(ctx, t, i)}</td>
${itemCells(i)}</tr>`);
  const head = html`<tr><th scope="col">Contenu</th><th scope="col">Réponse de l’établissement d’arrivée</th><th scope="col">État</th><th scope="col">Taille</th><th scope="col">Avancement</th></tr>`;
  const answered = t.state === 'ANSWERED';
  // The decision screen (issue 16): the answer summed up first, then item by item, then the button.
  const summary = answered && t.items.some((i) => i.decision)
    ? html`<div class="fr-callout fr-my-3w" id="resume"><h2 class="fr-callout__title">Réponse de ${school(ctx, t.arrivalUai)}</h2><p class="fr-callout__text">${decisionSummaryFr(t.items.filter((i) => i.state !== 'DROPPED').map((i) => i.decision))}</p></div>`
    : html``;
  let actions = html``;
  // ADR 016: while the arrival is being asked (or asked again by itself), there is nothing to click.
  if (t.state === 'DRAFT' || (t.state === 'OFFERED' && (!t.analysis || t.analysis.state === 'FAILED'))) {
    actions = postButton(ctx, `${pageUrl}/analyse`, t.analysis ? 'Demander de nouveau l’analyse' : 'Demander l’analyse à l’ENT d’arrivée');
  }
  if (answered) {
    actions = accepted
      ? html`<p>${accepted === 1 ? '1 contenu' : `${accepted} contenus`} sur ${t.items.length} ${accepted === 1 ? 'sera envoyé' : 'seront envoyés'} à votre confirmation.</p>${postButton(ctx, `${pageUrl}/envoi`, 'Confirmer et envoyer', 'primary', 'confirmer')}`
      : html`<p>L’établissement d’arrivée a refusé tous les contenus choisis : il n’y a rien à envoyer.</p>`;
  }
  if (t.state === 'PAUSED') actions = postButton(ctx, `${pageUrl}/reprise`, 'Relancer l’envoi');
  // ADR 016: cancelling or deleting goes through a confirmation page.
  const cancel = CANCELLABLE.includes(t.state) ? html`<p class="ui-muted fr-mt-4w">${RETENTION_FR.cancelHint}</p>${controlLinks(t)}` : html``;
  const proof = t.hasReceipt
    ? html`<p><a class="fr-link" href="/transferts/${t.id}/attestation">Attestation de transfert</a> (page et PDF)</p><p><a class="fr-link" href="/api/transfers/${t.id}/proof">Accusé de réception signé par l’ENT d’arrivée</a> <span class="ui-muted">(document signé, à conserver ou à remettre à un auditeur)</span></p>`
    : html``;
  const step = departureStepOf(t.state);
  return layout(ctx, { title: label(DEPARTURE_TITLES, t.state), ...(step ? { step: departureStep(step) } : {}), scripts: PROGRESSION_SCRIPT, body: html`
<p>Vers <strong>${school(ctx, t.arrivalUai)}</strong>, demandé le ${dateFr(t.createdAt)}.</p>
<div class="fr-mb-3v">État : <span id="transfer-state" data-state="${t.state}">${stateBadge(DEPARTURE_STATE_FR, t.state)}</span></div>
${t.notice ? html`<div class="fr-callout" id="transfer-notice"><p class="fr-callout__text">${t.notice}</p></div>` : html``}
${summary}${nextStepsDeparture(ctx, t)}
${progression(t, pageUrl, table('Contenus du transfert', head, rows), answered ? 'Réponse contenu par contenu' : 'Contenus du transfert')}
${departureLifetimes(ctx, t, accepted)}
${actions}${cancel}
${proof}<p class="fr-mt-4w"><a class="fr-link" href="/">Retour à mes transferts</a></p>` });
}

/** « Télécharger » says which file, in which format and how large (RGAA 6.1). */
function downloadLink(i: ItemView): Html {
  const detail = [capitalise(formatFr(i.sourceFormat, i.mediaType)), i.sizeBytes !== null ? sizeFr(i.sizeBytes) : undefined].filter(Boolean).join(' – ');
  return html`<a class="fr-link fr-link--download" href="${i.downloadUrl!}" download>Télécharger « ${i.title} »<span class="fr-link__detail">${detail}</span></a>`;
}

/** Where an imported item now lives: a link when her ENT gave one, else where to look. */
function whereCell(i: ItemView): Html {
  const downloadable = i.downloadUrl && (i.state === 'AWAITING_MANUAL_DOWNLOAD' || i.state === 'FAILED');
  if (downloadable) return downloadLink(i);
  if (i.state === 'IMPORTED') {
    return i.location
      ? html`<a class="fr-link" href="${i.location}" target="_top">Ouvrir « ${i.title} » dans votre ENT</a>`
      : html`Dans votre ENT, rubrique « ${label(CATEGORY_FR, i.category)} »`;
  }
  return html`<span class="ui-muted">Pas encore disponible</span>`;
}

export function arrivalStatus(ctx: PageContext, t: TransferView): string {
  const pageUrl = `/recus/${t.id}`;
  const rows = t.items.map((i) => html`<tr data-item-id="${i.itemId}"><td>${i.title}<p class="ui-muted">${label(CATEGORY_FR, i.category)}</p>${reasonsOf(i)}</td>
${itemCells(i)}
<td>${whereCell(i)}</td></tr>`);
  let actions = t.state === 'PAUSED' ? postButton(ctx, `${pageUrl}/reprise`, 'Relancer l’import') : html``;
  if (t.state === 'AWAITING_ACCEPTANCE') {
    // ADR 010: nothing proves she asked for these contents; she decides, nothing is imported before.
    actions = html`<div class="actions">${postButton(ctx, `${pageUrl}/accepter`, 'Accepter ces contenus')}
${postButton(ctx, `${pageUrl}/refuser`, 'Refuser ces contenus', 'secondary')}</div>`;
  }
  const lifetimes: string[] = [];
  if (t.ownerWaitUntil && ['ANSWERED', 'FETCHING', 'AWAITING_OWNER', 'AWAITING_ACCOUNT'].includes(t.state)) lifetimes.push(RETENTION_FR.receivedWaits(dayFr(t.ownerWaitUntil)));
  if (t.retainUntil && ['DONE', 'PARTIAL'].includes(t.state)) lifetimes.push(RETENTION_FR.receivedKept(dayFr(t.retainUntil)));
  const erase = ERASABLE.includes(t.state)
    ? html`<p class="ui-muted fr-mt-4w">${RETENTION_FR.eraseHint}</p>${postButton(ctx, `${pageUrl}/effacement`, RETENTION_FR.eraseButton, 'secondary')}`
    : html``;
  const indexLink = ['AWAITING_OWNER', 'IMPORTING', 'PAUSED', 'DONE', 'PARTIAL'].includes(t.state)
    ? html`<p><a class="fr-link" href="${pageUrl}/index">Index des contenus reçus</a> <span class="ui-muted">(titres, fiches descriptives, empreintes)</span></p>`
    : html``;
  const summary = ['DONE', 'PARTIAL', 'IMPORTING'].includes(t.state) ? arrivalSummaryFr(t.items.map((i) => i.state)) : '';
  const head = html`<tr><th scope="col">Contenu</th><th scope="col">État</th><th scope="col">Taille</th><th scope="col">Avancement</th><th scope="col">Où le trouver</th></tr>`;
  return layout(ctx, { title: 'Contenus reçus', scripts: PROGRESSION_SCRIPT, body: html`
<p>Depuis <strong>${school(ctx, t.departureUai)}</strong>, envoyés le ${dateFr(t.createdAt)}.</p>
<div class="fr-mb-3v">État : <span id="transfer-state" data-state="${t.state}">${arrivalStateBadge(t, t.items.filter((i) => i.state === 'AWAITING_MANUAL_DOWNLOAD').length)}</span></div>
${summary ? html`<div class="fr-callout fr-my-3w" id="resume"><p class="fr-callout__text">${summary}</p></div>` : html``}
${t.notice ? html`<div class="fr-callout" id="transfer-notice"><p class="fr-callout__text">${t.notice}</p></div>` : html``}
${lifetimes.length ? html`<ul id="lifetimes">${lifetimes.map((l) => html`<li>${l}</li>`)}</ul>` : html``}
${actions}
${progression(t, pageUrl, table('Contenus reçus', head, rows), 'Vos contenus')}
${indexLink}${erase}<p class="fr-mt-4w"><a class="fr-link" href="/">Retour à mes transferts</a></p>` });
}

/**
 * The index of what was received, as a page of this service (shell, title, way back) rather than
 * the raw file another ENT produced; the machine-readable files stay downloadable.
 */
export function receivedIndex(ctx: PageContext, t: TransferView): string {
  const rows = t.items.map((i) => html`<tr><td>${i.title}</td><td>${label(CATEGORY_FR, i.category)}</td><td>${capitalise(formatFr(i.sourceFormat, i.mediaType))}</td>
<td>${sizeFr(i.sizeBytes)}</td><td>${i.metadata ? formatFr(i.metadata.targetFormat) : 'Aucune'}</td><td>${i.sha256 ? html`<code class="ui-hash">${i.sha256}</code>` : '—'}</td></tr>`);
  const head = html`<tr><th scope="col">Contenu</th><th scope="col">Type</th><th scope="col">Format</th><th scope="col">Taille</th><th scope="col">Fiche descriptive</th><th scope="col">Empreinte SHA-256</th></tr>`;
  const base = `/api/received/${t.id}/index`;
  return layout(ctx, { title: `Index des contenus reçus de ${school(ctx, t.departureUai)}`, body: html`
<p>Envoyés le ${dateFr(t.createdAt)}. L’empreinte de chaque contenu permet de vérifier qu’il n’a pas été modifié en route.</p>
${table('Index des contenus reçus', head, rows)}
<h2>Fichiers de l’index</h2>
<ul>
<li><a class="fr-link fr-link--download" href="${base}/index.scolomfr.xml" download>Télécharger l’index ScoLOMFR<span class="fr-link__detail">XML</span></a></li>
<li><a class="fr-link fr-link--download" href="${base}/index.jsonld" download>Télécharger l’index schema.org<span class="fr-link__detail">JSON-LD</span></a></li>
</ul>
<p class="fr-mt-4w"><a class="fr-link fr-icon-arrow-left-line fr-link--icon-left" href="/recus/${t.id}">Retour aux contenus reçus</a></p>` });
}

export function errorPage(ctx: PageContext, title: string, detail: string): string {
  return layout(ctx, { title, body: html`${alert('error', detail)}<p><a class="fr-link" href="/">Retour à l’accueil</a></p>` });
}
