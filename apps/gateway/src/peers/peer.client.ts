import { Inject, Injectable } from '@nestjs/common';
import { PassThrough, Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import {
  CapabilitiesDocument,
  DeliveryAccepted,
  Offer,
  OfferAnswer,
  PEER_SCOPES,
  ReceiptAccepted,
} from '@ent/contract';
import { ItemFailureReason } from '@ent/contract';
import { PermanentJobError, RetryLaterError } from '@ent/persistence';
import type { ResumableSourceRequest } from '@ent/storage';
import { GATEWAY_CONFIG, GatewayConfig, PeerEntry } from '../config';
import { OUTBOUND_POLICY, OutboundPolicy, readBounded, refusal } from '../infra/outbound';
import { resumeHeaders, servedRange, strongEtag } from '../infra/http-range';
import { IdpClient } from '../identity/idp.client';
import { DiscoveredPeer, expandTemplate, isOnOrigin } from './discovery-document';
import { DiscoveryUnavailableError, PeerDiscovery } from './peer-discovery';

/** A failed peer call; `retryable` says whether trying again may help (5xx, timeout, network). */
export class PeerCallError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly retryable: boolean,
    readonly problem?: unknown,
    /** From Retry-After, when the peer said when to come back (429, 503). */
    readonly retryAfterMs?: number,
    /** What a receipt or a problem may say about it: a stable code, never the message (finding 2). */
    readonly reason: ItemFailureReason = 'CONTENT_UNAVAILABLE',
  ) {
    super(message);
    this.name = 'PeerCallError';
  }
}

function retryAfterMs(res: Response): number | undefined {
  const value = res.headers.get('retry-after');
  if (!value) return undefined;
  const seconds = /^\d+$/.test(value) ? Number(value) : (Date.parse(value) - Date.now()) / 1000;
  return Number.isFinite(seconds) ? Math.min(Math.max(seconds, 0), 3600) * 1000 : undefined;
}

/**
 * How a background job treats a failed peer call: 4xx final, 429 "come back at
 * Retry-After" without spending an attempt, 5xx/timeouts/network errors retried
 * with backoff.
 */
export function asJobError(err: unknown): unknown {
  if (!(err instanceof PeerCallError)) return err;
  // The cause keeps the reason code for the give-up handler (receipts carry codes only).
  if (err.status === 429) return Object.assign(new RetryLaterError(err.message, err.retryAfterMs ?? 5_000), { cause: err });
  if (!err.retryable) return Object.assign(new PermanentJobError(err.message), { cause: err });
  return err;
}

/**
 * A status after which the peer's discovery document is read again before the next call: the
 * endpoint may have moved (404, 405, 410, 421), the audience changed (401, 403) or the host be
 * gone (5xx). Answers about the request itself (400, 409, 413, 422, 429) say nothing of that.
 */
const STALE_DISCOVERY_STATUSES = new Set([401, 403, 404, 405, 410, 421]);
const staleAfter = (status: number | undefined) => status === undefined || status >= 500 || STALE_DISCOVERY_STATUSES.has(status);

/** Largest JSON answer read from a peer (capabilities, offer answers): far above any legitimate one. */
export const MAX_PEER_JSON_BYTES = 4 * 1024 * 1024;

/**
 * How long a fetch of `bytes` may take in all: the time to get an answer plus the bytes at the
 * minimum throughput (FETCH_MIN_BYTES_PER_SECOND). A peer sending one byte every few seconds
 * is cut at this deadline, whatever the gaps between its chunks (finding 3).
 */
export function fetchDeadlineMs(bytes: number, minBytesPerSecond: number, answerMs: number): number {
  return answerMs + Math.ceil((Math.max(0, bytes) / minBytesPerSecond) * 1000);
}

/**
 * Outbound side of the peer contract v1. Every call goes to the endpoint the peer publishes in
 * its discovery document, with a token for the audience it publishes, through the outbound
 * policy, with a deadline and a fresh-enough token.
 */
@Injectable()
export class PeerClient {
  constructor(
    private readonly idp: IdpClient,
    private readonly discovery: PeerDiscovery,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(OUTBOUND_POLICY) private readonly outbound: OutboundPolicy,
  ) {}

  capabilities(peer: PeerEntry): Promise<CapabilitiesDocument> {
    return this.json(peer, 'GET', (e) => e.capabilities, PEER_SCOPES.capabilities);
  }

  sendOffer(peer: PeerEntry, offer: Offer): Promise<OfferAnswer> {
    return this.json(peer, 'POST', (e) => e.offers, PEER_SCOPES.offer, offer);
  }

