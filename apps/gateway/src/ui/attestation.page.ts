import { PdfBlock, writeDocumentPdf } from '@ent/formats';
import type { Attestation, AttestationParty } from '../transfers/attestation';
import { alert, html, layout, PageContext } from './html';
import { CATEGORY_FR, dateFr, FAILURE_REASON_FR, label, sizeFr } from './labels.fr';
import { focusableTable } from './focusable-table';

/** « Attestation de transfert »: the arrival's signed receipt as a teacher (and her school) reads it, in HTML and PDF. */

export const ATTESTATION_TITLE = 'Attestation de transfert';

/** Outcome of each item as the receipt states it. */
export const RECEIPT_OUTCOME_FR: Record<string, string> = {
  IMPORTED: 'Importé dans l’ENT d’arrivée',
  AWAITING_MANUAL_DOWNLOAD: 'À télécharger à l’arrivée',
  REFUSED: 'Refusé par l’ENT d’arrivée',
  FAILED: 'Non transféré (échec)',
  NOT_IN_RECEIPT: 'Non mentionné dans l’accusé de réception',
};

function party(p: AttestationParty): string {
  return `${p.school ? `${p.school}, ` : ''}UAI ${p.uai} — ENT ${p.entId}`;
}

function outcome(item: Attestation['items'][number]): string {
  const reason = item.reason ? ` : ${FAILURE_REASON_FR[item.reason] ?? item.reason}` : '';
  return `${label(RECEIPT_OUTCOME_FR, item.outcome)}${reason}`;
}

function signatureLine(a: Attestation): string {
  return a.verification.valid ? 'Signature valide : l’accusé de réception a bien été signé par l’ENT d’arrivée et n’a pas été modifié.' : `Signature non vérifiée : ${a.verification.problem ?? ''}`;
}

export function attestationPage(ctx: PageContext, a: Attestation): string {
  const v = a.verification;
  return layout(ctx, { title: ATTESTATION_TITLE, body: html`
<dl class="ui-facts">
<dt>Personne</dt><dd>${a.ownerName}</dd>
<dt>Établissement de départ</dt><dd>${party(a.departure)}</dd>
<dt>Établissement d’arrivée</dt><dd>${party(a.arrival)}</dd>
<dt>Transfert demandé le</dt><dd>${dateFr(a.requestedAt)}</dd>
<dt>Accusé de réception émis le</dt><dd>${dateFr(a.receiptIssuedAt)}</dd>
</dl>
${focusableTable('Contenus transférés et résultat à l’arrivée', html`<tr><th scope="col">Contenu</th><th scope="col">Type</th><th scope="col">Taille</th><th scope="col">Résultat</th></tr>`,
    a.items.map((i) => html`<tr data-outcome="${i.outcome}"><td>${i.title}</td><td>${label(CATEGORY_FR, i.category)}</td><td>${sizeFr(i.sizeBytes)}</td><td>${outcome(i)}</td></tr>`))}
<h2>Vérification de l’accusé de réception</h2>
${alert(v.valid ? 'success' : 'error', signatureLine(a))}
<dl class="ui-facts">
<dt>Identifiant de la clé (kid)</dt><dd><code>${v.kid ?? '—'}</code></dd>
<dt>Algorithme</dt><dd><code>${v.alg ?? '—'}</code></dd>
<dt>Empreinte SHA-256 du contenu signé</dt><dd><code>${v.payloadSha256}</code></dd>
</dl>
<ul class="fr-btns-group fr-btns-group--inline-md">
<li><a class="fr-btn fr-icon-download-line fr-btn--icon-left" href="/transferts/${a.transferId}/attestation.pdf" download>Télécharger l’attestation (PDF)</a></li>
<li><a class="fr-btn fr-btn--secondary" href="/api/transfers/${a.transferId}/proof">Accusé de réception signé (JWS, pour un contrôle)</a></li>
</ul>
<p><a class="fr-link" href="/transferts/${a.transferId}">Retour au transfert</a></p>` });
}

/** The same attestation as a PDF (standard fonts, French accents in WinAnsi), any number of items. */
export function attestationPdf(a: Attestation): Buffer {
  const blocks: PdfBlock[] = [
    { text: `Personne : ${a.ownerName}` },
    { text: `Établissement de départ : ${party(a.departure)}` },
    { text: `Établissement d’arrivée : ${party(a.arrival)}` },
    { text: `Transfert demandé le ${dateFr(a.requestedAt)} ; accusé de réception émis le ${dateFr(a.receiptIssuedAt)}.` },
    { text: 'Contenus transférés et résultat à l’arrivée', bold: true, spaceBefore: 1 },
    ...a.items.map((i) => ({ text: `• ${i.title} (${label(CATEGORY_FR, i.category)}, ${sizeFr(i.sizeBytes)}) : ${outcome(i)}` })),
    { text: 'Vérification de l’accusé de réception', bold: true, spaceBefore: 1 },
    { text: signatureLine(a) },
    { text: `Identifiant de la clé (kid) : ${a.verification.kid ?? '—'}` },
    { text: `Algorithme : ${a.verification.alg ?? '—'}` },
    { text: `Empreinte SHA-256 du contenu signé : ${a.verification.payloadSha256}` },
    { text: `Transfert n° ${a.transferId}. L’accusé de réception signé (JWS) reste téléchargeable depuis la page du transfert.`, spaceBefore: 1 },
  ];
  return writeDocumentPdf(`${ATTESTATION_TITLE}`, blocks);
}
