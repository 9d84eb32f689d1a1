import { Inject, Injectable } from '@nestjs/common';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import {
  CapabilitiesDocument,
  DeliveryAccepted,
  Offer,
  OfferAnswer,
  PEER_SCOPES,
  ReceiptAccepted,
} from '@ent/contract';
import { PermanentJobError, RetryLaterError } from '@ent/persistence';
import type { ResumableSourceRequest } from '@ent/storage';
import { GATEWAY_CONFIG, GatewayConfig, PeerEntry } from '../config';
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
  if (err.status === 429) return new RetryLaterError(err.message, err.retryAfterMs ?? 5_000);
  if (!err.retryable) return new PermanentJobError(err.message);
  return err;
}

/**
 * A status after which the peer's discovery document is read again before the next call: the
 * endpoint may have moved (404, 405, 410, 421), the audience changed (401, 403) or the host be
 * gone (5xx). Answers about the request itself (400, 409, 413, 422, 429) say nothing of that.
 */
const STALE_DISCOVERY_STATUSES = new Set([401, 403, 404, 405, 410, 421]);
const staleAfter = (status: number | undefined) => status === undefined || status >= 500 || STALE_DISCOVERY_STATUSES.has(status);

/**
 * Outbound side of the peer contract v1. Every call goes to the endpoint the peer publishes in
 * its discovery document, with a token for the audience it publishes, a timeout and a
 * fresh-enough token.
 */
@Injectable()
export class PeerClient {
  constructor(
    private readonly idp: IdpClient,
    private readonly discovery: PeerDiscovery,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
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
  ): Promise<{ stream: Readable; size?: number; offset: number; sourceTag?: string }> {
    const doc = await this.discovered(peer);
    if (!isOnOrigin(contentUrl, doc.gatewayOrigin)) {
      throw new PeerCallError(`content URL ${contentUrl} is not on the departure gateway ${doc.gatewayOrigin}`, undefined, false);
    }
    const token = await this.idp.accessToken(doc.audience, PEER_SCOPES.fetch).catch((err: Error) => {
      throw new PeerCallError(`could not obtain a token for ${peer.entId}: ${err.message}`, undefined, true);
    });
    const first = await this.request(contentUrl, { headers: { authorization: `Bearer ${token}` }, redirect: 'manual' }).catch((err: PeerCallError) => {
      this.discovery.markStale(peer);
      throw err;
    });
    if (!first.ok && (first.status < 300 || first.status >= 400) && staleAfter(first.status)) this.discovery.markStale(peer);
    let res = first;
    let target = contentUrl;
    let headers = resumeHeaders(from, 'if-match');
    if (first.status >= 300 && first.status < 400) {
      const location = first.headers.get('location');
      if (!location) throw new PeerCallError('redirect without Location', first.status, false);
      target = new URL(location, contentUrl).toString();
      res = await this.request(target, { redirect: 'error', headers }, true);
      if (res.status === 412 && headers.range) {
        // The object is not the one the first bytes came from: all of it, then.
        await res.body?.cancel();
        headers = {};
        res = await this.request(target, { redirect: 'error' }, true);
      }
    } else {
      headers = {}; // served by the gateway itself: no range was asked
    }
    if (!res.ok || !res.body) {
      throw new PeerCallError(`object fetch answered ${res.status}`, res.status, res.status >= 500 || res.status === 429, undefined, retryAfterMs(res));
    }
    const served = servedRange(res, headers.range ? from!.offset : 0);
    if ('error' in served) {
      await res.body.cancel();
      throw new PeerCallError(`object fetch: ${served.error}`, res.status, true);
    }
    return {
      stream: Readable.fromWeb(res.body as unknown as WebReadableStream),
      size: served.totalSize,
      offset: served.offset,
      sourceTag: strongEtag(res),
    };
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
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!res.ok) {
      const detail = (parsed as { detail?: string; title?: string } | undefined)?.detail ?? (parsed as { title?: string } | undefined)?.title ?? text.slice(0, 200);
      throw new PeerCallError(`${peer.entId} ${method} ${path} answered ${res.status}: ${detail}`, res.status, res.status >= 500 || res.status === 429, parsed, retryAfterMs(res));
    }
    return parsed as T;
  }

  private async request(url: string, init: RequestInit, streaming = false): Promise<Response> {
    try {
      return await fetch(url, {
        ...init,
        // A stream may legitimately take long; only the wait for headers is bounded there.
        signal: streaming ? undefined : AbortSignal.timeout(this.config.limits.peerTimeoutMs),
      });
    } catch (err) {
      throw new PeerCallError(`${url}: ${(err as Error).message}`, undefined, true);
    }
  }
}
