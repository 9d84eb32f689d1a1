/**
 * Spec of the oidcLogin test helper against a fake "gateway" (127.0.0.1) and fake "IdP"
 * (127.0.0.2, another host as far as cookies go) — no real IdP needed.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CookieJar, findLoginForm, oidcLogin, OidcLoginError } from './oidc-login';

function listen(server: Server, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve((server.address() as AddressInfo).port));
  });
}

const close = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

describe('CookieJar', () => {
  it('shares cookies between ports of one host, not between hosts', () => {
    const jar = new CookieJar();
    jar.set('http://127.0.0.1:4000/auth', 'a=1; Path=/; HttpOnly');
    expect(jar.header('http://127.0.0.1:4001/x')).toBe('a=1');
    expect(jar.header('http://127.0.0.2:4000/x')).toBe('');
  });

  it('honours Path (prefix match) and the default path', () => {
    const jar = new CookieJar();
    jar.set('http://h/', '_interaction=i; Path=/interaction/abc');
    jar.set('http://h/auth/callback', 'def=d');
    expect(jar.header('http://h/interaction/abc')).toBe('_interaction=i');
    expect(jar.header('http://h/interaction/abc/login')).toBe('_interaction=i');
    expect(jar.header('http://h/interaction/abcd')).toBe('');
    expect(jar.header('http://h/auth/other')).toBe('def=d');
    expect(jar.header('http://h/')).toBe('');
  });

  it('replaces by name and deletes on Max-Age=0 or a past Expires', () => {
    const jar = new CookieJar();
    jar.set('http://h/', 's=1; Path=/');
    jar.set('http://h/', 's=2; Path=/');
    jar.set('http://h/', 't=x; Path=/');
    expect(jar.header('http://h/')).toBe('s=2; t=x');
    jar.set('http://h/', 's=; Path=/; Max-Age=0');
    jar.set('http://h/', 't=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT');
    expect(jar.header('http://h/')).toBe('');
    jar.set('http://h/', 'u=v=w; Path=/; Max-Age=60');
    expect(jar.get('http://h/', 'u')).toBe('v=w');
  });
});

describe('findLoginForm', () => {
  it('extracts the action, method and hidden fields of the form that has a password', () => {
    const html = `<form action="/search"><input name="q"></form>
      <form method="post" action="/interaction/a&amp;b/login"><input type="hidden" name="csrf" value="x&quot;y">
      <input name="login"><input type="password" name="password"></form>`;
    expect(findLoginForm(html)).toEqual({ action: '/interaction/a&b/login', method: 'POST', hidden: [['csrf', 'x"y']] });
    expect(findLoginForm('<p>nothing</p>')).toBeUndefined();
  });
});

describe('oidcLogin', () => {
  let gateway: Server;
  let idp: Server;
  let gw: string;
  let op: string;
  const posted: string[] = [];

  beforeAll(async () => {
    // Fake IdP on another host: sets a cookie on /authorize, requires it on the login form.
    idp = createServer(async (req: IncomingMessage, res: ServerResponse) => {
      const u = new URL(req.url ?? '/', op);
      const cookies = req.headers.cookie ?? '';
      if (u.pathname === '/authorize') {
        res.writeHead(302, { 'set-cookie': 'op_interaction=42; Path=/interaction/42; HttpOnly', location: '/interaction/42' });
        res.end();
      } else if (u.pathname === '/interaction/42' && req.method === 'GET') {
        if (!cookies.includes('op_interaction=42')) return void res.writeHead(400).end('no interaction cookie');
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end('<form method="post" action="/interaction/42/login"><input type="hidden" name="h" value="1"><input name="login"><input type="password" name="password"></form>');
      } else if (u.pathname === '/interaction/42/login' && req.method === 'POST') {
        const body = await readBody(req);
        posted.push(body);
        const p = new URLSearchParams(body);
        if (!cookies.includes('op_interaction=42')) return void res.writeHead(400).end('no interaction cookie');
        if (p.get('login') !== 'marie' || p.get('password') !== 'ok') {
          res.writeHead(401, { 'content-type': 'text/html; charset=utf-8' });
          return void res.end('<p role="alert">Identifiant ou mot de passe incorrect.</p>');
        }
        res.writeHead(303, { location: `${gw}/auth/callback?code=c0de&state=s` });
        res.end();
      } else if (u.pathname === '/loop') {
        res.writeHead(302, { location: '/loop' }).end();
      } else {
        res.writeHead(404).end();
      }
    });
    // Fake gateway: /auth/login sets its own session cookie and redirects to the IdP.
    gateway = createServer((req, res) => {
      const u = new URL(req.url ?? '/', gw);
      const cookies = req.headers.cookie ?? '';
      if (u.pathname === '/auth/login') {
        res.writeHead(302, { 'set-cookie': 'gw_session=abc; Path=/; HttpOnly', location: `${op}/authorize` }).end();
      } else if (u.pathname === '/auth/callback') {
        if (cookies.includes('op_interaction')) return void res.writeHead(500).end('IdP cookie leaked to gateway host');
        if (!cookies.includes('gw_session=abc')) return void res.writeHead(400).end('no gateway session');
        res.writeHead(302, { 'set-cookie': 'gw_user=marie; Path=/', location: '/home' }).end();
      } else if (u.pathname === '/home') {
        res.writeHead(200, { 'content-type': 'text/html' }).end(`<p>Bonjour</p>`);
      } else {
        res.writeHead(404).end();
      }
    });
    gw = `http://127.0.0.1:${await listen(gateway, '127.0.0.1')}`;
    op = `http://127.0.0.2:${await listen(idp, '127.0.0.2')}`;
  });

  afterAll(async () => {
    await Promise.all([close(gateway), close(idp)]);
  });

  it('follows the whole flow, posting the form with its hidden fields and carrying cookies per host', async () => {
    const { jar, finalUrl, status, body } = await oidcLogin({ startUrl: `${gw}/auth/login`, login: 'marie', password: 'ok' });
    expect(finalUrl).toBe(`${gw}/home`);
    expect(status).toBe(200);
    expect(body).toContain('Bonjour');
    expect(jar.get(`${gw}/`, 'gw_user')).toBe('marie');
    expect(jar.get(`${op}/interaction/42`, 'op_interaction')).toBe('42');
    expect(new URLSearchParams(posted.at(-1))).toEqual(new URLSearchParams('h=1&login=marie&password=ok'));
  });

  it('throws an OidcLoginError carrying the page on 401', async () => {
    const err = await oidcLogin({ startUrl: `${gw}/auth/login`, login: 'marie', password: 'nope' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OidcLoginError);
    expect((err as OidcLoginError).status).toBe(401);
    expect((err as OidcLoginError).message).toMatch(/401/);
    expect((err as OidcLoginError).body).toContain('Identifiant ou mot de passe incorrect.');
  });

  it('throws after more than 20 redirects', async () => {
    await expect(oidcLogin({ startUrl: `${op}/loop`, login: 'x', password: 'y' })).rejects.toThrow(/more than 20 redirects/);
  });
});
