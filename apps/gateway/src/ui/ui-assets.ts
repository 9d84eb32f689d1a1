import { dirname, join } from 'node:path';
import express from 'express';
import { DSFR_PATH, UI_CSS_PATH } from './html';

/**
 * The State design system served by the gateway itself, from the installed `@gouvfr/dsfr` package
 * (ADR 015): school networks are often closed to CDNs, and the CSP allows this origin only.
 * Only the files a page can ask for (styles, scripts, fonts, icons, favicons); no source maps, no
 * directory listing, no dotfiles.
 */
const DSFR_DIST = join(dirname(require.resolve('@gouvfr/dsfr/package.json')), 'dist');
const SERVED = /\.(css|js|woff2?|svg|png|ico|webmanifest)$/;

/**
 * The UI's own rules on top of DSFR, kept few: the header's tools stay visible on a phone without
 * the DSFR menu script, long titles and hashes wrap instead of widening the page at 360 px.
 */
/** The few DSFR icons the pages use, defined here rather than loading the 350 kB icon utility. */
const ICONS = ['system/refresh-line', 'system/logout-box-r-line', 'user/account-circle-line', 'arrows/arrow-go-back-line', 'arrows/arrow-left-line', 'system/download-line'];
const iconRules = ICONS.map((path) => {
  const url = `${DSFR_PATH}/icons/${path}.svg`;
  return `.fr-icon-${path.split('/')[1]}::before,.fr-icon-${path.split('/')[1]}::after{-webkit-mask-image:url("${url}");mask-image:url("${url}")}`;
}).join('\n');

export const UI_CSS = `${iconRules}
@media (max-width: 61.99em) {
  .fr-header__body-row { flex-direction: column; align-items: stretch; }
  .fr-header__tools { display: block; padding-bottom: .5rem; }
  .fr-header__tools-links { display: block; }
  .fr-header__tools-links .fr-btns-group { display: flex; flex-wrap: wrap; gap: 0 1rem; margin: 0; }
  .fr-header__tools-links .fr-btns-group > li { width: auto; margin: 0; }
  .fr-header__tools-links .fr-btn { margin: 0; }
}
.ui-identity { cursor: default; }
main { overflow-wrap: anywhere; }
.fr-table td, .fr-table th { overflow-wrap: normal; min-width: 7rem; }
.fr-table td:first-child, .fr-table th:first-child { min-width: 11rem; }
.fr-table td:nth-child(2), .fr-table th:nth-child(2) { min-width: 12rem; }
.fr-table td { vertical-align: top; }
.ui-reasons { margin: .25rem 0 0; padding-left: 1.25rem; font-size: .875rem; }
.ui-search-row { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: flex-end; }
.ui-search-row .fr-input { flex: 1 1 14rem; width: auto; }
.ui-hash { font-size: .75rem; word-break: break-all; }
.ui-muted { color: var(--text-mention-grey); font-size: .875rem; }
.fr-sr-only-focusable:not(:focus) { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
`;

export function uiAssetsRouter(): express.Router {
  const router = express.Router();
  const dsfr = express.static(DSFR_DIST, { index: false, dotfiles: 'ignore', fallthrough: false, maxAge: '1d', redirect: false });
  router.use(DSFR_PATH, (req, res, next) => {
    if (!SERVED.test(req.path)) {
      res.status(404).type('text/plain').send('Not found');
      return;
    }
    res.setHeader('X-Content-Type-Options', 'nosniff');
    dsfr(req, res, (err?: { status?: number }) => {
      if (err) res.status(err.status === 404 ? 404 : 400).type('text/plain').send('Not found');
      else next();
    });
  });
  router.get(UI_CSS_PATH, (_req, res) => {
    res.setHeader('Content-Type', 'text/css; charset=utf-8');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Cache-Control', 'public, max-age=3600');
    res.send(UI_CSS);
  });
  return router;
}
