import { Inject, Injectable, Logger } from '@nestjs/common';
import { Readable } from 'node:stream';
import {
  CapabilitiesDocument,
  CONTRACT_VERSION,
  DeliveryAccepted,
  DELIVERY_INDEX_NAMES,
  DeliveryManifest,
  isItemFailureReason,
  ItemDecision,
  ITEM_ID_PATTERN,
  ItemFailureReason,
  Offer,
  OfferAnswer,
  PROBLEM_TYPES,
  Receipt,
  ReceiptItemStatus,
  SHA256_HEX_PATTERN,
} from '@ent/contract';
import { Clock, CLOCK, ProblemError } from '@ent/common';
import { negotiate, NegotiationInputError } from '@ent/negotiation';
import { completePendingJob, enqueueJob, enqueueJobs, JobRow, PermanentJobError, Queryable, RetryLaterError } from '@ent/persistence';
import { DELIVERY_INDEX_FILES, descriptorsOf, EXECUTABLE_CONVERTERS, ExecutableConverter, readLrmi, readScolomfr } from '@ent/formats';
import { ChecksumMismatchError, createSha256Counter, createThrottle, ObjectStore, ResumableSource, SizeLimitExceededError, SizeMismatchError } from '@ent/storage';
import { GATEWAY_CONFIG, GatewayConfig, PeerEntry } from '../config';
import { ConnectorClient, ConnectorError } from '../connector/connector.client';
import { SessionUser } from '../identity/session-user';
import { OBJECT_STORE } from '../infra/tokens';
import { MetricsService } from '../metrics/metrics.service';
import { asJobError, PeerCallError, PeerClient } from '../peers/peer.client';
import { PeerRegistry } from '../peers/peer-registry';
import { MANIFEST_TYP, RECEIPT_TYP, signatureProblem, SigningService } from '../peers/signing.service';
import { isOnOrigin } from '../peers/discovery-document';
import { PeerDiscovery } from '../peers/peer-discovery';
import { PeerHealth } from '../peers/peer-health';
import { peerSlowedFr } from '../ui/labels.fr';
import { offerDigest, offerJson, readStream } from './departure.service';
import { copyPrefix, type CopyRemovalPayload, removalGaveUp, removeAtOnce, REMOVED_BY_CALLER, scheduleCopyRemoval } from './copy-removal';
import { JobWake } from './job-wake';
import { UploadCheckpoints } from './upload-checkpoints';
import { importGate } from './import-gate';
import { OwnerProofRecord, OwnerProofVerifier, proofOutcome } from './owner-proof';
import { JOB_KINDS, peerJobGroup } from './states';
import { mayImportNow } from './import-gate';
import { isOwnerProofSpent, ItemRow, TransferHead, TransferRepository, TransferRow } from './transfer.repository';
import { toTransferSummary, toTransferView, TransferSummary, TransferView } from './views';
import { importLocation } from '../connector/import-location';

const ROLE = 'ARRIVAL' as const;
/** An item in one of these states has not reached its outcome yet: the transfer is not complete. */
const UNFINISHED_ITEM_STATES: readonly string[] = ['OFFERED', 'TO_FETCH', 'FETCHED', 'IMPORTING'];
/** Largest metadata record read, converted and handed to the ENT. */
const MAX_METADATA_BYTES = 16 * 1024 * 1024;

/** Throws unless `bytes` is a record of `format` (ScoLOMFR/LOM XML, or JSON-LD with a resource). */
function checkMetadataRecord(format: string, bytes: Buffer): void {
  if (format === 'scolomfr-3.1') {
    readScolomfr(bytes);
    return;
  }
  if (format === 'schemaorg-jsonld') {
    if (readLrmi(bytes).items.length === 0) throw new Error('no schema.org resource in the JSON-LD record');
    return;
  }
  throw new Error(`no check for metadata format ${format}`);
}
const MAX_INDEX_BYTES = 64 * 1024 * 1024;
/** Serialises the storage quota check of concurrent deliveries (pg_advisory_xact_lock key). */
const QUOTA_LOCK = 727_002;

interface FetchPayload {
  transferId: string;
  /** The item, or for role 'index' the index file name. */
  itemId: string;
  role: 'content' | 'metadata' | 'index';
  contentUrl: string;
  sizeBytes: number;
  sha256: string;
  mediaType: string;
}

/** Arrival states whose copies were (or are being) removed: an object written late goes too. */
const COPIES_GONE_IN = ['FAILED', 'EXPIRED', 'REFUSED_BY_OWNER', 'ERASED', 'CANCELLED'];

/** The arrival side of §8.3: analyse the offer, pull the bytes, import when the owner logs in, sign a receipt. */
@Injectable()
export class ArrivalService {
  private readonly logger = new Logger(ArrivalService.name);
  /** The conversions this gateway runs (CONVERTERS_ENABLED selects among them). */
  private readonly converters: readonly ExecutableConverter[];

  constructor(
    private readonly repo: TransferRepository,
    private readonly connector: ConnectorClient,
    private readonly peers: PeerRegistry,
    private readonly peerClient: PeerClient,
    private readonly discovery: PeerDiscovery,
    private readonly signing: SigningService,
    private readonly wake: JobWake,
    private readonly checkpoints: UploadCheckpoints,
    private readonly metrics: MetricsService,
    private readonly ownerProofs: OwnerProofVerifier,
    private readonly peerHealth: PeerHealth,
    @Inject(OBJECT_STORE) private readonly store: ObjectStore,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.converters = EXECUTABLE_CONVERTERS.filter((c) => config.convertersEnabled === 'all' || config.convertersEnabled.includes(c.descriptor.id));
  }

  /** What this ENT accepts: its connector's native imports, bounded by the gateway's own limits. */
  async capabilities(): Promise<CapabilitiesDocument> {
    let c: Awaited<ReturnType<ConnectorClient['capabilities']>>;
    try {
      c = await this.connector.capabilities();
    } catch (err) {
      // Without its ENT the arrival can answer nothing: the caller is told to come back (503
      // peer-unavailable, retry with backoff), not that this gateway failed (500). Nothing was recorded.
      if (!(err instanceof ConnectorError)) throw err;
      this.logger.warn(`the ENT's capabilities could not be read: ${err.message}`);
      throw new ProblemError(503, PROBLEM_TYPES.peerUnavailable, 'Arrival ENT unavailable',
        'The ENT this gateway imports into did not answer; nothing was recorded. Send the same request again later.');
    }
    return {
      contractVersion: CONTRACT_VERSION,
      entId: this.config.entId,
      categories: c.categories,
      refusedCategories: c.refusedCategories,
      maxItemBytes: Math.min(c.maxItemBytes, this.config.limits.maxItemBytes),
      // Only conversions this gateway can run are published, and negotiation proposes no other.
      converters: descriptorsOf(this.converters).map((d) => ({ id: d.id, from: d.from, to: d.to, cost: d.cost, losses: d.losses.map((l) => l.code) })),
      // Connector contract 1.0 said nothing: its metadata import took ScoLOMFR 3.1 only.
      metadataImports: c.metadataImports ?? ['scolomfr-3.1'],
    };
  }

