import { timingSafeEqual } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { PublishedContract } from './contract';
import { excerpt, http, HttpResult } from './http';
import { Exchange, Results } from './results';

/** The path of the events endpoint, as `docs/openapi/connector-v1.json` publishes it. */
export const EVENTS_PATH = '/connector/v1/events';
const VALIDATION_FAILED = 'urn:ent-portability:problem:validation-failed';
const MALFORMED_JSON = 'urn:ent-portability:problem:malformed-json';
const MAX_EVENT_BYTES = 64 * 1024;
const OCCURRED_AT_TOLERANCE_MS = 5 * 60_000;
/** RFC 3339 date-time (what `format: date-time` means; the kit's schema validator does not check formats). */
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;
const ACCOUNT_TYPES = ['ACCOUNT_CREATED', 'ACCOUNT_SCHOOLS_CHANGED'];

const same = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/** What the contract says of an event body, beyond its JSON Schema: unknown fields refused, dates real. */
function eventProblems(contract: PublishedContract, body: unknown): string[] {
  const problems = [...contract.validate('connector', 'EntEvent', body), ...contract.unknownFields('connector', 'EntEvent', body).map((f) => `${f} is not a field of EntEvent`)];
  const at = (body as { occurredAt?: unknown } | undefined)?.occurredAt;
  if (typeof at === 'string' && (!RFC3339.test(at) || Number.isNaN(Date.parse(at)))) problems.push(`occurredAt ${JSON.stringify(at)} is not an RFC 3339 date-time`);
  return problems;
}

export interface EventsSenderOptions {
  host: string;
  port: number;
  /** The connector secret the ENT must send. */
  token: string;
  /** The test user whose login and account creation the kit waits for. */
  user: string;
  waitMs: number;
  log: (line: string) => void;
  /** Called when the kit waits for a login, then for an account creation (a prompt, or a command). */
  awaitLogin: () => Promise<void>;
  awaitAccount: () => Promise<void>;
}

/**
 * `events`: the kit plays the gateway an ENT sends its connector events to. It answers as a
 * gateway does (401 without the secret, 400 for an invalid event, 200 otherwise) and checks each
 * event the ENT sends while its tester logs in and creates an account.
 */
export class EventsSenderPlan {
  private readonly contract = new PublishedContract();
  private server?: Server;
  private waiting?: { types: string[]; resolve: () => void };

  constructor(
    private readonly o: EventsSenderOptions,
    private readonly results: Results,
  ) {}

  get url(): string {
    const a = this.server?.address() as AddressInfo | undefined;
    return `http://${this.o.host}:${a?.port ?? this.o.port}`;
  }

