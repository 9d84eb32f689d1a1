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
const ICONS = ['system/refresh-line', 'system/logout-box-r-line', 'user/account-circle-line', 'arrows/arrow-go-back-line', 'system/download-line'];
const iconRules = ICONS.map((path) => {
  const url = `${DSFR_PATH}/icons/${path}.svg`;
  return `.fr-icon-${path.split('/')[1]}::before,.fr-icon-${path.split('/')[1]}::after{-webkit-mask-image:url("${url}");mask-image:url("${url}")}`;
}).join('\n');

export const UI_CSS = `${iconRules}
@media (max-width: 61.99em) {
  .fr-header__tools { display: block; padding: 0 1rem .5rem; }
  .fr-header__tools-links { display: block; }
  .fr-header__tools-links .fr-btns-group { flex-wrap: wrap; }
}
.ui-identity { cursor: default; }
main { overflow-wrap: anywhere; }
.fr-table td, .fr-table th { overflow-wrap: anywhere; }
.ui-reasons { margin: .25rem 0 0; padding-left: 1.25rem; font-size: .875rem; }
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
