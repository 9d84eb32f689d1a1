import { randomBytes } from 'node:crypto';
import { CookieJar, findLoginForm } from '../oidc-login';

/**
 * Plays a confidential client's authorization-code flow against the IdP *without* handing the
 * code to the gateway: the test stops at the redirect to the client's callback and redeems the
 * code itself (the demo client secret is public). It gets what a gateway gets after a teacher's
 * login: an ID token (aud = the client id) and a user access token (opaque, no resource).
 */
export async function teacherTokens(o: {
  idpUrl: string;
  client: { id: string; secret: string };
  redirectUri: string;
  login: string;
  password: string;
}): Promise<{ idToken: string; accessToken: string }> {
  const meta = (await (await fetch(`${o.idpUrl}/.well-known/openid-configuration`)).json()) as {
    authorization_endpoint: string;
    token_endpoint: string;
  };
  const authorize = new URL(meta.authorization_endpoint);
  authorize.search = new URLSearchParams({
    client_id: o.client.id,
    response_type: 'code',
    scope: 'openid profile',
    redirect_uri: o.redirectUri,
    state: randomBytes(12).toString('hex'),
    nonce: randomBytes(12).toString('hex'),
  }).toString();

  const jar = new CookieJar();
  let url = authorize.href;
  let init: { method: string; body?: string } = { method: 'GET' };
  let code: string | undefined;
  for (let hops = 0; hops < 20 && !code; hops++) {
    const headers: Record<string, string> = { accept: 'text/html' };
    const cookie = jar.header(url);
    if (cookie) headers.cookie = cookie;
    if (init.body) headers['content-type'] = 'application/x-www-form-urlencoded';
    const res = await fetch(url, { method: init.method, headers, body: init.body, redirect: 'manual' });
    jar.storeFrom(url, res);
    if (res.status >= 300 && res.status < 400) {
      await res.body?.cancel();
      const next = new URL(res.headers.get('location')!, url);
      if (next.href.startsWith(o.redirectUri)) {
        code = next.searchParams.get('code') ?? undefined;
        if (!code) throw new Error(`authorization failed: ${next.search}`);
        break;
      }
      url = next.href;
      init = { method: 'GET' };
      continue;
    }
    const html = await res.text();
    const form = findLoginForm(html);
    if (!form || res.status >= 400) throw new Error(`unexpected ${res.status} at ${url}: ${html.slice(0, 200)}`);
    const fields = new URLSearchParams(form.hidden);
    fields.set('login', o.login);
    fields.set('password', o.password);
    url = new URL(form.action || url, url).href;
    init = { method: 'POST', body: fields.toString() };
  }
  if (!code) throw new Error('no authorization code');
  const res = await fetch(meta.token_endpoint, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${o.client.id}:${o.client.secret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: o.redirectUri }).toString(),
  });
  const body = (await res.json()) as { id_token?: string; access_token?: string };
  if (!res.ok || !body.id_token || !body.access_token) throw new Error(`token endpoint answered ${res.status}: ${JSON.stringify(body)}`);
  return { idToken: body.id_token, accessToken: body.access_token };
}