  /** The teacher cancelled before delivery: the arrival forgets the offer (scope of the offer itself). */
  cancelOffer(peer: PeerEntry, offerId: string): Promise<{ offerId: string; status: string }> {
    return this.json(peer, 'POST', (e) => {
      // A peer that does not publish it cannot be asked: said as 501, the caller decides.
      if (!e.cancellation) throw new PeerCallError(`${peer.entId} publishes no cancellation endpoint`, 501, false);
      return expandTemplate(e.cancellation, { offerId });
    }, PEER_SCOPES.offer);
  }

  deliver(peer: PeerEntry, offerId: string, manifest: string): Promise<DeliveryAccepted> {
    return this.json(peer, 'POST', (e) => expandTemplate(e.deliveries, { offerId }), PEER_SCOPES.deliver, { manifest });
  }

  /** `transferId` is the offer id: the departure's transfer and the arrival's are one id. */
  sendReceipt(peer: PeerEntry, transferId: string, receipt: string): Promise<ReceiptAccepted> {
    return this.json(peer, 'POST', (e) => expandTemplate(e.receipt, { transferId }), PEER_SCOPES.receipt, { receipt });
  }

  /** The audience the peer publishes: what its peer tokens and owner proofs (ADR 010) are for. */
  async audience(peer: PeerEntry): Promise<string> {
    return (await this.discovered(peer)).audience;
  }

  /** The peer's discovery document, as a PeerCallError (retryable) when it cannot be had. */
  private async discovered(peer: PeerEntry) {
    try {
      return await this.discovery.get(peer);
    } catch (err) {
      if (err instanceof DiscoveryUnavailableError) throw new PeerCallError(err.message, undefined, true);
      throw err;
    }
  }

  /**
   * Fetches an object listed in a manifest: the departure answers with a
   * redirect to a short-lived presigned URL, followed here without the token
   * (the token is for the gateway, never for S3). With `from`, a broken fetch
   * continues at `from.offset` (`Range`), on condition that the staged object is
   * still the one read before (`If-Match` on its ETag); else it starts from 0.
   */
  async fetchObject(
    peer: PeerEntry,
    contentUrl: string,
    from?: ResumableSourceRequest,
    expectedBytes?: number,
  ): Promise<{ stream: Readable; size?: number; offset: number; sourceTag?: string }> {
    const doc = await this.discovered(peer);
    if (!isOnOrigin(contentUrl, doc.gatewayOrigin)) {
      throw new PeerCallError(`content URL ${contentUrl} is not on the departure gateway ${doc.gatewayOrigin}`, undefined, false, undefined, undefined, 'CONTENT_ORIGIN_NOT_ALLOWED');
    }
    const token = await this.idp.accessToken(doc.audience, PEER_SCOPES.fetch).catch((err: Error) => {
      throw new PeerCallError(`could not obtain a token for ${peer.entId}: ${err.message}`, undefined, true);
    });
    // One deadline for the whole fetch, redirect and body included: aborting it closes the socket.
    const remaining = Math.max(0, (expectedBytes ?? 0) - (from?.offset ?? 0));
    const deadline = AbortSignal.timeout(fetchDeadlineMs(remaining, this.config.fetch.minBytesPerSecond, this.config.limits.peerTimeoutMs));
    const first = await this.request(contentUrl, { headers: { authorization: `Bearer ${token}` } }, deadline).catch((err: PeerCallError) => {
      this.discovery.markStale(peer);
      throw err;
    });
    if (!first.ok && (first.status < 300 || first.status >= 400) && staleAfter(first.status)) this.discovery.markStale(peer);
    let res = first;
    let target = contentUrl;
    let headers = resumeHeaders(from, 'if-match');
    if (first.status >= 300 && first.status < 400) {
      const location = first.headers.get('location');
      await first.body?.cancel().catch(() => undefined);
      if (!location) throw new PeerCallError('redirect without Location', first.status, false);
      target = new URL(location, contentUrl).toString();
      // Only to the origins the peer publishes for its content (discovery `contentOrigins`, finding 1).
      if (!(await this.discovery.contentOrigins(peer)).includes(new URL(target).origin)) {
        throw new PeerCallError(`${peer.entId} redirected its content to ${new URL(target).origin}, not one of its content origins`, undefined, false, undefined, undefined, 'CONTENT_ORIGIN_NOT_ALLOWED');
      }
      res = await this.request(target, { headers }, deadline);
      if (res.status === 412 && headers.range) {
        // The object is not the one the first bytes came from: all of it, then.
        await res.body?.cancel();
        headers = {};
        res = await this.request(target, {}, deadline);
      }
    } else {
      headers = {}; // served by the gateway itself: no range was asked
    }
    if (res.status >= 300 && res.status < 400) {
      await res.body?.cancel().catch(() => undefined);
      throw new PeerCallError(`${peer.entId}: a second redirect is not followed`, res.status, false, undefined, undefined, 'CONTENT_ORIGIN_NOT_ALLOWED');
    }
    if (!res.ok || !res.body) {
      await res.body?.cancel().catch(() => undefined);
      throw new PeerCallError(`object fetch answered ${res.status}`, res.status, res.status >= 500 || res.status === 429, undefined, retryAfterMs(res));
    }
    const served = servedRange(res, headers.range ? from!.offset : 0);
    if ('error' in served) {
      await res.body.cancel();
      throw new PeerCallError(`object fetch: ${served.error}`, res.status, true);
    }
    const stream = Readable.fromWeb(res.body as unknown as WebReadableStream);
    return {
      stream: this.slowBodyErrors(stream, deadline),
      size: served.totalSize,
      offset: served.offset,
      sourceTag: strongEtag(res),
    };
  }

