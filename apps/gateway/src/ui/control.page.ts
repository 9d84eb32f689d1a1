import { randomUUID } from 'node:crypto';
import type { ItemView, TransferView } from '../transfers/views';
import { Html, html, layout, PageContext } from './html';
import { dateFr, RETENTION_FR } from './labels.fr';

/**
 * ADR 016: each rendered form carries its own one-time key; the server records it, so that a
 * double click or a resent form does what it says once.
 */
export function onceField(): Html {
  return html`<input type="hidden" name="_once" value="${randomUUID()}">`;
}

function hidden(ctx: PageContext): Html {
  return html`<input type="hidden" name="_csrf" value="${ctx.csrf ?? ''}">${onceField()}`;
}

/** States in which she may still take items out, and delete the transfer (not started). */
export const EDITABLE = ['DRAFT', 'OFFERED', 'ANSWERED'];

/** « Retirer » beside an item of a transfer that has not started (not while the arrival is being asked). */
export function dropForm(ctx: PageContext, t: TransferView, i: ItemView): Html {
  const asking = t.state === 'OFFERED' && t.analysis && t.analysis.state !== 'FAILED';
  if (!EDITABLE.includes(t.state) || asking || !['SELECTED', 'REFUSED'].includes(i.state)) return html``;
  return html`<form method="post" action="/transferts/${t.id}/retrait" class="drop">${hidden(ctx)}
<input type="hidden" name="itemIds" value="${i.itemId}">
<button type="submit" class="fr-btn fr-btn--tertiary fr-btn--sm secondary">Retirer<span class="fr-sr-only"> « ${i.title} » du transfert</span></button></form>`;
}

/** Links to the confirmation pages: nothing is cancelled or deleted in one click. */
export function controlLinks(t: TransferView): Html {
  const links: Html[] = [];
  if (EDITABLE.includes(t.state)) links.push(html`<a class="fr-btn fr-btn--secondary" href="/transferts/${t.id}/suppression">Supprimer ce brouillon</a>`);
  else if (['STAGING', 'PAUSED'].includes(t.state)) links.push(html`<a class="fr-btn fr-btn--secondary" href="/transferts/${t.id}/annulation">${RETENTION_FR.cancelButton}</a>`);
  return links.length ? html`<p id="controles">${links}</p>` : html``;
}

function confirmPage(ctx: PageContext, t: TransferView, title: string, consequences: string[], action: string, button: string): string {
  return layout(ctx, { title, body: html`
<p>Transfert vers l’établissement <strong>${t.arrivalUai}</strong> (${t.arrivalEntId}), demandé le ${dateFr(t.createdAt)}, ${t.items.length} contenu(s).</p>
<ul>${consequences.map((c) => html`<li>${c}</li>`)}</ul>
<form method="post" action="${action}">${hidden(ctx)}
<p><button type="submit" class="fr-btn">${button}</button></p></form>
<p><a class="fr-link" href="/transferts/${t.id}">Non, revenir au transfert</a></p>` });
}

export function confirmCancel(ctx: PageContext, t: TransferView): string {
  return confirmPage(ctx, t, 'Annuler ce transfert ?', [
    'L’envoi s’arrête : rien ne sera livré à l’établissement d’arrivée.',
    'Les copies préparées pour l’envoi sont supprimées. Vos contenus d’origine, dans votre ENT, ne sont pas touchés.',
    'Cette action est définitive : pour transférer ces contenus plus tard, préparez un nouveau transfert.',
  ], `/transferts/${t.id}/annulation`, 'Oui, annuler le transfert');
}

export function confirmDelete(ctx: PageContext, t: TransferView): string {
  return confirmPage(ctx, t, 'Supprimer ce brouillon ?', [
    'Ce transfert n’a pas commencé : rien n’a été envoyé.',
    t.state === 'DRAFT' ? 'Le brouillon disparaît de vos transferts.' : 'L’établissement d’arrivée est prévenu qu’il peut oublier la demande ; le brouillon disparaît de vos transferts.',
    'Vos contenus d’origine, dans votre ENT, ne sont pas touchés.',
  ], `/transferts/${t.id}/suppression`, 'Oui, supprimer le brouillon');
}
