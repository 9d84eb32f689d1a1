import type { ConnectorContent } from '@ent/contract';
import type { ItemView, TransferView } from '../transfers/views';
import { Html, html } from './html';
import {
  ARRIVAL_STATE_FR, CATEGORY_FR, dateFr, dayFr, DECISION_FR, DEPARTURE_STATE_FR, FAILURE_REASON_FR, ITEM_STATE_FR, label, RETENTION_FR, SETTLED_STATES, sizeFr,
} from './labels.fr';

/**
 * The teacher transfer UI: server-rendered French pages that work without
 * JavaScript (forms and links only), so that they run under a strict CSP and
 * in any ENT's frame or browser.
 */

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
  /** Seconds after which a page that is still moving reloads itself. */
  refreshSeconds?: number;
}

const STYLE = `
body{font-family:system-ui,sans-serif;max-width:60rem;margin:0 auto;padding:1rem 1.5rem;color:#1e1e1e;line-height:1.45}
header{display:flex;justify-content:space-between;align-items:center;gap:1rem;border-bottom:1px solid #ddd;margin-bottom:1rem;flex-wrap:wrap}
header form{margin:0}
a{color:#000091}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}
th,td{border-bottom:1px solid #e5e5e5;padding:.4rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f6f6}
.notice{padding:.75rem 1rem;border-left:4px solid #000091;background:#eef;margin:1rem 0}
.error{border-left-color:#c9191e;background:#fee}
.state{font-weight:600}
.muted{color:#555;font-size:.9em}
button,.button{background:#000091;color:#fff;border:0;padding:.5rem 1rem;border-radius:.25rem;font-size:1rem;cursor:pointer;text-decoration:none;display:inline-block}
button.secondary{background:#fff;color:#000091;border:1px solid #000091}
label{font-weight:600}
input[type=text]{font-size:1rem;padding:.3rem;width:12rem}
ul.reasons{margin:.2rem 0;padding-left:1.2rem}
`;

export function layout(ctx: PageContext, title: string, body: Html): string {
  const header = ctx.user
    ? html`<div>Connecté·e : <strong>${ctx.user.displayName}</strong></div>
        <form method="post" action="/deconnexion"><input type="hidden" name="_csrf" value="${ctx.csrf ?? ''}"><button class="secondary">Se déconnecter</button></form>`
    : html``;
  const flash = ctx.flash ? html`<div class="notice ${ctx.flash.kind === 'error' ? 'error' : ''}" role="${ctx.flash.kind === 'error' ? 'alert' : 'status'}">${ctx.flash.text}</div>` : html``;
  const entReturn = ctx.entReturnUrl ? html`<p><a href="${ctx.entReturnUrl}" target="_top">Retour à mon ENT</a></p>` : html``;
  const refresh = ctx.refreshSeconds ? html`<meta http-equiv="refresh" content="${ctx.refreshSeconds}">` : html``;
  return html`<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">${refresh}
<title>${title} — Portabilité des contenus (${ctx.entId})</title><style>${new Html(STYLE)}</style></head>
<body><header><p><a href="/">Portabilité des contenus</a> — ${ctx.entId}</p>${entReturn}${header}</header>
<main><h1>${title}</h1>${flash}${body}</main></body></html>`.value;
}

function transferRows(transfers: TransferView[], kind: 'sent' | 'received'): Html {
  if (transfers.length === 0) {
    return html`<p class="muted">${kind === 'sent' ? 'Aucun transfert envoyé pour le moment.' : 'Aucun contenu reçu pour le moment.'}</p>`;
  }
  const rows = transfers.map((t) => {
    const href = kind === 'sent' ? `/transferts/${t.id}` : `/recus/${t.id}`;
    const where = kind === 'sent' ? t.arrivalUai : t.departureUai;
    const state = label(kind === 'sent' ? DEPARTURE_STATE_FR : ARRIVAL_STATE_FR, t.state);
    return html`<tr><td><a href="${href}">${dateFr(t.createdAt)}</a></td><td>${where}</td><td>${t.items.length}</td><td>${state}</td></tr>`;
  });
  return html`<table><thead><tr><th>Demandé le</th><th>${kind === 'sent' ? 'Établissement d’arrivée' : 'Établissement de départ'}</th><th>Contenus</th><th>État</th></tr></thead><tbody>${rows}</tbody></table>`;
}

export function homeAnonymous(ctx: PageContext): string {
  return layout(ctx, 'Emporter ses contenus dans son nouvel établissement', html`
<p>Vous changez d’établissement ? Transférez vos contenus (cahier de textes, cours, ressources pédagogiques, courrier, documents) vers l’ENT de votre nouvel établissement.</p>
<p>Les contenus que l’ENT d’arrivée sait lire y sont importés automatiquement à votre première connexion ; les autres vous y attendent en téléchargement.</p>
<p><a class="button" href="/auth/login">Se connecter avec le Guichet Agents</a></p>`);
}

export function homeRefused(ctx: PageContext, detail: string): string {
  return layout(ctx, 'Accès non autorisé', html`<div class="notice error" role="alert">${detail}</div>`);
}

