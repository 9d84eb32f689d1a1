import { Browser, Page } from 'playwright-core';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { AuditResult, auditedContext, auditPage, launchChromium, SCREENSHOTS } from './support/browser';
import { browserLogin as login } from './support/browser-login';
import { bootStack, DEMO, StackSession } from './support/stack-session';

/*
 * The whole teacher journey in a real browser (issue 16, ADR 015): departure at ENT A, arrival at
 * ENT B, every page checked by axe-core (zero violations), at 360 and 1280 px (no page wider than
 * the phone), and a screenshot of each step under test-artifacts/screenshots/. A second teacher does
 * the departure with the keyboard only.
 */
jest.setTimeout(600_000);

const PORTAL_B = 'https://ent.lycee-ampere.example.fr/portail';

/** What has the keyboard focus: its id, tag, type and accessible text. */
async function focused(page: Page): Promise<{ id: string; tag: string; type: string; text: string }> {
  return page.evaluate(() => {
    const el = (globalThis as unknown as { document: { activeElement: { id: string; tagName: string; textContent: string | null; getAttribute(n: string): string | null } | null } }).document.activeElement;
    return { id: el?.id ?? '', tag: el?.tagName.toLowerCase() ?? '', type: el?.getAttribute('type') ?? '', text: (el?.textContent ?? '').trim().replace(/\s+/g, ' ') };
  });
}

/** Tab (or Shift+Tab) until the focus is on what `wanted` recognises; at most 60 presses. */
async function tabTo(page: Page, wanted: (f: { id: string; tag: string; type: string; text: string }) => boolean, key: 'Tab' | 'Shift+Tab' = 'Tab'): Promise<void> {
  for (let i = 0; i < 60; i++) {
    await page.keyboard.press(key);
    if (wanted(await focused(page))) return;
  }
  throw new Error(`focus never reached the wanted element (last: ${JSON.stringify(await focused(page))})`);
}

/** A key that submits a form: waits for the page it leads to. */
async function pressAndLoad(page: Page, key: 'Enter' | 'Space'): Promise<void> {
  await Promise.all([page.waitForEvent('framenavigated'), page.keyboard.press(key)]);
  await page.waitForLoadState();
}

/** Until the transfer reaches one of `states`: the page updates itself (live script) or is reloaded. */
async function refreshUntil(page: Page, states: string[], timeoutMs = 120_000): Promise<string> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const state = await page.locator('#transfer-state').getAttribute('data-state');
    if (state && states.includes(state)) return state;
    if (Date.now() > end) throw new Error(`state ${state} never became one of ${states.join(', ')}`);
    // The live script (ADR 016) may be replacing the page's content: reload, as « Actualiser » does.
    await page.waitForTimeout(500);
    await page.reload();
  }
}

