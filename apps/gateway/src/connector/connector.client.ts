import { Inject, Injectable } from '@nestjs/common';
import { Readable } from 'node:stream';
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
import { resumeHeaders, servedRange, strongEtag } from '../infra/http-range';

export class ConnectorError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'ConnectorError';
  }
}

/** Client of the connector contract v1 (gateway → its own ENT). */
@Injectable()
export class ConnectorClient {
  constructor(@Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig) {}

  capabilities(): Promise<ConnectorCapabilities> {
    return this.json('GET', '/capabilities');
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
      const res = await this.call('GET', path, undefined, true, headers);
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
      undefined,
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
    const res = await this.call('PUT', `/users/${encodeURIComponent(userId)}/imports/${encodeURIComponent(importKey)}?${qs}`, body, true);
    return (await res.json()) as ConnectorImportResult;
  }

  async importMetadata(userId: string, importKey: string, format: string, body: Readable): Promise<void> {
    const res = await this.call(
      'PUT',
      `/users/${encodeURIComponent(userId)}/imports/${encodeURIComponent(importKey)}/metadata?format=${encodeURIComponent(format)}`,
      body,
      true,
    );
    await res.arrayBuffer();
  }

  async ping(): Promise<boolean> {
    try {
      await this.capabilities();
      return true;
    } catch {
      return false;
    }
  }

  private async json<T>(method: string, path: string): Promise<T> {
    const res = await this.call(method, path);
    return (await res.json()) as T;
  }

  private async call(method: string, path: string, body?: Readable, streaming = false, extraHeaders: Record<string, string> = {}): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(`${this.config.connector.url}${CONNECTOR_BASE}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.config.connector.token}`,
          ...extraHeaders,
          ...(body ? { 'content-type': 'application/octet-stream' } : {}),
        },
        body: body as unknown as RequestInit["body"],
        ...(body ? { duplex: 'half' } : {}),
        signal: streaming ? undefined : AbortSignal.timeout(this.config.limits.peerTimeoutMs),
      } as RequestInit);
    } catch (err) {
      throw new ConnectorError(`connector ${method} ${path}: ${(err as Error).message}`, undefined, true);
    }
    if (!res.ok) {
      const text = await res.text().catch(() => '');
      throw new ConnectorError(`connector ${method} ${path.split('?')[0]} answered ${res.status}: ${text.slice(0, 300)}`, res.status, res.status >= 500 || res.status === 429);
    }
    return res;
  }
}