  /** §8.3 flow 3: answer item by item. Idempotent on the offer id. */
  async receiveOffer(peer: PeerEntry, offer: Offer): Promise<OfferAnswer> {
    if (offer.departure.entId !== peer.entId) {
      throw new ProblemError(403, PROBLEM_TYPES.forbidden, 'Departure mismatch', `The offer names departure ${offer.departure.entId} but the caller is ${peer.entId}.`);
    }
    // The teacher is shown where her contents come from: a peer speaks for its own schools only,
    // as this gateway's registry (PEERS) lists them, never as the peer's discovery claims (finding 7).
    if (!peer.uais.includes(offer.departure.uai)) {
      throw new ProblemError(422, PROBLEM_TYPES.unknownDeparture, 'Departure school not served by the caller', `UAI ${offer.departure.uai} is not among the schools registered here for ${peer.entId}.`, {
        errors: [{ field: 'departure.uai', messages: [`must be one of the UAIs registered for ${peer.entId}`] }],
      });
    }
    if (!this.config.uais.includes(offer.arrival.uai)) {
      throw new ProblemError(422, PROBLEM_TYPES.unknownArrival, 'Arrival not served here', `UAI ${offer.arrival.uai} is not served by this gateway.`);
    }
    // The arrival binds transfers to accounts by its own identity claim: an offer naming another
    // claim would attach the content to whoever happens to have that value there.
    if (offer.owner.identityClaim !== this.config.oidc.identityClaim) {
      throw new ProblemError(400, PROBLEM_TYPES.validation, 'Identity claim mismatch', `owner.identityClaim must be ${this.config.oidc.identityClaim}`, {
        errors: [{ field: 'owner.identityClaim', messages: [`must be ${this.config.oidc.identityClaim}`] }],
      });
    }
    // ISO 8601 allows forms no clock reads (week dates: 2030-W01-1); the comparison below would
    // let NaN through and the insert fail as a 500.
    if (!Number.isFinite(new Date(offer.expiresAt).getTime())) {
      throw new ProblemError(400, PROBLEM_TYPES.validation, 'Unreadable expiry', 'expiresAt must be a date and time such as 2030-06-30T22:00:00Z', {
        errors: [{ field: 'expiresAt', messages: ['must be a date and time such as 2030-06-30T22:00:00Z'] }],
      });
    }
    if (new Date(offer.expiresAt).getTime() <= this.clock.now().getTime()) {
      throw new ProblemError(400, PROBLEM_TYPES.validation, 'Offer already expired', 'expiresAt must be in the future', {
        errors: [{ field: 'expiresAt', messages: ['must be in the future'] }],
      });
    }
    const seen = new Set<string>();
    const duplicates = offer.items.map((i) => i.itemId).filter((id) => seen.size === seen.add(id).size);
    if (duplicates.length) {
      throw new ProblemError(400, PROBLEM_TYPES.validation, 'Duplicate item ids', `items: duplicate itemId ${[...new Set(duplicates)].join(', ')}`, {
        errors: [{ field: 'items', messages: [`duplicate itemId ${duplicates[0]}`] }],
      });
    }
    // Serialised once: the digest is of the very JSON that is stored.
    const storedOffer = offerJson(offer);
    const digest = offerDigest(storedOffer);
    // No lookup first (issue 17: one round trip less per offer): the insert below writes nothing
    // when the offer id is already known, and a replay is then answered from what was stored.
    // The ENT's capabilities and (ADR 010) the verdict on the owner's proof, checked now since the
    // proof is short-lived and kept as a fact, are asked at the same time. Should the ENT or the
    // IdP fail meanwhile, a replay is still answered from the database.
    let capabilities: CapabilitiesDocument;
    let verdict: OwnerProofRecord;
    try {
      [capabilities, verdict] = await Promise.all([this.capabilities(), this.ownerProofs.verify(offer, peer)]);
    } catch (err) {
      const existing = await this.repo.get(this.repo.db, offer.offerId, ROLE).catch(() => undefined);
      if (existing) return this.replayAnswer(existing, peer, digest);
      throw err;
    }

    let answer: OfferAnswer;
    const now = this.clock.now();
    const ownerWaitUntil = new Date(now.getTime() + this.config.arrival.ownerWaitSeconds * 1000);
    try {
      answer = negotiate({ offer, capabilities, converters: descriptorsOf(this.converters), arrivalEntId: this.config.entId, now });
    } catch (err) {
      if (err instanceof NegotiationInputError) throw new ProblemError(400, PROBLEM_TYPES.validation, 'Invalid offer', err.message);
      throw err;
    }
    // RGPD: the departure shows the teacher how long this side keeps what it receives.
    answer = { ...answer, retention: { awaitsOwnerUntil: ownerWaitUntil.toISOString(), keepsReceivedCopiesDays: Math.ceil(this.config.arrival.retentionSeconds / 86_400) } };
    const negotiated = answer;
    // One statement, and no transaction of its own (issue 17): the transfer already answered with its
    // history, its items and its two deadlines. The history reads as before: created, the proof's
    // verdict, then the answer.
    const write = (p: OwnerProofRecord) => {
      answer = { ...negotiated, ownerProof: proofOutcome(p) };
      const decisions = new Map(answer.items.map((d) => [d.itemId, d]));
      return this.repo.insertTransfer(this.repo.db, {
        id: offer.offerId, role: ROLE, state: 'ANSWERED', owner_identity: offer.owner.identity,
        owner_display_name: offer.owner.displayName ?? null, departure_ent_id: peer.entId, departure_uai: offer.departure.uai,
        arrival_ent_id: this.config.entId, arrival_uai: offer.arrival.uai, offer: storedOffer, offer_digest: digest,
        expires_at: new Date(offer.expiresAt), owner_proof: p, owner_wait_until: ownerWaitUntil, answer,
      }, [
        { type: 'TRANSFER_CREATED', from: null, to: 'OFFER_RECEIVED' },
        { type: `OWNER_PROOF_${p.status}`, from: null, to: null,
          data: p.status === 'REFUSED' ? { reason: p.reason } : p.status === 'VERIFIED' ? { actor: p.actor, expiresAt: p.expiresAt } : {} },
        { type: 'ANSWER_SENT', from: 'OFFER_RECEIVED', to: 'ANSWERED', data: { decisions: Object.fromEntries(answer.items.map((d) => [d.itemId, d.decision])) } },
      ], offer.items.map((item, position) => {
        const d = decisions.get(item.itemId)!;
        const chosen = item.formats.find((f) => f.format === d.sourceFormat) ?? item.formats[0];
        return {
          item_id: item.itemId, position, title: item.title, category: item.category,
          state: d.decision === 'REFUSED' ? 'REFUSED' : 'OFFERED', decision: d.decision, source_format: d.sourceFormat ?? null,
          target_format: d.targetFormat ?? null, media_type: chosen.mediaType, declared_size: chosen.sizeBytes,
          // The record the answer takes (never one the ENT could refuse after the content went in).
          metadata_format: d.metadata?.format ?? null,
        };
      }), [
        { kind: JOB_KINDS.expireArrival, payload: { transferId: offer.offerId }, options: { key: `expire:${offer.offerId}`, runAt: new Date(offer.expiresAt) } },
        { kind: JOB_KINDS.ownerDeadline, payload: { transferId: offer.offerId }, options: { key: `owner-deadline:${offer.offerId}`, runAt: ownerWaitUntil } },
      ]);
    };
    let proof: OwnerProofRecord = verdict;
    let inserted: boolean;
    try {
      inserted = await write(proof);
    } catch (err) {
      // A proof is good for one offer: its jti is unique among received offers, so a proof already
      // spent on another offer fails the statement, which wrote nothing. The offer is then received
      // with the proof refused as a replay (also when two offers raced with the same proof).
      if (!(verdict.status === 'VERIFIED' && isOwnerProofSpent(err))) throw err;
      proof = { status: 'REFUSED', reason: 'REPLAYED', verifiedAt: verdict.verifiedAt };
      inserted = await write(proof);
    }
    if (!inserted) {
      // A replay, or a concurrent identical call that won the race: answer what was stored.
      return this.replayAnswer((await this.repo.get(this.repo.db, offer.offerId, ROLE))!, peer, digest);
    }
    this.metrics.ownerProof(proof.status === 'REFUSED' ? proof.reason : proof.status);
    return answer;
  }

  private replayAnswer(existing: TransferRow, peer: PeerEntry, digest: string): OfferAnswer {
    if (existing.departure_ent_id === peer.entId && !existing.answer) {
      throw new ProblemError(409, PROBLEM_TYPES.invalidState, 'Offer withdrawn', `This offer is ${existing.state}: it cannot be received again.`);
    }
    if (existing.departure_ent_id !== peer.entId || existing.offer_digest !== digest) {
      throw new ProblemError(409, PROBLEM_TYPES.conflict, 'Offer id already used', 'An offer with this id and different content was already received.');
    }
    return existing.answer!;
  }