export function home(ctx: PageContext, sent: TransferView[], received: TransferView[]): string {
  return layout(ctx, 'Mes transferts de contenus', html`
<p><a class="button" href="/transferts/nouveau">Préparer un transfert vers un autre établissement</a></p>
<h2>Transferts envoyés</h2>${transferRows(sent, 'sent')}
<h2>Contenus reçus d’un autre ENT</h2>${transferRows(received, 'received')}`);
}

export interface NewTransferForm {
  arrivalUai: string;
  itemIds: string[];
  errors: string[];
}

export function newTransfer(ctx: PageContext, contents: ConnectorContent[], arrivals: { uai: string; entId: string }[], form: NewTransferForm): string {
  const errors = form.errors.length
    ? html`<div class="notice error" role="alert"><p>Le transfert n’a pas pu être préparé :</p><ul>${form.errors.map((e) => html`<li>${e}</li>`)}</ul></div>`
    : html``;
  const rows = contents.map((c, i) => {
    const checked = form.itemIds.includes(c.id);
    const formats = c.formats.map((f) => f.format).join(', ');
    return html`<tr>
<td><input type="checkbox" name="itemIds" value="${c.id}" id="item-${i}"${checked ? html` checked` : html``}></td>
<td><label for="item-${i}">${c.title}</label>${c.metadataFormats.length ? html`<div class="muted">Fiche descriptive : ${c.metadataFormats.join(', ')}</div>` : html``}</td>
<td>${label(CATEGORY_FR, c.category)}</td><td>${formats}</td><td>${sizeFr(c.formats[0]?.sizeBytes)}</td></tr>`;
  });
  const list = contents.length
    ? html`<table><thead><tr><th><span class="muted">Choisir</span></th><th>Contenu</th><th>Type</th><th>Formats</th><th>Taille</th></tr></thead><tbody>${rows}</tbody></table>`
    : html`<p class="muted">Votre espace ne contient aucun contenu transférable.</p>`;
  return layout(ctx, 'Préparer un transfert', html`${errors}
<form method="post" action="/transferts">
<input type="hidden" name="_csrf" value="${ctx.csrf ?? ''}">
<p><label for="arrivalUai">Établissement d’arrivée (code UAI)</label><br>
<input type="text" id="arrivalUai" name="arrivalUai" value="${form.arrivalUai}" list="known-arrivals" required pattern="[0-9]{7}[A-Z]" placeholder="ex. 0690002B" autocomplete="off">
<datalist id="known-arrivals">${arrivals.map((a) => html`<option value="${a.uai}">${a.uai} (${a.entId})</option>`)}</datalist>
<br><span class="muted">7 chiffres suivis d’une lettre majuscule ; il figure sur votre arrêté d’affectation.</span></p>
<h2>Contenus à emporter</h2>${list}
<p><button>Demander l’analyse à l’ENT d’arrivée</button></p>
<p class="muted">L’ENT d’arrivée indiquera, pour chaque contenu, s’il l’importera automatiquement ou s’il vous faudra le télécharger. Rien n’est envoyé avant votre confirmation.</p>
</form>`);
}

function reasonsOf(item: ItemView): Html {
  const lines = [...item.reasons.map((r) => r.message), ...item.losses.map((l) => `Perte à la conversion : ${l.message}`)];
  if (item.lastError) lines.push(FAILURE_REASON_FR[item.lastError] ?? FAILURE_REASON_FR.UNSPECIFIED);
  return lines.length ? html`<ul class="reasons">${lines.map((l) => html`<li>${l}</li>`)}</ul>` : html``;
}

