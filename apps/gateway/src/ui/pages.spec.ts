import type { ConnectorContent } from '@ent/contract';
import type { ItemView, TransferSummary, TransferView } from '../transfers/views';
import { html, raw } from './html';
import { arrivalStatus, departureStatus, home, newTransfer, receivedIndex } from './pages';

const hostile = '<img src=x onerror="alert(1)">\'&';
const ID = '0b0f3f3e-8a8e-4c1e-9d53-1f1c2b3a4d5e';
const schools = {
  '0690002B': { uai: '0690002B', name: 'Lycée Ampère', town: 'Lyon', portalUrl: 'https://ent-b.example.fr/' },
  '0750001A': { uai: '0750001A', name: 'Lycée Victor-Hugo', town: 'Paris' },
};

function item(over: Partial<ItemView> = {}): ItemView {
  return {
    itemId: 'x', title: hostile, category: 'STOCKAGE_PARTAGE', state: 'SELECTED', decision: 'MANUAL', sourceFormat: 'binary', targetFormat: null,
    reasons: [{ code: 'NO_IMPORTABLE_FORMAT', message: hostile }], losses: [{ code: 'L', message: hostile }], metadata: null, sizeBytes: 1_234_567, sha256: null,
    localId: null, lastError: null, mediaType: 'application/pdf', downloadUrl: '/api/received/x/items/x/download', ...over,
  };
}

function transfer(over: Partial<TransferView> = {}): TransferView {
  return {
    id: ID, role: 'DEPARTURE', state: 'ANSWERED', departureEntId: 'ent-a', departureUai: '0750001A',
    arrivalEntId: 'ent-b', arrivalUai: '0690002B', ownerDisplayName: 'Marie Dupont', createdAt: '2026-12-04T10:00:00Z', updatedAt: '2026-12-04T10:00:00Z',
    expiresAt: '2026-12-18T10:00:00Z', hasReceipt: false,
    items: [item()],
    ...over,
  };
}

const content = (id: string, over: Partial<ConnectorContent> = {}): ConnectorContent => ({
  id, title: `Titre ${id}`, category: 'PARCOURS_PEDAGOGIQUE', updatedAt: '2026-01-01T00:00:00Z', formats: [{ format: 'imscc-1.3', mediaType: 'application/zip', sizeBytes: 2_500_000 }], metadataFormats: ['scolomfr-3.1'], ...over,
});

const emptyForm = { recherche: '', arrivalUai: '', itemIds: [], errors: [] };

/** Words a teacher should never read (issue 16). */
const TECHNICAL = /imscc|\bical\b|\bbinary\b|ent-b|ent-a|\boffre\b|\(réseau\)|scolomfr-3\.1/;

/** Text between tags, without attributes (what a teacher reads). */
const visibleText = (page: string) => page.replace(/<[^>]*>/g, ' ');

