import type { ConnectorContent } from '@ent/contract';
import type { DataCopyRow } from '../copy/data-copy.repository';
import { alert, Html, html, layout, PageContext, refreshLink } from './html';
import { CATEGORY_FR, dateFr, label, sizeFr } from './labels.fr';
import { table } from './pages';
import { focusableTable } from './focusable-table';

/** « Télécharger une copie de mes données » (RGPD art. 20, ADR 017): the request and the copy, in French. */

const COPY_STATE_FR: Record<string, string> = {
  PREPARING: 'En préparation',
  READY: 'Prête à télécharger',
  FAILED: 'Échec de la préparation',
  EXPIRED: 'Supprimée (durée de conservation écoulée)',
};

/** « 7 jours », « 36 heures »: the retention as she reads it. */
export function retentionFr(seconds: number): string {
  if (seconds % 86_400 === 0) return `${seconds / 86_400} jour${seconds === 86_400 ? '' : 's'}`;
  if (seconds % 3_600 === 0) return `${seconds / 3_600} heure${seconds === 3_600 ? '' : 's'}`;
  return `${Math.ceil(seconds / 60)} minutes`;
}

/** « Télécharger (ZIP, 1,2 Go) »: what the link gives, its format and its size. */
export function downloadLabel(sizeBytes: number): string {
  return `Télécharger (ZIP, ${sizeFr(sizeBytes)})`;
}

const COPY_BADGE: Record<string, string> = { PREPARING: 'info', READY: 'success', FAILED: 'error', EXPIRED: 'new' };

const iso = (d: Date | string) => new Date(d).toISOString();

export function dataCopyHome(ctx: PageContext, contents: ConnectorContent[], copies: DataCopyRow[], retentionSeconds: number): string {
  const rows = contents.map((c, i) => html`<tr>
<td><div class="fr-checkbox-group fr-checkbox-group--sm"><input type="checkbox" name="itemIds" value="${c.id}" id="copy-item-${i}"><label class="fr-label" for="copy-item-${i}">${c.title}</label></div></td>
<td>${label(CATEGORY_FR, c.category)}</td>
<td>${sizeFr(c.formats[0]?.sizeBytes)}</td>
</tr>`);
  const history = copies.length === 0
    ? html`<p class="ui-muted">Vous n’avez pas encore demandé de copie.</p>`
    : table('Mes copies', html`<tr><th scope="col">Demandée le</th><th scope="col">Contenus</th><th scope="col">État</th></tr>`, copies.map((c) => html`<tr>
<td><a href="/mes-donnees/copies/${c.id}">${dateFr(iso(c.created_at))}</a></td>
<td>${c.scope === null ? 'Tous mes contenus' : `${c.scope.length} contenu(s) choisi(s)`}</td>
<td>${stateBadge(c.state)}</td></tr>`));
  return layout(ctx, { title: 'Télécharger une copie de mes données', body: html`
<p>Vous pouvez obtenir une copie de vos contenus pour la garder chez vous (droit à la portabilité, article 20 du RGPD), sans les envoyer à un autre ENT.
Vos contenus dans l’ENT ne sont ni modifiés ni supprimés.</p>
<p>La copie est un fichier ZIP : les cours au format Common Cartridge, le cahier de textes au format iCalendar avec une page lisible, la messagerie au format mbox et un fichier .eml par message, vos fichiers tels quels, leurs descriptions (ScoLOMFR, schema.org), et une page <em>index.html</em> qui s’ouvre sans connexion.</p>
<p>La copie reste disponible ${retentionFr(retentionSeconds)} après sa préparation, puis elle est supprimée. Vous seule pouvez la télécharger.</p>
<form method="post" action="/mes-donnees/copies">
<input type="hidden" name="_csrf" value="${ctx.csrf ?? ''}">
<fieldset class="fr-fieldset"><legend class="fr-fieldset__legend">Que voulez-vous copier ?</legend>
<div class="fr-fieldset__element"><div class="fr-radio-group"><input type="radio" name="scope" value="all" id="scope-all" checked><label class="fr-label" for="scope-all">Tous mes contenus (${contents.length})</label></div></div>
<div class="fr-fieldset__element"><div class="fr-radio-group"><input type="radio" name="scope" value="selection" id="scope-selection"><label class="fr-label" for="scope-selection">Seulement les contenus cochés ci-dessous</label></div></div>
</fieldset>
${contents.length ? table('Mes contenus dans cet ENT', html`<tr><th scope="col">Contenu</th><th scope="col">Type</th><th scope="col">Taille</th></tr>`, rows) : html`<p class="ui-muted">Votre espace ne contient aucun contenu.</p>`}
<p><button type="submit" class="fr-btn">Préparer la copie</button></p>
</form>
<h2>Mes copies</h2>
${history}
<p><a class="fr-link" href="/">Retour à mes transferts</a></p>` });
}

