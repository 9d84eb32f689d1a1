import { Html, html } from './html';

/**
 * A table whose cells hold no link: at 360 px its scrolling container must itself be reachable
 * with the keyboard (axe `scrollable-region-focusable`), so it is a named, focusable region.
 */
export function focusableTable(caption: string, head: Html, rows: Html[]): Html {
  return html`<div class="fr-table fr-table--no-caption"><div class="fr-table__wrapper"><div class="fr-table__container" tabindex="0" role="region" aria-label="${caption}"><div class="fr-table__content">
<table><caption>${caption}</caption><thead>${head}</thead><tbody>${rows}</tbody></table></div></div></div></div>`;
}
