import { documentTitle, html, layout } from './html';

describe('page shell (ADR 015)', () => {
  const page = layout(
    { entId: 'ent-a', csrf: 'tok', user: { displayName: 'Marie <Dupont>', uais: [] }, entReturnUrl: 'https://ent.example.fr/' },
    { title: 'Réponse de l’établissement d’arrivée', step: { index: 2, count: 4, title: 'Réponse de l’établissement d’arrivée', next: 'Envoi' }, body: html`<p>corps</p>` },
  );

  it('is French, with the Marianne block, the service name, skip links, one main and a footer', () => {
    expect(page).toMatch(/^<!doctype html>\n<html lang="fr"/);
    expect(page).toContain('<p class="fr-logo">République<br>Française</p>');
    expect(page).toContain('<p class="fr-header__service-title">Transfert de mes contenus</p>');
    expect(page).toContain('<a class="fr-link" href="#contenu">Contenu</a>');
    expect(page.match(/<main /g)).toHaveLength(1);
    expect(page).toContain('<main id="contenu"');
    expect(page).toContain('<footer class="fr-footer" id="pied-de-page">');
    expect(page).toContain('Marie &lt;Dupont&gt;');
    expect(page).toContain('name="_csrf" value="tok"');
  });

  it('loads DSFR from this origin only, with no inline style, no inline script and no self-refresh', () => {
    expect(page).toContain('<link rel="stylesheet" href="/assets/dsfr/dsfr.min.css">');
    expect(page).not.toMatch(/<style|style="|<script>|http-equiv|https?:\/\/(?!ent\.example\.fr)/);
  });

  it('says the step in the stepper and in the title, and « Erreur : » first when a form has errors', () => {
    expect(page).toContain('<span class="fr-stepper__state">Étape 2 sur 4</span>');
    expect(page).toContain('data-fr-current-step="2" data-fr-steps="4"');
    expect(page).toContain('<title>Étape 2 sur 4 — Réponse de l’établissement d’arrivée — Transfert de mes contenus</title>');
    expect(documentTitle({ title: 'Choix', step: { index: 1, count: 4, title: 'Choix des contenus' }, hasErrors: true }))
      .toBe('Erreur : Étape 1 sur 4 — Choix des contenus — Choix — Transfert de mes contenus');
    expect(documentTitle({ title: 'Mes transferts' })).toBe('Mes transferts — Transfert de mes contenus');
  });
});
