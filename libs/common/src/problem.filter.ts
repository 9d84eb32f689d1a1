import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { PROBLEM_CONTENT_TYPE, PROBLEM_TYPES, ProblemDetails } from '@ent/contract';

/** A domain error that knows its problem type and HTTP status. */
export class ProblemError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    readonly title: string,
    readonly detail?: string,
    readonly extra: Partial<ProblemDetails> = {},
  ) {
    super(detail ?? title);
    this.name = 'ProblemError';
  }
}

/**
 * RFC 9457 §4.2.1: a problem with no semantics beyond its HTTP status has type
 * `about:blank` and the status phrase as title. Used for statuses the contract
 * gives no URN of its own (405, 406, 415, 422…), so that they never pass for an
 * internal error.
 */
export const GENERIC_PROBLEM_TYPE = 'about:blank';

const DEFAULT_TYPES: Record<number, { type: string; title: string }> = {
  400: { type: PROBLEM_TYPES.validation, title: 'Bad request' },
  401: { type: PROBLEM_TYPES.unauthenticated, title: 'Authentication required' },
  403: { type: PROBLEM_TYPES.forbidden, title: 'Forbidden' },
  404: { type: PROBLEM_TYPES.notFound, title: 'Not found' },
  409: { type: PROBLEM_TYPES.conflict, title: 'Conflict' },
  413: { type: PROBLEM_TYPES.payloadTooLarge, title: 'Payload too large' },
  429: { type: PROBLEM_TYPES.rateLimited, title: 'Too many requests' },
  500: { type: PROBLEM_TYPES.internal, title: 'Internal error' },
};

function defaultsFor(status: number): { type: string; title: string } {
  return DEFAULT_TYPES[status] ?? { type: GENERIC_PROBLEM_TYPE, title: statusPhrase(status) };
}

/** `HttpStatus.UNSUPPORTED_MEDIA_TYPE` → `Unsupported media type`. */
function statusPhrase(status: number): string {
  const name = HttpStatus[status] as string | undefined;
  if (!name) return status >= 500 ? 'Server error' : 'Client error';
  const words = name.toLowerCase().split('_');
  return [words[0].charAt(0).toUpperCase() + words[0].slice(1), ...words.slice(1)].join(' ');
}

/**
 * Maps every error to RFC 9457 problem+json. Unknown errors become a 500 with
 * the request id, logged once with their stack; no internal detail leaks.
 */
export const SERVICE_UNAVAILABLE_RETRY_AFTER_S = 5;

/** Turns an error the app knows (e.g. the database being unreachable) into a problem; undefined = not mine. */
export type ProblemMapper = (exception: unknown) => ProblemError | undefined;

@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemFilter');

  constructor(private readonly mappers: readonly ProblemMapper[] = []) {}

  catch(exception: unknown, host: ArgumentsHost) {
    const ctx = host.switchToHttp();
    const req = ctx.getRequest<Request & { id?: string }>();
    const res = ctx.getResponse<Response>();
    const problem = this.toProblem(exception, req);
    if (res.headersSent) {
      res.end();
      return;
    }
    // A failover lasts seconds: tell the caller when to come back.
    if (problem.type === PROBLEM_TYPES.serviceUnavailable) res.setHeader('Retry-After', String(SERVICE_UNAVAILABLE_RETRY_AFTER_S));
    res.status(problem.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem));
  }

  toProblem(exception: unknown, req: Request & { id?: string }): ProblemDetails {
    const base = { instance: req.originalUrl?.split('?')[0], requestId: req.id ? String(req.id) : undefined };
    for (const map of this.mappers) {
      const mapped = map(exception);
      if (mapped) exception = mapped;
    }
    if (exception instanceof ProblemError) {
      return { type: exception.type, title: exception.title, status: exception.status, detail: exception.detail, ...base, ...exception.extra };
    }
    // body-parser errors: malformed JSON, too large, bad encoding.
    const anyErr = exception as { type?: string; status?: number; statusCode?: number; message?: string; expose?: boolean };
    if (anyErr && typeof anyErr.type === 'string' && (anyErr.status ?? anyErr.statusCode)) {
      const status = (anyErr.status ?? anyErr.statusCode) as number;
      if (anyErr.type === 'entity.parse.failed') {
        return { type: PROBLEM_TYPES.malformedJson, title: 'Malformed JSON', status: 400, detail: 'The request body is not valid JSON.', ...base };
      }
      if (anyErr.type === 'entity.too.large') {
        return { type: PROBLEM_TYPES.payloadTooLarge, title: 'Payload too large', status: 413, detail: 'The request body exceeds the size limit.', ...base };
      }
      if (status >= 400 && status < 500) {
        // body-parser's other 4xx (unsupported charset or encoding, aborted request…)
        const defaults = status === 400 ? DEFAULT_TYPES[400] : defaultsFor(status);
        return { type: defaults.type, title: defaults.title, status, detail: anyErr.message, ...base };
      }
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const body = exception.getResponse() as { message?: unknown; problem?: ProblemDetails };
      if (body && typeof body === 'object' && body.problem) return { ...body.problem, ...base };
      const defaults = defaultsFor(status);
      const detail = typeof body === 'string' ? body : Array.isArray(body?.message) ? body.message.join('; ') : (body?.message as string | undefined);
      return { type: defaults.type, title: defaults.title, status, detail, ...base };
    }
    this.logger.error({ err: exception, requestId: base.requestId }, 'unhandled error');
    return { type: PROBLEM_TYPES.internal, title: 'Internal error', status: 500, detail: `Unexpected error; quote request id ${base.requestId ?? 'n/a'}.`, ...base };
  }
}
