/**
 * End-to-end proof of apps/idp-sim: spawns the compiled IdP (dist/apps/idp-sim/src/main.js,
 * run `npm run build` first) and talks to it over real HTTP.
 *
 * jose (ESM-only) cannot be loaded by jest, so signatures are verified with jose
 * (createRemoteJWKSet + jwtVerify) in a short-lived `node --input-type=module` child.
 */
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { ACCOUNTS } from '../apps/idp-sim/src/accounts';
import { oidcLogin, OidcLoginError } from './support/oidc-login';
import { killService, startService, type ServiceProcess } from './support/service-process';

jest.setTimeout(60_000);

const ROOT = resolve(__dirname, '..');
const MAIN = join(ROOT, 'dist/apps/idp-sim/src/main.js');
const TTL = 120;
const PEER_SCOPES = ['portability:capabilities', 'portability:offer', 'portability:deliver', 'portability:fetch', 'portability:receipt'];

// ---------------------------------------------------------------------------------------------
// helpers

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createNetServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => res(port));
    });
  });
}

type RunningIdp = ServiceProcess;

function baseEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, NODE_ENV: 'test', ...env };
}

/** Spawns the IdP and resolves once it printed "idp-sim listening on …" (killed if it never does). */
function startIdp(env: Record<string, string>): Promise<RunningIdp> {
  return startService({ name: 'idp-sim', args: [MAIN], env: baseEnv(env), readyLine: /idp-sim listening on/ });
}

/** Runs the IdP expecting it to fail at boot. */
function runToExit(env: Record<string, string>): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [MAIN], { env: baseEnv(env) });
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      rej(new Error(`idp-sim did not exit:\n${out}\n${err}`));
    }, 20_000);
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      res({ code, out, err });
    });
  });
}

async function stopIdp(idp: RunningIdp | undefined): Promise<void> {
  if (idp) await killService(idp);
}

interface VerifyResult {
  payload?: Record<string, unknown>;
  header?: Record<string, unknown>;
  error?: string;
  message?: string;
}

const VERIFY_SCRIPT = `
import { createRemoteJWKSet, jwtVerify } from 'jose';
const { TOKEN, JWKS_URI, ISSUER, AUDIENCE, TYP } = process.env;
try {
  const { payload, protectedHeader } = await jwtVerify(TOKEN, createRemoteJWKSet(new URL(JWKS_URI)), {
    issuer: ISSUER, audience: AUDIENCE, algorithms: ['RS256'], ...(TYP ? { typ: TYP } : {}),
  });
  process.stdout.write(JSON.stringify({ payload, header: protectedHeader }));
} catch (e) {
  process.stdout.write(JSON.stringify({ error: e.code ?? e.name, message: e.message }));
}`;

/** jwtVerify(token, createRemoteJWKSet(jwks_uri), {issuer, audience}) in a node child (jose is ESM-only). */
function joseVerify(token: string, o: { jwksUri: string; issuer: string; audience: string; typ?: string }): Promise<VerifyResult> {
  return new Promise((res, rej) => {
    execFile(
      process.execPath,
      ['--input-type=module', '-e', VERIFY_SCRIPT],
      {
        cwd: ROOT,
        env: baseEnv({ TOKEN: token, JWKS_URI: o.jwksUri, ISSUER: o.issuer, AUDIENCE: o.audience, TYP: o.typ ?? '' }),
        timeout: 20_000,
      },
      (error, stdout, stderr) => {
        if (error) return rej(new Error(`jose verification child failed: ${error.message}\n${stderr}`));
        res(JSON.parse(stdout) as VerifyResult);
      },
    );
  });
}

async function tokenRequest(
  issuer: string,
  params: Record<string, string>,
  auth: { id: string; secret: string; mode?: 'basic' | 'post' },
): Promise<{ status: number; json: Record<string, unknown> }> {
  const body = new URLSearchParams(params);
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (auth.mode === 'post') {
    body.set('client_id', auth.id);
    body.set('client_secret', auth.secret);
  } else {
    const enc = (s: string) => encodeURIComponent(s);
    headers.authorization = `Basic ${Buffer.from(`${enc(auth.id)}:${enc(auth.secret)}`).toString('base64')}`;
  }
  const res = await fetch(`${issuer}/token`, { method: 'POST', headers, body: body.toString() });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

// ---------------------------------------------------------------------------------------------

beforeAll(() => {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` before this suite`);
});

