import type { ItemView, TransferView } from '../transfers/views';
import { Html, html } from './html';
import { ANSWERED_FR, progressionOf, progressRowOf } from './progress.fr';

/** The live progress script, served from this origin (ADR 016); the page works without it. */
export const PROGRESSION_SCRIPT = ['/assets/progression.js'];

/**
 * What the live-progress section of a status page says before the script runs (ADR 016): where
 * the question to the arrival stands, the overall line and meter; and the attributes the script
 * reads on `#progression` (the state it was rendered in, the analysis, whether it may stop).
 */
export function progressHead(t: TransferView): { attributes: Html; body: Html; terminal: boolean } {
  const doc = progressionOf(t);
  const analysis = doc.analysis
    ? html`<p id="analyse-etat" role="${doc.analysis.state === 'FAILED' ? 'alert' : 'status'}">${doc.analysis.message}</p>`
    : t.role === 'DEPARTURE' && t.state === 'ANSWERED'
      ? html`<p id="analyse-etat" role="status">${ANSWERED_FR}</p>`
      : html``;
  return {
    terminal: doc.terminal,
    attributes: html` data-state="${t.state}" data-analysis="${doc.analysis?.state ?? ''}" data-terminal="${doc.terminal ? 'true' : 'false'}"`,
    body: html`${analysis}<p class="ui-progress"><progress data-field="meter" max="100" value="${doc.percent}" aria-labelledby="progression-resume">${doc.percent} %</progress>
<span id="progression-resume" data-field="summary">${doc.summary}</span></p>`,
  };
}

/** The cells of one item's row the script keeps up to date (state, bytes, percentage). */
export function progressCells(i: ItemView, state: Html): Html {
  const row = progressRowOf(i);
  return html`<td data-field="state">${state}</td><td data-field="bytes">${row.bytesLabel}</td><td data-field="percent">${row.percentLabel}</td>`;
}