  async run(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.o.port, this.o.host, resolve);
    });
    try {
      this.o.log(`Connector events: point the ENT's gateway URL at ${this.url} (events go to ${this.url}${EVENTS_PATH}).`);
      this.o.log('Login');
      const login = this.expect(['USER_LOGGED_IN']);
      await this.o.awaitLogin();
      if (!(await login)) this.results.record('EVT-03', 'fail', `no valid USER_LOGGED_IN for ${this.o.user} within ${this.o.waitMs / 1000} s`);
      this.o.log('Account');
      const account = this.expect(ACCOUNT_TYPES);
      await this.o.awaitAccount();
      if (!(await account)) this.results.record('EVT-04', 'fail', `no valid ACCOUNT_CREATED or ACCOUNT_SCHOOLS_CHANGED for ${this.o.user} within ${this.o.waitMs / 1000} s`);
    } finally {
      await new Promise<void>((r) => this.server!.close(() => r()));
    }
  }

  /** Resolves true when a valid event of one of `types` for the user arrives in time. */
  private expect(types: string[]): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting = undefined;
        resolve(false);
      }, this.o.waitMs);
      this.waiting = {
        types,
        resolve: () => {
          clearTimeout(timer);
          this.waiting = undefined;
          resolve(true);
        },
      };
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req as AsyncIterable<Buffer>) {
      size += c.length;
      if (size > MAX_EVENT_BYTES) break;
      chunks.push(c);
    }
    const text = Buffer.concat(chunks).toString('utf8');
    const auth = req.headers.authorization ?? '';
    const request = [`${req.method} ${req.url}`, `authorization: ${auth ? auth.replace(/^(Bearer) .+$/i, '$1 [redacted]') : '(none)'}`, `content-type: ${req.headers['content-type'] ?? '(none)'}`, '', excerpt(text)].join('\n');
    const answer = (status: number, body: Record<string, unknown>): Exchange => {
      const json = JSON.stringify(body);
      res.writeHead(status, { 'content-type': status === 200 ? 'application/json' : 'application/problem+json' }).end(json);
      return { request, response: `HTTP ${status}\n\n${json}` };
    };
    const problem = (status: number, type: string, detail: string) => answer(status, { type, title: detail, status, detail });

    if (req.method !== 'POST' || (req.url ?? '').split('?')[0] !== EVENTS_PATH) {
      const ex = problem(404, 'urn:ent-portability:problem:not-found', `the events endpoint is POST ${EVENTS_PATH}`);
      this.results.record('EVT-01', 'fail', `${req.method} ${req.url}: events are sent as POST ${EVENTS_PATH}`, [ex]);
      return;
    }
    if (!same(auth, `Bearer ${this.o.token}`)) {
      const ex = problem(401, 'urn:ent-portability:problem:unauthenticated', 'missing or wrong connector token');
      this.results.record('EVT-01', 'fail', `an event ${auth ? 'with another token than the connector secret' : 'without Authorization'}`, [ex]);
      return;
    }
    if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '') || size > MAX_EVENT_BYTES) {
      const ex = problem(400, VALIDATION_FAILED, 'an event is a JSON body of at most 64 KiB');
      this.results.record('EVT-01', 'fail', `an event sent as ${req.headers['content-type'] ?? 'no content type'} (${size} bytes): a JSON body is expected`, [ex]);
      return;
    }
    let body: any;
    try {
      body = JSON.parse(text);
    } catch {
      const ex = problem(400, MALFORMED_JSON, 'the body is not JSON');
      this.results.record('EVT-02', 'fail', 'an event whose body is not JSON', [ex]);
      return;
    }
    const problems = eventProblems(this.contract, body);
    const what = `${String(body?.type)} for ${String(body?.userId)}`;
    if (problems.length) {
      const ex = problem(400, VALIDATION_FAILED, problems.join('; '));
      this.results.record('EVT-01', 'pass', `${what}: POST ${EVENTS_PATH} with the connector secret and a JSON body`, [ex]);
      this.results.record('EVT-02', 'fail', `${what}: ${problems.join('; ')}`, [ex]);
      return;
    }
    const ex = answer(200, { type: body.type, importsStarted: 0 });
    this.results.record('EVT-01', 'pass', `${what}: POST ${EVENTS_PATH} with the connector secret and a JSON body`, [ex]);
    this.results.record('EVT-02', 'pass', `${what}: valid against EntEvent`, [ex]);
    const skew = Math.abs(Date.parse(body.occurredAt) - Date.now());
    this.results.check('EVT-05', skew <= OCCURRED_AT_TOLERANCE_MS, `${what}: occurredAt ${body.occurredAt}, ${Math.round(skew / 1000)} s from its reception`, [ex]);
    if (body.userId !== this.o.user) return;
    if (body.type === 'USER_LOGGED_IN') this.results.record('EVT-03', 'pass', `USER_LOGGED_IN for ${this.o.user}`, [ex]);
    if (ACCOUNT_TYPES.includes(body.type)) {
      const withUais = Array.isArray(body.uais) && body.uais.length > 0;
      this.results.check('EVT-04', withUais, withUais ? `${body.type} for ${this.o.user}, schools ${body.uais.join(', ')}` : `${body.type} for ${this.o.user} without her uais`, [ex]);
    }
    if (this.waiting?.types.includes(body.type)) this.waiting.resolve();
  }
}

export interface GatewayEventsOptions {
  /** The gateway's base URL. */
  target: string;
  token: string;
  /** A user of the gateway's ENT (events for her are harmless: nothing or her own waiting imports). */
  user: string;
  log: (line: string) => void;
}