  /** §8.3 flow 4: the signed manifest arrives; verify it, then pull every object. */
  async receiveDelivery(peer: PeerEntry, offerId: string, jws: string): Promise<DeliveryAccepted> {
    const t = await this.repo.get(this.repo.db, offerId, ROLE);
    if (!t || t.departure_ent_id !== peer.entId) {
      throw new ProblemError(404, PROBLEM_TYPES.notFound, 'Unknown offer', 'No offer with this id was received from you.');
    }
    let manifest: DeliveryManifest;
    try {
      manifest = await this.signing.verifyFromPeer<DeliveryManifest>(jws, peer, MANIFEST_TYP);
    } catch (err) {
      throw signatureProblem(err, 'manifest', peer);
    }
    if (t.manifest_jws) {
      if (t.manifest_jws === jws) return { offerId, status: t.state, objects: manifest.objects.length };
      throw new ProblemError(409, PROBLEM_TYPES.conflict, 'Already delivered', 'A different manifest was already received for this offer.');
    }
    if (t.state !== 'ANSWERED') {
      throw new ProblemError(409, PROBLEM_TYPES.invalidState, 'Not expecting a delivery', `The offer is ${t.state}.`);
    }
    if (new Date(t.expires_at).getTime() <= this.clock.now().getTime()) {
      throw new ProblemError(409, PROBLEM_TYPES.invalidState, 'Offer expired', `The offer expired at ${new Date(t.expires_at).toISOString()}.`);
    }
    const items = await this.repo.items(this.repo.db, offerId, ROLE);
    // The signature verified against the keys its discovery names: that document is at hand.
    const { gatewayOrigin } = await this.discovery.get(peer);
    const problems = this.checkManifest(manifest, t, items, peer, gatewayOrigin);
    if (problems.length) {
      throw new ProblemError(400, PROBLEM_TYPES.validation, 'Manifest does not match the answer', problems.join('; '), {
        errors: [{ field: 'manifest', messages: problems }],
      });
    }
    await this.repo.transaction(async (tx) => {
      await this.checkQuota(tx, manifest);
      await this.repo.transition(tx, offerId, ROLE, ['ANSWERED'], 'FETCHING', 'MANIFEST_RECEIVED', { objects: manifest.objects.length }, { manifest_jws: jws });
      const delivered = new Set(manifest.objects.map((o) => o.itemId));
      for (const i of items.filter((x) => x.state === 'OFFERED')) {
        if (delivered.has(i.item_id)) {
          const content = manifest.objects.find((o) => o.itemId === i.item_id && o.role === 'content')!;
          await this.repo.transitionItem(tx, offerId, ROLE, i.item_id, ['OFFERED'], 'TO_FETCH', 'ITEM_ANNOUNCED', { size_bytes: content.sizeBytes, sha256: content.sha256 });
        } else {
          // The departure could not stage it: it will never come.
          await this.repo.transitionItem(tx, offerId, ROLE, i.item_id, ['OFFERED'], 'FAILED', 'ITEM_NOT_DELIVERED', { last_error: 'NOT_DELIVERED' satisfies ItemFailureReason });
        }
      }
      const fetchJob = (payload: FetchPayload, key: string) => ({ kind: JOB_KINDS.fetchObject, payload: { ...payload }, options: { key, group: peerJobGroup(peer.entId) } });
      await enqueueJobs(tx, [
        ...(manifest.index ?? []).map((f) => fetchJob({ transferId: offerId, itemId: f.name, role: 'index', contentUrl: f.contentUrl, sizeBytes: f.sizeBytes, sha256: f.sha256, mediaType: f.mediaType },
          `fetch:${offerId}:_index:${f.name}`)),
        ...manifest.objects.map((o) => fetchJob({ transferId: offerId, itemId: o.itemId, role: o.role, contentUrl: o.contentUrl, sizeBytes: o.sizeBytes, sha256: o.sha256, mediaType: o.mediaType },
          `fetch:${offerId}:${o.itemId}:${o.role}`)),
      ]);
    });
    this.wake.wake();
    return { offerId, status: 'FETCHING', objects: manifest.objects.length };
  }

  /**
   * "Destination full" before anything moves: the received content this gateway holds (every
   * announced object of a transfer that has not failed) plus this delivery must fit in
   * ARRIVAL_STORAGE_QUOTA_BYTES. Checked under a lock, so that two deliveries cannot both fit.
   */
  private async checkQuota(tx: Queryable, manifest: DeliveryManifest): Promise<void> {
    const quota = this.config.limits.arrivalStorageQuotaBytes;
    if (quota <= 0) return;
    await tx.query('SELECT pg_advisory_xact_lock($1)', [QUOTA_LOCK]);
    const held = Number((await tx.query<{ bytes: string | number }>(
      `SELECT COALESCE(SUM(i.size_bytes + COALESCE(i.metadata_size, 0)), 0) AS bytes
         FROM transfer_items i JOIN transfers t ON t.id = i.transfer_id AND t.role = i.role
        WHERE i.role = 'ARRIVAL' AND t.state <> 'FAILED' AND i.size_bytes IS NOT NULL`,
    )).rows[0].bytes);
    const incoming = manifest.objects.reduce((n, o) => n + o.sizeBytes, 0) + (manifest.index ?? []).reduce((n, f) => n + f.sizeBytes, 0);
    if (held + incoming > quota) {
      throw new ProblemError(413, PROBLEM_TYPES.destinationFull, 'Destination full',
        `This delivery needs ${incoming} bytes; ${Math.max(0, quota - held)} of the ${quota} bytes this ENT keeps for received transfers are free. Nothing was recorded: deliver again once space has been freed.`);
    }
  }

  private checkManifest(m: DeliveryManifest, t: TransferRow, items: ItemRow[], peer: PeerEntry, gatewayOrigin: string): string[] {
    const problems: string[] = [];
    if (m.offerId !== t.id) problems.push('offerId does not match');
    if (m.departureEntId !== peer.entId) problems.push('departureEntId is not the caller');
    if (m.arrivalEntId !== this.config.entId) problems.push('arrivalEntId is not this ENT');
    if (!Array.isArray(m.objects) || m.objects.length === 0) return [...problems, 'objects must be a non-empty array'];
    const byId = new Map(items.map((i) => [i.item_id, i]));
    const seen = new Set<string>();
    for (const [n, o] of m.objects.entries()) {
      const item = byId.get(o.itemId);
      const at = `objects[${n}]`;
      if (!item || item.state !== 'OFFERED') problems.push(`${at}.itemId ${o.itemId} was not accepted`);
      if (o.role !== 'content' && o.role !== 'metadata') problems.push(`${at}.role must be content or metadata`);
      if (seen.has(`${o.itemId}/${o.role}`)) problems.push(`${at} is listed twice`);
      seen.add(`${o.itemId}/${o.role}`);
      if (item && o.role === 'content' && o.format !== item.source_format) problems.push(`${at}.format ${o.format} is not the accepted ${item.source_format}`);
      if (item && o.role === 'metadata' && o.format !== item.metadata_format) problems.push(`${at}.format ${o.format} was not offered as metadata`);
      if (!Number.isSafeInteger(o.sizeBytes) || o.sizeBytes < 0 || o.sizeBytes > this.config.limits.maxItemBytes) problems.push(`${at}.sizeBytes out of bounds`);
      if (typeof o.sha256 !== 'string' || !SHA256_HEX_PATTERN.test(o.sha256)) problems.push(`${at}.sha256 must be 64 lower-case hex digits`);
      if (!isOnOrigin(o.contentUrl, gatewayOrigin)) problems.push(`${at}.contentUrl must be on the departure gateway (${gatewayOrigin})`);
    }
    for (const i of items.filter((x) => x.state === 'OFFERED')) {
      if (seen.has(`${i.item_id}/metadata`) && !seen.has(`${i.item_id}/content`)) problems.push(`item ${i.item_id} has metadata but no content`);
      if (seen.has(`${i.item_id}/content`) && i.metadata_format && !seen.has(`${i.item_id}/metadata`)) {
        problems.push(`item ${i.item_id} comes without the ${i.metadata_format} record the answer took`);
      }
    }
    if (m.index !== undefined) {
      if (!Array.isArray(m.index)) return [...problems, 'index must be an array'];
      const names = new Set<string>();
      for (const [n, f] of m.index.entries()) {
        const at = `index[${n}]`;
        if (!(DELIVERY_INDEX_NAMES as readonly string[]).includes(f.name) || names.has(f.name)) problems.push(`${at}.name must be one of ${DELIVERY_INDEX_NAMES.join(', ')}, once each`);
        names.add(f.name);
        if (!Number.isSafeInteger(f.sizeBytes) || f.sizeBytes < 0 || f.sizeBytes > MAX_INDEX_BYTES) problems.push(`${at}.sizeBytes out of bounds`);
        if (typeof f.sha256 !== 'string' || !SHA256_HEX_PATTERN.test(f.sha256)) problems.push(`${at}.sha256 must be 64 lower-case hex digits`);
        if (!isOnOrigin(f.contentUrl, gatewayOrigin)) problems.push(`${at}.contentUrl must be on the departure gateway (${gatewayOrigin})`);
      }
    }
    return problems;
  }

