/**
 * Browser-like OIDC login for e2e tests: follows redirects by hand with global fetch,
 * carries cookies for every host, fills the IdP login form and keeps following redirects.
 *
 *   const { jar, finalUrl } = await oidcLogin({
 *     startUrl: 'http://127.0.0.1:4001/auth/login', login: 'marie.dupont', password: 'demo-marie',
 *   });
 *   await fetch('http://127.0.0.1:4001/me', { headers: { cookie: jar.header('http://127.0.0.1:4001/me') } });
 */

interface StoredCookie {
  value: string;
  path: string;
  /** epoch ms; undefined = session cookie */
  expires?: number;
}

/**
 * Minimal cookie jar. Cookies are kept by name per host, ignoring the port (as browsers do:
 * 127.0.0.1:4000 and 127.0.0.1:4001 share cookies). Path is honoured loosely (prefix match),
 * Max-Age / Expires in the past delete the cookie; Domain, Secure and SameSite are ignored.
 */
export class CookieJar {
  private readonly hosts = new Map<string, Map<string, StoredCookie>>();

  /** Stores every Set-Cookie header of a response received from `url`. */
  storeFrom(url: string | URL, response: Response): void {
    for (const setCookie of response.headers.getSetCookie()) this.set(url, setCookie);
  }

  /** Stores one Set-Cookie header value received from `url`. */
  set(url: string | URL, setCookie: string): void {
    const u = new URL(url);
    const [pair, ...attributes] = setCookie.split(';');
    const eq = pair.indexOf('=');
    if (eq <= 0) return;
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    if (!name) return;

    let path = defaultPath(u.pathname);
    let expires: number | undefined;
    let maxAgeSeen = false;
    for (const attribute of attributes) {
      const i = attribute.indexOf('=');
      const key = (i === -1 ? attribute : attribute.slice(0, i)).trim().toLowerCase();
      const val = i === -1 ? '' : attribute.slice(i + 1).trim();
      if (key === 'path' && val.startsWith('/')) path = val;
      else if (key === 'max-age' && /^-?\d+$/.test(val)) {
        maxAgeSeen = true;
        expires = Date.now() + Number(val) * 1000;
      } else if (key === 'expires' && !maxAgeSeen) {
        const t = Date.parse(val);
        if (!Number.isNaN(t)) expires = t;
      }
    }

    const cookies = this.cookiesOf(u.hostname, true);
    if (expires !== undefined && expires <= Date.now()) {
      cookies.delete(name);
      return;
    }
    cookies.set(name, { value, path, expires });
  }

  /** Value of a cookie for `url`, if stored and not expired. */
  get(url: string | URL, name: string): string | undefined {
    return this.matching(new URL(url)).find(([n]) => n === name)?.[1].value;
  }

  /** The Cookie request header for `url` ('' when there is none). */
  header(url: string | URL): string {
    return this.matching(new URL(url))
      .map(([name, c]) => `${name}=${c.value}`)
      .join('; ');
  }

  /** Removes every cookie (optionally only those of one host). */
  clear(host?: string): void {
    if (host === undefined) this.hosts.clear();
    else this.hosts.delete(host);
  }

  private cookiesOf(host: string, create: boolean): Map<string, StoredCookie> {
    let cookies = this.hosts.get(host);
    if (!cookies) {
      cookies = new Map();
      if (create) this.hosts.set(host, cookies);
    }
    return cookies;
  }

  private matching(u: URL): Array<[string, StoredCookie]> {
    const cookies = this.cookiesOf(u.hostname, false);
    const now = Date.now();
    const out: Array<[string, StoredCookie]> = [];
    for (const [name, c] of cookies) {
      if (c.expires !== undefined && c.expires <= now) {
        cookies.delete(name);
        continue;
      }
      if (pathMatches(u.pathname, c.path)) out.push([name, c]);
    }
    return out;
  }
}

function defaultPath(requestPath: string): string {
  if (!requestPath.startsWith('/')) return '/';
  const last = requestPath.lastIndexOf('/');
  return last <= 0 ? '/' : requestPath.slice(0, last);
}

function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (cookiePath === '/' || requestPath === cookiePath) return true;
  const prefix = cookiePath.endsWith('/') ? cookiePath : `${cookiePath}/`;
  return requestPath.startsWith(prefix);
}

export class OidcLoginError extends Error {
  constructor(
    message: string,
    /** HTTP status of the failing response (0 when the failure is not an HTTP answer). */
    readonly status: number,
    /** URL of the failing response. */
    readonly url: string,
    /** Body of the failing response (HTML of the login page on 401). */
    readonly body: string,
    /** The jar as it was at the failure, to retry or inspect. */
    readonly jar: CookieJar,
  ) {
    super(message);
    this.name = 'OidcLoginError';
  }
}

export interface OidcLoginOptions {
  startUrl: string;
  login: string;
  password: string;
  jar?: CookieJar;
  /** Maximum number of redirects followed in total (default 20). */
  maxRedirects?: number;
}

export interface OidcLoginResult {
  jar: CookieJar;
  /** URL of the first response that was not a redirect (after the login form was posted, if shown). */
  finalUrl: string;
  /** Status and body of that last response. */
  status: number;
  body: string;
}

