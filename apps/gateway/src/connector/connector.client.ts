import { Inject, Injectable, Optional } from '@nestjs/common';
import { Clock, CLOCK, processClock } from '@ent/common';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import {
  CONNECTOR_BASE,
  ConnectorCapabilities,
  ConnectorContent,
  ConnectorContentList,
  ConnectorImportResult,
} from '@ent/contract';
import type { ResumableSource } from '@ent/storage';
import { GATEWAY_CONFIG, GatewayConfig } from '../config';
import { cacheControlDirectives, maxAgeSeconds } from '../infra/cache-control';
import { resumeHeaders, servedRange, strongEtag } from '../infra/http-range';
import { OUTBOUND_POLICY, OutboundPolicy } from '../infra/outbound';

export class ConnectorError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly retryable: boolean,
    /** The problem `type` the ENT answered with, when it answered problem+json. */
    readonly problemType?: string,
  ) {
    super(message);
    this.name = 'ConnectorError';
  }
}

/** The connector answers imports with a small JSON document: more is not read. */
const MAX_ANSWER_BYTES = 64 * 1024;

/** A non-2xx answer of the ENT, with its problem `type` when it sent problem+json (e.g. unknown-user). */
function answerError(label: string, status: number, text: string): ConnectorError {
  let problemType: string | undefined;
  try {
    const parsed = JSON.parse(text) as { type?: unknown };
    if (typeof parsed?.type === 'string') problemType = parsed.type;
  } catch {
    // not problem+json
  }
  return new ConnectorError(`${label} answered ${status}: ${text.slice(0, 300)}`, status, status >= 500 || status === 429, problemType);
}

/** The longest the gateway keeps the ENT's capabilities, whatever `max-age` the ENT sends. */
export const CAPABILITIES_MAX_CACHE_SECONDS = 300;

/**
 * How long an answer may be reused, from its `Cache-Control` (RFC 9111 §5.2.2): `max-age`, bounded
 * by `ceiling`; 0 (ask every time) without it, or with `no-store` or `no-cache`.
 */
export function reusableSeconds(cacheControl: string | null, ceiling: number): number {
  const directives = cacheControlDirectives(cacheControl);
  if (directives.get('no-store') === true || directives.has('no-cache')) return 0;
  return Math.min(maxAgeSeconds(directives, 9) ?? 0, ceiling);
}