describe('teacher journey in a real browser (DSFR, axe, 360 and 1280 px, keyboard)', () => {
  let env: StackSession;
  let browser: Browser;
  const audits: AuditResult[] = [];

  beforeAll(async () => {
    browser = await launchChromium();
    // Both gateways publish their school's name and town; B publishes its portal (ENT_RETURN_URL).
    env = await bootStack('journey', {
      env: {
        'gateway-a': { GATEWAY_SCHOOLS: JSON.stringify([DEMO.schools.a]) },
        'gateway-b': { GATEWAY_SCHOOLS: JSON.stringify([DEMO.schools.b]), ENT_RETURN_URL: PORTAL_B },
      },
    });
  });
  afterAll(async () => {
    await browser?.close();
    await env?.close();
  });

  it('departure then arrival: every page passes axe with zero violations and fits 360 px', async () => {
    const { gatewayA, gatewayB } = env.stack.urls;
    const ctxA = await auditedContext(browser, { acceptDownloads: true });
    const page = await ctxA.newPage();
    const cspErrors: string[] = [];
    page.on('console', (m) => /Content Security Policy/i.test(m.text()) && cspErrors.push(m.text()));

    await page.goto(gatewayA);
    await auditPage(page, '00-accueil', audits);
    await login(page, gatewayA, 'marie.dupont', 'demo-marie');
    await auditPage(page, '01-mes-transferts', audits);

    await page.getByRole('link', { name: 'Préparer un transfert vers un autre établissement' }).click();
    await auditPage(page, '02-choix-des-contenus', audits);
    // Nothing chosen: the errors come back tied to their fields, title prefixed.
    await page.getByRole('button', { name: 'Demander l’analyse à l’ENT d’arrivée' }).click();
    expect(await page.title()).toMatch(/^Erreur : Étape 1 sur 4 — /);
    // The error summary has the focus; each field says what is wrong with it.
    expect((await focused(page)).id).toBe('erreurs');
    expect(await page.getAttribute('#recherche', 'aria-invalid')).toBe('true');
    expect(await page.textContent(`#${await page.getAttribute('#recherche', 'aria-describedby')}`)).toContain('Indiquez votre nouvel établissement');
    await auditPage(page, '03-choix-erreurs', audits);

    // Found by name, without accents nor capitals; the results are radio buttons named by school and town.
    await page.fill('#recherche', 'lycee ampere');
    await page.getByRole('button', { name: 'Rechercher' }).click();
    await expect(page.getByRole('radio', { name: /Lycée Ampère, Lyon/ }).isChecked()).resolves.toBe(true);
    await page.getByText('Parcours pédagogique (cours)').first().click();
    await page.getByText('Messagerie').first().click();
    await auditPage(page, '03b-etablissement-trouve', audits);
    await page.getByRole('button', { name: 'Demander l’analyse à l’ENT d’arrivée' }).click();
    await page.waitForURL(/\/transferts\/[0-9a-f-]{36}$/);
    expect(await refreshUntil(page, ['ANSWERED'])).toBe('ANSWERED');
    expect(await page.title()).toBe('Étape 2 sur 4 — Réponse de l’établissement d’arrivée — Transfert de mes contenus');
    // The decision screen: the summary first, the answer item by item, the button after the list.
    const order = await page.evaluate(() => {
      const d = (globalThis as unknown as { document: { querySelector(s: string): { compareDocumentPosition(o: unknown): number } | null } }).document;
      const [resume, list, button] = ['#resume', '#progression tbody', '#confirmer'].map((sel) => d.querySelector(sel));
      // DOCUMENT_POSITION_FOLLOWING = 4
      return Boolean(resume && list && button && resume.compareDocumentPosition(list) & 4 && list.compareDocumentPosition(button) & 4);
    });
    expect(order).toBe(true);
    await expect(page.textContent('#resume')).resolves.toMatch(/1 sera importé automatiquement et 1 sera à télécharger dans votre nouvel ENT\./);
    await expect(page.textContent('main')).resolves.toContain('Vers Lycée Ampère, Lyon');
    await auditPage(page, '04-reponse-arrivee', audits);

    await page.getByRole('button', { name: 'Confirmer et envoyer' }).click();
    expect(await refreshUntil(page, ['DELIVERED', 'RECEIPTED', 'CLEANED'])).toBeTruthy();
    // What to do next, with the link her new ENT published.
    await expect(page.getByRole('heading', { name: 'Connectez-vous à votre nouvel ENT' }).count()).resolves.toBe(1);
    expect(await page.getByRole('link', { name: /Aller sur l’ENT de Lycée Ampère/ }).getAttribute('href')).toBe(PORTAL_B);
    await auditPage(page, '05-livre', audits);

    const ctxB = await auditedContext(browser, { acceptDownloads: true });
    const pageB = await ctxB.newPage();
    pageB.on('console', (m) => /Content Security Policy/i.test(m.text()) && cspErrors.push(m.text()));
    await login(pageB, gatewayB, 'marie.dupont', 'demo-marie');
    await auditPage(pageB, '06-arrivee-mes-transferts', audits);
    await pageB.getByRole('row').filter({ hasText: 'Lycée Victor-Hugo, Paris' }).getByRole('link').click();
    expect(await refreshUntil(pageB, ['DONE', 'PARTIAL'])).toBeTruthy();
    // The mail waits for her: not « Terminé »; its link says which file, in which format, how large.
    await expect(pageB.textContent('#transfer-state')).resolves.toContain('Importé, sauf 1 contenu à télécharger');
    const download = pageB.getByRole('link', { name: /^Télécharger « .+ »/ });
    await expect(download.textContent()).resolves.toMatch(/Courriels \(fichier mbox\) – [0-9,]+ (octets|ko|Mo)/);
    // Where the imported course now lives: the link the ENT's import answer gave (its own origin).
    const where = pageB.getByRole('link', { name: /^Ouvrir « .+ » dans votre ENT$/ });
    expect(await where.getAttribute('href')).toMatch(new RegExp(`^${env.stack.urls.entB}/espace/marie\\.dupont/contenus/imp-`));
    await auditPage(pageB, '07-arrivee-importe', audits);
    await pageB.getByRole('link', { name: 'Index des contenus reçus' }).click();
    expect(await pageB.title()).toBe('Index des contenus reçus de Lycée Victor-Hugo, Paris — Transfert de mes contenus');
    await auditPage(pageB, '07b-index-recu', audits);
    await pageB.getByRole('link', { name: 'Retour aux contenus reçus' }).click();
    await pageB.waitForURL(/\/recus\/[0-9a-f-]{36}$/);

    expect(await refreshUntil(page, ['CLEANED'])).toBe('CLEANED');
    // « importé » once her new ENT said so, and her originals are untouched.
    await expect(page.getByRole('row').filter({ hasText: 'Parcours pédagogique' }).textContent()).resolves.toContain('Importé automatiquement');
    await expect(page.textContent('main')).resolves.toContain('Vos contenus d’origine restent dans votre ENT actuel');
    await auditPage(page, '08-depart-termine', audits);

    await page.goto(`${gatewayA}/transferts/00000000-0000-4000-8000-000000000000`);
    await auditPage(page, '09-page-introuvable', audits);

    expect(cspErrors).toEqual([]);
    const failures = audits.filter((a) => a.violations.length || a.overflow > 0);
    expect(failures).toEqual([]);
    expect(audits.length).toBe(24);
    for (const a of audits) expect(existsSync(join(SCREENSHOTS, `${a.page}-${a.width}.png`))).toBe(true);
    await ctxA.close();
    await ctxB.close();
  });

  it('keyboard only (Tab, Shift+Tab, Enter, Space): a second teacher chooses, finds her school and confirms', async () => {
    const { gatewayA } = env.stack.urls;
    const ctx = await auditedContext(browser, { viewport: { width: 360, height: 780 } });
    const page = await ctx.newPage();
    await login(page, gatewayA, 'lucas.moreau', 'demo-lucas');
    // The skip link comes first and leads to the main content.
    await page.keyboard.press('Tab');
    expect(await focused(page)).toMatchObject({ text: 'Contenu' });
    await page.keyboard.press('Enter');
    expect((await focused(page)).id).toBe('contenu');
    await tabTo(page, (f) => f.text === 'Préparer un transfert vers un autre établissement');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/transferts\/nouveau$/);
    await tabTo(page, (f) => f.id === 'recherche');
    await page.keyboard.type('0690002b');
    // Enter in the search field runs the search (the form's first button), nothing is created.
    await pressAndLoad(page, 'Enter');
    await expect(page.getByRole('radio', { name: /Lycée Ampère, Lyon/ }).isChecked()).resolves.toBe(true);
    // « Tout sélectionner » with Space, then one box unticked with Space after going back with Shift+Tab.
    await tabTo(page, (f) => f.text === 'Tout sélectionner');
    await pressAndLoad(page, 'Space');
    await tabTo(page, (f) => f.text === 'Demander l’analyse à l’ENT d’arrivée');
    await tabTo(page, (f) => f.id === 'item-0', 'Shift+Tab');
    await page.keyboard.press('Space');
    expect(await page.isChecked('#item-0')).toBe(false);
    expect(await page.isChecked('#item-1')).toBe(true);
    await tabTo(page, (f) => f.text === 'Demander l’analyse à l’ENT d’arrivée');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/transferts\/[0-9a-f-]{36}$/);
    expect(await refreshUntil(page, ['ANSWERED'])).toBe('ANSWERED');
    await tabTo(page, (f) => f.id === 'confirmer');
    // The form posts and comes back to the same address: wait for that navigation, then for the sending.
    await pressAndLoad(page, 'Enter');
    expect(await refreshUntil(page, ['STAGING', 'PAUSED', 'DELIVERED', 'RECEIPTED', 'CLEANED'])).toBeTruthy();
    await auditPage(page, '10-clavier-envoye', audits);
    expect(audits.filter((a) => a.page === '10-clavier-envoye' && (a.violations.length || a.overflow > 0))).toEqual([]);
    await ctx.close();
  });
});