  /**
   * Job: pull one object, verify size and SHA-256 on the way, keep our own copy. A retry after a
   * crash or a cut connection continues from the last recorded part (`Range` on the presigned URL).
   */
  async fetchObject(job: JobRow<FetchPayload>): Promise<void> {
    const p = job.payload;
    if (p.role === 'index') return this.fetchIndexFile(p);
    const t = await this.repo.head(this.repo.db, p.transferId, ROLE);
    const item = await this.repo.item(this.repo.db, p.transferId, ROLE, p.itemId);
    if (!t || !item || item.state !== 'TO_FETCH') return;
    const peer = this.peers.byEntId(t.departure_ent_id);
    if (!peer) throw new PermanentJobError(`departure ${t.departure_ent_id} is no longer a registered peer`);
    await this.waitIfSlowed(peer.entId);
    const key = `arrival/${p.transferId}/${p.itemId}/${p.role}`;
    const source: ResumableSource = async (from) => {
      const fetched = await this.peerClient.fetchObject(peer, p.contentUrl, from, p.sizeBytes);
      const stream = this.config.fetchMaxBytesPerSecond > 0 ? fetched.stream.pipe(createThrottle(this.config.fetchMaxBytesPerSecond)) : fetched.stream;
      if (stream !== fetched.stream) fetched.stream.once('error', (err) => stream.destroy(err));
      return { stream, offset: fetched.offset, sourceTag: fetched.sourceTag, totalSize: fetched.size };
    };
    let resumedFrom = 0;
    const started = process.hrtime.bigint();
    const elapsed = () => Number(process.hrtime.bigint() - started) / 1e9;
    try {
      const put = await this.store.putResumable(key, source, {
        contentType: p.mediaType, expectedSize: p.sizeBytes, expectedSha256: p.sha256, maxBytes: p.sizeBytes, checkpoints: this.checkpoints.for(key, p.role === 'content' ? { transferId: p.transferId, role: ROLE, itemId: p.itemId } : undefined),
      });
      resumedFrom = put.resumedFrom;
      this.metrics.fetchedBytes(peer.entId, p.sizeBytes - resumedFrom);
      this.metrics.fetchEnded(peer.entId, elapsed(), 'ok');
      await this.peerHealth.succeeded(peer.entId);
    } catch (err) {
      this.metrics.fetchEnded(peer.entId, elapsed(), 'failed');
      if (err instanceof PeerCallError) {
        this.metrics.outboundError(peer.entId, err.reason);
        if (err.retryable) await this.peerHealth.failed(peer.entId, err.reason);
        throw asJobError(err);
      }
      if (err instanceof ChecksumMismatchError || err instanceof SizeMismatchError || err instanceof SizeLimitExceededError) {
        // Never imported: the object was removed; the next attempt fetches it again.
        this.logger.warn({ transferId: p.transferId, itemId: p.itemId, err: err.message }, 'fetched object rejected');
      }
      throw err;
    }
    const late: CopyRemovalPayload = { transferId: p.transferId, reason: `fetched-after-stop:${p.itemId}:${p.role}` };
    const kept = await this.repo.transaction(async (tx) => {
      const locked = await this.repo.lock(tx, p.transferId, ROLE);
      const still = await this.repo.item(tx, p.transferId, ROLE, p.itemId);
      const column = p.role === 'content' ? 'object_key' : 'metadata_key';
      if (locked?.state !== 'FETCHING' || still?.state !== 'TO_FETCH') {
        // Another run of this job kept the object first (a retry after the database came back):
        // the item already points at this key, which is theirs — leave it.
        if (still?.[column] === key) return 'kept-by-another-run';
        // Its transfer stopped meanwhile (the offer expired…): everything received goes, for sure,
        // since its removal may have run before this object was written (ADR 027).
        if (locked && COPIES_GONE_IN.includes(locked.state)) {
          return { removal: await scheduleCopyRemoval(tx, ROLE, late, this.clock.now()) };
        }
        return false;
      }
      // What the item holds once this object is kept, returned by the update itself.
      const current = (await tx.query<Pick<ItemRow, 'object_key' | 'metadata_key' | 'metadata_format'>>(
        `UPDATE transfer_items SET ${column} = $4${p.role === 'metadata' ? ', metadata_size = $5, metadata_sha256 = $6' : ''}, updated_at = now()
          WHERE transfer_id = $1 AND role = $2 AND item_id = $3
          RETURNING object_key, metadata_key, metadata_format`,
        p.role === 'metadata' ? [p.transferId, ROLE, p.itemId, key, p.sizeBytes, p.sha256] : [p.transferId, ROLE, p.itemId, key])).rows[0];
      await this.repo.appendEvent(tx, p.transferId, ROLE, p.itemId, 'OBJECT_FETCHED', null, null, {
        role: p.role, sizeBytes: p.sizeBytes, sha256: p.sha256, ...(resumedFrom > 0 ? { resumedFromByte: resumedFrom } : {}),
      });
      if (current.object_key && (!current.metadata_format || current.metadata_key)) {
        await this.repo.transitionItem(tx, p.transferId, ROLE, p.itemId, ['TO_FETCH'], 'FETCHED', 'ITEM_FETCHED');
      }
      await this.afterFetchProgress(tx, locked!);
      return true;
    });
    if (!kept) {
      await this.store.remove(key).catch(() => undefined);
      return;
    }
    if (typeof kept === 'object') {
      await this.removeCopiesNow(late, kept.removal);
      return;
    }
    if (kept === true) this.wake.wake();
  }

  /** A slowed-down peer's fetches come back when it may be asked again, without spending an attempt. */
  private async waitIfSlowed(entId: string): Promise<void> {
    const until = await this.peerHealth.slowedUntil(entId);
    if (until) throw new RetryLaterError(`departure ${entId} is slowed down until ${until.toISOString()}`, Math.max(100, until.getTime() - Date.now()));
  }

  /** Job: keep our copy of one delivery index file (checked like any object); it does not gate the items. */
  private async fetchIndexFile(p: FetchPayload): Promise<void> {
    const t = await this.repo.get(this.repo.db, p.transferId, ROLE);
    if (!t || t.state === 'FAILED') return;
    const peer = this.peers.byEntId(t.departure_ent_id);
    if (!peer) throw new PermanentJobError(`departure ${t.departure_ent_id} is no longer a registered peer`);
    await this.waitIfSlowed(peer.entId);
    try {
      const fetched = await this.peerClient.fetchObject(peer, p.contentUrl, undefined, p.sizeBytes);
      await this.store.putStream(`arrival/${p.transferId}/_index/${p.itemId}`, fetched.stream, { contentType: p.mediaType, expectedSize: p.sizeBytes, expectedSha256: p.sha256, maxBytes: p.sizeBytes });
    } catch (err) {
      if (err instanceof PeerCallError && err.retryable) await this.peerHealth.failed(peer.entId, err.reason);
      throw asJobError(err);
    }
    await this.repo.transaction((tx) => this.repo.appendEvent(tx, p.transferId, ROLE, null, 'INDEX_FETCHED', null, null, { name: p.itemId, sizeBytes: p.sizeBytes, sha256: p.sha256 }));
  }

