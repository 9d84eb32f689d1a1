import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface MatomoResponse {
  status: number;
  /** At most 64 KiB of the body (the bulk answer is a small JSON document). */
  body: string;
}

/** No answer: the request timed out or never reached Matomo. */
export class MatomoTransportError extends Error {
  constructor(
    readonly kind: 'TIMEOUT' | 'NETWORK',
    message: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'MatomoTransportError';
  }
}

/** Sends one POST; the overall deadline covers connecting, sending and reading the answer. */
export type MatomoTransport = (url: string, body: string, contentType: string, timeoutMs: number) => Promise<MatomoResponse>;

const MAX_BODY = 64 * 1024;

/**
 * POST with node's http(s) client, one connection per request (`Connection: close`): a batch
 * is one request, and a pooled socket the server has already closed would turn a healthy
 * Matomo into a dead-lettered batch.
 */
export const postToMatomo: MatomoTransport = (url, body, contentType, timeoutMs) =>
  new Promise<MatomoResponse>((resolve, reject) => {
    const target = new URL(url);
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    const payload = Buffer.from(body, 'utf8');
    const req = send(
      target,
      {
        method: 'POST',
        agent: false,
        headers: {
          'content-type': contentType,
          'content-length': String(payload.length),
          connection: 'close',
          'user-agent': 'ent-portability-gateway-dnma/1',
        },
      },
      (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          if (size < MAX_BODY) chunks.push(c.subarray(0, MAX_BODY - size));
          size += c.length;
        });
        res.on('end', () => finish(() => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') })));
        res.on('error', (err) => finish(() => reject(new MatomoTransportError('NETWORK', err.message, (err as NodeJS.ErrnoException).code))));
      },
    );
    const timer = setTimeout(() => {
      finish(() => reject(new MatomoTransportError('TIMEOUT', `no answer from Matomo within ${timeoutMs} ms`)));
      req.destroy();
    }, timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) => finish(() => reject(new MatomoTransportError('NETWORK', err.message, err.code))));
    req.end(payload);
  });
