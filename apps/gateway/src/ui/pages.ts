import type { ConnectorContent } from '@ent/contract';
import type { ItemView, TransferView } from '../transfers/views';
import { alert, Html, html, JourneyStep, layout, PageContext, postButton, refreshLink } from './html';
import {
  ARRIVAL_STATE_FR, CATEGORY_FR, dateFr, dayFr, DECISION_FR, BADGE_KIND, DEPARTURE_STATE_FR, DEPARTURE_STEPS, FAILURE_REASON_FR, ITEM_STATE_FR, label, RETENTION_FR, SETTLED_STATES, sizeFr,
} from './labels.fr';
import { controlLinks, dropForm, onceField } from './control.page';
import { PROGRESSION_SCRIPT, progressCells, progressHead } from './progress.page';

/**
 * The teacher transfer UI: server-rendered French pages that work without
 * JavaScript (forms and links only), so that they run under a strict CSP and
 * in any ENT's frame or browser.
 */

export type { PageContext, PageUser } from './html';

/** « Étape N sur 4 » of the departure journey (fr-stepper). */
function departureStep(index: number): JourneyStep {
  return { index, count: DEPARTURE_STEPS.length, title: DEPARTURE_STEPS[index - 1], next: DEPARTURE_STEPS[index] };
}

/** Where a departure transfer stands in the journey. */
export function departureStepOf(state: string): number {
  if (state === 'DRAFT') return 1;
  if (state === 'OFFERED' || state === 'ANSWERED') return 2;
  if (state === 'STAGING' || state === 'PAUSED') return 3;
  return 4;
}

/** fr-table: its own horizontal scroll, so a wide table never widens the page at 360 px. */
export function table(caption: string, head: Html, rows: Html[], id?: string): Html {
  return html`<div class="fr-table fr-table--no-caption"${id ? html` id="${id}"` : html``}><div class="fr-table__wrapper"><div class="fr-table__container"><div class="fr-table__content">
<table><caption>${caption}</caption><thead>${head}</thead><tbody>${rows}</tbody></table></div></div></div></div>`;
}

/**
 * The hooks of the live progress script (progressive enhancement): the section it polls, and one
 * polite live region for what it announces. Without script, « Actualiser » reloads the page.
 */
function progression(t: TransferView, pageUrl: string, content: Html): Html {
  const head = progressHead(t);
  return html`<section id="progression" data-progress-url="${pageUrl}/progression" aria-labelledby="progression-titre"${head.attributes}>
<h2 id="progression-titre" class="fr-h4">Contenus du transfert</h2>
${head.body}
${SETTLED_STATES.has(t.state) ? html`` : refreshLink(pageUrl)}
<p id="progression-annonce" class="fr-sr-only" aria-live="polite"></p>
${content}</section>`;
}

/** fr-badge for a state: its colour says whether something is wrong, waits for her, or is done. */
function stateBadge(table: Record<string, string>, state: string): Html {
  return html`<p class="fr-badge fr-badge--sm fr-badge--${BADGE_KIND[state] ?? 'info'}">${label(table, state)}</p>`;
}

function transferRows(transfers: TransferView[], kind: 'sent' | 'received'): Html {
  if (transfers.length === 0) {
    return html`<p class="ui-muted">${kind === 'sent' ? 'Aucun transfert envoyé pour le moment.' : 'Aucun contenu reçu pour le moment.'}</p>`;
  }
  const rows = transfers.map((t) => {
    const href = kind === 'sent' ? `/transferts/${t.id}` : `/recus/${t.id}`;
    const where = kind === 'sent' ? t.arrivalUai : t.departureUai;
    const states = kind === 'sent' ? DEPARTURE_STATE_FR : ARRIVAL_STATE_FR;
    return html`<tr><td><a href="${href}">${dateFr(t.createdAt)}</a></td><td>${where}</td><td>${t.items.length}</td><td>${stateBadge(states, t.state)}</td></tr>`;
  });
  const head = html`<tr><th scope="col">Demandé le</th><th scope="col">${kind === 'sent' ? 'Établissement d’arrivée' : 'Établissement de départ'}</th><th scope="col">Contenus</th><th scope="col">État</th></tr>`;
  return table(kind === 'sent' ? 'Transferts envoyés' : 'Contenus reçus', head, rows);
}