describe('idp-sim (configured from env)', () => {
  let idp: RunningIdp | undefined;
  let callbackServer: Server;
  let callbackBase: string;
  const callbacks: URLSearchParams[] = [];
  let issuer: string;
  let discovery: Record<string, string>;
  const resourceA = 'http://127.0.0.1:4101';
  const resourceB = 'http://127.0.0.1:4102';
  const gwA = { id: 'gateway-a', secret: 'gateway-a-secret-test' };
  const limited = { id: 'limited-ent', secret: 'limited-ent-secret' };

  beforeAll(async () => {
    // Stand-in for the gateway's /auth/callback: records the code and state it receives.
    callbackServer = createServer((req, res) => {
      const u = new URL(req.url ?? '/', callbackBase);
      callbacks.push(u.searchParams);
      res.writeHead(200, { 'content-type': 'text/plain' }).end('callback ok');
    });
    await new Promise<void>((r) => callbackServer.listen(0, '127.0.0.1', () => r()));
    callbackBase = `http://127.0.0.1:${(callbackServer.address() as AddressInfo).port}`;

    const port = await freePort();
    issuer = `http://127.0.0.1:${port}`;
    idp = await startIdp({
      IDP_PORT: String(port),
      IDP_HOST: '127.0.0.1',
      IDP_ISSUER: issuer,
      IDP_ACCESS_TOKEN_TTL: String(TTL),
      IDP_RESOURCES: JSON.stringify([resourceA, resourceB]),
      IDP_COOKIE_KEYS: 'a-test-cookie-key-0123456789,an-older-cookie-key-abcdef',
      IDP_CLIENTS: JSON.stringify([
        { clientId: gwA.id, clientSecret: gwA.secret, redirectUris: [`${callbackBase}/auth/callback`], peerScopes: PEER_SCOPES },
        { clientId: 'gateway-b', clientSecret: 'gateway-b-secret-test', redirectUris: [`${callbackBase}/b/callback`], peerScopes: PEER_SCOPES },
        { clientId: limited.id, clientSecret: limited.secret, redirectUris: [], peerScopes: ['portability:capabilities'] },
      ]),
    });
  });

  afterAll(async () => {
    await stopIdp(idp);
    await new Promise<void>((r) => callbackServer.close(() => r()));
  });

  it('answers /health and logs JSON lines with time, level and msg', async () => {
    const res = await fetch(`${issuer}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
    for (const line of idp!.lines) {
      const entry = JSON.parse(line) as Record<string, unknown>;
      expect(entry).toEqual(expect.objectContaining({ time: expect.any(String), level: expect.any(String), msg: expect.any(String) }));
    }
    expect(idp!.lines.some((l) => (JSON.parse(l) as { msg: string }).msg === `idp-sim listening on ${issuer}`)).toBe(true);
  });

  it('1. publishes a discovery document', async () => {
    const res = await fetch(`${issuer}/.well-known/openid-configuration`);
    expect(res.status).toBe(200);
    discovery = (await res.json()) as Record<string, string>;
    expect(discovery.issuer).toBe(issuer);
    expect(discovery.jwks_uri).toBe(`${issuer}/jwks`);
    expect(discovery.token_endpoint).toBe(`${issuer}/token`);
    expect(discovery.authorization_endpoint).toBe(`${issuer}/auth`);
    expect(discovery.scopes_supported).toEqual(expect.arrayContaining(['openid', 'profile', 'email', 'ent', ...PEER_SCOPES]));
    expect(discovery.claims_supported).toEqual(expect.arrayContaining(['sub', 'given_name', 'family_name', 'email', 'national_profiles', 'uai']));
    const jwks = (await (await fetch(discovery.jwks_uri)).json()) as { keys: Array<Record<string, string>> };
    expect(jwks.keys.length).toBeGreaterThan(0);
    for (const k of jwks.keys) expect(k.d).toBeUndefined(); // public keys only
  });

  describe('2-3. client credentials (peer tokens)', () => {
    it('issues an RS256 JWT for an allowed audience, verified with jose', async () => {
      const { status, json } = await tokenRequest(
        issuer,
        { grant_type: 'client_credentials', resource: resourceB, scope: 'portability:offer' },
        gwA,
      );
      expect(status).toBe(200);
      expect(json).toEqual(expect.objectContaining({ token_type: 'Bearer', expires_in: TTL, scope: 'portability:offer' }));

      const v = await joseVerify(json.access_token as string, { jwksUri: `${issuer}/jwks`, issuer, audience: resourceB, typ: 'at+jwt' });
      expect(v.error).toBeUndefined();
      expect(v.header).toEqual(expect.objectContaining({ alg: 'RS256', typ: 'at+jwt', kid: expect.any(String) }));
      const p = v.payload!;
      expect(p.iss).toBe(issuer);
      expect(p.aud).toBe(resourceB);
      expect(p.client_id).toBe('gateway-a');
      expect(p.sub).toBe('gateway-a');
      expect(String(p.scope).split(' ')).toContain('portability:offer');
      expect(p.scope).toBe('portability:offer');
      expect((p.exp as number) - (p.iat as number)).toBe(TTL);
      expect(p.jti).toEqual(expect.any(String));

      // The same token is refused for another audience.
      const other = await joseVerify(json.access_token as string, { jwksUri: `${issuer}/jwks`, issuer, audience: resourceA });
      expect(other.error).toBe('ERR_JWT_CLAIM_VALIDATION_FAILED');
    });

    it('grants all of the client peer scopes when none is asked, and accepts client_secret_post', async () => {
      const { status, json } = await tokenRequest(issuer, { grant_type: 'client_credentials', resource: resourceA }, { ...gwA, mode: 'post' });
      expect(status).toBe(200);
      expect(String(json.scope).split(' ').sort()).toEqual([...PEER_SCOPES].sort());
      const v = await joseVerify(json.access_token as string, { jwksUri: `${issuer}/jwks`, issuer, audience: resourceA });
      expect(String(v.payload!.scope).split(' ').sort()).toEqual([...PEER_SCOPES].sort());
    });

    it('grants only the peer scopes a client has', async () => {
      const none = await tokenRequest(issuer, { grant_type: 'client_credentials', resource: resourceA }, limited);
      expect(none.status).toBe(200);
      expect(none.json.scope).toBe('portability:capabilities');

      const mixed = await tokenRequest(
        issuer,
        { grant_type: 'client_credentials', resource: resourceA, scope: 'openid portability:capabilities' },
        limited,
      );
      expect(mixed.status).toBe(200);
      expect(mixed.json.scope).toBe('portability:capabilities');

      const notAllowed = await tokenRequest(
        issuer,
        { grant_type: 'client_credentials', resource: resourceA, scope: 'portability:offer' },
        limited,
      );
      expect(notAllowed.status).toBe(400);
      expect(notAllowed.json.error).toBe('invalid_scope');
    });

    it('refuses a resource that is not in IDP_RESOURCES, or no resource, with invalid_target', async () => {
      const foreign = await tokenRequest(
        issuer,
        { grant_type: 'client_credentials', resource: 'http://127.0.0.1:4999', scope: 'portability:offer' },
        gwA,
      );
      expect(foreign.status).toBe(400);
      expect(foreign.json.error).toBe('invalid_target');

      const missing = await tokenRequest(issuer, { grant_type: 'client_credentials', scope: 'portability:offer' }, gwA);
      expect(missing.status).toBe(400);
      expect(missing.json.error).toBe('invalid_target');
    });

    it('refuses a wrong client secret or an unknown client with 401 invalid_client', async () => {
      const wrong = await tokenRequest(issuer, { grant_type: 'client_credentials', resource: resourceA }, { id: gwA.id, secret: 'nope-nope' });
      expect(wrong.status).toBe(401);
      expect(wrong.json.error).toBe('invalid_client');
      const unknown = await tokenRequest(issuer, { grant_type: 'client_credentials', resource: resourceA }, { id: 'ent-x', secret: 'whatever-1' });
      expect(unknown.status).toBe(401);
      expect(unknown.json.error).toBe('invalid_client');
    });
  });

  describe('4. authorization code login', () => {
    const redirectUri = () => `${callbackBase}/auth/callback`;
    const authorizeUrl = (state: string, nonce: string, clientId = 'gateway-a', redirect = redirectUri()) =>
      `${issuer}/auth?${new URLSearchParams({
        client_id: clientId,
        response_type: 'code',
        scope: 'openid profile email ent',
        redirect_uri: redirect,
        state,
        nonce,
      }).toString()}`;
    let ssoJar: import('./support/oidc-login').CookieJar;

    it('rejects a wrong password (401, French message, interaction unchanged), then logs in and issues a verified ID token', async () => {
      const state = randomBytes(12).toString('hex');
      const nonce = randomBytes(12).toString('hex');
      const marie = ACCOUNTS.find((a) => a.sub === 'marie.dupont')!;

      const failure = await oidcLogin({ startUrl: authorizeUrl(state, nonce), login: marie.sub, password: 'not-her-password' }).catch(
        (e: unknown) => e,
      );
      expect(failure).toBeInstanceOf(OidcLoginError);
      const err = failure as OidcLoginError;
      expect(err.status).toBe(401);
      expect(err.body).toContain('Identifiant ou mot de passe incorrect.');
      expect(err.body).toContain('Connexion — Guichet Agents (simulé)');
      expect(err.body).toContain('Se connecter');
      expect(err.url).toMatch(new RegExp(`^${issuer}/interaction/[^/]+/login$`));
      expect(callbacks).toHaveLength(0);

      // Same interaction, same cookies: the right password now goes through.
      const interactionUrl = err.url.replace(/\/login$/, '');
      const { jar, finalUrl, status } = await oidcLogin({ startUrl: interactionUrl, login: marie.sub, password: marie.password, jar: err.jar });
      ssoJar = jar;
      expect(status).toBe(200);
      const final = new URL(finalUrl);
      expect(`${final.origin}${final.pathname}`).toBe(redirectUri());
      expect(final.searchParams.get('state')).toBe(state);
      expect(final.searchParams.get('iss')).toBe(issuer);
      const code = final.searchParams.get('code');
      expect(code).toBeTruthy();
      expect(callbacks.at(-1)?.get('code')).toBe(code);

      const { status: tokenStatus, json } = await tokenRequest(
        issuer,
        { grant_type: 'authorization_code', code: code!, redirect_uri: redirectUri() },
        gwA,
      );
      expect(tokenStatus).toBe(200);
      expect(json.token_type).toBe('Bearer');
      const v = await joseVerify(json.id_token as string, { jwksUri: discovery.jwks_uri, issuer, audience: 'gateway-a' });
      expect(v.error).toBeUndefined();
      expect(v.header!.alg).toBe('RS256');
      expect(v.payload).toEqual(
        expect.objectContaining({
          iss: issuer,
          aud: 'gateway-a',
          sub: 'marie.dupont',
          nonce,
          given_name: 'Marie',
          family_name: 'Dupont',
          email: 'marie.dupont@ac-paris.fr',
          national_profiles: ['National_ens'],
          uai: ['0750001A'],
        }),
      );

      // The (opaque) access token works at userinfo with the same claims.
      const me = await fetch(`${issuer}/me`, { headers: { authorization: `Bearer ${json.access_token as string}` } });
      expect(me.status).toBe(200);
      expect(await me.json()).toEqual(expect.objectContaining({ sub: 'marie.dupont', uai: ['0750001A'], national_profiles: ['National_ens'] }));

      // The code is single use; replaying it also revokes what it produced.
      const replay = await tokenRequest(issuer, { grant_type: 'authorization_code', code: code!, redirect_uri: redirectUri() }, gwA);
      expect(replay.status).toBe(400);
      expect(replay.json.error).toBe('invalid_grant');
      const revoked = await fetch(`${issuer}/me`, { headers: { authorization: `Bearer ${json.access_token as string}` } });
      expect(revoked.status).toBe(401);
    });

    it('keeps the IdP session: a second client logs in without the form (SSO)', async () => {
      const state = randomBytes(8).toString('hex');
      const { finalUrl } = await oidcLogin({
        startUrl: authorizeUrl(state, 'n2', 'gateway-b', `${callbackBase}/b/callback`),
        login: 'ignored',
        password: 'ignored',
        jar: ssoJar,
      });
      const final = new URL(finalUrl);
      expect(final.pathname).toBe('/b/callback');
      expect(final.searchParams.get('state')).toBe(state);
      expect(final.searchParams.get('code')).toBeTruthy();
    });

    it('carries the PERDIR profile for the head teacher', async () => {
      const claire = ACCOUNTS.find((a) => a.sub === 'claire.bernard')!;
      const { finalUrl } = await oidcLogin({ startUrl: authorizeUrl('s3', 'n3'), login: claire.sub, password: claire.password });
      const code = new URL(finalUrl).searchParams.get('code')!;
      const { json } = await tokenRequest(issuer, { grant_type: 'authorization_code', code, redirect_uri: redirectUri() }, gwA);
      const v = await joseVerify(json.id_token as string, { jwksUri: discovery.jwks_uri, issuer, audience: 'gateway-a' });
      expect(v.payload).toEqual(expect.objectContaining({ sub: 'claire.bernard', national_profiles: ['National_dir'], uai: ['0750001A'] }));
    });

    it('refuses an unregistered redirect_uri without redirecting to it', async () => {
      const res = await fetch(authorizeUrl('s', 'n', 'gateway-a', 'http://127.0.0.1:9/evil'), { redirect: 'manual' });
      expect(res.status).toBe(400);
      expect(res.headers.get('location')).toBeNull();
    });
  });

  it('stops gracefully on SIGTERM (exit code 0)', async () => {
    idp!.child.kill('SIGTERM');
    expect(await idp!.exited).toBe(0);
    expect(idp!.lines.some((l) => l.includes('idp-sim stopped'))).toBe(true);
  });
});

describe('idp-sim defaults', () => {
  let idp: RunningIdp | undefined;
  let issuer: string;

  beforeAll(async () => {
    const port = await freePort();
    issuer = `http://127.0.0.1:${port}`;
    idp = await startIdp({ IDP_PORT: String(port) });
  });
  afterAll(() => stopIdp(idp));

  it('derives the issuer from IDP_PORT and serves the demo clients (ent-c included)', async () => {
    const disco = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as Record<string, string>;
    expect(disco.issuer).toBe(issuer);
    const { status, json } = await tokenRequest(
      issuer,
      { grant_type: 'client_credentials', resource: 'http://127.0.0.1:4002' },
      { id: 'ent-c', secret: 'ent-c-secret' },
    );
    expect(status).toBe(200);
    const v = await joseVerify(json.access_token as string, { jwksUri: disco.jwks_uri, issuer, audience: 'http://127.0.0.1:4002' });
    expect(v.payload).toEqual(expect.objectContaining({ client_id: 'ent-c', aud: 'http://127.0.0.1:4002' }));
    expect((v.payload!.exp as number) - (v.payload!.iat as number)).toBe(300);
    expect(idp!.lines.some((l) => l.includes('generated an ephemeral RSA signing key'))).toBe(true);
  });
});

describe('5. idp-sim refuses a bad configuration', () => {
  it.each([
    ['IDP_CLIENTS', '{not json'],
    ['IDP_CLIENTS', '[{"clientId":"x","clientSecret":"long-enough","redirectUris":[],"peerScopes":[],"oops":1}]'],
    ['IDP_RESOURCES', '[]'],
    ['IDP_PORT', 'abc'],
    ['IDP_ACCESS_TOKEN_TTL', '-5'],
    ['IDP_ISSUER', 'ftp://example'],
    ['IDP_SIGNING_JWKS', '{"keys":[{"kty":"RSA","n":"abc","e":"AQAB"}]}'],
    ['IDP_COOKIE_KEYS', 'short'],
  ])('%s=%s exits with code 1 and names the variable', async (variable, value) => {
    const port = await freePort();
    const { code, err, out } = await runToExit({ IDP_PORT: String(port), [variable]: value });
    expect(code).toBe(1);
    expect(err).toContain(variable);
    expect(err).toMatch(/invalid configuration/);
    expect(out).not.toContain('listening');
  });
});