/** `gateway-events`: a gateway's events endpoint, as an ENT relies on it. */
export class GatewayEventsPlan {
  private readonly contract = new PublishedContract();
  private readonly url: string;

  constructor(
    private readonly o: GatewayEventsOptions,
    private readonly results: Results,
  ) {
    this.url = `${o.target.replace(/\/+$/, '')}${EVENTS_PATH}`;
  }

  private post(body: string, headers: Record<string, string>): Promise<HttpResult> {
    return http(this.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body, timeoutMs: 60_000 });
  }

  private event(type: string, extra: Record<string, unknown> = {}) {
    return { type, userId: this.o.user, occurredAt: new Date().toISOString(), ...extra };
  }

  async run(): Promise<void> {
    const bearer = { authorization: `Bearer ${this.o.token}` };
    this.o.log('Authentication');
    const valid = JSON.stringify(this.event('USER_LOGGED_IN'));
    for (const [what, headers] of [['without a token', {}], ['with another token', { authorization: 'Bearer conformance-kit-not-the-connector-token' }]] as const) {
      const res = await this.post(valid, headers);
      this.problem('EVT-06', res, 401, undefined, `a valid event ${what}`);
    }

    this.o.log('Malformed events');
    const malformed: [string, string, string][] = [
      ['an unknown type', JSON.stringify(this.event('USER_DELETED')), VALIDATION_FAILED],
      ['no userId', JSON.stringify({ type: 'USER_LOGGED_IN', occurredAt: new Date().toISOString() }), VALIDATION_FAILED],
      ['occurredAt not a date-time', JSON.stringify(this.event('USER_LOGGED_IN', { occurredAt: 'hier soir' })), VALIDATION_FAILED],
      ['a field the contract does not define', JSON.stringify(this.event('USER_LOGGED_IN', { password: 'secret' })), VALIDATION_FAILED],
      ['a body that is not JSON', '{"type": "USER_LOGGED_IN",', MALFORMED_JSON],
    ];
    for (const [what, body, type] of malformed) this.problem('EVT-07', await this.post(body, bearer), 400, type, `an event with ${what}`);

    this.o.log('Valid events');
    const login = await this.post(valid, bearer);
    this.accepted('EVT-08', login, 'USER_LOGGED_IN');
    this.accepted('EVT-08', await this.post(JSON.stringify(this.event('ACCOUNT_CREATED')), bearer), 'ACCOUNT_CREATED');
    const again = await this.post(valid, bearer);
    const replayOk = again.status === 200 && again.json?.type === 'USER_LOGGED_IN' && again.json?.importsStarted === 0;
    this.results.check('EVT-09', replayOk, replayOk ? 'the same USER_LOGGED_IN again: 200, importsStarted 0' : `the same USER_LOGGED_IN again answered ${again.status} ${excerpt(again.text, 200)}`, [again.exchange]);
  }

  private accepted(id: string, res: HttpResult, type: string) {
    const problems = res.status !== 200 ? [`answered ${res.status}`] : [
      ...this.contract.validate('connector', 'EntEventAccepted', res.json),
      ...(res.json?.type === type ? [] : [`type ${String(res.json?.type)}, not ${type}`]),
      ...(Number.isSafeInteger(res.json?.importsStarted) && res.json.importsStarted >= 0 ? [] : ['importsStarted is not a whole number']),
    ];
    this.results.check(id, problems.length === 0, problems.length ? `a valid ${type}: ${problems.join('; ')}` : `a valid ${type}: 200, importsStarted ${res.json.importsStarted}`, [res.exchange]);
  }

  private problem(id: string, res: HttpResult, status: number, type: string | undefined, what: string) {
    const contentType = res.headers.get('content-type') ?? '';
    const ok = res.status === status && contentType.startsWith('application/problem+json') && res.json?.status === status && (type === undefined ? typeof res.json?.type === 'string' : res.json?.type === type);
    this.results.check(id, ok, ok ? `${what}: ${status} problem+json` : `${what}: expected ${status} application/problem+json${type ? ` of type ${type}` : ''}, got ${res.status} ${contentType || '(no content type)'}`, [res.exchange]);
  }
}
