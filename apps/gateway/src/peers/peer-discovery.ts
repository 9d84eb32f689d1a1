import { Inject, Injectable, Logger } from '@nestjs/common';
import { GATEWAY_CONFIG, GatewayConfig, PeerEntry } from '../config';
import { OUTBOUND_POLICY, OutboundPolicy } from '../infra/outbound';
import { DiscoveredPeer, discoveryLifetimeSeconds, DiscoveryDocumentError, parseDiscoveryDocument } from './discovery-document';

/** A peer's discovery document could not be obtained (and no earlier copy is at hand). */
export class DiscoveryUnavailableError extends Error {
  constructor(readonly entId: string, message: string) {
    super(`discovery of ${entId}: ${message}`);
    this.name = 'DiscoveryUnavailableError';
  }
}

interface CacheEntry {
  doc?: DiscoveredPeer;
  fetchedAt: number;
  expiresAt: number;
  inflight?: Promise<DiscoveredPeer>;
}

/**
 * A forced refresh (unknown key id, failed call) is not repeated within this delay: a peer
 * answering errors, or a caller replaying unknown kids, cannot make us fetch in a loop.
 */
export const FORCED_REFRESH_FLOOR_MS = 10_000;

/**
 * What each peer publishes about itself (ADR 007): its endpoints, JWKS URI, token audience and
 * content origins, read from its discovery document and cached with a lifetime. When a refresh
 * fails, the last good document is kept (and tried again after the minimum lifetime), so a
 * peer's brief outage of its discovery URL does not stop transfers already under way.
 */
@Injectable()
export class PeerDiscovery {
  private readonly logger = new Logger(PeerDiscovery.name);
  private readonly cache = new Map<string, CacheEntry>();

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(OUTBOUND_POLICY) private readonly outbound: OutboundPolicy,
  ) {}

  /** The peer's discovery document: cached, fetched when expired, or now when `refresh` is asked. */
  async get(peer: PeerEntry, options: { refresh?: boolean } = {}): Promise<DiscoveredPeer> {
    const now = Date.now();
    const entry = this.cache.get(peer.entId);
    if (entry?.inflight) return entry.inflight;
    const due = !entry?.doc || now >= entry.expiresAt || (options.refresh && now - entry.fetchedAt >= FORCED_REFRESH_FLOOR_MS);
    if (!due) return entry!.doc!;
    const inflight = this.fetchAndKeep(peer, entry?.doc);
    this.cache.set(peer.entId, { ...(entry ?? { fetchedAt: 0, expiresAt: 0 }), inflight });
    return inflight;
  }

  /** A call to this peer failed in a way a moved endpoint could explain: read its discovery again at next use. */
  markStale(peer: PeerEntry): void {
    const entry = this.cache.get(peer.entId);
    if (entry && !entry.inflight && Date.now() - entry.fetchedAt >= FORCED_REFRESH_FLOOR_MS) entry.expiresAt = 0;
  }

  /**
   * Every origin a contentUrl of this peer may redirect to: its gateway's (where contentUrls are)
   * and the contentOrigins it publishes (its S3 endpoint, a CDN). For the outbound policy.
   */
  async contentOrigins(peer: PeerEntry): Promise<string[]> {
    const doc = await this.get(peer);
    return [doc.gatewayOrigin, ...doc.contentOrigins];
  }

  private async fetchAndKeep(peer: PeerEntry, previous: DiscoveredPeer | undefined): Promise<DiscoveredPeer> {
    const fetchedAt = Date.now();
    try {
      const { body, cacheControl } = await this.fetchDocument(peer);
      const doc = parseDiscoveryDocument(body, { entId: peer.entId, issuer: this.config.oidc.issuer });
      const ttl = discoveryLifetimeSeconds(cacheControl, this.config.discovery);
      this.cache.set(peer.entId, { doc, fetchedAt, expiresAt: fetchedAt + ttl * 1000 });
      return doc;
    } catch (err) {
      const cause = (err as { cause?: { message?: string } }).cause?.message;
      const message = err instanceof DiscoveryDocumentError || !cause ? (err as Error).message : `${(err as Error).message} (${cause})`;
      if (previous) {
        // Keep what worked; try again after the minimum lifetime.
        this.logger.warn({ entId: peer.entId, url: peer.discoveryUrl, err: message }, 'peer discovery refresh failed; keeping the last good document');
        this.cache.set(peer.entId, { doc: previous, fetchedAt, expiresAt: fetchedAt + this.config.discovery.minTtlSeconds * 1000 });
        return previous;
      }
      this.cache.delete(peer.entId);
      this.logger.warn({ entId: peer.entId, url: peer.discoveryUrl, err: message }, 'peer discovery failed');
      throw new DiscoveryUnavailableError(peer.entId, message);
    }
  }

  /** GET the document: no redirect followed, JSON only, at most PEER_DISCOVERY_MAX_BYTES read. */
  private async fetchDocument(peer: PeerEntry): Promise<{ body: unknown; cacheControl: string | null }> {
    // Through the outbound policy, which never follows a redirect: a 3xx is an error here.
    const res = await this.outbound.fetch(peer.discoveryUrl, {
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(this.config.limits.peerTimeoutMs),
    });
    if (!res.ok) {
      await res.body?.cancel();
      if (res.status >= 300 && res.status < 400) throw new Error(`${peer.discoveryUrl} answered a redirect (${res.status}), which is not followed`);
      throw new Error(`${peer.discoveryUrl} answered ${res.status}`);
    }
    const type = (res.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
    if (type !== 'application/json' && !/^application\/[a-z0-9.+-]+\+json$/.test(type)) {
      await res.body?.cancel();
      throw new Error(`${peer.discoveryUrl} is ${type || 'untyped'}, not JSON`);
    }
    const max = this.config.discovery.maxBytes;
    const declared = Number(res.headers.get('content-length'));
    if (declared > max) {
      await res.body?.cancel();
      throw new Error(`${peer.discoveryUrl} is ${declared} bytes, more than ${max}`);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      size += chunk.byteLength;
      if (size > max) throw new Error(`${peer.discoveryUrl} is more than ${max} bytes`);
      chunks.push(Buffer.from(chunk));
    }
    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      throw new Error(`${peer.discoveryUrl} is not valid JSON`);
    }
    return { body, cacheControl: res.headers.get('cache-control') };
  }
}