  /** The teacher reads the delivery index (what came, described as ScoLOMFR, schema.org and a page). */
  async indexFile(user: SessionUser, id: string, name: string): Promise<{ stream: Readable; mediaType: string }> {
    await this.owned(user, id);
    if (!(DELIVERY_INDEX_NAMES as readonly string[]).includes(name)) {
      throw new ProblemError(404, PROBLEM_TYPES.notFound, 'Index introuvable', "Ce fichier d'index n'existe pas.");
    }
    const key = `arrival/${id}/_index/${name}`;
    const stat = await this.store.stat(key);
    if (!stat) throw new ProblemError(404, PROBLEM_TYPES.notFound, 'Index pas encore reçu', "L'index de ce transfert n'est pas (encore) disponible.");
    return { stream: await this.store.getStream(key), mediaType: DELIVERY_INDEX_FILES[name as keyof typeof DELIVERY_INDEX_FILES] };
  }

  /** Job, at the offer's expiry: what has not been fetched by then will not be; partial copies go. */
  async expire(job: JobRow<{ transferId: string }>): Promise<void> {
    const { transferId } = job.payload;
    const expired = await this.repo.transaction(async (tx) => {
      const t = await this.repo.get(tx, transferId, ROLE, true);
      if (!t || !['OFFER_RECEIVED', 'ANSWERED', 'FETCHING'].includes(t.state)) return undefined;
      for (const i of await this.repo.items(tx, transferId, ROLE)) {
        await this.repo.transitionItem(tx, transferId, ROLE, i.item_id, ['OFFERED', 'TO_FETCH', 'FETCHED'], 'FAILED', 'ITEM_EXPIRED', { last_error: 'OFFER_EXPIRED' satisfies ItemFailureReason });
      }
      await this.repo.transition(tx, transferId, ROLE, [t.state], 'FAILED', 'OFFER_EXPIRED', { expiresAt: new Date(t.expires_at).toISOString() });
      return scheduleCopyRemoval(tx, ROLE, { transferId, reason: 'offer-expired' }, this.clock.now());
    });
    if (expired) await this.removeCopiesNow({ transferId, reason: 'offer-expired' }, expired);
  }

  async fetchGaveUp(job: JobRow<FetchPayload>, error: string, cause?: unknown): Promise<void> {
    const p = job.payload;
    const reason = fetchFailureReason(cause);
    // The details are for the operator; the receipt and the teacher get the code only (finding 2).
    this.logger.warn({ transferId: p.transferId, itemId: p.itemId, role: p.role, reason, err: error }, 'object could not be fetched');
    await this.checkpoints.abandon(`arrival/${p.transferId}/${p.itemId}/${p.role}`);
    await this.repo.transaction(async (tx) => {
      const locked = await this.repo.lock(tx, p.transferId, ROLE);
      await this.repo.transitionItem(tx, p.transferId, ROLE, p.itemId, ['TO_FETCH'], 'FAILED', 'ITEM_FETCH_FAILED', { last_error: reason });
      await this.afterFetchProgress(tx, locked!);
    });
    this.wake.wake();
  }

  /**
   * Once nothing is left to fetch: wait for the owner's acceptance when nothing proves she asked
   * (import gate, ADR 010); otherwise wait for her login, or import at once if she already logged in.
   */
  private async afterFetchProgress(tx: Queryable, t: TransferHead) {
    if (t.state !== 'FETCHING') return;
    if (await this.repo.anyItemIn(tx, t.id, ROLE, ['TO_FETCH'])) return;
    const fetched = (await this.repo.items(tx, t.id, ROLE)).filter((i) => i.state === 'FETCHED').length;
    if (importGate(t) === 'OWNER_MUST_ACCEPT') {
      await this.repo.transition(tx, t.id, ROLE, ['FETCHING'], 'AWAITING_ACCEPTANCE', 'ALL_OBJECTS_FETCHED', { fetched, acceptance: 'REQUIRED' });
      return;
    }
    await this.repo.transition(tx, t.id, ROLE, ['FETCHING'], 'AWAITING_OWNER', 'ALL_OBJECTS_FETCHED', { fetched });
    if (mayImportNow({ ...t, state: 'AWAITING_OWNER' }).allowed) await this.beginImport(tx, t.id);
  }

  /** The owner accepts contents that came without a valid proof that she asked: they are imported now. */
  async accept(user: SessionUser, id: string): Promise<TransferView> {
    await this.owned(user, id);
    await this.repo.transaction(async (tx) => {
      const locked = (await this.repo.get(tx, id, ROLE, true))!;
      if (locked.state !== 'AWAITING_ACCEPTANCE') this.nothingToDecide();
      await this.repo.markOwnerAccepted(tx, id);
      await this.repo.markOwnerSeen(tx, id);
      await this.repo.transition(tx, id, ROLE, ['AWAITING_ACCEPTANCE'], 'AWAITING_OWNER', 'OWNER_ACCEPTED', { by: user.identity });
      await this.beginImport(tx, id);
    });
    this.wake.wake();
    return this.view(user, id);
  }

  /**
   * The owner refuses contents she did not ask for: nothing is imported, our copies are deleted,
   * and the departure gets a signed receipt saying so (it can then delete its own).
   */
  async refuse(user: SessionUser, id: string): Promise<TransferView> {
    await this.owned(user, id);
    const removal = await this.repo.transaction(async (tx) => {
      const locked = (await this.repo.get(tx, id, ROLE, true))!;
      if (locked.state !== 'AWAITING_ACCEPTANCE') this.nothingToDecide();
      for (const i of await this.repo.items(tx, id, ROLE)) {
        await this.repo.transitionItem(tx, id, ROLE, i.item_id, ['OFFERED', 'TO_FETCH', 'FETCHED'], 'REFUSED', 'ITEM_REFUSED_BY_OWNER', { last_error: 'OWNER_REFUSED' });
      }
      const items = await this.repo.items(tx, id, ROLE);
      const jws = await this.signReceipt(locked, items);
      await this.repo.transition(tx, id, ROLE, ['AWAITING_ACCEPTANCE'], 'REFUSED_BY_OWNER', 'OWNER_REFUSED', { by: user.identity }, { receipt_jws: jws });
      await enqueueJob(tx, JOB_KINDS.sendReceipt, { transferId: id }, { key: `receipt:${id}` });
      return scheduleCopyRemoval(tx, ROLE, { transferId: id, reason: 'owner-refused' }, this.clock.now());
    });
    await this.removeCopiesNow({ transferId: id, reason: 'owner-refused' }, removal);
    this.wake.wake();
    return this.view(user, id);
  }

  private nothingToDecide(): never {
    throw new ProblemError(409, PROBLEM_TYPES.invalidState, 'Rien à accepter ni à refuser',
      "Ce transfert n'attend pas votre accord : il a déjà été accepté, refusé, ou son origine a été prouvée.");
  }

  private async beginImport(tx: Queryable, id: string) {
    await this.repo.transition(tx, id, ROLE, ['AWAITING_OWNER'], 'IMPORTING', 'IMPORT_STARTED');
    const items = await this.repo.items(tx, id, ROLE);
    await enqueueJobs(tx, items.filter((x) => x.state === 'FETCHED').map((i) => (
      { kind: JOB_KINDS.importItem, payload: { transferId: id, itemId: i.item_id }, options: { key: `import:${id}:${i.item_id}` } })));
    await this.completeIfDone(tx, id);
  }

  /**
   * §8.3 arrival: "when the teacher logs in, compatible items are imported".
   * Transfers are attached to the account whose identity claim equals the
   * offer's owner, and to nobody else.
   */
  async onOwnerLogin(user: SessionUser): Promise<number> {
    return this.onOwnerEvent(user.identity, 'GATEWAY_LOGIN');
  }