export function homeAnonymous(ctx: PageContext): string {
  return layout(ctx, { title: 'Emporter ses contenus dans son nouvel établissement', body: html`
<p>Vous changez d’établissement ? Transférez vos contenus (cahier de textes, cours, ressources pédagogiques, courrier, documents) vers l’ENT de votre nouvel établissement.</p>
<p>Les contenus que l’ENT d’arrivée sait lire y sont importés automatiquement à votre première connexion ; les autres vous y attendent en téléchargement.</p>
<p><a class="fr-btn" href="/auth/login">Se connecter avec le Guichet Agents</a></p>` });
}

export function homeRefused(ctx: PageContext, detail: string): string {
  return layout(ctx, { title: 'Accès non autorisé', body: alert('error', detail) });
}

export function home(ctx: PageContext, sent: TransferView[], received: TransferView[]): string {
  return layout(ctx, { title: 'Mes transferts de contenus', body: html`
<p><a class="fr-btn" href="/transferts/nouveau">Préparer un transfert vers un autre établissement</a></p>
<p><a class="fr-link" href="/mes-donnees">Télécharger une copie de mes données</a></p>
<h2>Transferts envoyés</h2>${transferRows(sent, 'sent')}
<h2>Contenus reçus d’un autre ENT</h2>${transferRows(received, 'received')}` });
}

export interface NewTransferForm {
  arrivalUai: string;
  itemIds: string[];
  errors: string[];
}

export function newTransfer(ctx: PageContext, contents: ConnectorContent[], arrivals: { uai: string; entId: string }[], form: NewTransferForm): string {
  const errors = form.errors.length
    ? html`<div class="fr-alert fr-alert--error fr-mb-3w" role="alert" id="erreurs" tabindex="-1"><h2 class="fr-alert__title">Le transfert n’a pas pu être préparé</h2><ul>${form.errors.map((e) => html`<li>${e}</li>`)}</ul></div>`
    : html``;
  const rows = contents.map((c, i) => {
    const checked = form.itemIds.includes(c.id);
    const formats = c.formats.map((f) => f.format).join(', ');
    return html`<tr>
<td><div class="fr-checkbox-group fr-checkbox-group--sm"><input type="checkbox" name="itemIds" value="${c.id}" id="item-${i}"${checked ? html` checked` : html``}><label class="fr-label" for="item-${i}">${c.title}</label></div>
${c.metadataFormats.length ? html`<p class="ui-muted">Fiche descriptive : ${c.metadataFormats.join(', ')}</p>` : html``}</td>
<td>${label(CATEGORY_FR, c.category)}</td><td>${formats}</td><td>${sizeFr(c.formats[0]?.sizeBytes)}</td></tr>`;
  });
  const list = contents.length
    ? table('Contenus à emporter', html`<tr><th scope="col">Contenu</th><th scope="col">Type</th><th scope="col">Formats</th><th scope="col">Taille</th></tr>`, rows)
    : html`<p class="ui-muted">Votre espace ne contient aucun contenu transférable.</p>`;
  return layout(ctx, { title: 'Préparer un transfert', step: departureStep(1), hasErrors: form.errors.length > 0, body: html`${errors}
<form method="post" action="/transferts" novalidate>
<input type="hidden" name="_csrf" value="${ctx.csrf ?? ''}">${onceField()}
<div class="fr-input-group">
<label class="fr-label" for="arrivalUai">Établissement d’arrivée (code UAI)<span class="fr-hint-text">7 chiffres suivis d’une lettre ; il figure sur votre arrêté d’affectation.</span></label>
<input class="fr-input" type="text" id="arrivalUai" name="arrivalUai" value="${form.arrivalUai}" list="known-arrivals" autocomplete="off" spellcheck="false">
<datalist id="known-arrivals">${arrivals.map((a) => html`<option value="${a.uai}">${a.uai} (${a.entId})</option>`)}</datalist>
</div>
<h2>Contenus à emporter</h2>${list}
<p><button type="submit" class="fr-btn">Demander l’analyse à l’ENT d’arrivée</button></p>
<p class="ui-muted">L’ENT d’arrivée indiquera, pour chaque contenu, s’il l’importera automatiquement ou s’il vous faudra le télécharger. Rien n’est envoyé avant votre confirmation.</p>
</form>` });
}

