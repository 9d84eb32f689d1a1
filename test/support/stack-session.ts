import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO, startStack, Stack, StackOptions } from '../../scripts/local-stack';
import { CookieJar, oidcLogin } from './oidc-login';
import { freePort } from './ports';
import { dropBucket, testS3, TestS3, uniqueBucket } from './s3';

/**
 * Boots two simulated ENTs, the IdP and two gateways (compiled apps, child
 * processes) against the test S3 server, and hands back logged-in clients.
 */
export interface StackSession {
  stack: Stack;
  s3: TestS3;
  buckets: { a: string; b: string };
  dataDir: string;
  close(): Promise<void>;
}

export async function bootStack(name: string, extra: Omit<Partial<StackOptions>, 'ports'> & { ports?: Partial<StackOptions['ports']> } = {}): Promise<StackSession> {
  const s3 = await testS3();
  const ports = {
    idp: await freePort(),
    gatewayA: await freePort(),
    gatewayB: await freePort(),
    entA: await freePort(),
    entB: await freePort(),
    s3: 0,
    ...extra.ports,
  };
  const dataDir = mkdtempSync(join(tmpdir(), `ent-stack-${name}-`));
  const prefix = `${uniqueBucket(name)}-`.slice(0, 40);
  let stack: Stack;
  try {
    stack = await startStack({
      s3,
      bucketPrefix: prefix,
      dataDir,
      logDir: join(dataDir, 'logs'),
      jobPollMs: 100,
      ...extra,
      ports,
    });
  } catch (err) {
    await s3.stop();
    throw new Error(`${(err as Error).message} (logs in ${join(dataDir, 'logs')})`);
  }
  return {
    stack,
    s3,
    dataDir,
    buckets: { a: `${prefix}gateway-a`, b: `${prefix}gateway-b` },
    close: async () => {
      await stack.stop();
      for (const bucket of [`${prefix}gateway-a`, `${prefix}gateway-b`]) await dropBucket(s3, bucket).catch(() => undefined);
      await s3.stop();
      if (!process.env.KEEP_STACK_DATA) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A teacher's browser: cookie jar plus JSON helpers against one gateway. */
export class TeacherClient {
  constructor(
    readonly baseUrl: string,
    readonly jar: CookieJar,
  ) {}

  static async login(baseUrl: string, login: string, password: string): Promise<TeacherClient> {
    const { jar } = await oidcLogin({ startUrl: `${baseUrl}/auth/login`, login, password });
    return new TeacherClient(baseUrl, jar);
  }

  async request(method: string, path: string, body?: unknown): Promise<Response> {
    const url = `${this.baseUrl}${path}`;
    const res = await fetch(url, {
      method,
      redirect: 'manual',
      headers: { cookie: this.jar.header(url), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    this.jar.storeFrom(url, res);
    return res;
  }

  /** Ends the session as the API asks: POST /auth/logout with the session's anti-CSRF token. */
  async logout(): Promise<Response> {
    const me = await this.request('GET', '/api/me');
    // No session any more (expired): nothing to protect, the gateway ends nothing and needs no token.
    const csrfToken = me.ok ? ((await me.json()) as { csrfToken: string }).csrfToken : '';
    const url = `${this.baseUrl}/auth/logout`;
    const res = await fetch(url, { method: 'POST', redirect: 'manual', headers: { cookie: this.jar.header(url), ...(csrfToken ? { 'x-csrf-token': csrfToken } : {}) } });
    this.jar.storeFrom(url, res);
    return res;
  }

  async json<T = any>(method: string, path: string, body?: unknown, expected = [200, 201, 202]): Promise<T> {
    const res = await this.request(method, path, body);
    const text = await res.text();
    if (!expected.includes(res.status)) throw new Error(`${method} ${path} answered ${res.status}: ${text}`);
    return JSON.parse(text) as T;
  }
}

export async function clientCredentialsToken(idpUrl: string, client: { id: string; secret: string }, resource: string, scope?: string): Promise<string> {
  const meta = (await (await fetch(`${idpUrl}/.well-known/openid-configuration`)).json()) as { token_endpoint: string };
  const res = await fetch(meta.token_endpoint, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', resource, ...(scope ? { scope } : {}) }).toString(),
  });
  const body = (await res.json()) as { access_token?: string };
  if (!res.ok || !body.access_token) throw new Error(`token endpoint answered ${res.status}: ${JSON.stringify(body)}`);
  return body.access_token;
}

/** A call to a simulated ENT with its connector token: GET without a body, POST with one; the JSON answer, or an error. */
export async function entCall(entUrl: string, token: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${entUrl}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${entUrl}${path} answered ${res.status}: ${text}`);
  return JSON.parse(text);
}

export async function waitUntil<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
}

export { DEMO };