  /**
   * The owner appeared: she logged into this gateway, or her ENT said she logged in there
   * (§8.3: the import runs when she logs into the arrival ENT) or that her account now exists.
   * A login marks her seen; any of them retries an import that waited for her account.
   * Idempotent: a repeated event starts nothing twice (import jobs are keyed).
   */
  async onOwnerEvent(identity: string, source: 'GATEWAY_LOGIN' | 'ENT_LOGIN' | 'ENT_ACCOUNT'): Promise<number> {
    let started = 0;
    const login = source !== 'ENT_ACCOUNT';
    for (const id of await this.repo.waitingForOwner(ROLE, identity, login)) {
      await this.repo.transaction(async (tx) => {
        const locked = await this.repo.lock(tx, id, ROLE);
        if (!locked) return; // erased meanwhile
        if (login && (await this.repo.markOwnerSeen(tx, id))) {
          await this.repo.appendEvent(tx, id, ROLE, null, source === 'ENT_LOGIN' ? 'OWNER_LOGGED_IN_ENT' : 'OWNER_LOGGED_IN', null, null, {});
          if (locked.state === 'AWAITING_OWNER') {
            await this.beginImport(tx, id);
            started++;
          }
        }
        if (locked.state === 'AWAITING_ACCOUNT') {
          await this.retryImports(tx, id, 'AWAITING_ACCOUNT', source === 'ENT_ACCOUNT' ? 'ACCOUNT_APPEARED' : 'IMPORT_RETRIED_AT_LOGIN');
          started++;
        }
      });
    }
    if (started) this.wake.wake();
    return started;
  }

  /** Enqueues the import of every item still waiting, under a fresh round of job keys. */
  private async retryImports(tx: Queryable, id: string, from: 'PAUSED' | 'AWAITING_ACCOUNT', eventType: string) {
    await this.repo.transition(tx, id, ROLE, [from], 'IMPORTING', eventType);
    // Inside the transaction (PGlite has one connection: a query beside it would wait forever).
    const round = (await tx.query(`SELECT 1 FROM transfer_events WHERE transfer_id = $1 AND role = $2 AND type = $3`, [id, ROLE, eventType])).rowCount;
    await enqueueJobs(tx, (await this.repo.items(tx, id, ROLE)).filter((x) => x.state === 'FETCHED').map((i) => (
      { kind: JOB_KINDS.importItem, payload: { transferId: id, itemId: i.item_id }, options: { key: `import:${id}:${i.item_id}:${eventType.toLowerCase()}-${round}` } })));
    await this.completeIfDone(tx, id);
  }

  /** Job: hand one item to the ENT (IMPORT/CONVERT) or keep it for manual download (MANUAL). */
  async importItem(job: JobRow<{ transferId: string; itemId: string }>): Promise<void> {
    const { transferId, itemId } = job.payload;
    const t = await this.repo.head(this.repo.db, transferId, ROLE);
    const item = await this.repo.item(this.repo.db, transferId, ROLE, itemId);
    if (!t || !item || item.state !== 'FETCHED') return;
    if (item.decision === 'MANUAL') {
      await this.repo.transaction(async (tx) => {
        await this.repo.lock(tx, transferId, ROLE);
        await this.repo.transitionItem(tx, transferId, ROLE, itemId, ['FETCHED'], 'AWAITING_MANUAL_DOWNLOAD', 'ITEM_KEPT_FOR_MANUAL_DOWNLOAD');
        await this.completeIfDone(tx, transferId);
      });
      this.wake.wake();
      return;
    }
    if (item.decision !== 'IMPORT' && item.decision !== 'CONVERT') {
      throw new PermanentJobError(`decision ${item.decision} cannot be imported`);
    }
    // The import key makes the ENT's import idempotent: a retry after a crash finds the same content.
    const importKey = `${transferId}:${itemId}`;
    let localId: string;
    let location: string | undefined;
    let conversion: { converters: string[]; losses: string[] } | undefined;
    // Content and its description go in together or not at all: the record is read, brought to
    // the format the ENT takes and checked before the content is handed over.
    // What the answer decided for this item alone (its converters, its record's format), not the
    // whole answer: read once per item, it made a transfer's imports grow with the square of its items.
    const decision = item.decision === 'CONVERT' || item.metadata_format ? await this.repo.answerItem(this.repo.db, transferId, ROLE, itemId) : undefined;
    const record = await this.metadataRecord(decision, item);
    try {
      let body: Readable = await this.store.getStream(item.object_key!);
      let mediaType = item.media_type ?? 'application/octet-stream';
      if (item.decision === 'CONVERT') {
        const converted = await this.convert(decision, item, body);
        body = converted.body;
        mediaType = converted.mediaType;
        conversion = { converters: converted.converters, losses: converted.losses };
      }
      // What the ENT stores must be exactly what we send: hash it on the way.
      const counter = createSha256Counter();
      body.once('error', (err) => counter.destroy(err));
      const result = await this.connector.importContent(
        t.owner_identity,
        importKey,
        { category: item.category, format: item.target_format!, mediaType, title: item.title },
        body.pipe(counter),
      );
      const sent = conversion ? counter.digestHex() : item.sha256;
      if (result.sha256 !== sent) throw new Error(`ENT stored ${result.sha256}, expected ${sent}`);
      localId = result.localId;
      // Shown to her as a link: only an http(s) URL on the ENT's own origins (connector, portal, frame).
      location = importLocation(result.location, { connectorUrl: this.config.connector.url, returnOrigins: this.config.embedding.returnOrigins });
      if (record) await this.connector.importMetadata(t.owner_identity, importKey, record.format, Readable.from([record.bytes]));
    } catch (err) {
      if (err instanceof ConnectorError && err.status === 404 && err.problemType === PROBLEM_TYPES.unknownUser) {
        // A move spans a summer: her account at the arrival may not exist yet. Wait for it
        // (the ENT's account event or her next login), never fail for that reason.
        await this.repo.transaction(async (tx) => {
          const locked = await this.repo.get(tx, transferId, ROLE, true);
          if (locked?.state === 'IMPORTING') {
            await this.repo.transition(tx, transferId, ROLE, ['IMPORTING'], 'AWAITING_ACCOUNT', 'ACCOUNT_NOT_FOUND', { itemId });
          }
        });
        return;
      }
      if (err instanceof ConnectorError && err.status === 413) {
        // "Destination full": retrying cannot help until the teacher frees space. Pause and say so.
        await this.repo.transaction(async (tx) => {
          const locked = await this.repo.get(tx, transferId, ROLE, true);
          await this.repo.appendEvent(tx, transferId, ROLE, itemId, 'DESTINATION_FULL', null, null, { detail: err.message.slice(0, 300) });
          if (locked?.state === 'IMPORTING') {
            await this.repo.transition(tx, transferId, ROLE, ['IMPORTING'], 'PAUSED', 'IMPORT_PAUSED', { reason: 'DESTINATION_FULL', itemId });
          }
        });
        return;
      }
      if (err instanceof ConnectorError && !err.retryable) throw new PermanentJobError(err.message);
      throw err;
    }
    await this.repo.transaction(async (tx) => {
      await this.repo.lock(tx, transferId, ROLE);
      if (conversion) await this.repo.appendEvent(tx, transferId, ROLE, itemId, 'ITEM_CONVERTED', null, null, conversion);
      await this.repo.transitionItem(tx, transferId, ROLE, itemId, ['FETCHED'], 'IMPORTED', 'ITEM_IMPORTED', { local_id: localId, ...(location ? { location } : {}) });
      await this.completeIfDone(tx, transferId);
    });
    this.wake.wake();
  }