interface LoginForm {
  action: string;
  method: string;
  hidden: Array<[string, string]>;
}

const decodeEntities = (s: string): string =>
  s
    .replace(/&#(\d+);/g, (_, d: string) => String.fromCodePoint(Number(d)))
    .replace(/&#x([0-9a-f]+);/gi, (_, h: string) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

function attr(tag: string, name: string): string | undefined {
  const m = new RegExp(`\\s${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s>]+))`, 'i').exec(tag);
  if (!m) return undefined;
  return decodeEntities(m[1] ?? m[2] ?? m[3] ?? '');
}

/** Finds the first <form> that has a password input; returns its action, method and hidden fields. */
export function findLoginForm(html: string): LoginForm | undefined {
  const forms = html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi);
  for (const [, formAttrs, inner] of forms) {
    const inputs = [...inner.matchAll(/<input\b[^>]*>/gi)].map((m) => m[0]);
    if (!inputs.some((i) => (attr(i, 'type') ?? '').toLowerCase() === 'password')) continue;
    const hidden: Array<[string, string]> = [];
    for (const input of inputs) {
      const name = attr(input, 'name');
      if ((attr(input, 'type') ?? '').toLowerCase() === 'hidden' && name) hidden.push([name, attr(input, 'value') ?? '']);
    }
    const tag = ` ${formAttrs}`;
    return { action: attr(tag, 'action') ?? '', method: (attr(tag, 'method') ?? 'get').toUpperCase(), hidden };
  }
  return undefined;
}

const isRedirect = (status: number) => status >= 300 && status < 400 && status !== 304;

/**
 * Starts at `startUrl` (typically a gateway's /auth/login), follows redirects manually with
 * cookies for every host, posts `login`/`password` to the IdP's login form and follows the
 * redirects back until a response that is not a 3xx.
 *
 * Throws OidcLoginError when a response is 4xx/5xx (notably 401 on wrong credentials: the
 * error carries the login page body), when the login form comes back after being submitted,
 * or after more than `maxRedirects` (20) redirects.
 */
export async function oidcLogin(opts: OidcLoginOptions): Promise<OidcLoginResult> {
  const jar = opts.jar ?? new CookieJar();
  const maxRedirects = opts.maxRedirects ?? 20;
  let url = new URL(opts.startUrl).href;
  let init: { method: string; body?: string; contentType?: string } = { method: 'GET' };
  let redirects = 0;
  let submitted = false;

  for (;;) {
    const headers: Record<string, string> = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };
    const cookie = jar.header(url);
    if (cookie) headers.cookie = cookie;
    if (init.contentType) headers['content-type'] = init.contentType;

    let response: Response;
    try {
      response = await fetch(url, { method: init.method, headers, body: init.body, redirect: 'manual' });
    } catch (err) {
      throw new OidcLoginError(`oidcLogin: ${init.method} ${url} failed: ${(err as Error).message}`, 0, url, '', jar);
    }
    jar.storeFrom(url, response);

    if (isRedirect(response.status)) {
      await response.body?.cancel();
      const location = response.headers.get('location');
      if (!location) {
        throw new OidcLoginError(`oidcLogin: ${response.status} from ${url} without a Location header`, response.status, url, '', jar);
      }
      redirects += 1;
      if (redirects > maxRedirects) {
        throw new OidcLoginError(`oidcLogin: more than ${maxRedirects} redirects (last: ${url} -> ${location})`, response.status, url, '', jar);
      }
      url = new URL(location, url).href;
      // 307/308 would replay a POST; none of the flows here need it, a browser GET is what they expect.
      init = { method: 'GET' };
      continue;
    }

    const body = await response.text();
    if (response.status === 401) {
      throw new OidcLoginError(
        `oidcLogin: ${init.method} ${url} answered 401 (wrong credentials for "${opts.login}"?)`,
        401,
        url,
        body,
        jar,
      );
    }
    if (response.status >= 400) {
      throw new OidcLoginError(
        `oidcLogin: ${init.method} ${url} answered ${response.status}: ${textExcerpt(body)}`,
        response.status,
        url,
        body,
        jar,
      );
    }

    const form = /html/i.test(response.headers.get('content-type') ?? '') ? findLoginForm(body) : undefined;
    if (form) {
      if (submitted) {
        throw new OidcLoginError(`oidcLogin: the login form was shown again at ${url} after submitting it`, response.status, url, body, jar);
      }
      submitted = true;
      const fields = new URLSearchParams(form.hidden);
      fields.set('login', opts.login);
      fields.set('password', opts.password);
      const action = new URL(form.action || url, url);
      if (form.method === 'GET') {
        action.search = fields.toString();
        url = action.href;
        init = { method: 'GET' };
      } else {
        url = action.href;
        init = { method: 'POST', body: fields.toString(), contentType: 'application/x-www-form-urlencoded' };
      }
      continue;
    }

    return { jar, finalUrl: url, status: response.status, body };
  }
}

function textExcerpt(html: string): string {
  return html
    .replace(/<style[\s\S]*?<\/style>/gi, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 300);
}