function reasonsOf(item: ItemView): Html {
  const lines = [...item.reasons.map((r) => r.message), ...item.losses.map((l) => `Perte à la conversion : ${l.message}`)];
  if (item.lastError) lines.push(FAILURE_REASON_FR[item.lastError] ?? FAILURE_REASON_FR.UNSPECIFIED);
  return lines.length ? html`<ul class="ui-reasons">${lines.map((l) => html`<li>${l}</li>`)}</ul>` : html``;
}

/** RGPD: what crosses, to whom, how long each side keeps it — before she confirms, and after. */
function departureLifetimes(t: TransferView, accepted: number): Html {
  const lines: string[] = [];
  if (t.state === 'ANSWERED' && accepted) lines.push(RETENTION_FR.crossing(accepted, t.arrivalEntId, t.arrivalUai));
  if (!['CANCELLED', 'EXPIRED', 'CLEANED', 'FAILED'].includes(t.state)) lines.push(RETENTION_FR.departureKeeps(dayFr(t.expiresAt)));
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

export function departureStatus(ctx: PageContext, t: TransferView): string {
  const pageUrl = `/transferts/${t.id}`;
  const rows = t.items.map((i) => html`<tr data-item-id="${i.itemId}"><td>${i.title}<p class="ui-muted">${label(CATEGORY_FR, i.category)}</p></td>
<td>${i.state === 'DROPPED' ? 'Retiré du transfert' : i.decision ? label(DECISION_FR, i.decision) : html`<span class="ui-muted">en attente de l’analyse</span>`}${reasonsOf(i)}${dropForm(ctx, t, i)}</td>
${itemCells(i)}</tr>`);
  let actions = html``;
  // ADR 016: while the arrival is being asked (or asked again by itself), there is nothing to click.
  if (t.state === 'DRAFT' || (t.state === 'OFFERED' && (!t.analysis || t.analysis.state === 'FAILED'))) {
    actions = postButton(ctx, `${pageUrl}/analyse`, t.analysis ? 'Demander de nouveau l’analyse' : 'Demander l’analyse à l’ENT d’arrivée');
  }
  const going = (i: ItemView) => i.state !== 'DROPPED' && i.decision && i.decision !== 'REFUSED';
  if (t.state === 'ANSWERED') {
    const accepted = t.items.filter(going).length;
    actions = accepted
      ? html`<p>${accepted} contenu(s) sur ${t.items.length} seront envoyés.</p>${postButton(ctx, `${pageUrl}/envoi`, 'Confirmer et envoyer')}`
      : html`<p>L’ENT d’arrivée a refusé tous les contenus choisis : il n’y a rien à envoyer.</p>`;
  }
  if (t.state === 'PAUSED') actions = postButton(ctx, `${pageUrl}/reprise`, 'Relancer l’envoi');
  const accepted = t.items.filter(going).length;
  // ADR 016: cancelling or deleting goes through a confirmation page.
  const cancel = CANCELLABLE.includes(t.state) ? html`<p class="ui-muted">${RETENTION_FR.cancelHint}</p>${controlLinks(t)}` : html``;
  const proof = t.hasReceipt
    ? html`<p><a class="fr-link" href="/transferts/${t.id}/attestation">Attestation de transfert</a> (page et PDF)</p><p><a href="/api/transfers/${t.id}/proof">Accusé de réception signé par l’ENT d’arrivée</a> <span class="ui-muted">(document JSON signé, à conserver ou à remettre à un auditeur)</span></p>`
    : html``;
  const head = html`<tr><th scope="col">Contenu</th><th scope="col">Réponse de l’ENT d’arrivée</th><th scope="col">État</th><th scope="col">Taille</th><th scope="col">Avancement</th></tr>`;
  const step = departureStepOf(t.state);
  return layout(ctx, { title: 'Suivi du transfert', step: departureStep(step), scripts: PROGRESSION_SCRIPT, body: html`
<p>Vers l’établissement <strong>${t.arrivalUai}</strong> (${t.arrivalEntId}), demandé le ${dateFr(t.createdAt)}.</p>
<div class="fr-mb-3v">État : <span id="transfer-state" data-state="${t.state}">${stateBadge(DEPARTURE_STATE_FR, t.state)}</span></div>
${t.notice ? html`<div class="fr-callout" id="transfer-notice"><p class="fr-callout__text">${t.notice}</p></div>` : html``}
${departureLifetimes(t, accepted)}
${progression(t, pageUrl, table('Contenus du transfert', head, rows))}
${actions}${cancel}
${proof}<p><a class="fr-link" href="/">Retour à mes transferts</a></p>` });
}

export function arrivalStatus(ctx: PageContext, t: TransferView): string {
  const pageUrl = `/recus/${t.id}`;
  const downloadable = (i: ItemView) => i.downloadUrl && (i.state === 'AWAITING_MANUAL_DOWNLOAD' || i.state === 'FAILED');
  const rows = t.items.map((i) => html`<tr data-item-id="${i.itemId}"><td>${i.title}<p class="ui-muted">${label(CATEGORY_FR, i.category)}</p>${reasonsOf(i)}</td>
${itemCells(i)}
<td>${downloadable(i) ? html`<a class="fr-link fr-link--download" href="${i.downloadUrl!}" download>Télécharger <span class="fr-sr-only">${i.title}</span></a>` : html`<span class="ui-muted">—</span>`}</td></tr>`);
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
    ? html`<p class="ui-muted">${RETENTION_FR.eraseHint}</p>${postButton(ctx, `${pageUrl}/effacement`, RETENTION_FR.eraseButton, 'secondary')}`
    : html``;
  const indexLink = ['AWAITING_OWNER', 'IMPORTING', 'PAUSED', 'DONE', 'PARTIAL'].includes(t.state)
    ? html`<p><a class="fr-link" href="/api/received/${t.id}/index/index.html">Index des contenus reçus</a> <span class="ui-muted">(titres, fiches descriptives, empreintes)</span></p>`
    : html``;
  const head = html`<tr><th scope="col">Contenu</th><th scope="col">État</th><th scope="col">Taille</th><th scope="col">Avancement</th><th scope="col">Téléchargement</th></tr>`;
  return layout(ctx, { title: 'Contenus reçus', scripts: PROGRESSION_SCRIPT, body: html`
<p>Depuis l’établissement <strong>${t.departureUai}</strong> (${t.departureEntId}), envoyés le ${dateFr(t.createdAt)}.</p>
<div class="fr-mb-3v">État : <span id="transfer-state" data-state="${t.state}">${stateBadge(ARRIVAL_STATE_FR, t.state)}</span></div>
${t.notice ? html`<div class="fr-callout" id="transfer-notice"><p class="fr-callout__text">${t.notice}</p></div>` : html``}
${lifetimes.length ? html`<ul id="lifetimes">${lifetimes.map((l) => html`<li>${l}</li>`)}</ul>` : html``}
${actions}
${progression(t, pageUrl, table('Contenus reçus', head, rows))}
${indexLink}${erase}<p><a class="fr-link" href="/">Retour à mes transferts</a></p>` });
}

export function errorPage(ctx: PageContext, title: string, detail: string): string {
  return layout(ctx, { title, body: html`${alert('error', detail)}<p><a class="fr-link" href="/">Retour à l’accueil</a></p>` });
}