  /**
   * The item's metadata record as the arrival ENT takes it (the answer's `metadata.targetFormat`,
   * through the crosswalk when the departure sent another format), checked to be a record of that
   * format. A record that cannot be made acceptable fails the item before anything is imported.
   */
  private async metadataRecord(answered: ItemDecision | undefined, item: ItemRow): Promise<{ format: string; bytes: Buffer } | undefined> {
    if (!item.metadata_format) return undefined;
    if (!item.metadata_key) throw new PermanentJobError(`the ${item.metadata_format} record of ${item.item_id} was never received`);
    const decision = answered?.metadata;
    const target = decision?.targetFormat ?? item.metadata_format;
    try {
      let bytes = await readStream(await this.store.getStream(item.metadata_key), MAX_METADATA_BYTES);
      for (const id of decision?.converters ?? []) {
        const converter = this.converters.find((c) => c.descriptor.id === id);
        if (!converter) throw new Error(`converter ${id} is not available on this gateway`);
        const out = (await converter.run(bytes, { maxInputBytes: MAX_METADATA_BYTES })).output;
        bytes = Buffer.isBuffer(out) ? out : await readStream(out, MAX_METADATA_BYTES);
      }
      checkMetadataRecord(target, bytes);
      return { format: target, bytes };
    } catch (err) {
      throw new PermanentJobError(`metadata record of ${item.item_id} (${item.metadata_format} → ${target}) unusable: ${(err as Error).message}`);
    }
  }

  async importGaveUp(job: JobRow<{ transferId: string; itemId: string }>, error: string): Promise<void> {
    const { transferId, itemId } = job.payload;
    this.logger.warn({ transferId, itemId, err: error }, 'item could not be imported');
    await this.repo.transaction(async (tx) => {
      await this.repo.lock(tx, transferId, ROLE);
      // The bytes stay in our bucket: the teacher can still download them by hand.
      await this.repo.transitionItem(tx, transferId, ROLE, itemId, ['FETCHED'], 'FAILED', 'ITEM_IMPORT_FAILED', { last_error: 'IMPORT_FAILED' satisfies ItemFailureReason });
      await this.completeIfDone(tx, transferId);
    });
    this.wake.wake();
  }

  /**
   * Runs the converters the answer announced (§8.3 flow 3 told the teacher what would be
   * lost), in order, each on the previous one's output.
   */
  private async convert(decision: ItemDecision | undefined, item: ItemRow, input: Readable): Promise<{ body: Readable; mediaType: string; converters: string[]; losses: string[] }> {
    const ids = decision?.converters ?? [];
    if (ids.length === 0) throw new PermanentJobError(`no converter recorded for ${item.item_id}`);
    let current: Readable | Buffer = input;
    let mediaType = item.media_type ?? 'application/octet-stream';
    const losses: string[] = [];
    for (const id of ids) {
      const converter = this.converters.find((c) => c.descriptor.id === id);
      if (!converter) throw new PermanentJobError(`converter ${id} is not available on this gateway`);
      const result = await converter.run(current);
      current = result.output;
      mediaType = result.mediaType;
      for (const l of result.losses) if (!losses.includes(l.code)) losses.push(l.code);
    }
    return { body: Buffer.isBuffer(current) ? Readable.from([current]) : current, mediaType, converters: ids, losses };
  }

  /** The teacher has freed space in the arrival ENT: import what is left. */
  async resume(user: SessionUser, id: string): Promise<TransferView> {
    const t = await this.owned(user, id);
    if (t.state !== 'PAUSED') {
      throw new ProblemError(409, PROBLEM_TYPES.invalidState, 'Rien à reprendre', "Ce transfert n'est pas en pause : il n'y a rien à reprendre.");
    }
    await this.repo.transaction((tx) => this.retryImports(tx, id, 'PAUSED', 'IMPORT_RESUMED'));
    this.wake.wake();
    return this.view(user, id);
  }

  /** When every item has an outcome: DONE or PARTIAL, and a signed receipt to send back. */
  private async completeIfDone(tx: Queryable, id: string) {
    if (await this.repo.anyItemIn(tx, id, ROLE, UNFINISHED_ITEM_STATES)) return;
    const t = (await this.repo.get(tx, id, ROLE))!;
    if (t.state !== 'IMPORTING') return;
    const items = await this.repo.items(tx, id, ROLE);
    if (items.some((i) => UNFINISHED_ITEM_STATES.includes(i.state))) return;
    const jws = await this.signReceipt(t, items);
    const partial = items.some((i) => i.state === 'FAILED' || i.state === 'REFUSED');
    await this.repo.transition(tx, id, ROLE, ['IMPORTING'], partial ? 'PARTIAL' : 'DONE', 'TRANSFER_COMPLETED', {
      imported: items.filter((i) => i.state === 'IMPORTED').length,
      manual: items.filter((i) => i.state === 'AWAITING_MANUAL_DOWNLOAD').length,
      failed: items.filter((i) => i.state === 'FAILED').length,
      refused: items.filter((i) => i.state === 'REFUSED').length,
    }, { receipt_jws: jws });
    await enqueueJob(tx, JOB_KINDS.sendReceipt, { transferId: id }, { key: `receipt:${id}` });
    // Retention (ARCHITECTURE §5): our copies (manual downloads, index) go after a documented delay.
    const retainUntil = new Date(this.clock.now().getTime() + this.config.arrival.retentionSeconds * 1000);
    await this.repo.setRetainUntil(tx, id, ROLE, retainUntil);
    await enqueueJob(tx, JOB_KINDS.arrivalRetention, { transferId: id }, { key: `retention:${id}`, runAt: retainUntil });
  }

  private signReceipt(t: TransferRow, items: ItemRow[]): Promise<string> {
    const receipt: Receipt = {
      offerId: t.id,
      arrivalEntId: this.config.entId,
      departureEntId: t.departure_ent_id,
      issuedAt: this.clock.now().toISOString(),
      items: items.map((i) => ({
        itemId: i.item_id,
        status: i.state as ReceiptItemStatus,
        ...(i.local_id ? { localId: i.local_id } : {}),
        ...(i.last_error ? { reason: isItemFailureReason(i.last_error) ? i.last_error : 'UNSPECIFIED' } : {}),
      })),
    };
    return this.signing.sign(receipt, RECEIPT_TYP);
  }

  /** Job: send the stored receipt (the same bytes on every retry). */
  async sendReceipt(job: JobRow<{ transferId: string }>): Promise<void> {
    const t = await this.repo.get(this.repo.db, job.payload.transferId, ROLE);
    if (!t?.receipt_jws) return;
    const peer = this.peers.byEntId(t.departure_ent_id);
    if (!peer) throw new PermanentJobError(`departure ${t.departure_ent_id} is no longer a registered peer`);
    try {
      await this.peerClient.sendReceipt(peer, t.id, t.receipt_jws);
    } catch (err) {
      throw asJobError(err);
    }
    await this.repo.transaction((tx) => this.repo.appendEvent(tx, t.id, ROLE, null, 'RECEIPT_SENT', null, null, {}));
  }

  /**
   * The receipt could not be delivered for good: the items are in place here, so nothing is
   * lost; the departure keeps its staged copies until the offer expires. Said, not silent.
   */
  async sendReceiptGaveUp(job: JobRow<{ transferId: string }>, error: string): Promise<void> {
    await this.repo.transaction((tx) => this.repo.appendEvent(tx, job.payload.transferId, ROLE, null, 'RECEIPT_NOT_DELIVERED', null, null, { error: error.slice(0, 500) }));
  }

  /**
   * Job, at owner_wait_until: an owner who never appeared (no account, no login) will not be
   * waited for any longer. The copies go; the departure keeps its own until its deadline.
   */
  async ownerDeadline(job: JobRow<{ transferId: string }>): Promise<void> {
    const { transferId } = job.payload;
    const expired = await this.repo.transaction(async (tx) => {
      const t = await this.repo.get(tx, transferId, ROLE, true);
      if (!t || !['AWAITING_OWNER', 'AWAITING_ACCOUNT'].includes(t.state)) return undefined;
      await this.repo.transition(tx, transferId, ROLE, [t.state], 'EXPIRED', 'OWNER_NEVER_CAME', { ownerWaitUntil: t.owner_wait_until && new Date(t.owner_wait_until).toISOString() });
      return scheduleCopyRemoval(tx, ROLE, { transferId, reason: 'owner-never-came' }, this.clock.now());
    });
    if (expired) await this.removeCopiesNow({ transferId, reason: 'owner-never-came' }, expired);
  }

