import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { RFTI_MANDATORY_PARAMS, RFTI_PROFILES, RFTI_SERVICES, RFTI_TECHNOLOGIES, RFTI_TYPES } from '../rfti';

/**
 * ok: records and accepts (204 for one hit, 200 + JSON for a bulk);
 * fail500: answers 500, records no hit; timeout: never answers, records no hit;
 * refuse: the listening socket is closed (connections are refused).
 */
export type MatomoSimMode = 'ok' | 'fail500' | 'timeout' | 'refuse';

export interface MatomoSimRequest {
  /** Real time of arrival. */
  receivedAt: Date;
  method: string;
  /** The request target of the request line, e.g. `/matomo.php`. */
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
  mode: MatomoSimMode;
  /** Status answered (undefined while held in timeout mode). */
  status?: number;
}

export interface MatomoSimHit {
  /** Tracking parameters of one hit (token_auth excluded). */
  params: Record<string, string>;
  /** token_auth that came with it (from the POST body). */
  tokenAuth?: string;
  bulk: boolean;
  /** Index in `requests`. */
  request: number;
  receivedAt: Date;
}

export interface MatomoSimOptions {
  mode?: MatomoSimMode;
  /** When set, requests with another token_auth get 403 and record nothing. */
  tokenAuth?: string;
  /** Delay before answering in ok mode (lets concurrent senders overlap). */
  latencyMs?: number;
  /** Hits for which this returns true are reported in `invalid_indices` and not recorded. */
  isInvalid?: (params: Record<string, string>) => boolean;
}

/**
 * A small stand-in for Matomo's tracking endpoint (`/matomo.php`) on 127.0.0.1 and a free port:
 * records every hit it accepts, and can be told to fail (500), hang, or refuse connections,
 * switchable while running.
 */
export class MatomoSim {
  readonly requests: MatomoSimRequest[] = [];
  readonly hits: MatomoSimHit[] = [];
  private server: Server;
  private port = 0;
  private modeNow: MatomoSimMode = 'ok';
  private readonly sockets = new Set<Socket>();
  private readonly held = new Set<ServerResponse>();
  private listening = false;

  private constructor(private readonly options: MatomoSimOptions) {
    this.server = this.newServer();
  }

  static async start(options: MatomoSimOptions = {}): Promise<MatomoSim> {
    const sim = new MatomoSim(options);
    await sim.listen(0);
    await sim.setMode(options.mode ?? 'ok');
    return sim;
  }

  /** URL_MATOMO (base URL). */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get trackerUrl(): string {
    return `${this.url}/matomo.php`;
  }

  get mode(): MatomoSimMode {
    return this.modeNow;
  }

  /** Hits grouped by a parameter (e.g. `url`): value → how many times it was received. */
  countBy(param: string): Map<string, number> {
    const m = new Map<string, number>();
    for (const h of this.hits) m.set(h.params[param], (m.get(h.params[param]) ?? 0) + 1);
    return m;
  }

  async setMode(mode: MatomoSimMode): Promise<void> {
    const previous = this.modeNow;
    this.modeNow = mode;
    if (previous === 'timeout' && mode !== 'timeout') this.releaseHeld();
    if (mode === 'refuse' && this.listening) {
      this.releaseHeld();
      await new Promise<void>((resolve) => {
        this.server.close(() => resolve());
        this.server.closeAllConnections();
        for (const s of this.sockets) s.destroy();
      });
      this.listening = false;
    } else if (mode !== 'refuse' && !this.listening) {
      this.server = this.newServer();
      await this.listen(this.port);
    }
  }

  reset(): void {
    this.requests.length = 0;
    this.hits.length = 0;
  }

