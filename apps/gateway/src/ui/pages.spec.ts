import type { TransferView } from '../transfers/views';
import { html, raw } from './html';
import { arrivalStatus, departureStatus, newTransfer } from './pages';

const hostile = '<img src=x onerror="alert(1)">\'&';

function transfer(over: Partial<TransferView> = {}): TransferView {
  return {
    id: '0b0f3f3e-8a8e-4c1e-9d53-1f1c2b3a4d5e', role: 'DEPARTURE', state: 'ANSWERED', departureEntId: 'ent-a', departureUai: '0750001A',
    arrivalEntId: 'ent-b', arrivalUai: '0690002B', ownerDisplayName: 'Marie Dupont', createdAt: '2026-12-04T10:00:00Z', updatedAt: '2026-12-04T10:00:00Z',
    expiresAt: '2026-12-18T10:00:00Z', hasReceipt: false,
    items: [{
      itemId: 'x', title: hostile, category: 'STOCKAGE_PARTAGE', state: 'SELECTED', decision: 'MANUAL', sourceFormat: 'binary', targetFormat: null,
      reasons: [{ code: 'NO_IMPORTABLE_FORMAT', message: hostile }], losses: [{ code: 'L', message: hostile }], metadata: null, sizeBytes: 1_234_567, sha256: null,
      localId: null, lastError: null, downloadUrl: '/api/received/x/items/x/download',
    }],
    ...over,
  };
}

describe('teacher UI pages', () => {
  it('escapes every value and leaves only its own markup', () => {
    expect(html`<p>${hostile}</p>${raw('<b>ok</b>')}${[1, null, undefined, false]}`.value).toBe('<p>&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&#39;&amp;</p><b>ok</b>1');
  });

  it.each([
    ['departure status', () => departureStatus({ entId: 'ent-a', csrf: 't' }, transfer())],
    ['arrival status', () => arrivalStatus({ entId: 'ent-b', csrf: 't' }, transfer({ role: 'ARRIVAL', state: 'PARTIAL', items: transfer().items.map((i) => ({ ...i, state: 'AWAITING_MANUAL_DOWNLOAD' })) }))],
    ['new transfer', () => newTransfer({ entId: 'ent-a', csrf: 't' }, [{ id: 'c1', title: hostile, category: 'STOCKAGE_PARTAGE', updatedAt: '2026-01-01T00:00:00Z', formats: [{ format: 'binary', mediaType: 'application/pdf', sizeBytes: 10 }], metadataFormats: [] }], [{ uai: '0690002B', entId: 'ent-b' }], { arrivalUai: '"><script>', itemIds: ['c1'], errors: [hostile] })],
  ])('%s: no data from another system reaches the page as markup', (_, render) => {
    const page = render();
    expect(page).not.toContain('<img');
    // The only script is the gateway's own live progress file (ADR 016).
    expect(page.replace(/<script src="\/assets\/progression\.js" defer><\/script>/g, '')).not.toContain('<script');
    expect(page).toContain('&lt;img src=x onerror=&quot;alert(1)&quot;&gt;');
    expect(page).toMatch(/^<!doctype html>\n<html lang="fr">/);
  });

  it('shows the answer in French, with sizes and the confirm form', () => {
    const page = departureStatus({ entId: 'ent-a', csrf: 'tok' }, transfer());
    expect(page).toContain('À télécharger manuellement à l’arrivée');
    expect(page).toContain('1,2 Mo');
    expect(page).toContain('Confirmer et envoyer');
    expect(page).toContain('name="_csrf" value="tok"');
    expect(page).toContain('4 décembre 2026');
    // Still waiting for her: no self-refresh, no « Actualiser » (nothing moves).
    expect(page).not.toContain('http-equiv');
    expect(page).not.toContain('Actualiser');
    // Nothing accepted: nothing to confirm.
    const refused = departureStatus({ entId: 'ent-a' }, transfer({ items: transfer().items.map((i) => ({ ...i, decision: 'REFUSED' })) }));
    expect(refused).not.toContain('Confirmer et envoyer');
    expect(refused).toContain('il n’y a rien à envoyer');
  });

  it('renders « Actualiser » and the live progress hooks while the transfer moves, never a self-refresh', () => {
    const moving = departureStatus({ entId: 'ent-a', csrf: 't' }, transfer({ state: 'STAGING', items: transfer().items.map((i) => ({ ...i, state: 'TO_STAGE' })) }));
    expect(moving).not.toContain('http-equiv');
    expect(moving).toContain('<section id="progression" data-progress-url="/transferts/0b0f3f3e-8a8e-4c1e-9d53-1f1c2b3a4d5e/progression"');
    expect(moving).toMatch(/<a [^>]*href="\/transferts\/0b0f3f3e-8a8e-4c1e-9d53-1f1c2b3a4d5e">Actualiser<\/a>/);
    expect(moving).toContain('<p id="progression-annonce" class="fr-sr-only" aria-live="polite"></p>');
    expect(moving).toContain('<tr data-item-id="x">');
    for (const field of ['state', 'bytes', 'percent']) expect(moving).toContain(`data-field="${field}"`);
    const arriving = arrivalStatus({ entId: 'ent-b' }, transfer({ role: 'ARRIVAL', state: 'FETCHING' }));
    expect(arriving).toContain('data-progress-url="/recus/0b0f3f3e-8a8e-4c1e-9d53-1f1c2b3a4d5e/progression"');
    expect(arriving).toContain('>Actualiser</a>');
  });
});