function stateBadge(state: string): Html {
  return html`<p class="fr-badge fr-badge--sm fr-badge--${COPY_BADGE[state] ?? 'info'}">${COPY_STATE_FR[state] ?? state}</p>`;
}

export function dataCopyStatus(ctx: PageContext, copy: DataCopyRow): string {
  const pageUrl = `/mes-donnees/copies/${copy.id}`;
  const state = html`<p>État : <span id="copy-state" data-state="${copy.state}">${stateBadge(copy.state)}</span></p>`;
  let body: Html;
  if (copy.state === 'PREPARING') {
    body = html`${alert('info', 'Votre copie est en cours de préparation. Selon la taille de vos contenus, cela peut prendre plusieurs minutes : vous pouvez fermer cette page et revenir plus tard.')}
${refreshLink(pageUrl)}`;
  } else if (copy.state === 'READY') {
    const items = copy.items ?? [];
    const missing = items.filter((i) => i.missing);
    body = html`<p><a class="fr-btn fr-icon-download-line fr-btn--icon-left" href="${pageUrl}/archive" download>${downloadLabel(copy.size_bytes ?? 0)}</a></p>
<p>Disponible jusqu’au ${dateFr(iso(copy.expires_at!))}, puis supprimée. Si le téléchargement est interrompu, relancez-le : il reprend là où il s’était arrêté.</p>
<p class="ui-muted">Empreinte SHA-256 du fichier : <code>${copy.sha256}</code></p>
${missing.length > 0 ? alert('warning', `${missing.length} contenu(s) n’ont pas pu être copiés : ${missing.map((m) => `${m.title} (${m.missing})`).join(' ; ')}`) : html``}
${focusableTable('Contenus de la copie', html`<tr><th scope="col">Contenu</th><th scope="col">Type</th><th scope="col">Taille</th><th scope="col">Résultat</th></tr>`,
    items.map((i) => html`<tr><td>${i.title}</td><td>${label(CATEGORY_FR, i.category)}</td><td>${sizeFr(i.sizeBytes)}</td><td>${i.missing ? `Non copié : ${i.missing}` : 'Copié'}${i.note ? html`<br><span class="ui-muted">${i.note}</span>` : html``}</td></tr>`))}`;
  } else if (copy.state === 'FAILED') {
    body = html`${alert('error', 'La copie n’a pas pu être préparée (votre ENT ou le stockage n’a pas répondu). Vous pouvez en demander une nouvelle.')}
<p><a class="fr-link" href="/mes-donnees">Demander une nouvelle copie</a></p>`;
  } else {
    body = html`<p>Cette copie a été supprimée à la fin de sa durée de conservation. <a class="fr-link" href="/mes-donnees">Demander une nouvelle copie</a></p>`;
  }
  return layout(ctx, { title: 'Copie de mes données', body: html`
<p>Demandée le ${dateFr(iso(copy.created_at))} — ${copy.scope === null ? 'tous mes contenus' : `${copy.scope.length} contenu(s) choisi(s)`}.</p>
${state}
${body}
<p><a class="fr-link" href="/mes-donnees">Retour à la copie de mes données</a></p>` });
}
