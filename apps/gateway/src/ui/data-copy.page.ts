import type { ConnectorContent } from '@ent/contract';
import type { DataCopyRow } from '../copy/data-copy.repository';
import { html } from './html';
import { CATEGORY_FR, dateFr, label, sizeFr } from './labels.fr';
import { layout, PageContext } from './pages';

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

const iso = (d: Date | string) => new Date(d).toISOString();

export function dataCopyHome(ctx: PageContext, contents: ConnectorContent[], copies: DataCopyRow[], retentionSeconds: number): string {
  const rows = contents.map((c) => html`<tr>
<td><input type="checkbox" name="itemIds" value="${c.id}" id="copy-item-${c.id}"></td>
<td><label for="copy-item-${c.id}">${c.title}</label></td>
<td>${label(CATEGORY_FR, c.category)}</td>
<td>${sizeFr(c.formats[0]?.sizeBytes)}</td>
</tr>`);
  const history = copies.length === 0
    ? html`<p class="muted">Vous n’avez pas encore demandé de copie.</p>`
    : html`<table><thead><tr><th scope="col">Demandée le</th><th scope="col">Contenus</th><th scope="col">État</th></tr></thead><tbody>${copies.map((c) => html`<tr>
<td><a href="/mes-donnees/copies/${c.id}">${dateFr(iso(c.created_at))}</a></td>
<td>${c.scope === null ? 'Tous mes contenus' : `${c.scope.length} contenu(s) choisi(s)`}</td>
<td>${COPY_STATE_FR[c.state] ?? c.state}</td></tr>`)}</tbody></table>`;
  return layout(ctx, 'Télécharger une copie de mes données', html`
<p><a href="/">Retour à mes transferts</a></p>
<h1>Télécharger une copie de mes données</h1>
<p>Vous pouvez obtenir une copie de vos contenus pour la garder chez vous (droit à la portabilité, article 20 du RGPD), sans les envoyer à un autre ENT.
Vos contenus dans l’ENT ne sont ni modifiés ni supprimés.</p>
<p>La copie est un fichier ZIP : les cours au format Common Cartridge, le cahier de textes au format iCalendar avec une page lisible, la messagerie au format mbox et un fichier .eml par message, vos fichiers tels quels, leurs descriptions (ScoLOMFR, schema.org), et une page <em>index.html</em> qui s’ouvre sans connexion.</p>
<p>La copie reste disponible ${retentionFr(retentionSeconds)} après sa préparation, puis elle est supprimée. Seule vous pouvez la télécharger.</p>
<form method="post" action="/mes-donnees/copies">
<input type="hidden" name="_csrf" value="${ctx.csrf ?? ''}">
<fieldset><legend>Que voulez-vous copier ?</legend>
<p><input type="radio" name="scope" value="all" id="scope-all" checked> <label for="scope-all">Tous mes contenus (${contents.length})</label></p>
<p><input type="radio" name="scope" value="selection" id="scope-selection"> <label for="scope-selection">Seulement les contenus cochés ci-dessous</label></p>
</fieldset>
<table><caption>Mes contenus dans cet ENT</caption><thead><tr><th scope="col"><span class="muted">Choisir</span></th><th scope="col">Contenu</th><th scope="col">Catégorie</th><th scope="col">Taille</th></tr></thead>
<tbody>${rows}</tbody></table>
<button type="submit">Préparer la copie</button>
</form>
<h2>Mes copies</h2>
${history}`);
}

export function dataCopyStatus(ctx: PageContext, copy: DataCopyRow): string {
  const state = html`<p id="copy-state" data-state="${copy.state}" class="state">État : ${COPY_STATE_FR[copy.state] ?? copy.state}</p>`;
  let body;
  if (copy.state === 'PREPARING') {
    body = html`<p role="status">Votre copie est en cours de préparation. Selon la taille de vos contenus, cela peut prendre plusieurs minutes ; vous pouvez fermer cette page et revenir plus tard.</p>
<p><a class="button" href="/mes-donnees/copies/${copy.id}">Actualiser</a></p>`;
  } else if (copy.state === 'READY') {
    const items = copy.items ?? [];
    const missing = items.filter((i) => i.missing);
    body = html`<p><a class="button" href="/mes-donnees/copies/${copy.id}/archive" download>${downloadLabel(copy.size_bytes ?? 0)}</a></p>
<p>Disponible jusqu’au ${dateFr(iso(copy.expires_at!))}, puis supprimée. Si le téléchargement est interrompu, relancez-le : il reprend là où il s’était arrêté.</p>
<p class="muted">Empreinte SHA-256 du fichier : <code>${copy.sha256}</code></p>
${missing.length > 0 ? html`<div class="notice error" role="alert">${missing.length} contenu(s) n’ont pas pu être copiés : ${missing.map((m) => `${m.title} (${m.missing})`).join(' ; ')}</div>` : ''}
<table><caption>Contenus de la copie</caption><thead><tr><th scope="col">Contenu</th><th scope="col">Catégorie</th><th scope="col">Taille</th><th scope="col">Résultat</th></tr></thead><tbody>
${items.map((i) => html`<tr><td>${i.title}</td><td>${label(CATEGORY_FR, i.category)}</td><td>${sizeFr(i.sizeBytes)}</td><td>${i.missing ? `Non copié : ${i.missing}` : 'Copié'}${i.note ? html`<br><span class="muted">${i.note}</span>` : ''}</td></tr>`)}
</tbody></table>`;
  } else if (copy.state === 'FAILED') {
    body = html`<div class="notice error" role="alert">La copie n’a pas pu être préparée (votre ENT ou le stockage n’a pas répondu). Vous pouvez en demander une nouvelle.</div>
<p><a href="/mes-donnees">Demander une nouvelle copie</a></p>`;
  } else {
    body = html`<p>Cette copie a été supprimée à la fin de sa durée de conservation. <a href="/mes-donnees">Demander une nouvelle copie</a></p>`;
  }
  return layout(ctx, 'Copie de mes données', html`
<p><a href="/mes-donnees">Retour à la copie de mes données</a></p>
<h1>Copie de mes données</h1>
<p>Demandée le ${dateFr(iso(copy.created_at))} — ${copy.scope === null ? 'tous mes contenus' : `${copy.scope.length} contenu(s) choisi(s)`}.</p>
${state}
${body}`);
}