  /** A body cut by the deadline or the idle timeout fails with CONTENT_TOO_SLOW, so the teacher and the receipt can say so. */
  private slowBodyErrors(stream: Readable, deadline: AbortSignal): Readable {
    const wrapped = new PassThrough();
    stream.on('error', (err) => wrapped.destroy(this.classify(err, deadline)));
    return stream.pipe(wrapped);
  }

  private classify(err: unknown, deadline?: AbortSignal): PeerCallError {
    if (err instanceof PeerCallError) return err;
    const refused = refusal(err);
    if (refused) return new PeerCallError(refused.message, undefined, false, undefined, undefined, 'CONTENT_ORIGIN_NOT_ALLOWED');
    const code = (err as { code?: string; cause?: { code?: string } })?.code ?? (err as { cause?: { code?: string } })?.cause?.code;
    const slow = deadline?.aborted || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT' || (err as Error)?.name === 'TimeoutError';
    return new PeerCallError(`${(err as Error)?.message ?? String(err)}`, undefined, true, undefined, undefined, slow ? 'CONTENT_TOO_SLOW' : 'CONTENT_UNAVAILABLE');
  }

  private async json<T>(peer: PeerEntry, method: string, endpoint: (e: DiscoveredPeer['endpoints']) => string, scope: string, body?: unknown): Promise<T> {
    const doc = await this.discovered(peer);
    const url = endpoint(doc.endpoints);
    const path = new URL(url).pathname;
    const token = await this.idp.accessToken(doc.audience, scope).catch((err: Error) => {
      throw new PeerCallError(`could not obtain a token for ${peer.entId}: ${err.message}`, undefined, true);
    });
    const res = await this.request(url, {
      method,
      headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    }).catch((err: PeerCallError) => {
      this.discovery.markStale(peer);
      throw err;
    });
    if (!res.ok && staleAfter(res.status)) this.discovery.markStale(peer);
    const text = await readBounded(res, MAX_PEER_JSON_BYTES).catch((err: Error) => {
      throw new PeerCallError(`${peer.entId} ${method} ${path}: ${err.message}`, res.status, false);
    });
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (res.status >= 300 && res.status < 400) {
      throw new PeerCallError(`${peer.entId} ${method} ${path} answered a redirect, which the peer contract never does`, res.status, false);
    }
    if (!res.ok) {
      const detail = (parsed as { detail?: string; title?: string } | undefined)?.detail ?? (parsed as { title?: string } | undefined)?.title ?? text.slice(0, 200);
      throw new PeerCallError(`${peer.entId} ${method} ${path} answered ${res.status}: ${detail}`, res.status, res.status >= 500 || res.status === 429, parsed, retryAfterMs(res));
    }
    return parsed as T;
  }

  /** Every peer call goes through the outbound policy; `signal` bounds it (default: PEER_TIMEOUT_MS). */
  private async request(url: string, init: RequestInit, signal?: AbortSignal): Promise<Response> {
    try {
      return await this.outbound.fetch(url, { ...init, signal: signal ?? AbortSignal.timeout(this.config.limits.peerTimeoutMs) });
    } catch (err) {
      const e = this.classify(err, signal);
      throw new PeerCallError(`${url}: ${e.message}`, undefined, e.retryable, undefined, undefined, e.reason);
    }
  }
}
