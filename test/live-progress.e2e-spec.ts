import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { createGatewayDatabases, GatewayDb } from './support/gateway-db';
import { startThrowawayPostgres, ThrowawayPostgres } from './support/postgres';
import { s3Client } from './support/s3';
import { bootStack, DEMO, StackSession, waitUntil } from './support/stack-session';
import { browserLogin } from './support/browser-login';

jest.setTimeout(600_000);

/**
 * Issue 16 part 2 (ADR 016), in a real browser against the real stack (radosgw, Postgres, the
 * IdP, two gateways, two ENTs): progress that advances without a reload and is announced politely,
 * the analysis asked again by itself while the arrival is down, a double submission creating one
 * transfer, and items dropped, a transfer cancelled, a draft deleted.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const MIB = 1024 * 1024;
const LARGE = 48 * MIB;
const PART = 5 * MIB;
const LARGE_ID = 'ent-a-marie.dupont-large';


/** Marks the document: a reload or a navigation would lose the mark. Records what the live region says. */
async function watch(page: Page): Promise<void> {
  await page.evaluate(() => {
    // Runs in the page (the test itself is compiled without the DOM library).
    const w = globalThis as any;
    w.__kept = true;
    w.__said = [];
    const region = w.document.getElementById('progression-annonce');
    new w.MutationObserver(() => {
      if (region.textContent) w.__said.push(region.textContent);
    }).observe(region, { childList: true, characterData: true, subtree: true });
  });
}

const kept = (page: Page) => page.evaluate(() => (globalThis as any).__kept === true);
const said = (page: Page) => page.evaluate(() => (globalThis as any).__said as string[]);
const state = (page: Page) => page.locator('#transfer-state').getAttribute('data-state');

async function waitForState(page: Page, states: string[], timeoutMs = 120_000): Promise<string> {
  let last: string | null = null;
  await waitUntil(`page state in ${states.join(', ')}`, async () => {
    last = await state(page).catch(() => null);
    return last !== null && states.includes(last);
  }, timeoutMs);
  return last!;
}