describe('teacher UI pages', () => {
  it('escapes every value and leaves only its own markup', () => {
    expect(html`<p>${hostile}</p>${raw('<b>ok</b>')}${[1, null, undefined, false]}`.value).toBe('<p>&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&#39;&amp;</p><b>ok</b>1');
  });

  it.each([
    ['departure status', () => departureStatus({ entId: 'ent-a', csrf: 't' }, transfer())],
    ['arrival status', () => arrivalStatus({ entId: 'ent-b', csrf: 't' }, transfer({ role: 'ARRIVAL', state: 'PARTIAL', items: [item({ state: 'AWAITING_MANUAL_DOWNLOAD' })] }))],
    ['received index', () => receivedIndex({ entId: 'ent-b', csrf: 't' }, transfer({ role: 'ARRIVAL', state: 'DONE' }))],
    ['new transfer', () => newTransfer({ entId: 'ent-a', csrf: 't' }, [content('c1', { title: hostile })], { recherche: '"><script>', arrivalUai: '', itemIds: ['c1'], errors: [{ field: 'general', message: hostile }], results: [{ uai: '0690002B', name: hostile }] })],
  ])('%s: no data from another system reaches the page as markup', (_, render) => {
    const page = render();
    expect(page).not.toContain('<img');
    // The only script is the gateway's own live progress file (ADR 016).
    expect(page.replace(/<script src="\/assets\/progression\.js" defer><\/script>/g, '')).not.toContain('<script');
    expect(page).toContain('&lt;img src=x onerror=&quot;alert(1)&quot;&gt;');
    expect(page).toMatch(/^<!doctype html>\n<html lang="fr">/);
    // RGAA: every header cell says what its column holds.
    expect(page).not.toMatch(/<th[^>]*>\s*<\/th>/);
  });

  it('decision screen: the summary first, then the answer item by item, then the confirm button (also at 360 px: DOM order)', () => {
    const page = departureStatus({ entId: 'ent-a', csrf: 'tok', schools }, transfer({
      items: [item({ itemId: 'a', decision: 'IMPORT' }), item({ itemId: 'b', decision: 'IMPORT' }), item({ itemId: 'c', decision: 'CONVERT' }), item({ itemId: 'd', decision: 'MANUAL' }), item({ itemId: 'e', decision: 'REFUSED' })],
    }));
    const summary = page.indexOf('id="resume"');
    const list = page.indexOf('<tr data-item-id="a">');
    const confirm = page.indexOf('Confirmer et envoyer');
    expect(summary).toBeGreaterThan(0);
    expect(summary).toBeLessThan(list);
    expect(list).toBeLessThan(confirm);
    expect(page).toContain('2 seront importés automatiquement, 1 sera converti puis importé, 1 sera à télécharger dans votre nouvel ENT et 1 est refusé.');
    expect(page).toContain('<title>Étape 2 sur 4 — Réponse de l’établissement d’arrivée — Transfert de mes contenus</title>');
    expect(page).toContain('<span class="fr-stepper__state">Étape 2 sur 4</span>');
    // « sera importé » before she confirms; never « Importé automatiquement » yet.
    expect(page).toContain('Sera importé automatiquement');
    expect(page).not.toContain('>Importé automatiquement');
    expect(page).toContain('Réponse de Lycée Ampère, Lyon');
    expect(page).toContain('name="_csrf" value="tok"');
    expect(page).toContain('4 décembre 2026');
    expect(visibleText(page)).not.toMatch(TECHNICAL);
    // Nothing accepted: nothing to confirm.
    const refused = departureStatus({ entId: 'ent-a' }, transfer({ items: [item({ decision: 'REFUSED' })] }));
    expect(refused).not.toContain('Confirmer et envoyer');
    expect(refused).toContain('il n’y a rien à envoyer');
  });

  it('says « importé » once the receipt says so, that her originals stay, and what to do next with the new ENT link', () => {
    const done = departureStatus({ entId: 'ent-a', schools }, transfer({
      state: 'CLEANED', hasReceipt: true, items: [item({ decision: 'IMPORT', state: 'CLEANED', localId: 'L1' }), item({ itemId: 'y', decision: 'MANUAL', state: 'CLEANED' })],
    }));
    expect(done).toContain('Importé automatiquement');
    expect(done).toContain('Vos contenus d’origine restent dans votre ENT actuel');
    expect(done).toContain('Connectez-vous à votre nouvel ENT');
    expect(done).toContain('href="https://ent-b.example.fr/"');
    expect(done).toContain('Étape 4 sur 4');
    expect(visibleText(done)).not.toMatch(TECHNICAL);
    // Unknown school: its UAI, and no link to invent.
    const unnamed = departureStatus({ entId: 'ent-a' }, transfer({ state: 'DELIVERED' }));
    expect(unnamed).toContain('Établissement 0690002B');
    expect(unnamed).toContain('Connectez-vous à votre nouvel ENT');
    expect(unnamed).not.toContain('Aller sur l’ENT');
  });

  it('renders « Actualiser » and the live progress hooks while the transfer moves, never a self-refresh', () => {
    const waiting = departureStatus({ entId: 'ent-a', csrf: 't' }, transfer());
    expect(waiting).not.toContain('http-equiv');
    expect(waiting).not.toContain('Actualiser');
    const moving = departureStatus({ entId: 'ent-a', csrf: 't' }, transfer({ state: 'STAGING', items: [item({ state: 'TO_STAGE' })] }));
    expect(moving).not.toContain('http-equiv');
    expect(moving).toContain(`<section id="progression" data-progress-url="/transferts/${ID}/progression"`);
    expect(moving).toMatch(new RegExp(`<a [^>]*href="/transferts/${ID}">Actualiser</a>`));
    expect(moving).toContain('<p id="progression-annonce" class="fr-sr-only" aria-live="polite"></p>');
    expect(moving).toContain('<tr data-item-id="x">');
    for (const field of ['state', 'bytes', 'percent']) expect(moving).toContain(`data-field="${field}"`);
    const arriving = arrivalStatus({ entId: 'ent-b' }, transfer({ role: 'ARRIVAL', state: 'FETCHING' }));
    expect(arriving).toContain(`data-progress-url="/recus/${ID}/progression"`);
    expect(arriving).toContain('>Actualiser</a>');
  });

  it('arrival: « Terminé » only when nothing waits for her; « Télécharger » names the file, its format and size; where imported items live', () => {
    const waiting = arrivalStatus({ entId: 'ent-b', schools }, transfer({
      role: 'ARRIVAL', state: 'DONE',
      items: [item({ itemId: 'm', title: 'Courrier', state: 'AWAITING_MANUAL_DOWNLOAD', sourceFormat: 'mbox', mediaType: 'application/mbox' }), item({ itemId: 'c', title: 'Cours', category: 'PARCOURS_PEDAGOGIQUE', state: 'IMPORTED', localId: 'L' })],
    }));
    expect(waiting).not.toMatch(/>Terminé</);
    expect(waiting).toContain('Importé, sauf 1 contenu à télécharger');
    expect(waiting).toContain('Télécharger « Courrier »<span class="fr-link__detail">Courriels (fichier mbox) – 1,2 Mo</span>');
    expect(waiting).toContain('Dans votre ENT, rubrique « Parcours pédagogique (cours) »');
    expect(waiting).toContain('Depuis <strong>Lycée Victor-Hugo, Paris</strong>');
    expect(waiting).toContain(`href="/recus/${ID}/index"`);
    expect(visibleText(waiting)).not.toMatch(TECHNICAL);
    const located = arrivalStatus({ entId: 'ent-b' }, transfer({ role: 'ARRIVAL', state: 'DONE', items: [item({ title: 'Cours', state: 'IMPORTED', localId: 'L', location: 'https://ent-b.example.fr/cours/42' })] }));
    expect(located).toContain('>Terminé<');
    expect(located).toContain('<a class="fr-link" href="https://ent-b.example.fr/cours/42" target="_top">Ouvrir « Cours » dans votre ENT</a>');
  });

  it('received index: a page of the service with a real title and a way back', () => {
    const page = receivedIndex({ entId: 'ent-b', schools }, transfer({ role: 'ARRIVAL', state: 'DONE', items: [item({ sha256: 'a'.repeat(64) })] }));
    expect(page).toContain('<title>Index des contenus reçus de Lycée Victor-Hugo, Paris — Transfert de mes contenus</title>');
    expect(page).toContain('<main id="contenu"');
    expect(page).toContain(`href="/recus/${ID}">Retour aux contenus reçus</a>`);
    expect(page).toContain('a'.repeat(64));
  });

  it('new transfer: errors tied to their field, an error summary that takes the focus, « Erreur : » in the title, no browser validation', () => {
    const page = newTransfer({ entId: 'ent-a', csrf: 't' }, [content('c1'), content('c2')], {
      ...emptyForm, recherche: 'Atlantide', errors: [{ field: 'recherche', message: 'Aucun établissement partenaire ne correspond.' }, { field: 'itemIds', message: 'Choisissez au moins un contenu à transférer.' }],
    });
    expect(page).toMatch(/<title>Erreur : Étape 1 sur 4 — Choix des contenus — Transfert de mes contenus<\/title>/);
    expect(page).toContain('<form method="post" action="/transferts" novalidate>');
    expect(page).toMatch(/<div class="fr-alert fr-alert--error[^"]*" role="alert" id="erreurs" tabindex="-1" autofocus>/);
    expect(page).toContain('<a href="#recherche">Aucun établissement partenaire ne correspond.</a>');
    expect(page).toContain('<a href="#item-0">Choisissez au moins un contenu à transférer.</a>');
    expect(page).toMatch(/id="recherche"[^>]*aria-invalid="true" aria-describedby="recherche-erreur"/);
    expect(page).toContain('<p class="fr-error-text" id="recherche-erreur">');
    expect(page).toMatch(/<fieldset class="fr-fieldset fr-fieldset--error" id="contenus" aria-labelledby="contenus-legende contenus-erreur">/);
    expect(page).not.toMatch(/\brequired\b|pattern=/);
    expect(page).toContain('Tout sélectionner');
    expect(visibleText(page)).not.toMatch(TECHNICAL);
    expect(page).toContain('Parcours pédagogique (cours) · cours Common Cartridge (Moodle et autres) · 2,5 Mo');
  });

  it('new transfer: search results as radio buttons named by school and town; all chosen → « Tout désélectionner »', () => {
    const page = newTransfer({ entId: 'ent-a', csrf: 't' }, [content('c1'), content('c2')], {
      ...emptyForm, recherche: 'lyon', itemIds: ['c1', 'c2'], results: [{ uai: '0690002B', name: 'Lycée Ampère', town: 'Lyon' }, { uai: '0690003C' }],
    });
    expect(page).toContain('<legend class="fr-fieldset__legend" id="ecoles-legende">2 établissements trouvés</legend>');
    expect(page).toMatch(/<input type="radio" id="ecole-0" name="arrivalUai" value="0690002B">\n<label class="fr-label" for="ecole-0">Lycée Ampère, Lyon<span class="fr-hint-text">Code UAI 0690002B<\/span>/);
    expect(page).toContain('Établissement 0690003C');
    expect(page).toContain('Tout désélectionner');
    expect(page).not.toContain('Erreur');
  });

  const summary = (over: Partial<TransferSummary> = {}): TransferSummary => ({
    id: ID, state: 'CLEANED', createdAt: '2026-12-04T10:00:00Z', departureUai: '0750001A', arrivalUai: '0690002B', itemCount: 1, awaitingManualDownload: 0, ...over,
  });

  it('home names the schools, not their UAIs, when they are known', () => {
    const page = home({ entId: 'ent-a', schools }, [summary()], []);
    expect(page).toContain('<td>Lycée Ampère, Lyon</td>');
    expect(page).not.toContain('<td>0690002B</td>');
  });

  it('home lists each transfer from its summary: how many contents, and what waits for a manual download', () => {
    const page = home({ entId: 'ent-b', schools }, [], [summary({ state: 'DONE', itemCount: 20, awaitingManualDownload: 4 }), summary({ id: 'other', state: 'IMPORTING', itemCount: 1 })]);
    expect(page).toContain('<td>20</td>');
    expect(page).toContain('Importé, sauf 4 contenus à télécharger');
    expect(page).toContain('<td>1</td>');
  });
});