  /** Resolves once `n` requests have arrived (whatever the answer). */
  async waitForRequests(n: number, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.requests.length < n) {
      if (Date.now() > deadline) throw new Error(`MatomoSim: ${this.requests.length} request(s) after ${timeoutMs} ms, expected ${n}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  async stop(): Promise<void> {
    this.releaseHeld();
    if (!this.listening) return;
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
      for (const s of this.sockets) s.destroy();
    });
    this.listening = false;
  }

  private releaseHeld() {
    for (const res of this.held) res.destroy();
    this.held.clear();
  }

  private newServer(): Server {
    const server = createServer((req, res) => void this.handle(req, res));
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    return server;
  }

  private async listen(port: number): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await new Promise<void>((resolve, reject) => {
          this.server.once('error', reject);
          this.server.listen(port, '127.0.0.1', () => {
            this.server.removeListener('error', reject);
            resolve();
          });
        });
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 50) throw err;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    this.port = (this.server.address() as AddressInfo).port;
    this.listening = true;
  }

  private async handle(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const record: MatomoSimRequest = { receivedAt: new Date(), method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, mode: this.modeNow };
    const index = this.requests.push(record) - 1;
    const answer = (status: number, json?: unknown) => {
      record.status = status;
      if (json === undefined) res.writeHead(status).end();
      else res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
    };

    if (this.modeNow === 'timeout') {
      this.held.add(res);
      res.on('close', () => this.held.delete(res));
      return;
    }
    if (this.modeNow === 'fail500') return answer(500, { status: 'error', message: 'simulated failure' });
    if (this.options.latencyMs) await new Promise((r) => setTimeout(r, this.options.latencyMs));

    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'POST' && req.method !== 'GET') return answer(405);
    if (!/\/(matomo|piwik)\.php$/.test(path)) return answer(404);

    // Collect the requests: query string (GET-style tracking), form body, or bulk JSON body.
    const fromUrl = new URLSearchParams((req.url ?? '').split('?')[1] ?? '');
    let lines: URLSearchParams[] = [];
    let tokenAuth: string | undefined = fromUrl.get('token_auth') ?? undefined;
    let bulk = false;
    const type = String(req.headers['content-type'] ?? '');
    if (type.includes('application/json') || body.trim().startsWith('{')) {
      let doc: { requests?: unknown; token_auth?: unknown };
      try {
        doc = JSON.parse(body);
      } catch {
        return answer(400, { status: 'error', message: 'invalid JSON' });
      }
      if (!Array.isArray(doc.requests)) return answer(400, { status: 'error', message: 'no requests' });
      bulk = true;
      if (typeof doc.token_auth === 'string') tokenAuth = doc.token_auth;
      lines = doc.requests.map((r) => new URLSearchParams(String(r).replace(/^[^?]*\?/, '')));
    } else {
      const form = new URLSearchParams(body);
      if (form.has('token_auth')) tokenAuth = form.get('token_auth') ?? undefined;
      const merged = new URLSearchParams(fromUrl);
      for (const [k, v] of form) merged.set(k, v);
      lines = [merged];
    }
    if (this.options.tokenAuth !== undefined && tokenAuth !== this.options.tokenAuth) {
      return answer(403, { status: 'error', message: 'token_auth is not valid' });
    }
    const invalid: number[] = [];
    lines.forEach((line, i) => {
      const params: Record<string, string> = {};
      for (const [k, v] of line) if (k !== 'token_auth') params[k] = v;
      if (this.options.isInvalid?.(params)) {
        invalid.push(i);
        return;
      }
      this.hits.push({ params, tokenAuth, bulk, request: index, receivedAt: record.receivedAt });
    });
    if (bulk) return answer(200, { status: 'success', tracked: lines.length - invalid.length, invalid: invalid.length, invalid_indices: invalid });
    return answer(invalid.length ? 400 : 204);
  }
}

const CDT = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;

/**
 * Checks one received hit against the RFTI v2.01 §3.2, independently of the code that built it:
 * the mandatory parameters, fixed values, reference lists and lengths. Returns the problems.
 */
export function rftiProblems(params: Record<string, string>): string[] {
  const problems: string[] = [];
  const len = (v: string) => [...v].length;
  for (const p of RFTI_MANDATORY_PARAMS) if (!params[p]) problems.push(`${p} is missing`);
  if ('token_auth' in params) problems.push('token_auth is among the tracking parameters');
  if (params.rec !== undefined && params.rec !== '1') problems.push('rec must be 1');
  if (params.apiv !== undefined && params.apiv !== '1') problems.push('apiv must be 1');
  if (params.idsite !== undefined && !/^[1-9]\d*$/.test(params.idsite)) problems.push('idsite must be a positive integer');
  if (params.rand !== undefined && (len(params.rand) < 7 || len(params.rand) > 8)) problems.push('rand must have 7 to 8 characters');
  if (params.cdt !== undefined && !CDT.test(params.cdt) && !/^\d{10}$/.test(params.cdt)) problems.push('cdt must be "YYYY-MM-DD HH:MM:SS" or a UNIX timestamp');
  if (params.uid !== undefined && len(params.uid) > 200) problems.push('uid is longer than 200');
  if (params._id !== undefined && !/^[0-9a-f]{16}$/i.test(params._id)) problems.push('_id must be 16 hexadecimal characters');
  for (const p of ['url', 'url_ref']) if (params[p] !== undefined && len(params[p]) > 1024) problems.push(`${p} is longer than 1024`);
  for (const [k, v] of Object.entries(params)) {
    if ((/^dimension\d+$/.test(k) || k === 'action_name') && len(v) > 255) problems.push(`${k} is longer than 255`);
  }
  if (params.dimension1 !== undefined) {
    if (params.dimension1 !== params.dimension1.toUpperCase()) problems.push('dimension1 must be upper case');
    if (!params.dimension1.split(',').every((u) => /^[0-9]{7}[A-Z]$/.test(u.trim()))) problems.push('dimension1 must list UAIs separated by ","');
  }
  if (params.dimension2 !== undefined && !(RFTI_PROFILES as readonly string[]).includes(params.dimension2)) problems.push('dimension2 is not an RFTI profile');
  if (params.dimension7 !== undefined && !(RFTI_TYPES as readonly string[]).includes(params.dimension7)) problems.push('dimension7 must be NATIF or TIERS');
  if (params.dimension8 !== undefined && !(RFTI_SERVICES as readonly string[]).includes(params.dimension8)) problems.push('dimension8 is not an RFTI service');
  if (params.dimension11 !== undefined && !(RFTI_TECHNOLOGIES as readonly string[]).includes(params.dimension11)) problems.push('dimension11 must be WEB-PWA or APPLI_NATIVE');
  if ('dimension5' in params) problems.push('dimension5 is not defined by the RFTI');
  return problems;
}