describe('live progress, analysis job and idempotent controls (real browser, real stack)', () => {
  let pg: ThrowawayPostgres;
  let env: StackSession;
  let browser: Browser;
  let dbA: GatewayDb;
  let dbB: GatewayDb;
  let atA: BrowserContext;
  let page: Page;
  const scriptErrors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`no browser at ${CHROMIUM}`);
    pg = await startThrowawayPostgres();
    const urls = await createGatewayDatabases(pg, ['live_a', 'live_b']);
    env = await bootStack('live', {
      databaseUrls: { a: urls.live_a, b: urls.live_b },
      env: {
        // The arrival is asked again within a second or so while it is down.
        'gateway-a': { ANALYSIS_RETRY_MAX_DELAY_MS: '1000', ANALYSIS_RETRY_WINDOW_SECONDS: '300', S3_PART_SIZE_BYTES: String(PART) },
        // ENT A exports at 4 MiB/s: staging the large item lasts about 12 s, one part every 1.25 s.
        'ent-sim-a': { ENT_SIM_LARGE_ITEM_BYTES: String(LARGE), ENT_SIM_LARGE_ITEM_OWNERS: 'marie.dupont', ENT_SIM_EXPORT_BYTES_PER_SECOND: String(4 * MIB) },
      },
    });
    dbA = await GatewayDb.open(urls.live_a);
    dbB = await GatewayDb.open(urls.live_b);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    atA = await browser.newContext({ locale: 'fr-FR' });
    page = await atA.newPage();
    page.on('pageerror', (e) => scriptErrors.push(e.message));
    page.on('console', (m) => /Content Security Policy/i.test(m.text()) && scriptErrors.push(m.text()));
    await browserLogin(page, env.stack.urls.gatewayA, 'marie.dupont', 'demo-marie');
  });

  afterAll(async () => {
    await browser?.close();
    await dbA?.close();
    await dbB?.close();
    await env?.close();
    await pg?.stop();
  });

  const transfersOfMarie = async () => (await dbA.rows(`SELECT id, state FROM transfers WHERE role = 'DEPARTURE' AND owner_identity = 'marie.dupont' ORDER BY created_at`));

  async function chooseOnNewTransfer(titles: RegExp[]): Promise<void> {
    await page.goto(`${env.stack.urls.gatewayA}/transferts/nouveau`);
    for (const t of titles) {
      const box = page.locator('.fr-checkbox-group').filter({ hasText: t }).first().getByRole('checkbox');
      await page.locator(`label[for="${await box.getAttribute('id')}"]`).click();
      expect(await box.isChecked()).toBe(true);
    }
    await page.fill('#recherche', DEMO.uaiB);
  }

  let largeId: string;

  it('the arrival down: the form returns at once, the page says it asks, retries by itself, and shows the answer when the arrival is back, without a reload', async () => {
    const before = (await transfersOfMarie()).length;
    await env.stack.kill('gateway-b');
    await page.goto(`${env.stack.urls.gatewayA}/transferts/nouveau`);
    // DSFR draws the checkbox with its label: she clicks the label.
    const largeBox = page.locator(`input[name="itemIds"][value="${LARGE_ID}"]`);
    await page.locator(`label[for="${await largeBox.getAttribute('id')}"]`).click();
    expect(await largeBox.isChecked()).toBe(true);
    await page.fill('#recherche', DEMO.uaiB);
    // A double click on the submit button: one transfer.
    await page.getByRole('button', { name: 'Demander l’analyse à l’ENT d’arrivée' }).dblclick();
    await page.waitForURL(/\/transferts\/[0-9a-f-]{36}$/);
    largeId = page.url().split('/').pop()!;
    const mine = await transfersOfMarie();
    expect(mine).toHaveLength(before + 1);
    expect(mine[mine.length - 1].id).toBe(largeId);

    // The page came back while the arrival is down: it says so, and asks again by itself.
    await expect(page.locator('#analyse-etat').textContent()).resolves.toMatch(/Nous interrogeons l’établissement d’arrivée|ne répond pas pour le moment/);
    expect(await page.getByRole('button', { name: /Demander .*l’analyse/ }).count()).toBe(0);
    await watch(page);
    await waitUntil('a second try recorded', async () => {
      const [t] = await dbA.rows(`SELECT analysis FROM transfers WHERE id = $1 AND role = 'DEPARTURE'`, [largeId]);
      return t.analysis?.state === 'RETRYING' && t.analysis.attempts >= 2;
    }, 60_000);
    await waitUntil('the page says the arrival does not answer', async () => /ne répond pas pour le moment/.test((await page.locator('#analyse-etat').textContent().catch(() => '')) ?? ''), 30_000);

    await env.stack.start('gateway-b');
    expect(await waitForState(page, ['ANSWERED'])).toBe('ANSWERED');
    expect(await kept(page)).toBe(true); // no reload: the same document
    await expect(page.locator(`tr[data-item-id="${LARGE_ID}"]`).textContent()).resolves.toContain('Sera importé automatiquement');
    await waitUntil('the answer announced', async () => (await said(page)).some((m) => m.startsWith('État du transfert : Réponse reçue')), 30_000);
    expect((await dbA.events(largeId, 'DEPARTURE')).filter((e) => e.type === 'ANSWER_RECEIVED')).toHaveLength(1);
  });

  it('a large item: per-item and overall progress advance in the page without a reload, announced by quarters; then she cancels after confirming', async () => {
    await page.getByRole('button', { name: 'Confirmer et envoyer' }).click();
    await page.waitForURL(`${env.stack.urls.gatewayA}/transferts/${largeId}`);
    await watch(page);
    const percent = page.locator(`tr[data-item-id="${LARGE_ID}"] [data-field="percent"]`);
    const seen = new Set<string>();
    await waitUntil('three intermediate percentages shown', async () => {
      const text = (await percent.textContent()) ?? '';
      if (/^\d+ %$/.test(text) && text !== '0 %' && text !== '100 %') seen.add(text);
      return seen.size >= 3;
    }, 120_000);
    expect(await kept(page)).toBe(true);
    const numbers = [...seen].map((s) => Number(s.replace(' %', '')));
    expect(numbers).toEqual([...numbers].sort((a, b) => a - b)); // only forward
    await expect(page.locator(`tr[data-item-id="${LARGE_ID}"] [data-field="bytes"]`).textContent()).resolves.toMatch(/ Mo sur 50 Mo$/);
    await expect(page.locator('#progression-resume').textContent()).resolves.toMatch(/0 contenu sur 1 · .* Mo sur 50 Mo · \d+ %/);
    expect((await said(page)).some((s) => /^Progression : \d+ %/.test(s))).toBe(true);
    // The API shows the same counters.
    const api = await page.request.get(`${env.stack.urls.gatewayA}/api/transfers/${largeId}`);
    const view = await api.json();
    expect(view.progress.bytes.total).toBe(LARGE);
    expect(view.items[0].bytesDone).toBeGreaterThan(0);
    const progression = await page.request.get(`${env.stack.urls.gatewayA}/transferts/${largeId}/progression`);
    expect(progression.headers()['cache-control']).toBe('no-store');
    expect((await progression.json()).rows[0].itemId).toBe(view.items[0].itemId);

    // Cancel, after a confirmation page: staging stops, nothing is left in the bucket.
    await page.getByRole('link', { name: 'Annuler ce transfert' }).click();
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Annuler ce transfert ?');
    await page.getByRole('button', { name: 'Oui, annuler le transfert' }).click();
    expect(await waitForState(page, ['CANCELLED'])).toBe('CANCELLED');
    const objects: string[] = [];
    const s3 = s3Client(env.s3);
    await waitUntil('staged objects removed', async () => {
      objects.length = 0;
      for await (const o of s3.listObjectsV2(env.buckets.a, `departure/${largeId}/`, true)) objects.push(o.name!);
      return objects.length === 0;
    }, 60_000);
  });

  it('two identical submissions of one rendered form create one transfer; a dropped item is never sent; the end is announced', async () => {
    const before = (await transfersOfMarie()).length;
    await chooseOnNewTransfer([/Parcours pédagogique/, /Messagerie/]);
    // Two POSTs of the same rendered form, as a double click sends them.
    const statuses = await page.evaluate(async () => {
      const w = globalThis as any;
      const form = w.document.querySelector('form[action="/transferts"]');
      const send = () => fetch('/transferts', { method: 'POST', body: new w.URLSearchParams(new w.FormData(form)), redirect: 'follow' });
      const answers = await Promise.all([send(), send()]);
      return answers.map((r) => new URL(r.url).pathname);
    });
    expect(statuses[0]).toMatch(/^\/transferts\/[0-9a-f-]{36}$/);
    expect(statuses[1]).toBe(statuses[0]);
    const mine = await transfersOfMarie();
    expect(mine).toHaveLength(before + 1);
    const id = statuses[0].split('/').pop()!;

    await page.goto(`${env.stack.urls.gatewayA}/transferts/${id}`);
    await watch(page);
    expect(await waitForState(page, ['ANSWERED'])).toBe('ANSWERED');
    const mail = page.getByRole('row').filter({ hasText: 'Messagerie' }).first();
    const mailId = (await mail.getAttribute('data-item-id'))!;
    await mail.getByRole('button', { name: /^Retirer/ }).click();
    await expect(page.getByRole('row').filter({ hasText: 'Messagerie' }).first().textContent()).resolves.toContain('Retiré du transfert');
    // A double click on « Confirmer et envoyer »: started once.
    await page.getByRole('button', { name: 'Confirmer et envoyer' }).dblclick();
    await waitUntil('started', async () => (await dbA.transferState(id, 'DEPARTURE')) !== 'ANSWERED', 30_000);
    await page.goto(`${env.stack.urls.gatewayA}/transferts/${id}`);
    await watch(page);
    expect(await waitForState(page, ['DELIVERED', 'CLEANED'])).toMatch(/DELIVERED|CLEANED/);
    expect((await dbA.events(id, 'DEPARTURE')).filter((e) => e.type === 'STAGING_STARTED')).toHaveLength(1);
    const items = await dbA.rows<{ item_id: string; state: string }>(`SELECT item_id, state FROM transfer_items WHERE transfer_id = $1 AND role = 'DEPARTURE'`, [id]);
    expect(items.find((i) => i.item_id === mailId)!.state).toBe('DROPPED');
    const objects: string[] = [];
    for await (const o of s3Client(env.s3).listObjectsV2(env.buckets.a, `departure/${id}/`, true)) objects.push(o.name!);
    expect(objects.some((k) => k.includes(mailId))).toBe(false);

    // She logs in at the arrival: import, receipt, clean-up; the departure page says it is over.
    const atB = await browser.newContext({ locale: 'fr-FR' });
    const pageB = await atB.newPage();
    await browserLogin(pageB, env.stack.urls.gatewayB, 'marie.dupont', 'demo-marie');
    expect(await waitForState(page, ['CLEANED'])).toBe('CLEANED');
    expect(await kept(page)).toBe(true);
    await waitUntil('the end announced', async () => (await said(page)).some((s) => s.includes('Transfert terminé')), 30_000);
    const received = await pageB.request.get(`${env.stack.urls.gatewayB}/api/received/${id}`);
    const arrival = await received.json();
    // At the arrival the dropped item is one the departure did not send (ADR 016: the answer is filtered).
    expect(arrival.progress).toMatchObject({ items: { done: 1, total: 2 }, percent: 100, terminal: true });
    expect(arrival.items.find((i: { itemId: string }) => i.itemId === mailId).lastError).toBe('NOT_DELIVERED');
    await atB.close();
  });

  it('the teacher API honours Idempotency-Key on POST /api/transfers: a retry gets the first transfer, another body with the key is refused', async () => {
    const contents = (await (await page.request.get(`${env.stack.urls.gatewayA}/api/contents`)).json()).items as { id: string; category: string }[];
    const course = contents.find((c) => c.category === 'PARCOURS_PEDAGOGIQUE')!;
    const before = (await transfersOfMarie()).length;
    const post = (itemIds: string[], key: string) => page.request.post(`${env.stack.urls.gatewayA}/api/transfers`, {
      data: { arrivalUai: DEMO.uaiB, itemIds }, headers: { 'Idempotency-Key': key, Origin: env.stack.urls.gatewayA },
    });
    const [first, retry] = await Promise.all([post([course.id], 'retry-after-a-lost-answer-1'), post([course.id], 'retry-after-a-lost-answer-1')]);
    expect([first.status(), retry.status()]).toEqual([201, 201]);
    expect((await retry.json()).id).toBe((await first.json()).id);
    expect(await transfersOfMarie()).toHaveLength(before + 1);
    const other = await post([course.id, LARGE_ID], 'retry-after-a-lost-answer-1');
    expect(other.status()).toBe(422);
    expect(other.headers()['content-type']).toContain('application/problem+json');
    expect(await transfersOfMarie()).toHaveLength(before + 1);
    // Deleted through the API; deleting again is a success.
    const id = (await first.json()).id;
    for (let i = 0; i < 2; i++) {
      expect((await page.request.delete(`${env.stack.urls.gatewayA}/api/transfers/${id}`, { headers: { Origin: env.stack.urls.gatewayA } })).status()).toBe(204);
    }
    expect(await dbA.rows(`SELECT 1 FROM transfers WHERE id = $1`, [id])).toHaveLength(0);
  });

  it('a draft is deleted after a confirmation page, and the arrival told', async () => {
    await chooseOnNewTransfer([/Parcours pédagogique/]);
    await page.getByRole('button', { name: 'Demander l’analyse à l’ENT d’arrivée' }).click();
    await page.waitForURL(/\/transferts\/[0-9a-f-]{36}$/);
    const id = page.url().split('/').pop()!;
    expect(await waitForState(page, ['ANSWERED'])).toBe('ANSWERED');
    await page.getByRole('link', { name: 'Supprimer ce brouillon' }).click();
    await page.getByRole('button', { name: 'Oui, supprimer le brouillon' }).click();
    await page.waitForURL(`${env.stack.urls.gatewayA}/`);
    await expect(page.getByRole('status').first().textContent()).resolves.toContain('Brouillon supprimé');
    expect(await dbA.rows(`SELECT 1 FROM transfers WHERE id = $1`, [id])).toHaveLength(0);
    expect((await dbA.rows(`SELECT type FROM transfer_events WHERE transfer_id = $1 AND type = 'DRAFT_DELETED'`, [id]))).toHaveLength(1);
    expect(await dbB.transferState(id, 'ARRIVAL')).toBe('CANCELLED');
    expect(scriptErrors).toEqual([]);
  });
});
