import { createServer, IncomingMessage, request, Server, ServerResponse } from 'node:http';

/** One request as it crossed the proxy: what was asked, answered, and how many body bytes went back. */
export interface SeenRequest {
  method: string;
  path: string;
  status: number;
  range?: string;
  /** When it arrived (Date.now()). */
  at: number;
  /** Response body bytes passed to the client (final once the response has ended). */
  bytesOut: number;
  /** Request body bytes received so far (final once the request has ended). */
  bytesIn: number;
  /** `x-amz-copy-source` of an S3 server-side copy (UploadPartCopy, CopyObject). */
  copySource?: string;
}

/**
 * A reverse proxy on 127.0.0.1 in front of a gateway (or an S3 server) that can be
 * told to answer a status of its own (503, 413…) for requests whose path matches,
 * to play a peer that is briefly unavailable or full. It forwards the Host header
 * as it came, so that S3 signatures made for the proxy's address still verify,
 * and it records every request: the wire-level evidence of a resumed transfer.
 */
export class FlakyProxy {
  /** Requests whose path matches (and whose method is one of `methods`, when given) get `status`. */
  failing: { pattern: RegExp; status: number; methods?: string[] } | undefined;
  /** Requests whose path matches wait here, not forwarded, until `release()`: a peer slow to receive them. */
  holding: RegExp | undefined;
  /** Paths of the requests held so far (released or not). */
  readonly heldPaths: string[] = [];
  private held: (() => void)[] = [];
  readonly seen: SeenRequest[] = [];
  private server!: Server;
  port = 0;

  constructor(public target: { host: string; port: number } = { host: "127.0.0.1", port: 0 }) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(port = 0): Promise<void> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((ok) => this.server.listen(port, '127.0.0.1', ok));
    this.port = (this.server.address() as { port: number }).port;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((ok) => this.server.close(() => ok()));
  }

  /** Forwards the held requests, in the order they came, and holds no more. */
  release(): void {
    this.holding = undefined;
    const held = this.held;
    this.held = [];
    held.forEach((forward) => forward());
  }

  private handle(req: IncomingMessage, res: ServerResponse) {
    const path = req.url ?? '/';
    if (this.holding?.test(path)) {
      // Nothing reads the body meanwhile: it waits in the socket until the request is forwarded.
      this.heldPaths.push(path);
      this.held.push(() => this.handle(req, res));
      return;
    }
    const at = Date.now();
    const range = typeof req.headers.range === 'string' ? req.headers.range : undefined;
    const copySource = typeof req.headers['x-amz-copy-source'] === 'string' ? req.headers['x-amz-copy-source'] : undefined;
    let bytesIn = 0;
    req.on('data', (chunk: Buffer) => {
      bytesIn += chunk.length;
    });
    if (this.failing && this.failing.pattern.test(path) && (!this.failing.methods || this.failing.methods.includes(req.method ?? ''))) {
      const status = this.failing.status;
      this.seen.push({ method: req.method ?? '', path, status, range, at, bytesOut: 0, bytesIn, ...(copySource ? { copySource } : {}) });
      req.resume();
      res.writeHead(status, { 'content-type': 'application/problem+json' });
      res.end(JSON.stringify({ type: 'about:blank', title: 'Injected by the test proxy', status }));
      return;
    }
    const upstream = request(
      { host: this.target.host, port: this.target.port, method: req.method, path, headers: req.headers },
      (up) => {
        const seen: SeenRequest = { method: req.method ?? '', path, status: up.statusCode ?? 0, range, at, bytesOut: 0, bytesIn, ...(copySource ? { copySource } : {}) };
        req.once('end', () => {
          seen.bytesIn = bytesIn;
        });
        this.seen.push(seen);
        up.on('data', (chunk: Buffer) => {
          seen.bytesOut += chunk.length;
        });
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => {
      res.writeHead(502).end();
    });
    req.pipe(upstream);
  }
}
