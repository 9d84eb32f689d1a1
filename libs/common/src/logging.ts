import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Params } from 'nestjs-pino';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,100}$/;

/**
 * Gives the request its id (taken from X-Request-Id when well-formed, else
 * generated) and echoes it. Installed first, so that even a body the parser
 * rejects is answered with an id that is also on the log line.
 */
export function assignRequestId(req: IncomingMessage & { id?: string }, res: ServerResponse): string {
  const given = req.headers['x-request-id'];
  const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
  req.id = id;
  res.setHeader('X-Request-Id', id);
  return id;
}

export function requestIdMiddleware(req: IncomingMessage & { id?: string }, res: ServerResponse, next: () => void) {
  assignRequestId(req, res);
  next();
}

/**
 * Structured JSON logs, one object per line, each carrying the request id
 * (taken from X-Request-Id when well-formed, otherwise generated) so that a
 * transfer can be followed across both gateways.
 */
export function loggerParams(app: string, level = 'info'): Params {
  return {
    pinoHttp: {
      level,
      base: { app },
      genReqId: (req: IncomingMessage, res) => (req as { id?: string }).id ?? assignRequestId(req as IncomingMessage & { id?: string }, res),
      customProps: (req: IncomingMessage & { id?: unknown }) => ({ requestId: req.id }),
      redact: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'],
      autoLogging: { ignore: (req: IncomingMessage) => req.url === '/health' },
      serializers: {
        req: (req: { id: unknown; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url?.split('?')[0] }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
    },
  };
}
