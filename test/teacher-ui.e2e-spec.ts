import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { Browser, chromium, Page } from 'playwright-core';
import { bootStack, DEMO, StackSession, TeacherClient } from './support/stack-session';
import { browserLogin } from './support/browser-login';

/*
 * The teacher transfer UI in a real browser (Debian's chromium driven by
 * playwright-core): the §8.3 scenario as a teacher lives it, at ENT A then at
 * ENT B, through the real login form, database, S3 and both gateways.
 */
jest.setTimeout(300_000);

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');


/** The status page never reloads itself (RGAA 13.1): the test reloads it, as « Actualiser » does, until the state comes. */
async function waitForState(page: Page, states: string[], timeoutMs = 90_000): Promise<string> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const state = await page.locator('#transfer-state').getAttribute('data-state').catch(() => null);
    if (state && states.includes(state)) return state;
    if (Date.now() > end) throw new Error(`state ${state} never became one of ${states.join(', ')}`);
    await page.waitForTimeout(500);
    await page.reload();
  }
}

describe('teacher transfer UI (real browser)', () => {
  let env: StackSession;
  let browser: Browser;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`no browser at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    env = await bootStack('ui');
  });
  afterAll(async () => {
    await browser?.close();
    await env?.close();
  });

  it('takes a teacher from choosing her contents at ENT A to downloading the rest at ENT B, in French', async () => {
    const { gatewayA, gatewayB } = env.stack.urls;
    const atA = await browser.newContext({ acceptDownloads: true, locale: 'fr-FR' });
    const page = await atA.newPage();
    const scriptErrors: string[] = [];
    page.on('pageerror', (e) => scriptErrors.push(e.message));
    // The pages have no script; a CSP violation would mean markup the policy blocks.
    page.on('console', (m) => /Content Security Policy/i.test(m.text()) && scriptErrors.push(m.text()));

    const home = await page.goto(gatewayA);
    expect(home!.headers()['content-security-policy']).toContain("default-src 'none'");
    expect(await page.locator('html').getAttribute('lang')).toBe('fr');
    await browserLogin(page, gatewayA, 'marie.dupont', 'demo-marie');
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Mes transferts de contenus');
    await expect(page.textContent('main')).resolves.toContain('Aucun transfert envoyé pour le moment.');

    // Choose: a wrong UAI first; the form says why in French and keeps the choice.
    await page.getByRole('link', { name: 'Préparer un transfert vers un autre établissement' }).click();
    const course = page.locator('.fr-checkbox-group').filter({ hasText: 'Parcours pédagogique' }).first();
    const mail = page.locator('.fr-checkbox-group').filter({ hasText: 'Messagerie' }).first();
    // The label is the title, then a hint (type, format, size).
    const titleOf = (box: typeof course) => box.locator('label').evaluate((l) => (l.firstChild?.textContent ?? '').trim());
    const courseTitle = await titleOf(course);
    const mailTitle = await titleOf(mail);
    // DSFR draws the box on the label, as a teacher clicks it.
    await course.locator('label').click();
    await mail.locator('label').click();
    await page.fill('#recherche', '0999999Z');
    await page.getByRole('button', { name: 'Demander l’analyse à l’ENT d’arrivée' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toContain("Aucun ENT partenaire ne sert l'établissement 0999999Z");
    expect(await course.getByRole('checkbox').isChecked()).toBe(true);
    expect(await mail.getByRole('checkbox').isChecked()).toBe(true);

    // The right one: the arrival's answer, item by item, then the teacher confirms.
    await page.fill('#recherche', DEMO.uaiB.toLowerCase());
    await page.getByRole('button', { name: 'Demander l’analyse à l’ENT d’arrivée' }).click();
    await page.waitForURL(/\/transferts\/[0-9a-f-]{36}$/);
    const transferId = page.url().split('/').pop()!;
    expect(await waitForState(page, ['ANSWERED'])).toBe('ANSWERED');
    await expect(page.getByRole('status').first().textContent()).resolves.toContain("L'ENT d'arrivée a répondu");
    await expect(page.getByRole('row').filter({ hasText: courseTitle }).textContent()).resolves.toContain('Sera importé automatiquement');
    const mailRow = (await page.getByRole('row').filter({ hasText: mailTitle }).textContent())!;
    expect(mailRow).toContain('Sera à télécharger dans votre nouvel ENT');
    expect(mailRow).toMatch(/téléchargeable manuellement/);
    await page.getByRole('button', { name: 'Confirmer et envoyer' }).click();
    // Delivered; the arrival imports when she logs in there, and only then receipts.
    expect(await waitForState(page, ['DELIVERED'])).toBe('DELIVERED');
    await expect(page.textContent('#transfer-state')).resolves.toContain('Livré');
    expect(await page.getByRole('link', { name: 'Accusé de réception signé par l’ENT d’arrivée' }).count()).toBe(0);

    // --- arrival: another browser profile (another school's machine)
    const atB = await browser.newContext({ acceptDownloads: true, locale: 'fr-FR' });
    const pageB = await atB.newPage();
    pageB.on('pageerror', (e) => scriptErrors.push(e.message));
    await browserLogin(pageB, gatewayB, 'marie.dupont', 'demo-marie');
    await pageB.getByRole('row').filter({ hasText: DEMO.uaiA }).getByRole('link').click();
    expect(await waitForState(pageB, ['DONE', 'PARTIAL'])).toBe('DONE');
    await expect(pageB.getByRole('row').filter({ hasText: courseTitle }).textContent()).resolves.toContain('Importé dans l’ENT');
    const mailAtB = pageB.getByRole('row').filter({ hasText: mailTitle });
    await expect(mailAtB.textContent()).resolves.toContain('À télécharger');
    const [download] = await Promise.all([pageB.waitForEvent('download'), mailAtB.getByRole('link', { name: 'Télécharger' }).click()]);
    expect(download.suggestedFilename()).toMatch(/\.mbox$/);
    const downloaded = readFileSync((await download.path())!);
    const original = await fetch(`${env.stack.urls.entA}/connector/v1/users/marie.dupont/contents/ent-a-marie-courrier/export?format=mbox`, {
      headers: { authorization: `Bearer ${DEMO.connectorTokenA}` },
    });
    expect(sha256(downloaded)).toBe(sha256(Buffer.from(await original.arrayBuffer())));

    // Back at ENT A: the receipt arrived, the staged copies are gone, the signed receipt is there.
    expect(await waitForState(page, ['CLEANED'])).toBe('CLEANED');
    await expect(page.textContent('#transfer-state')).resolves.toContain('Terminé');
    const proofHref = await page.getByRole('link', { name: 'Accusé de réception signé par l’ENT d’arrivée' }).getAttribute('href');
    const proof = await page.request.get(`${gatewayA}${proofHref}`);
    expect(((await proof.json()) as { jws: string }).jws.split('.')).toHaveLength(3);
    await page.getByRole('link', { name: 'Retour à mes transferts' }).click();
    await expect(page.getByRole('row').filter({ hasText: DEMO.uaiB }).textContent()).resolves.toContain('Terminé');

    // Logging out ends the session: the status page now sends back to the login.
    await pageB.getByRole('button', { name: 'Se déconnecter' }).click();
    await pageB.waitForURL(`${gatewayB}/`);
    await pageB.goto(`${gatewayB}/recus/${transferId}`);
    expect(pageB.url()).toBe(`${gatewayB}/`);
    await expect(pageB.getByRole('link', { name: 'Se connecter avec le Guichet Agents' }).count()).resolves.toBe(1);

    expect(scriptErrors).toEqual([]);
    await atA.close();
    await atB.close();
  });

  it('tells a vie-scolaire agent, in French, that the service is not hers', async () => {
    const ctx = await browser.newContext({ locale: 'fr-FR' });
    const page = await ctx.newPage();
    await browserLogin(page, env.stack.urls.gatewayA, 'sophie.girard', 'demo-sophie');
    await expect(page.getByRole('alert').textContent()).resolves.toContain('réservé aux enseignants et aux personnels de direction');
    const res = await page.goto(`${env.stack.urls.gatewayA}/transferts/nouveau`);
    expect(res!.status()).toBe(403);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Accès non autorisé');
    await ctx.close();
  });

  it("refuses a form that does not carry the page's anti-CSRF token, and creates nothing", async () => {
    const teacher = await TeacherClient.login(env.stack.urls.gatewayA, 'lucas.moreau', 'demo-lucas');
    const before = (await teacher.json('GET', '/api/transfers')).items.length;
    const contents = (await teacher.json('GET', '/api/contents')).items as { id: string }[];
    const formPage = await (await teacher.request('GET', '/transferts/nouveau')).text();
    const token = /name="_csrf" value="([^"]+)"/.exec(formPage)![1];
    const post = (csrf: string | undefined) => {
      const body = new URLSearchParams({ arrivalUai: DEMO.uaiB, itemIds: contents[0].id, ...(csrf !== undefined ? { _csrf: csrf } : {}) });
      const url = `${env.stack.urls.gatewayA}/transferts`;
      return fetch(url, { method: 'POST', redirect: 'manual', headers: { cookie: teacher.jar.header(url), 'content-type': 'application/x-www-form-urlencoded' }, body });
    };
    // A tampered token must differ from the real one: the token is random base64url, so replacing
    // its last character by a fixed one would leave it unchanged once in 64 runs.
    const tampered = `${token.slice(0, -1)}${token.endsWith('x') ? 'y' : 'x'}`;
    expect(tampered).not.toBe(token);
    for (const csrf of [undefined, '', tampered, 'x'.repeat(200)]) {
      const res = await post(csrf);
      expect(res.status).toBe(403);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await res.text()).toContain('Ce formulaire a expiré ou ne vient pas de cette page.');
    }
    expect((await teacher.json('GET', '/api/transfers')).items.length).toBe(before);
    // The same form with the token goes through.
    const ok = await post(token);
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toMatch(/^\/transferts\/[0-9a-f-]{36}$/);
    expect((await teacher.json('GET', '/api/transfers')).items.length).toBe(before + 1);
  });
});