function actionForm(ctx: PageContext, action: string, text: string, secondary = false): Html {
  return html`<form method="post" action="${action}"><input type="hidden" name="_csrf" value="${ctx.csrf ?? ''}"><button${secondary ? html` class="secondary"` : html``}>${text}</button></form>`;
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

export function departureStatus(ctx: PageContext, t: TransferView): string {
  const rows = t.items.map((i) => html`<tr><td>${i.title}<div class="muted">${label(CATEGORY_FR, i.category)}</div></td>
<td>${i.decision ? label(DECISION_FR, i.decision) : html`<span class="muted">en attente de l’analyse</span>`}${reasonsOf(i)}</td>
<td>${label(ITEM_STATE_FR, i.state)}</td><td>${sizeFr(i.sizeBytes)}</td></tr>`);
  let actions = html``;
  if (t.state === 'DRAFT' || t.state === 'OFFERED') actions = actionForm(ctx, `/transferts/${t.id}/analyse`, 'Demander l’analyse à l’ENT d’arrivée');
  if (t.state === 'ANSWERED') {
    const accepted = t.items.filter((i) => i.decision && i.decision !== 'REFUSED').length;
    actions = accepted
      ? html`<p>${accepted} contenu(s) sur ${t.items.length} seront envoyés.</p>${actionForm(ctx, `/transferts/${t.id}/envoi`, 'Confirmer et envoyer')}`
      : html`<p>L’ENT d’arrivée a refusé tous les contenus choisis : il n’y a rien à envoyer.</p>`;
  }
  if (t.state === 'PAUSED') actions = actionForm(ctx, `/transferts/${t.id}/reprise`, 'Relancer l’envoi');
  const accepted = t.items.filter((i) => i.decision && i.decision !== 'REFUSED').length;
  const cancel = CANCELLABLE.includes(t.state)
    ? html`<p class="muted">${RETENTION_FR.cancelHint}</p>${actionForm(ctx, `/transferts/${t.id}/annulation`, RETENTION_FR.cancelButton, true)}`
    : html``;
  const proof = t.hasReceipt
    ? html`<p><a href="/api/transfers/${t.id}/proof">Accusé de réception signé par l’ENT d’arrivée</a> <span class="muted">(document JSON signé, à conserver ou à remettre à un auditeur)</span></p>`
    : html``;
  return layout(ctx, 'Suivi du transfert', html`
<p>Vers l’établissement <strong>${t.arrivalUai}</strong> (${t.arrivalEntId}), demandé le ${dateFr(t.createdAt)}.</p>
<p>État : <span class="state" id="transfer-state" data-state="${t.state}">${label(DEPARTURE_STATE_FR, t.state)}</span></p>
${t.notice ? html`<div class="notice" role="status" id="transfer-notice">${t.notice}</div>` : html``}
${departureLifetimes(t, accepted)}
${actions}${cancel}
<table><thead><tr><th>Contenu</th><th>Réponse de l’ENT d’arrivée</th><th>État</th><th>Taille</th></tr></thead><tbody>${rows}</tbody></table>
${proof}<p><a href="/">Retour à mes transferts</a></p>`);
}

export function arrivalStatus(ctx: PageContext, t: TransferView): string {
  const downloadable = (i: ItemView) => i.downloadUrl && (i.state === 'AWAITING_MANUAL_DOWNLOAD' || i.state === 'FAILED');
  const rows = t.items.map((i) => html`<tr><td>${i.title}<div class="muted">${label(CATEGORY_FR, i.category)}</div></td>
<td>${label(ITEM_STATE_FR, i.state)}${reasonsOf(i)}</td><td>${sizeFr(i.sizeBytes)}</td>
<td>${downloadable(i) ? html`<a href="${i.downloadUrl!}" download>Télécharger</a>` : html``}</td></tr>`);
  let actions = t.state === 'PAUSED' ? actionForm(ctx, `/recus/${t.id}/reprise`, 'Relancer l’import') : html``;
  if (t.state === 'AWAITING_ACCEPTANCE') {
    // ADR 010: nothing proves she asked for these contents; she decides, nothing is imported before.
    actions = html`<div class="actions">${actionForm(ctx, `/recus/${t.id}/accepter`, 'Accepter ces contenus')}
${actionForm(ctx, `/recus/${t.id}/refuser`, 'Refuser ces contenus')}</div>`;
  }
  const lifetimes: string[] = [];
  if (t.ownerWaitUntil && ['ANSWERED', 'FETCHING', 'AWAITING_OWNER', 'AWAITING_ACCOUNT'].includes(t.state)) lifetimes.push(RETENTION_FR.receivedWaits(dayFr(t.ownerWaitUntil)));
  if (t.retainUntil && ['DONE', 'PARTIAL'].includes(t.state)) lifetimes.push(RETENTION_FR.receivedKept(dayFr(t.retainUntil)));
  const erase = ERASABLE.includes(t.state)
    ? html`<p class="muted">${RETENTION_FR.eraseHint}</p>${actionForm(ctx, `/recus/${t.id}/effacement`, RETENTION_FR.eraseButton, true)}`
    : html``;
  const indexLink = ['AWAITING_OWNER', 'IMPORTING', 'PAUSED', 'DONE', 'PARTIAL'].includes(t.state)
    ? html`<p><a href="/api/received/${t.id}/index/index.html">Index des contenus reçus</a> <span class="muted">(titres, fiches descriptives, empreintes)</span></p>`
    : html``;
  return layout(ctx, 'Contenus reçus', html`
<p>Depuis l’établissement <strong>${t.departureUai}</strong> (${t.departureEntId}), envoyés le ${dateFr(t.createdAt)}.</p>
<p>État : <span class="state" id="transfer-state" data-state="${t.state}">${label(ARRIVAL_STATE_FR, t.state)}</span></p>
${t.notice ? html`<div class="notice" role="status" id="transfer-notice">${t.notice}</div>` : html``}
${lifetimes.length ? html`<ul id="lifetimes">${lifetimes.map((l) => html`<li>${l}</li>`)}</ul>` : html``}
${actions}
<table><thead><tr><th>Contenu</th><th>État</th><th>Taille</th><th></th></tr></thead><tbody>${rows}</tbody></table>
${indexLink}${erase}<p><a href="/">Retour à mes transferts</a></p>`);
}

export function errorPage(ctx: PageContext, title: string, detail: string): string {
  return layout(ctx, title, html`<div class="notice error" role="alert">${detail}</div><p><a href="/">Retour à l’accueil</a></p>`);
}

export function refreshFor(state: string): number | undefined {
  return SETTLED_STATES.has(state) ? undefined : 3;
}