  /** Job, at retain_until: the arrival's copies of a completed transfer go (ARCHITECTURE §5). */
  async retention(job: JobRow<{ transferId: string }>): Promise<void> {
    const { transferId } = job.payload;
    const t = await this.repo.get(this.repo.db, transferId, ROLE);
    if (!t || !['DONE', 'PARTIAL'].includes(t.state)) return;
    await this.removeCopies({ transferId, reason: 'retention' });
  }

  /**
   * Removes the copies received for a transfer and records it. With `jobKey`, the caller does at
   * once the work of that removal job (copy-removal.ts) and marks it done; if a worker already
   * holds the job, the job records the removal, not the caller.
   */
  private async removeCopies(p: CopyRemovalPayload, jobKey?: string): Promise<void> {
    const prefix = copyPrefix(ROLE, p.transferId);
    await this.checkpoints.abandon(prefix);
    const removed = await this.store.removePrefix(prefix);
    await this.repo.transaction(async (tx) => {
      if (jobKey && !(await completePendingJob(tx, jobKey, REMOVED_BY_CALLER))) return;
      await tx.query(`UPDATE transfer_items SET object_key = NULL, metadata_key = NULL, updated_at = now() WHERE transfer_id = $1 AND role = $2`, [p.transferId, ROLE]);
      await this.repo.appendEvent(tx, p.transferId, ROLE, null, 'RECEIVED_COPIES_DELETED', null, null, { removed, reason: p.reason });
    });
  }

  private removeCopiesNow(p: CopyRemovalPayload, jobKey: string): Promise<void> {
    return removeAtOnce((q, key) => this.removeCopies(q, key), p, jobKey, ROLE, this.logger);
  }

  /** Job: the received copies its transaction decided must go (copy-removal.ts). */
  async removeReceivedJob(job: JobRow<CopyRemovalPayload>): Promise<void> {
    await this.removeCopies(job.payload);
  }

  async removeReceivedGaveUp(job: JobRow<CopyRemovalPayload>, error: string): Promise<void> {
    removalGaveUp(job, error, ROLE, this.logger);
  }

  /**
   * Peer: the departure withdraws its offer before delivery (the teacher cancelled). Nothing of
   * it stays here but a tombstone; once the manifest is in, it is too late (409).
   */
  async cancelOffer(peer: PeerEntry, offerId: string): Promise<{ offerId: string; status: 'CANCELLED' }> {
    await this.repo.transaction(async (tx) => {
      const t = await this.repo.get(tx, offerId, ROLE, true);
      if (!t || t.departure_ent_id !== peer.entId) {
        throw new ProblemError(404, PROBLEM_TYPES.notFound, 'Unknown offer', 'No offer with this id was received from you.');
      }
      if (t.state === 'CANCELLED') return;
      if (!['OFFER_RECEIVED', 'ANSWERED'].includes(t.state)) {
        throw new ProblemError(409, PROBLEM_TYPES.invalidState, 'Already delivered', `The offer is ${t.state}: it can no longer be withdrawn.`);
      }
      await this.repo.transition(tx, offerId, ROLE, [t.state], 'CANCELLED', 'OFFER_WITHDRAWN');
      await this.repo.forget(tx, offerId, ROLE);
    });
    return { offerId, status: 'CANCELLED' };
  }

  /**
   * RGPD: the owner erases what she received — our copies (manual downloads, index) and what the
   * database knew of the items. What was imported into the ENT is the ENT's, not ours to delete.
   */
  async erase(user: SessionUser, id: string): Promise<TransferView> {
    const t = await this.owned(user, id);
    if (!['DONE', 'PARTIAL', 'FAILED', 'EXPIRED'].includes(t.state)) {
      throw new ProblemError(409, PROBLEM_TYPES.invalidState, 'Effacement impossible pour le moment',
        t.state === 'ERASED' ? 'Ces contenus ont déjà été effacés.' : "Ce transfert est en cours : attendez la fin de l'import pour effacer ce que vous avez reçu.");
    }
    const removal = await this.repo.transaction(async (tx) => {
      await this.repo.transition(tx, id, ROLE, [t.state], 'ERASED', 'ERASED_BY_OWNER');
      await this.repo.forget(tx, id, ROLE);
      return scheduleCopyRemoval(tx, ROLE, { transferId: id, reason: 'erased-by-owner' }, this.clock.now());
    });
    await this.removeCopiesNow({ transferId: id, reason: 'erased-by-owner' }, removal);
    return this.view(user, id);
  }

  /** Her home page's list: counts, not items (see TransferRepository.summariesByOwner). */
  async summaries(user: SessionUser): Promise<TransferSummary[]> {
    return (await this.repo.summariesByOwner(ROLE, user.identity)).map(toTransferSummary);
  }

  async list(user: SessionUser): Promise<TransferView[]> {
    const rows = await this.repo.listByOwner(ROLE, user.identity);
    const items = await this.repo.itemsByTransfer(this.repo.db, rows.map((t) => t.id), ROLE);
    return rows.map((t) => toTransferView(t, items.get(t.id) ?? [], undefined, `/api/received/${t.id}/items`));
  }

  async view(user: SessionUser, id: string): Promise<TransferView> {
    const t = await this.owned(user, id);
    const view = toTransferView(t, await this.repo.items(this.repo.db, id, ROLE), await this.repo.events(id, ROLE), `/api/received/${t.id}/items`, this.clock.now());
    // The teacher sees why her transfer waits: its departure is slowed down (finding 3).
    const slowed = t.state === 'FETCHING' ? await this.peerHealth.slowedUntil(t.departure_ent_id) : undefined;
    return slowed ? { ...view, notice: peerSlowedFr(slowed), departureSlowedUntil: slowed.toISOString() } : view;
  }

  /** Manual download (§8.3: "téléchargement manuel via l'IHM de l'ENT d'arrivée"), owner only. */
  async download(user: SessionUser, id: string, itemId: string): Promise<{ stream: Readable; item: ItemRow }> {
    await this.owned(user, id);
    if (!ITEM_ID_PATTERN.test(itemId)) {
      throw new ProblemError(404, PROBLEM_TYPES.notFound, 'Contenu indisponible', "Ce contenu n'existe pas dans ce transfert.");
    }
    const item = await this.repo.item(this.repo.db, id, ROLE, itemId);
    if (!item || !item.object_key || !['AWAITING_MANUAL_DOWNLOAD', 'IMPORTED', 'FAILED'].includes(item.state)) {
      throw new ProblemError(404, PROBLEM_TYPES.notFound, 'Contenu indisponible', "Ce contenu n'est pas (ou pas encore) disponible au téléchargement.");
    }
    const stream = await this.store.getStream(item.object_key);
    await this.repo.transaction((tx) => this.repo.appendEvent(tx, id, ROLE, itemId, 'ITEM_DOWNLOADED', null, null, {}));
    return { stream, item };
  }

  private owned(user: SessionUser, id: string): Promise<TransferRow> {
    return this.repo.getOwned(id, ROLE, user.identity);
  }
}

/** What a receipt says about a fetch that failed for good: a stable code (contract ITEM_FAILURE_REASONS). */
export function fetchFailureReason(cause: unknown): ItemFailureReason {
  if (cause instanceof PeerCallError) return cause.reason;
  if (cause instanceof PermanentJobError || cause instanceof RetryLaterError) {
    const inner = (cause as { cause?: unknown }).cause;
    if (inner instanceof PeerCallError) return inner.reason;
  }
  if (cause instanceof ChecksumMismatchError || cause instanceof SizeMismatchError) return 'CONTENT_INTEGRITY_MISMATCH';
  if (cause instanceof SizeLimitExceededError) return 'CONTENT_TOO_LARGE';
  return 'CONTENT_UNAVAILABLE';
}
