import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import * as yauzl from 'yauzl';
import { messageHeaders, parseICalendar, parseMbox, validateCommonCartridge } from '@ent/formats';
import { bootStack, DEMO, StackSession, TeacherClient, waitUntil } from './support/stack-session';
import { s3Client } from './support/s3';

/*
 * « Télécharger une copie de mes données » (RGPD art. 20) and the « attestation de transfert »,
 * through the real login, HTTP path, database and S3 server (radosgw in CI), opened in chromium.
 */
jest.setTimeout(600_000);

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** The anti-CSRF token of the page's forms. */
function csrfOf(page: string): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(page);
  if (!m) throw new Error('no _csrf field on the page');
  return m[1];
}

async function postForm(client: TeacherClient, path: string, fields: [string, string][]): Promise<Response> {
  const url = `${client.baseUrl}${path}`;
  const res = await fetch(url, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: client.jar.header(url), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
  client.jar.storeFrom(url, res);
  return res;
}

async function get(client: TeacherClient, path: string, headers: Record<string, string> = {}): Promise<Response> {
  const url = `${client.baseUrl}${path}`;
  const res = await fetch(url, { redirect: 'manual', headers: { cookie: client.jar.header(url), ...headers } });
  client.jar.storeFrom(url, res);
  return res;
}

/** Every entry of a zip, written under `dir` (names checked: nothing outside `dir`). */
function unzipTo(zip: Buffer, dir: string): Promise<string[]> {
  return new Promise((done, fail) => {
    yauzl.fromBuffer(zip, { lazyEntries: true, validateEntrySizes: true }, (err, file) => {
      if (err || !file) return fail(err);
      const names: string[] = [];
      file.on('error', fail);
      file.on('end', () => done(names));
      file.on('entry', (entry: yauzl.Entry) => {
        const target = resolve(dir, entry.fileName);
        if (!target.startsWith(dir + sep)) return fail(new Error(`entry outside the archive: ${entry.fileName}`));
        names.push(entry.fileName);
        if (entry.fileName.endsWith('/')) return file.readEntry();
        file.openReadStream(entry, (e, stream) => {
          if (e || !stream) return fail(e);
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('end', () => {
            mkdirSync(dirname(target), { recursive: true });
            writeFileSync(target, Buffer.concat(chunks));
            file.readEntry();
          });
        });
      });
      file.readEntry();
    });
  });
}

describe('a copy of her own data, and the attestation de transfert', () => {
  let env: StackSession;
  let marie: TeacherClient;
  const work = mkdtempSync(join(tmpdir(), 'data-copy-'));

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`no browser at ${CHROMIUM}`);
    env = await bootStack('copy', { testClock: true });
    marie = await TeacherClient.login(env.stack.urls.gatewayA, 'marie.dupont', 'demo-marie');
  });
  afterAll(async () => {
    await env?.close();
    rmSync(work, { recursive: true, force: true });
  });

  let copyPath = '';
  let attestedTransferId = '';
  let archivePath = '';
  let whole: Buffer;

  it('prepares a copy of everything, then serves it resumable (Range, If-Range, ETag), byte for byte', async () => {
    const page = await (await get(marie, '/mes-donnees')).text();
    expect(page).toContain('Télécharger une copie de mes données');
    const created = await postForm(marie, '/mes-donnees/copies', [['_csrf', csrfOf(page)], ['scope', 'all']]);
    expect(created.status).toBe(303);
    copyPath = new URL(created.headers.get('location')!, marie.baseUrl).pathname;
    expect(copyPath).toMatch(/^\/mes-donnees\/copies\/[0-9a-f-]{36}$/);

    const ready = await waitUntil('the copy to be ready', async () => {
      const text = await (await get(marie, copyPath)).text();
      const state = /id="copy-state" data-state="([A-Z]+)"/.exec(text)?.[1];
      if (state === 'FAILED') throw new Error(`copy failed: ${text}`);
      return state === 'READY' ? text : undefined;
    }, 240_000);
    expect(ready).not.toContain('http-equiv="refresh"');
    const link = /<a[^>]+href="([^"]+\/archive)"[^>]*>([^<]+)<\/a>/.exec(ready);
    expect(link).not.toBeNull();
    archivePath = link![1];
    expect(link![2]).toMatch(/^Télécharger \(ZIP, [\d ,]+ (octets|ko|Mo|Go)\)$/);

    const full = await get(marie, archivePath);
    expect(full.status).toBe(200);
    expect(full.headers.get('accept-ranges')).toBe('bytes');
    expect(full.headers.get('content-type')).toBe('application/zip');
    expect(full.headers.get('content-disposition')).toMatch(/^attachment; filename=".*\.zip"/);
    const etag = full.headers.get('etag')!;
    expect(etag).toMatch(/^"[0-9a-f]{64}"$/);
    whole = Buffer.from(await full.arrayBuffer());
    expect(Number(full.headers.get('content-length'))).toBe(whole.length);

    // Interrupted after the first part, resumed from there on condition it is the same copy.
    const half = Math.floor(whole.length / 2);
    const first = await get(marie, archivePath, { range: `bytes=0-${half - 1}` });
    expect(first.status).toBe(206);
    expect(first.headers.get('content-range')).toBe(`bytes 0-${half - 1}/${whole.length}`);
    const part1 = Buffer.from(await first.arrayBuffer());
    const second = await get(marie, archivePath, { range: `bytes=${half}-`, 'if-range': etag });
    expect(second.status).toBe(206);
    expect(second.headers.get('content-range')).toBe(`bytes ${half}-${whole.length - 1}/${whole.length}`);
    const resumed = Buffer.concat([part1, Buffer.from(await second.arrayBuffer())]);
    expect(resumed.length).toBe(whole.length);
    expect(sha256(resumed)).toBe(sha256(whole));
    expect(etag).toBe(`"${sha256(whole)}"`);

    // Another representation than hers: the whole copy again (RFC 9110 §13.1.5), never a mix.
    const stale = await get(marie, archivePath, { range: `bytes=${half}-`, 'if-range': '"0000"' });
    expect(stale.status).toBe(200);
    expect(sha256(Buffer.from(await stale.arrayBuffer()))).toBe(sha256(whole));
    const beyond = await get(marie, archivePath, { range: `bytes=${whole.length + 10}-` });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe(`bytes */${whole.length}`);
    await beyond.arrayBuffer();
  });

  it('holds every content in its format: CC valid against its XSD, iCalendar, mbox and EML, files, indexes, an offline index.html', async () => {
    const dir = join(work, 'copy');
    mkdirSync(dir);
    const names = await unzipTo(whole, dir);
    expect(names).toContain('index.html');
    const contents = (await marie.json<{ items: { id: string; title: string; category: string }[] }>('GET', '/api/contents')).items;
    expect(contents.length).toBeGreaterThan(3);

    const courses = names.filter((n) => n.endsWith('.imscc'));
    expect(courses.length).toBe(contents.filter((c) => c.category === 'PARCOURS_PEDAGOGIQUE').length);
    for (const c of courses) {
      const v = await validateCommonCartridge(readFileSync(join(dir, c)));
      expect({ c, checked: v.xsd.checked, errors: v.findings.filter((f) => f.severity === 'error') }).toEqual({ c, checked: true, errors: [] });
    }
    const ics = names.filter((n) => n.endsWith('.ics'));
    expect(ics.length).toBe(contents.filter((c) => c.category === 'CAHIER_TEXTES').length);
    for (const f of ics) {
      const cal = parseICalendar(readFileSync(join(dir, f), 'utf8'));
      expect(cal.type).toBe('VCALENDAR');
      expect(cal.components.filter((x) => x.type === 'VEVENT').length).toBeGreaterThan(0);
      expect(names).toContain(f.replace(/\.ics$/, '.html'));
    }
    const mboxes = names.filter((n) => n.endsWith('.mbox'));
    expect(mboxes.length).toBe(contents.filter((c) => c.category === 'COURRIER_ELECTRONIQUE').length);
    for (const f of mboxes) {
      const messages = parseMbox(readFileSync(join(dir, f)));
      expect(messages.length).toBeGreaterThan(0);
      const emls = names.filter((n) => n.startsWith(f.replace(/\.mbox$/, '/')) && n.endsWith('.eml'));
      expect(emls.length).toBe(messages.length);
      for (const e of emls) {
        const headers = messageHeaders(readFileSync(join(dir, e))).map((h) => h.name.toLowerCase());
        expect(headers).toEqual(expect.arrayContaining(['from', 'subject', 'date']));
      }
    }
    for (const n of ['metadonnees/index.scolomfr.xml', 'metadonnees/index.jsonld']) expect(names).toContain(n);
    const jsonld = JSON.parse(readFileSync(join(dir, 'metadonnees/index.jsonld'), 'utf8'));
    expect(jsonld.itemListElement.length).toBe(contents.length);
    // Files as they are: each one's bytes are the ENT's export.
    const pdf = contents.find((c) => c.category === 'STOCKAGE_PARTAGE');
    expect(pdf).toBeDefined();

    // index.html opens offline: no script, only relative links that resolve inside the copy.
    const indexHtml = readFileSync(join(dir, 'index.html'), 'utf8');
    expect(indexHtml).not.toMatch(/<script/i);
    expect(indexHtml).not.toMatch(/(src|href)="(https?:)?\/\//i);
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    try {
      const ctx = await browser.newContext({ offline: true, javaScriptEnabled: false });
      const requests: string[] = [];
      const page = await ctx.newPage();
      page.on('request', (r) => requests.push(r.url()));
      await page.goto(pathToFileURL(join(dir, 'index.html')).href);
      const main = (await page.textContent('main'))!;
      for (const c of contents) expect(main).toContain(c.title);
      expect(main).toMatch(/\d+(,\d+)? (octets|ko|Mo|Go)/);
      const hrefs = await page.locator('main a').evaluateAll((as) => as.map((a) => (a as unknown as { href: string }).href));
      expect(hrefs.length).toBeGreaterThanOrEqual(contents.length);
      for (const href of hrefs) {
        expect(href.startsWith('file://')).toBe(true);
        const file = decodeURIComponent(new URL(href).pathname);
        expect(relative(dir, file).startsWith('..')).toBe(false);
        expect(statSync(file).isFile()).toBe(true);
      }
      // Following a link works offline: the readable cahier de textes.
      const cahierLink = page.locator('main a[href$=".html"]').first();
      await cahierLink.click();
      await expect(page.textContent('body')).resolves.toMatch(/Travail à faire/);
      expect(page.url()).toMatch(/\/cahier-de-textes\/[^/]+\.html$/);
      expect(requests.every((u) => u.startsWith('file://'))).toBe(true);
      await ctx.close();
    } finally {
      await browser.close();
    }
    // The bytes of a file are the ENT's own export.
    const exportRes = await fetch(`${env.stack.urls.entA}/connector/v1/users/marie.dupont/contents/${encodeURIComponent(pdf!.id)}/export?format=binary`, {
      headers: { authorization: `Bearer ${DEMO.connectorTokenA}` },
    });
    const original = Buffer.from(await exportRes.arrayBuffer());
    const copies = names.filter((n) => !n.endsWith('/') && existsSync(join(dir, n)) && sha256(readFileSync(join(dir, n))) === sha256(original));
    expect(copies.length).toBe(1);
  });

  it('is hers only: another teacher gets 404 for the page and the archive, and sees nothing of it', async () => {
    const lucas = await TeacherClient.login(env.stack.urls.gatewayA, 'lucas.moreau', 'demo-lucas');
    for (const [path, headers] of [[copyPath, {}], [archivePath, {}], [archivePath, { range: 'bytes=0-99' }]] as [string, Record<string, string>][]) {
      const res = await get(lucas, path, headers);
      const body = await res.text();
      expect(res.status).toBe(404);
      expect(body).not.toContain('PK');
      expect(res.headers.get('content-range')).toBeNull();
    }
    const hisPage = await (await get(lucas, '/mes-donnees')).text();
    expect(hisPage).not.toContain(copyPath.split('/').pop());
    // Anonymous: back to the login.
    const anon = await fetch(`${env.stack.urls.gatewayA}${archivePath}`, { redirect: 'manual' });
    expect([302, 303, 401]).toContain(anon.status);
    // One object in the bucket, the archive (nothing else written for her copy).
    const s3 = s3Client(env.s3);
    const keys: string[] = [];
    for await (const o of s3.listObjectsV2(env.buckets.a, 'copies/', true)) keys.push((o as { name: string }).name);
    expect(keys).toEqual([`copies/${copyPath.split('/').pop()}.zip`]);
  });

  it('turns the signed receipt into a readable attestation (HTML and PDF), the JWS still downloadable', async () => {
    const { gatewayA, gatewayB } = env.stack.urls;
    const contents = (await marie.json<{ items: { id: string; title: string; category: string }[] }>('GET', '/api/contents')).items;
    const course = contents.find((c) => c.category === 'PARCOURS_PEDAGOGIQUE')!;
    const mail = contents.find((c) => c.category === 'COURRIER_ELECTRONIQUE')!;
    const draft = await marie.json<{ id: string }>('POST', '/api/transfers', { arrivalUai: DEMO.uaiB, itemIds: [course.id, mail.id] });
    attestedTransferId = draft.id;
    await marie.json('POST', `/api/transfers/${draft.id}/analysis`);
    await marie.json('POST', `/api/transfers/${draft.id}/start`);
    await waitUntil('delivery', async () => ['DELIVERED', 'RECEIPTED', 'CLEANED'].includes((await marie.json<{ state: string }>('GET', `/api/transfers/${draft.id}`)).state), 120_000);
    const atB = await TeacherClient.login(gatewayB, 'marie.dupont', 'demo-marie');
    await waitUntil('the receipt', async () => ['RECEIPTED', 'CLEANED'].includes((await marie.json<{ state: string }>('GET', `/api/transfers/${draft.id}`)).state), 180_000);
    expect(atB).toBeDefined();

    const page = await get(marie, `/transferts/${draft.id}/attestation`);
    expect(page.status).toBe(200);
    const text = await page.text();
    expect(text).toContain('Attestation de transfert');
    expect(text).toContain('Marie');
    expect(text).toContain(DEMO.uaiA);
    expect(text).toContain(DEMO.uaiB);
    const escaped = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
    const row = (title: string) => new RegExp(`<tr[^>]*>(?:(?!</tr>)[\\s\\S])*${escaped(title).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?:(?!</tr>)[\\s\\S])*</tr>`).exec(text)?.[0] ?? '';
    expect(row(course.title)).toContain('Importé dans l’ENT d’arrivée');
    expect(row(mail.title)).toContain('À télécharger à l’arrivée');
    expect(text).toContain('Signature valide');
    const proof = await marie.json<{ jws: string }>('GET', `/api/transfers/${draft.id}/proof`);
    const [header, payload] = proof.jws.split('.');
    const kid = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')).kid as string;
    expect(text).toContain(kid);
    expect(text).toContain(sha256(Buffer.from(payload, 'base64url')));
    expect(text).toMatch(/href="\/transferts\/[0-9a-f-]+\/attestation\.pdf"/);
    expect(text).toMatch(/href="\/api\/transfers\/[0-9a-f-]+\/proof"/);

    const pdfRes = await get(marie, `/transferts/${draft.id}/attestation.pdf`);
    expect(pdfRes.status).toBe(200);
    expect(pdfRes.headers.get('content-type')).toBe('application/pdf');
    const pdfFile = join(work, 'attestation.pdf');
    writeFileSync(pdfFile, Buffer.from(await pdfRes.arrayBuffer()));
    const pdfText = execFileSync('pdftotext', ['-enc', 'UTF-8', pdfFile, '-'], { encoding: 'utf8' }).replace(/\s+/g, ' ');
    expect(pdfText).toContain('Attestation de transfert');
    expect(pdfText).toContain(course.title);
    expect(pdfText).toContain('Importé dans l’ENT d’arrivée');
    expect(pdfText).toContain('À télécharger à l’arrivée');
    expect(pdfText).toContain('Signature valide');
    expect(pdfText).toContain(kid);
    expect(pdfText).toContain(DEMO.uaiB);

    // Nobody else's: another teacher gets 404 for both.
    const lucas = await TeacherClient.login(gatewayA, 'lucas.moreau', 'demo-lucas');
    for (const path of [`/transferts/${draft.id}/attestation`, `/transferts/${draft.id}/attestation.pdf`]) {
      const res = await get(lucas, path);
      expect(res.status).toBe(404);
      expect(await res.text()).not.toContain(course.title);
    }
    expect(gatewayA).toBeDefined();
  });

  it('copies only her selection; a double click prepares one copy; a selection of nothing or of another’s content changes nothing', async () => {
    const contents = (await marie.json<{ items: { id: string; title: string; category: string }[] }>('GET', '/api/contents')).items;
    const picked = contents.filter((c) => c.category === 'CAHIER_TEXTES' || c.category === 'STOCKAGE_PARTAGE').slice(0, 2);
    expect(picked.length).toBe(2);
    const page = await (await get(marie, '/mes-donnees')).text();
    const csrf = csrfOf(page);
    const before = (page.match(/\/mes-donnees\/copies\/[0-9a-f-]{36}/g) ?? []).length;

    // Refused: nothing picked, or a content that is not hers; no copy is created.
    for (const fields of [[['scope', 'selection']], [['scope', 'selection'], ['itemIds', 'ent-a-paul-inconnu']]] as [string, string][][]) {
      const refused = await postForm(marie, '/mes-donnees/copies', [['_csrf', csrf], ...fields]);
      expect(refused.status).toBe(303);
      expect(refused.headers.get('location')).toBe('/mes-donnees');
      const back = await (await get(marie, '/mes-donnees')).text();
      expect(back).toMatch(/Choisissez au moins un contenu|existe plus dans votre ENT|identifiant de contenu invalide/);
      expect((back.match(/\/mes-donnees\/copies\/[0-9a-f-]{36}/g) ?? []).length).toBe(before);
    }
    // Without the page's anti-CSRF token: refused, nothing created.
    const forged = await postForm(marie, '/mes-donnees/copies', [['_csrf', 'x'.repeat(32)], ['scope', 'all']]);
    expect(forged.status).toBe(403);

    // A double click: two posts at once, one copy.
    const fields: [string, string][] = [['_csrf', csrf], ['scope', 'selection'], ...picked.map((c) => ['itemIds', c.id] as [string, string])];
    const [one, two] = await Promise.all([postForm(marie, '/mes-donnees/copies', fields), postForm(marie, '/mes-donnees/copies', fields)]);
    expect(one.headers.get('location')).toBe(two.headers.get('location'));
    const path = new URL(one.headers.get('location')!, marie.baseUrl).pathname;
    const ready = await waitUntil('the selection', async () => {
      const text = await (await get(marie, path)).text();
      return /data-state="READY"/.test(text) ? text : undefined;
    }, 240_000);
    const href = /href="([^"]+\/archive)"/.exec(ready)![1];
    const zip = Buffer.from(await (await get(marie, href)).arrayBuffer());
    const dir = join(work, 'selection');
    mkdirSync(dir);
    const names = await unzipTo(zip, dir);
    const jsonld = JSON.parse(readFileSync(join(dir, 'metadonnees/index.jsonld'), 'utf8'));
    expect(jsonld.itemListElement.length).toBe(2);
    const indexHtml = readFileSync(join(dir, 'index.html'), 'utf8');
    for (const c of contents) {
      const escapedTitle = c.title.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
      expect(indexHtml.includes(escapedTitle)).toBe(picked.some((p) => p.id === c.id));
    }
    expect(names.some((n) => n.endsWith('.imscc') || n.endsWith('.mbox'))).toBe(false);
  });

  it('pages of the copy and of the attestation: no axe violation at 360 and 1280 px', async () => {
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
    try {
      for (const width of [360, 1280]) {
        // axe is injected by the test (the pages' CSP allows no foreign script).
        const ctx = await browser.newContext({ locale: 'fr-FR', viewport: { width, height: 900 }, bypassCSP: true });
        const page = await ctx.newPage();
        await page.goto(env.stack.urls.gatewayA);
        await page.getByRole('link', { name: 'Se connecter avec le Guichet Agents' }).click();
        await page.fill('#login', 'marie.dupont');
        await page.fill('#password', 'demo-marie');
        await page.getByRole('button', { name: 'Se connecter' }).click();
        await page.waitForURL(`${env.stack.urls.gatewayA}/`);
        for (const path of ['/mes-donnees', copyPath, `/transferts/${attestedTransferId}/attestation`]) {
          const res = await page.goto(`${env.stack.urls.gatewayA}${path}`);
          expect(res!.status()).toBe(200);
          await page.evaluate(axeSource);
          const violations = await page.evaluate(async () => {
            const g = globalThis as any;
            const r = await g.axe.run(g.document);
            return r.violations.map((v: any) => `${v.id}: ${v.nodes.map((n: any) => n.target.join(' ')).join(', ')}`);
          });
          expect({ path, width, violations }).toEqual({ path, width, violations: [] });
          const scrollWidth = await page.evaluate(() => (globalThis as any).document.documentElement.scrollWidth as number);
          expect({ path, width, scrollWidth: scrollWidth <= width }).toEqual({ path, width, scrollWidth: true });
        }
        await ctx.close();
      }
    } finally {
      await browser.close();
    }
  });

  it('is deleted at the end of its retention (7 days by default): the archive leaves the bucket, the page says so, the link answers 410', async () => {
    const copyId = copyPath.split('/').pop()!;
    const s3 = s3Client(env.s3);
    const listCopies = async () => {
      const keys: string[] = [];
      for await (const o of s3.listObjectsV2(env.buckets.a, 'copies/', true)) keys.push((o as { name: string }).name);
      return keys;
    };
    expect(await listCopies()).toContain(`copies/${copyId}.zip`);
    // Six days on, still there.
    await env.stack.setClock(new Date(Date.now() + 6 * 86_400_000));
    const sixDays = await TeacherClient.login(env.stack.urls.gatewayA, 'marie.dupont', 'demo-marie');
    expect((await get(sixDays, archivePath, { range: 'bytes=0-3' })).status).toBe(206);
    // Past seven days: the expiry job deletes it.
    await env.stack.setClock(new Date(Date.now() + 7 * 86_400_000 + 3_600_000));
    const later = await TeacherClient.login(env.stack.urls.gatewayA, 'marie.dupont', 'demo-marie');
    await waitUntil('the copy to expire', async () => /data-state="EXPIRED"/.test(await (await get(later, copyPath)).text()), 60_000);
    expect(await listCopies()).toEqual([]);
    const gone = await get(later, archivePath);
    expect(gone.status).toBe(410);
    expect(await gone.text()).toContain('supprimée');
  });
});