/** Client of the connector contract v1 (gateway → its own ENT). */
@Injectable()
export class ConnectorClient {
  /** The ENT's last capabilities and until when (this gateway's clock, ms) they may be reused. */
  private cachedCapabilities?: { value: ConnectorCapabilities; until: number };
  /** The read under way: offers arriving together share it. */
  private capabilitiesRead?: Promise<ConnectorCapabilities>;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(OUTBOUND_POLICY) private readonly outbound: OutboundPolicy,
    @Optional() @Inject(CLOCK) private readonly clock: Clock = processClock,
  ) {}

  /**
   * What the ENT imports. Asked for every offer unless the ENT says how long its answer holds
   * (`Cache-Control: max-age`, at most CAPABILITIES_MAX_CACHE_SECONDS; issue 17: the call was 2 of
   * the 20 ms of an offer). Only a 200 is kept; a failed read is never remembered.
   */
  capabilities(): Promise<ConnectorCapabilities> {
    const cached = this.cachedCapabilities;
    if (cached && this.clock.now().getTime() < cached.until) return Promise.resolve(cached.value);
    this.capabilitiesRead ??= (async () => {
      try {
        const res = await this.call('GET', '/capabilities');
        const value = (await res.json()) as ConnectorCapabilities;
        const seconds = reusableSeconds(res.headers.get('cache-control'), CAPABILITIES_MAX_CACHE_SECONDS);
        this.cachedCapabilities = seconds > 0 ? { value, until: this.clock.now().getTime() + seconds * 1000 } : undefined;
        return value;
      } finally {
        this.capabilitiesRead = undefined;
      }
    })();
    return this.capabilitiesRead;
  }

  async listContents(userId: string): Promise<ConnectorContent[]> {
    const list = await this.json<ConnectorContentList>('GET', `/users/${encodeURIComponent(userId)}/contents`);
    return list.items;
  }

  /**
   * The export as a resumable source: a broken export continues with `Range` + `If-Range`
   * (connector contract v1), and starts again from 0 when the content changed meanwhile.
   */
  exportSource(userId: string, contentId: string, format: string): ResumableSource {
    const path = `/users/${encodeURIComponent(userId)}/contents/${encodeURIComponent(contentId)}/export?format=${encodeURIComponent(format)}`;
    return async (from) => {
      const headers = resumeHeaders(from, 'if-range');
      const res = await this.call('GET', path, true, headers);
      const served = servedRange(res, headers.range ? from.offset : 0);
      if ('error' in served) {
        await res.body?.cancel();
        throw new ConnectorError(`connector export of ${contentId}: ${served.error}`, res.status, false);
      }
      return {
        stream: Readable.fromWeb(res.body as unknown as WebReadableStream),
        ...served,
        sourceTag: strongEtag(res),
        contentType: res.headers.get('content-type') ?? 'application/octet-stream',
      };
    };
  }

  async exportMetadata(userId: string, contentId: string, format: string): Promise<{ stream: Readable; mediaType: string }> {
    const res = await this.call(
      'GET',
      `/users/${encodeURIComponent(userId)}/contents/${encodeURIComponent(contentId)}/metadata?format=${encodeURIComponent(format)}`,
      true,
    );
    return { stream: Readable.fromWeb(res.body as unknown as WebReadableStream), mediaType: res.headers.get('content-type') ?? 'application/xml' };
  }

  /** Idempotent on importKey: the ENT answers the same localId when it already has it. */
  async importContent(
    userId: string,
    importKey: string,
    query: { category: string; format: string; mediaType: string; title: string },
    body: Readable,
  ): Promise<ConnectorImportResult> {
    const qs = new URLSearchParams(query).toString();
    const text = await this.upload(`/users/${encodeURIComponent(userId)}/imports/${encodeURIComponent(importKey)}?${qs}`, body);
    try {
      return JSON.parse(text) as ConnectorImportResult;
    } catch {
      throw new ConnectorError(`connector import of ${importKey}: the answer is not JSON`, undefined, true);
    }
  }

  async importMetadata(userId: string, importKey: string, format: string, body: Readable): Promise<void> {
    await this.upload(`/users/${encodeURIComponent(userId)}/imports/${encodeURIComponent(importKey)}/metadata?format=${encodeURIComponent(format)}`, body);
  }

  /** Whether the ENT answers now (readiness): never from the capabilities kept. */
  async ping(): Promise<boolean> {
    try {
      await (await this.call('GET', '/capabilities')).arrayBuffer();
      return true;
    } catch {
      return false;
    }
  }

  /**
   * PUTs a stream to the connector with node:http and `pipeline`, so that the body is read
   * only as fast as the ENT takes it (back-pressure: a socket's buffers, never the item).
   * `fetch` with a stream body read ahead and held hundreds of MiB per large import (#17).
   * Answers the response text (bounded), or throws a ConnectorError like `call`.
   */
  private upload(path: string, body: Readable): Promise<string> {
    const url = new URL(`${this.config.connector.url}${CONNECTOR_BASE}${path}`);
    const label = `connector PUT ${path.split('?')[0]}`;
    return new Promise<string>((resolve, reject) => {
      let settled = false;
      const settle = (fn: () => void) => {
        if (settled) return;
        settled = true;
        fn();
      };
      const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, {
        method: 'PUT',
        headers: { authorization: `Bearer ${this.config.connector.token}`, 'content-type': 'application/octet-stream' },
      });
      const fail = (err: Error) =>
        settle(() => {
          body.destroy();
          req.destroy();
          reject(err instanceof ConnectorError ? err : new ConnectorError(`${label}: ${err.message}`, undefined, true));
        });
      req.once('response', (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size <= MAX_ANSWER_BYTES) chunks.push(chunk);
        });
        res.once('error', fail);
        res.once('end', () => {
          const status = res.statusCode ?? 0;
          const text = Buffer.concat(chunks).toString('utf8');
          // An early answer (413, 415…) before the whole body went: stop sending it.
          if (!body.readableEnded) body.destroy();
          if (status >= 200 && status < 300) settle(() => resolve(text));
          else fail(answerError(label, status, text));
        });
      });
      req.once('error', fail);
      pipeline(body, req).catch((err: Error) => {
        // A write cut by the ENT's early answer is expected: the answer says why.
        setImmediate(() => fail(err));
      });
    });
  }

  private async json<T>(method: string, path: string): Promise<T> {
    const res = await this.call(method, path);
    return (await res.json()) as T;
  }

  private async call(method: string, path: string, streaming = false, extraHeaders: Record<string, string> = {}): Promise<Response> {
    let res: Response;
    try {
      res = await this.outbound.fetch(`${this.config.connector.url}${CONNECTOR_BASE}${path}`, {
        method,
        headers: { authorization: `Bearer ${this.config.connector.token}`, ...extraHeaders },
        signal: streaming ? undefined : AbortSignal.timeout(this.config.limits.peerTimeoutMs),
      } as RequestInit);
    } catch (err) {
      throw new ConnectorError(`connector ${method} ${path}: ${(err as Error).message}`, undefined, true);
    }
    if (!res.ok) {
      throw answerError(`connector ${method} ${path.split('?')[0]}`, res.status, await res.text().catch(() => ''));
    }
    return res;
  }
}
