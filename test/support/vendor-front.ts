import { createServer, IncomingMessage, request, Server, ServerResponse } from 'node:http';

/**
 * Plays another vendor's deployment of the peer contract: a reverse proxy that publishes
 * gateway B under paths of its own (nothing like `/portability/v1/…`), with its discovery
 * document at a URL of its own and its keys elsewhere again. The default paths answer 404 here,
 * so a caller that builds URLs itself instead of reading discovery fails. Every request is
 * recorded.
 */
export class VendorFront {
  readonly seen: { method: string; path: string; status: number }[] = [];
  private server!: Server;
  port = 0;

  /** Vendor path → gateway path; `:x` segments are carried over. */
  static readonly ROUTES: [RegExp, (m: RegExpMatchArray) => string][] = [
    [/^\/peer-api\/caps$/, () => '/portability/v1/capabilities'],
    [/^\/peer-api\/inbox$/, () => '/portability/v1/offers'],
    [/^\/peer-api\/inbox\/([^/]+)\/manifest$/, (m) => `/portability/v1/offers/${m[1]}/deliveries`],
    [/^\/peer-api\/t\/([^/]+)\/o\/([^/]+)$/, (m) => `/portability/v1/transfers/${m[1]}/items/${m[2]}/content`],
    [/^\/peer-api\/t\/([^/]+)\/ack$/, (m) => `/portability/v1/transfers/${m[1]}/receipt`],
    [/^\/keys\/signing\.json$/, () => '/.well-known/ent-portability/jwks.json'],
  ];

  constructor(private readonly gatewayPort: number) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get discoveryUrl(): string {
    return `${this.url}/ent-b/discovery`;
  }

  /** Requests that reached a default path of the contract (they should not exist). */
  defaultPathHits() {
    return this.seen.filter((s) => s.path.startsWith('/portability/') || s.path.startsWith('/.well-known/'));
  }

  async start(port = 0): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((ok) => this.server.listen(port, '127.0.0.1', ok));
    this.port = (this.server.address() as { port: number }).port;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((ok) => this.server.close(() => ok()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse) {
    const [path, query] = (req.url ?? '/').split('?', 2);
    const record = (status: number) => this.seen.push({ method: req.method ?? '', path, status });
    if (path === '/ent-b/discovery') {
      const upstream = await fetch(`http://127.0.0.1:${this.gatewayPort}/.well-known/ent-portability`);
      const doc = (await upstream.json()) as Record<string, any>;
      const base = this.url;
      doc.jwksUri = `${base}/keys/signing.json`;
      doc.endpoints = {
        capabilities: `${base}/peer-api/caps`,
        offers: `${base}/peer-api/inbox`,
        deliveries: `${base}/peer-api/inbox/{offerId}/manifest`,
        itemContent: `${base}/peer-api/t/{transferId}/o/{itemId}`,
        receipt: `${base}/peer-api/t/{transferId}/ack`,
      };
      record(200);
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=300' });
      res.end(JSON.stringify(doc));
      return;
    }
    if (path.startsWith('/portability/') || path.startsWith('/.well-known/')) {
      record(404);
      req.resume();
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not here');
      return;
    }
    const route = VendorFront.ROUTES.map(([re, to]) => {
      const m = re.exec(path);
      return m ? to(m) : undefined;
    }).find(Boolean);
    // Anything else (the teacher's pages and login at B) goes through unchanged.
    const target = `${route ?? path}${query !== undefined ? `?${query}` : ''}`;
    const upstream = request({ host: '127.0.0.1', port: this.gatewayPort, method: req.method, path: target, headers: req.headers }, (up) => {
      record(up.statusCode ?? 0);
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  }
}
