import { Exchange } from './results';

const EXCERPT = 1500;

export interface HttpResult {
  status: number;
  headers: Headers;
  text: string;
  /** The body as it came (content is binary). */
  bytes: Buffer;
  /** The parsed body when it is JSON, else undefined. */
  json: any;
  exchange: Exchange;
}

export interface HttpOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  timeoutMs?: number;
}

export function excerpt(text: string, max = EXCERPT): string {
  return text.length > max ? `${text.slice(0, max)}… (${text.length} characters)` : text;
}

function redact(name: string, value: string): string {
  if (name.toLowerCase() === 'authorization') return value.replace(/^(Bearer|Basic) .+$/i, (_, scheme: string) => `${scheme} [redacted]`);
  return value;
}

const SHOWN_RESPONSE_HEADERS = ['content-type', 'location', 'etag', 'content-range', 'www-authenticate', 'retry-after'];

/** fetch() that keeps what was asked and answered as evidence for the report. Never follows redirects. */
export async function http(url: string, options: HttpOptions = {}): Promise<HttpResult> {
  const method = options.method ?? 'GET';
  const headers = options.headers ?? {};
  const requestText = [
    `${method} ${url}`,
    ...Object.entries(headers).map(([k, v]) => `${k}: ${redact(k, v)}`),
    ...(options.body !== undefined ? ['', typeof options.body === 'string' ? excerpt(options.body) : `(${options.body.length} bytes)`] : []),
  ].join('\n');
  let res: Response;
  try {
    res = await fetch(url, { method, headers, body: options.body, redirect: 'manual', signal: AbortSignal.timeout(options.timeoutMs ?? 30_000) });
  } catch (err) {
    const message = (err as Error & { cause?: Error }).cause?.message ?? (err as Error).message;
    throw new KitHttpError(`${method} ${url}: ${message}`, { request: requestText, response: `(no answer: ${message})` });
  }
  const bytes = Buffer.from(await res.arrayBuffer());
  const text = bytes.toString('utf8');
  const textual = /json|text|xml|problem/.test(res.headers.get('content-type') ?? '');
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  const responseText = [
    `HTTP ${res.status}`,
    ...SHOWN_RESPONSE_HEADERS.filter((h) => res.headers.has(h)).map((h) => `${h}: ${res.headers.get(h)}`),
    ...(bytes.length ? ['', textual ? excerpt(text) : `(${bytes.length} bytes)`] : []),
  ].join('\n');
  return { status: res.status, headers: res.headers, text, bytes, json, exchange: { request: requestText, response: responseText } };
}

/** The target or the IdP did not answer at all. */
export class KitHttpError extends Error {
  constructor(
    message: string,
    readonly exchange: Exchange,
  ) {
    super(message);
    this.name = 'KitHttpError';
  }
}
