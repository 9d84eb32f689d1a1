import { Inject, Injectable, Logger } from '@nestjs/common';
import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { buildDeliveryIndex, DELIVERY_INDEX_FILES } from '@ent/formats';
import {
  CONTRACT_VERSION,
  ConnectorContent,
  DELIVERY_INDEX_NAMES,
  DeliveryManifest,
  isItemFailureReason,
  ItemFailureReason,
  ItemDecision,
  ManifestIndexFile,
  ManifestObject,
  Offer,
  OfferAnswer,
  PROBLEM_TYPES,
  Receipt,
} from '@ent/contract';
import { Clock, CLOCK, ProblemError } from '@ent/common';
import { completePendingJob, enqueueJob, JobRow, PermanentJobError, RetryLaterError } from '@ent/persistence';
import { getFormat } from '@ent/negotiation';
import { ObjectStore } from '@ent/storage';
import { GATEWAY_CONFIG, GatewayConfig, PeerEntry } from '../config';
import { ConnectorClient } from '../connector/connector.client';
import { departureSchool } from '../identity/access-policy';
import { IdpClient } from '../identity/idp.client';
import { LoginGrant, SessionUser } from '../identity/session-user';
import { OBJECT_STORE } from '../infra/tokens';
import { asJobError, PeerCallError, PeerClient } from '../peers/peer.client';
import { PeerRegistry } from '../peers/peer-registry';
import { MANIFEST_TYP, RECEIPT_TYP, signatureProblem, SigningService } from '../peers/signing.service';
import { nextAnalysisAttempt } from './analysis-retry';
import { copyPrefix, type CopyRemovalPayload, removalGaveUp, removeAtOnce, REMOVED_BY_CALLER, scheduleCopyRemoval } from './copy-removal';
import { ItemState, JOB_KINDS } from './states';
import { ItemRow, StateConflictError, TransferRepository, TransferRow } from './transfer.repository';
import { toTransferSummary, toTransferView, TransferSummary, TransferView } from './views';
import { JobWake } from './job-wake';
import { UploadCheckpoints } from './upload-checkpoints';
import { Submissions } from './submissions';

const ROLE = 'DEPARTURE' as const;
/** Item states with nothing more to stage: once every item is in one, the delivery goes (DROPPED: ADR 016). */
const STAGING_SETTLED: string[] = ['STAGED', 'REFUSED', 'FAILED', 'DROPPED'];
/** Not started: she may still delete it (ADR 016). */
const DELETABLE = ['DRAFT', 'OFFERED', 'ANSWERED'];

/**
 * The metadata record to stage with an item: the one the answer names, none when it says null.
 * An arrival that predates metadata negotiation says nothing (undefined): it then expects the
 * first offered record, as contract 1.0 did.
 */
export function deliveredMetadataFormat(offer: Offer, d: ItemDecision): string | null {
  if (d.metadata !== undefined) return d.metadata?.format ?? null;
  return offer.items.find((i) => i.itemId === d.itemId)?.metadata?.[0]?.format ?? null;
}

/** A whole small stream (a metadata record), refusing more than `maxBytes`. */
export async function readStream(stream: Readable, maxBytes: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) {
      stream.destroy();
      throw new Error(`record larger than ${maxBytes} bytes`);
    }
    parts.push(chunk as Buffer);
  }
  return Buffer.concat(parts);
}

/**
 * What makes two offers "the same" for idempotency, digested from `offerJson`: everything but the
 * owner proof, which is a fresh token at each attempt (ADR 010).
 */
export function offerDigest(json: string): string {
  return createHash('sha256').update(json).digest('hex');
}

/** The offer as both sides store it and digest it: its JSON without the owner's proof (ADR 010). */
export function offerJson(offer: Offer): string {
  const { ownerProof: _proof, ...rest } = offer;
  return JSON.stringify(rest);
}

/** The departure side of §8.3: the teacher's choice, the offer, staging, delivery, receipt, clean-up. */
@Injectable()
export class DepartureService {
  private readonly logger = new Logger(DepartureService.name);

  constructor(
    private readonly repo: TransferRepository,
    private readonly connector: ConnectorClient,
    private readonly peers: PeerRegistry,
    private readonly peerClient: PeerClient,
    private readonly signing: SigningService,
    private readonly wake: JobWake,
    private readonly checkpoints: UploadCheckpoints,
    private readonly idp: IdpClient,
    private readonly submissions: Submissions,
    @Inject(OBJECT_STORE) private readonly store: ObjectStore,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  listContents(user: SessionUser): Promise<ConnectorContent[]> {
    return this.connector.listContents(user.identity);
  }

  /** §8.3 departure, step 1: the teacher names the arrival school and picks contents. */
  async createDraft(user: SessionUser, arrivalUai: string, itemIds: string[], submission?: { key: string; scope: string }): Promise<TransferView> {
    // Her current attachment, or a past one within the grace period (the directory removes the old
    // school at the end of August; she may still carry her contents away afterwards).
    const school = departureSchool(user, { servedUais: this.config.uais, historyGraceMs: this.config.departure.historyGraceMs }, this.clock.now());
    if (!school) {
      throw new ProblemError(403, PROBLEM_TYPES.forbidden, 'Établissement non servi',
        "Votre compte n'est rattaché, ni aujourd'hui ni récemment, à aucun établissement servi par cet ENT : le transfert doit être demandé depuis l'ENT de votre établissement de départ.");
    }
    const departureUai = school.uai;
    if (this.config.uais.includes(arrivalUai)) {
      throw new ProblemError(422, PROBLEM_TYPES.unknownArrival, 'Même ENT',
        `L'établissement ${arrivalUai} est servi par cet ENT : aucun transfert n'est nécessaire.`);
    }
    const peer = this.peers.byUai(arrivalUai);
    if (!peer) {
      throw new ProblemError(422, PROBLEM_TYPES.unknownArrival, 'Établissement inconnu',
        `Aucun ENT partenaire ne sert l'établissement ${arrivalUai}. Vérifiez le code UAI (7 chiffres et une lettre) ou contactez votre administrateur ENT.`);
    }
    const unique = [...new Set(itemIds)];
    if (unique.length !== itemIds.length) {
      throw new ProblemError(400, PROBLEM_TYPES.validation, 'Contenu en double', 'Un même contenu a été choisi deux fois.');
    }
    await this.refuseRelaunch(user, unique);
    const contents = await this.connector.listContents(user.identity);
    const byId = new Map(contents.map((c) => [c.id, c]));
    const missing = unique.filter((id) => !byId.has(id));
    if (missing.length) {
      // Teachers only ever see and move their own contents.
      throw new ProblemError(404, PROBLEM_TYPES.notFound, 'Contenu introuvable',
        `Ces contenus n'existent pas dans votre espace : ${missing.join(', ')}.`);
    }
    const id = randomUUID();
    const offer: Offer = {
      offerId: id,
      contractVersion: CONTRACT_VERSION,
      departure: { entId: this.config.entId, uai: departureUai },
      arrival: { uai: arrivalUai },
      owner: { identityClaim: this.config.oidc.identityClaim, identity: user.identity, displayName: user.displayName },
      expiresAt: new Date(this.clock.now().getTime() + this.config.limits.offerTtlSeconds * 1000).toISOString(),
      items: unique.map((itemId) => {
        const c = byId.get(itemId)!;
        return {
          itemId: c.id,
          title: c.title,
          category: c.category,
          formats: c.formats.map((f) => ({ format: f.format, mediaType: f.mediaType, sizeBytes: f.sizeBytes })),
          ...(c.metadataFormats?.length ? { metadata: c.metadataFormats.map((format) => ({ format })) } : {}),
        };
      }),
    };
    // Serialised once: the digest is of the very JSON that is stored.
    const stored = offerJson(offer);
    const created = await this.repo.transaction(async (tx) => {
      if (submission) {
        // ADR 016: a double click, or a client retrying with the same Idempotency-Key, gets the first one's transfer.
        const claimed = await this.submissions.claim(tx, { owner: user.identity, ...submission, request: { arrivalUai, itemIds } }, id);
        if (!claimed.first) return claimed.resourceId ?? id;
      }
      await this.repo.insertTransfer(tx, {
        id,
        role: ROLE,
        state: 'DRAFT',
        owner_identity: user.identity,
        owner_display_name: user.displayName,
        departure_ent_id: this.config.entId,
        departure_uai: departureUai,
        arrival_ent_id: peer.entId,
        arrival_uai: arrivalUai,
        offer: stored,
        offer_digest: offerDigest(stored),
        expires_at: new Date(offer.expiresAt),
      }, undefined, offer.items.map((item, position) => ({
        item_id: item.itemId, position, title: item.title, category: item.category,
        state: 'SELECTED', media_type: item.formats[0].mediaType, declared_size: item.formats[0].sizeBytes,
        metadata_format: item.metadata?.[0]?.format ?? null,
      })));
      // Retention (ARCHITECTURE §5): past the offer's expiry, staged data goes.
      await enqueueJob(tx, JOB_KINDS.expireDeparture, { transferId: id }, { key: `expire:${id}`, runAt: new Date(offer.expiresAt) });
      return id;
    });
    return this.view(user, created);
  }

  /**
   * A content on its way — being sent, delivered and not yet receipted, or delivered and expired
   * here without a receipt (the arrival may still import it: a move spans a summer) — cannot be
   * put into another transfer: it would be imported twice. Once the receipt says what became of
   * it, sending it again (a newer version) is a deliberate new transfer.
   */
  private async refuseRelaunch(user: SessionUser, itemIds: string[]): Promise<void> {
    const r = await this.repo.db.query<{ item_id: string; title: string; transfer_id: string; created_at: Date }>(
      `SELECT i.item_id, i.title, t.id AS transfer_id, t.created_at
         FROM transfers t JOIN transfer_items i ON i.transfer_id = t.id AND i.role = t.role
        WHERE t.role = 'DEPARTURE' AND t.owner_identity = $1 AND i.item_id = ANY($2::text[])
          AND i.state NOT IN ('REFUSED', 'FAILED', 'DROPPED')
          AND (t.state IN ('STAGING', 'PAUSED', 'DELIVERED') OR (t.state = 'EXPIRED' AND t.manifest_jws IS NOT NULL AND t.receipt_jws IS NULL))
        LIMIT 1`,
      [user.identity, itemIds],
    );
    const dup = r.rows[0];
    if (dup) {
      throw new ProblemError(409, PROBLEM_TYPES.conflict, 'Contenu déjà transféré',
        `« ${dup.title} » fait déjà partie d'un transfert en cours (${dup.transfer_id}) : il ne sera pas envoyé une seconde fois. Suivez ce transfert ; s'il n'est pas encore livré, vous pouvez l'annuler pour en préparer un autre.`);
    }
  }

  /**
   * RGPD: the teacher cancels her transfer until its delivery. The arrival forgets the offer
   * first (once it holds the manifest it is too late: 409), then the staged copies go here.
   */
  async cancel(user: SessionUser, id: string): Promise<TransferView> {
    const t = await this.owned(user, id);
    if (t.state === 'CANCELLED') return this.view(user, id);
    const cancellable = ['DRAFT', 'OFFERED', 'ANSWERED', 'STAGING', 'PAUSED'];
    if (!cancellable.includes(t.state)) {
      throw new ProblemError(409, PROBLEM_TYPES.invalidState, 'Annulation impossible',
        "Ce transfert a déjà été livré à l'ENT d'arrivée : il ne peut plus être annulé. Vous pourrez effacer ce qui a été reçu depuis l'ENT d'arrivée.");
    }
    const arrivalTold = await this.withdrawOffer(t);
    const removal = await this.repo.transaction(async (tx) => {
      const locked = (await this.repo.get(tx, id, ROLE, true))!;
      if (locked.state === 'CANCELLED') return undefined;
      await this.repo.transition(tx, id, ROLE, cancellable, 'CANCELLED', 'CANCELLED_BY_OWNER', { arrivalTold });
      await this.repo.forget(tx, id, ROLE);
      return scheduleCopyRemoval(tx, ROLE, { transferId: id, reason: 'cancelled' }, this.clock.now());
    });
    if (removal) await this.removeStagedNow({ transferId: id, reason: 'cancelled' }, removal);
    return this.view(user, id);
  }

  /**
   * Tells the arrival to forget the offer (cancellation, deletion of a draft it has seen). False
   * when there was nothing to tell or it cannot be told (no cancellation endpoint: it keeps its
   * answered offer until it expires there, no content ever reached it).
   */
  private async withdrawOffer(t: TransferRow): Promise<boolean> {
    if (t.state === 'DRAFT') return false;
    const peer = this.peerOf(t);
    try {
      await this.peerClient.cancelOffer(peer, t.id);
      return true;
    } catch (err) {
      const e = err as PeerCallError;
      if (e.status === 501) return false;
      if (e.status === 409) {
        throw new ProblemError(409, PROBLEM_TYPES.invalidState, 'Annulation impossible',
          "L'ENT d'arrivée a déjà reçu ce transfert : il ne peut plus être annulé. Vous pourrez effacer ce qui a été reçu depuis l'ENT d'arrivée.");
      }
      // 404: the arrival never recorded the offer; nothing to withdraw there.
      if (e.status === 404) return true;
      throw new ProblemError(502, PROBLEM_TYPES.peerUnavailable, "L'ENT d'arrivée ne répond pas",
        "L'annulation n'a pas pu être transmise à l'établissement d'arrivée ; rien n'a été annulé. Réessayez dans quelques minutes.");
    }
  }

  /**
   * She deletes a transfer she has not started (ADR 016): the arrival, if it was asked, forgets the
   * offer; the transfer and its items go from this gateway; the append-only events keep the trace
   * (states and ids, never titles). Deleting one already deleted is a success.
   */
  async deleteDraft(user: SessionUser, id: string): Promise<void> {
    const t = await this.owned(user, id).catch((err) => {
      if (err instanceof ProblemError && err.status === 404) return undefined;
      throw err;
    });
    if (!t) return;
    if (!DELETABLE.includes(t.state)) {
      throw new ProblemError(409, PROBLEM_TYPES.invalidState, 'Suppression impossible',
        "Ce transfert a déjà commencé : il ne peut plus être supprimé. Vous pouvez l'annuler tant qu'il n'est pas livré.");
    }
    const arrivalTold = await this.withdrawOffer(t);
    await this.repo.transaction(async (tx) => {
      const locked = await this.repo.get(tx, id, ROLE, true);
      if (!locked) return;
      if (!DELETABLE.includes(locked.state)) throw new StateConflictError(id, DELETABLE, locked.state);
      await this.repo.appendEvent(tx, id, ROLE, null, 'DRAFT_DELETED', locked.state, null, { arrivalTold });
      await this.repo.remove(tx, id, ROLE);
    });
  }

  /**
   * She takes items out of a transfer before it starts (ADR 016). The arrival's answer is filtered,
   * not asked again: its decisions are per item and independent, and the offer id is its key for
   * the whole offer (asking again with fewer items would be a conflict there). The dropped items
   * are never staged nor listed in the manifest; the arrival records them as not delivered. In a
   * draft the arrival has not seen, they also leave the offer itself.
   */
  async dropItems(user: SessionUser, id: string, itemIds: string[]): Promise<TransferView> {
    const t = await this.owned(user, id);
    const pending = t.state === 'OFFERED' && t.analysis?.state !== 'FAILED';
    if (!['DRAFT', 'OFFERED', 'ANSWERED'].includes(t.state) || pending) {
      throw new ProblemError(409, PROBLEM_TYPES.invalidState, 'Retrait impossible', pending
        ? "L'établissement d'arrivée est en train d'analyser la demande : attendez sa réponse pour retirer des contenus."
        : "L'envoi a commencé : les contenus ne peuvent plus être retirés. Vous pouvez annuler le transfert tant qu'il n'est pas livré.");
    }
    await this.repo.transaction(async (tx) => {
      const locked = (await this.repo.get(tx, id, ROLE, true))!;
      if (!['DRAFT', 'OFFERED', 'ANSWERED'].includes(locked.state)) throw new StateConflictError(id, ['DRAFT', 'OFFERED', 'ANSWERED'], locked.state);
      const known = new Set((await this.repo.items(tx, id, ROLE)).map((i) => i.item_id));
      const unknown = itemIds.filter((i) => !known.has(i));
      if (unknown.length) throw new ProblemError(404, PROBLEM_TYPES.notFound, 'Contenu introuvable', "Ce contenu ne fait pas partie de ce transfert.");
      for (const itemId of itemIds) await this.repo.transitionItem(tx, id, ROLE, itemId, ['SELECTED', 'REFUSED'], 'DROPPED', 'ITEM_DROPPED');
      if (locked.state === 'DRAFT') {
        const offer: Offer = { ...locked.offer, items: locked.offer.items.filter((i) => !itemIds.includes(i.itemId)) };
        const json = offerJson(offer);
        await tx.query('UPDATE transfers SET offer = $3, offer_digest = $4, updated_at = now() WHERE id = $1 AND role = $2', [id, ROLE, json, offerDigest(json)]);
      }
    });
    return this.view(user, id);
  }

  /**
   * §8.3 flows 2 → 3, as a job (ADR 016): the teacher asks, the page answers at once and says the
   * arrival is being asked; the job sends the offer, asks again by itself while the arrival is
   * unreachable (network, 5xx, 429) within ANALYSIS_RETRY_WINDOW_SECONDS, and keeps the answer.
   * `login` is her own login grant (from her session): the owner proof (ADR 010) is bought now,
   * while she is here, and travels with the job. A second request while one runs changes nothing;
   * after a definitive failure it asks again.
   */
  async requestAnalysis(user: SessionUser, id: string, login?: LoginGrant): Promise<TransferView> {
    const t = await this.owned(user, id);
    if (!['DRAFT', 'OFFERED'].includes(t.state)) return this.view(user, id); // answered: kept, not asked again
    if (t.analysis && t.analysis.state !== 'FAILED') return this.view(user, id); // being asked
    const peer = this.peerOf(t);
    const ownerProof = await this.ownerProof(id, peer, login);
    const asked = this.clock.now().toISOString();
    const queued = await this.repo.transaction(async (tx) => {
      const locked = (await this.repo.get(tx, id, ROLE, true))!;
      if (!['DRAFT', 'OFFERED'].includes(locked.state) || (locked.analysis && locked.analysis.state !== 'FAILED')) return false;
      if (locked.state === 'DRAFT') await this.repo.transition(tx, id, ROLE, ['DRAFT'], 'OFFERED', 'OFFER_SENT', { arrivalEntId: peer.entId });
      const round = (await tx.query(`SELECT 1 FROM transfer_events WHERE transfer_id = $1 AND role = $2 AND type = 'ANALYSIS_REQUESTED'`, [id, ROLE])).rowCount;
      await this.repo.setAnalysis(tx, id, { state: 'ASKING', attempts: 0 });
      await this.repo.appendEvent(tx, id, ROLE, null, 'ANALYSIS_REQUESTED', null, null, { round });
      await enqueueJob(tx, JOB_KINDS.analyse, { transferId: id, askedAt: asked, ...(ownerProof ? { ownerProof } : {}) }, { key: `analyse:${id}:${round}` });
      return true;
    });
    if (queued) this.wake.wake();
    return this.view(user, id);
  }

  /**
   * The teacher API's view of a question just asked: the answer when the arrival gives it within
   * `waitMs` (the usual case: the job runs at once), else where it stands (RETRYING, or still
   * ASKING a slow arrival). Polls the database, so it works whichever replica runs the job.
   */
  async analysisOutcome(user: SessionUser, id: string, waitMs: number): Promise<TransferView> {
    const end = Date.now() + waitMs;
    for (;;) {
      const view = await this.view(user, id);
      if (view.state !== 'OFFERED' || view.analysis?.state !== 'ASKING' || Date.now() >= end) return view;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Job: send the offer and keep the answer (flows 2-3); a transient failure comes back by itself (ADR 016). */
  async analyse(job: JobRow<{ transferId: string; askedAt: string; ownerProof?: string }>): Promise<void> {
    const { transferId: id, askedAt, ownerProof } = job.payload;
    const t = await this.repo.get(this.repo.db, id, ROLE);
    if (!t || t.state !== 'OFFERED' || !t.analysis || t.analysis.state === 'FAILED') return;
    const peer = this.peerOf(t);
    let answer: OfferAnswer;
    try {
      answer = await this.peerClient.sendOffer(peer, ownerProof ? { ...t.offer, ownerProof } : t.offer);
    } catch (err) {
      const e = err instanceof PeerCallError ? err : new PeerCallError((err as Error).message, undefined, true);
      const attempts = t.analysis.attempts + 1;
      const elapsed = this.clock.now().getTime() - new Date(askedAt).getTime();
      const next = nextAnalysisAttempt({ status: e.status, retryable: e.retryable, retryAfterMs: e.retryAfterMs }, attempts, elapsed, this.config.departure.analysisRetry);
      const reason = e.status === undefined ? 'NETWORK' : `HTTP_${e.status}`;
      this.logger.warn({ transferId: id, attempts, status: e.status, err: e.message }, 'offer not answered');
      if ('retryInMs' in next) {
        const nextAttemptAt = new Date(this.clock.now().getTime() + next.retryInMs).toISOString();
        await this.repo.transaction((tx) => this.repo.setAnalysis(tx, id, { state: 'RETRYING', attempts, nextAttemptAt, reason }));
        throw new RetryLaterError(`arrival did not answer (${reason}); asked again in ${next.retryInMs} ms`, next.retryInMs);
      }
      await this.analysisFailed(id, attempts, next.giveUp, { status: e.status ?? null });
      return;
    }
    try {
      this.checkAnswer(t, answer);
    } catch {
      await this.analysisFailed(id, t.analysis.attempts + 1, 'INVALID_ANSWER', {});
      return;
    }
    const kept = await this.repo.transaction(async (tx) => {
      const locked = await this.repo.get(tx, id, ROLE, true);
      if (locked?.state !== 'OFFERED') return false; // cancelled or deleted meanwhile
      await this.repo.transition(tx, id, ROLE, ['OFFERED'], 'ANSWERED', 'ANSWER_RECEIVED', {
        decisions: Object.fromEntries(answer.items.map((d) => [d.itemId, d.decision])),
        ownerProof: answer.ownerProof?.status ?? 'MISSING',
      }, { answer });
      await this.repo.setAnalysis(tx, id, null);
      for (const d of answer.items) {
        await this.repo.transitionItem(tx, id, ROLE, d.itemId, ['SELECTED'], d.decision === 'REFUSED' ? 'REFUSED' : 'SELECTED', 'ITEM_DECIDED', {
          decision: d.decision,
          source_format: d.sourceFormat ?? null,
          target_format: d.targetFormat ?? null,
          metadata_format: d.decision === 'REFUSED' ? null : deliveredMetadataFormat(t.offer, d),
        }, { decision: d.decision, reasons: d.reasons.map((r) => r.code), metadata: d.metadata === undefined ? 'legacy' : d.metadata?.format ?? null });
      }
      return true;
    });
    // She cancelled (or deleted the draft) while the offer was on its way: the arrival, told then
    // that there was nothing to withdraw, has just recorded it. Withdraw it now, so that it does
    // not wait there for her until it expires. Best effort: nothing of hers ever reaches it.
    if (!kept) {
      await this.peerClient.cancelOffer(peer, id).catch((err: Error) =>
        this.logger.warn({ transferId: id, err: err.message }, 'offer answered after its cancellation could not be withdrawn'));
    }
  }

  /** The job itself failed for good (not the arrival: the database, a bug): she is told, and may ask again. */
  async analyseGaveUp(job: JobRow<{ transferId: string }>, error: string): Promise<void> {
    const t = await this.repo.get(this.repo.db, job.payload.transferId, ROLE);
    if (t?.state === 'OFFERED' && t.analysis && t.analysis.state !== 'FAILED') {
      await this.analysisFailed(t.id, t.analysis.attempts, 'ARRIVAL_UNREACHABLE', { error: error.slice(0, 300) });
    }
  }

  private async analysisFailed(id: string, attempts: number, reason: string, data: Record<string, unknown>): Promise<void> {
    await this.repo.transaction(async (tx) => {
      const locked = await this.repo.get(tx, id, ROLE, true);
      if (locked?.state !== 'OFFERED') return;
      await this.repo.setAnalysis(tx, id, { state: 'FAILED', attempts, reason });
      await this.repo.appendEvent(tx, id, ROLE, null, 'ANALYSIS_FAILED', null, null, { reason, attempts, ...data });
    });
  }

  /**
   * ADR 010: a short-lived token of the IdP, obtained by token exchange from the teacher's own
   * login, that proves to the arrival that she herself asks for this transfer. None when her
   * login token has expired or the IdP refuses: the offer still goes, and the arrival will ask
   * her to accept the contents before importing them (said on the transfer page).
   */
  private async ownerProof(id: string, peer: PeerEntry, login?: LoginGrant): Promise<string | undefined> {
    let reason: string;
    if (!login) reason = 'NO_LOGIN_TOKEN';
    else if (login.expiresAt <= Date.now() + 5_000) reason = 'LOGIN_TOKEN_EXPIRED';
    else {
      try {
        return await this.idp.ownerProof(login.accessToken, await this.peerClient.audience(peer));
      } catch (err) {
        this.logger.warn({ transferId: id, err: (err as Error).message }, 'owner proof not obtained');
        reason = 'EXCHANGE_REFUSED';
      }
    }
    await this.repo.transaction((tx) => this.repo.appendEvent(tx, id, ROLE, null, 'OWNER_PROOF_UNAVAILABLE', null, null, { reason }));
    return undefined;
  }

  private checkAnswer(t: TransferRow, answer: OfferAnswer) {
    const offered = new Map(t.offer.items.map((i) => [i.itemId, i]));
    const ok =
      answer?.offerId === t.id &&
      Array.isArray(answer.items) &&
      answer.items.length === offered.size &&
      answer.items.every((d) => {
        const item = offered.get(d.itemId);
        if (!item || !['IMPORT', 'CONVERT', 'MANUAL', 'REFUSED'].includes(d.decision)) return false;
        // The metadata taken must be one we offered (or none).
        if (d.metadata !== undefined && d.metadata !== null &&
            (typeof d.metadata !== 'object' || !(item.metadata ?? []).some((m) => m.format === d.metadata!.format))) return false;
        return d.decision === 'REFUSED' || item.formats.some((f) => f.format === d.sourceFormat);
      });
    if (!ok) {
      throw new ProblemError(502, PROBLEM_TYPES.peerUnavailable, "Réponse invalide de l'ENT d'arrivée",
        "La réponse de l'ENT d'arrivée ne correspond pas à la demande ; le transfert n'a pas été lancé.");
    }
  }

  /** The teacher confirms: stage every accepted item (§8.3 flow 4 begins). */
  async start(user: SessionUser, id: string): Promise<TransferView> {
    const t = await this.owned(user, id);
    if (t.state !== 'ANSWERED') {
      if (['STAGING', 'PAUSED', 'DELIVERED', 'RECEIPTED', 'CLEANED'].includes(t.state)) return this.view(user, id);
      throw new ProblemError(409, PROBLEM_TYPES.invalidState, 'Analyse nécessaire',
        "Demandez d'abord l'analyse à l'ENT d'arrivée, puis lancez le transfert.");
    }
    const items = await this.repo.items(this.repo.db, id, ROLE);
    const accepted = items.filter((i) => i.state === 'SELECTED' && i.decision && i.decision !== 'REFUSED');
    if (accepted.length === 0) {
      throw new ProblemError(409, PROBLEM_TYPES.invalidState, 'Rien à transférer',
        "L'ENT d'arrivée a refusé tous les contenus choisis : il n'y a rien à transférer.");
    }
    const started = await this.repo.transaction(async (tx) => {
      // A second click (or replica) that got here too: the first one started it.
      if ((await this.repo.get(tx, id, ROLE, true))?.state !== 'ANSWERED') return false;
      const going = (await this.repo.items(tx, id, ROLE)).filter((i) => i.state === 'SELECTED' && i.decision && i.decision !== 'REFUSED');
      if (going.length === 0) return false;
      await this.repo.transition(tx, id, ROLE, ['ANSWERED'], 'STAGING', 'STAGING_STARTED', { items: going.length });
      for (const item of going) {
        await this.repo.transitionItem(tx, id, ROLE, item.item_id, ['SELECTED'], 'TO_STAGE', 'ITEM_QUEUED');
        await enqueueJob(tx, JOB_KINDS.stageItem, { transferId: id, itemId: item.item_id }, { key: `stage:${id}:${item.item_id}` });
      }
      return true;
    });
    if (started) this.wake.wake();
    return this.view(user, id);
  }

  /**
   * Job: stream one item from the ENT into S3, hashing on the way. Idempotent (same key, same
   * bytes); a retry after a crash continues the multipart upload from its last recorded part.
   */
  async stageItem(job: JobRow<{ transferId: string; itemId: string }>): Promise<void> {
    const { transferId, itemId } = job.payload;
    const t = await this.repo.head(this.repo.db, transferId, ROLE);
    const item = await this.repo.item(this.repo.db, transferId, ROLE, itemId);
    if (!t || t.state !== 'STAGING' || !item || item.state !== 'TO_STAGE') return;
    const base = `departure/${transferId}/${itemId}`;
    const contentKey = `${base}/content`;
    const content = await this.store.putResumable(contentKey, this.connector.exportSource(t.owner_identity, itemId, item.source_format!), {
      contentType: item.media_type ?? 'application/octet-stream',
      maxBytes: this.config.limits.maxItemBytes,
      checkpoints: this.checkpoints.for(contentKey, { transferId, role: ROLE, itemId }),
    });
    if (content.resumedFrom > 0) this.logger.log({ transferId, itemId, fromByte: content.resumedFrom }, 'staging resumed from the last recorded part');
    let metadata: { sizeBytes: number; sha256: string } | undefined;
    if (item.metadata_format) {
      const meta = await this.connector.exportMetadata(t.owner_identity, itemId, item.metadata_format);
      metadata = await this.store.putStream(`${base}/metadata`, meta.stream, { contentType: meta.mediaType, maxBytes: 16 * 1024 * 1024 });
    }
    const late: CopyRemovalPayload = { transferId, reason: `staged-after-stop:${itemId}` };
    const kept = await this.repo.transaction(async (tx) => {
      const locked = await this.repo.lock(tx, transferId, ROLE);
      if (locked?.state !== 'STAGING') {
        // Cancelled or expired meanwhile: everything staged goes, for sure (its removal may have
        // run before this copy was written). Paused or failed: this item's copy only, at once; a
        // resume stages it again.
        return locked && ['CANCELLED', 'EXPIRED'].includes(locked.state) ? scheduleCopyRemoval(tx, ROLE, late, this.clock.now()) : false;
      }
      const moved = await this.repo.transitionItem(tx, transferId, ROLE, itemId, ['TO_STAGE'], 'STAGED', 'ITEM_STAGED', {
        size_bytes: content.sizeBytes,
        sha256: content.sha256,
        object_key: `${base}/content`,
        ...(metadata ? { metadata_size: metadata.sizeBytes, metadata_sha256: metadata.sha256, metadata_key: `${base}/metadata` } : {}),
      }, { sizeBytes: content.sizeBytes, sha256: content.sha256, ...(content.resumedFrom > 0 ? { resumedFromByte: content.resumedFrom } : {}) });
      if (!moved) return true;
      // The last item staged sends the manifest (one lookup, not every item read: issue 17).
      if (!(await this.repo.anyItemOutside(tx, transferId, ROLE, STAGING_SETTLED))) {
        await enqueueJob(tx, JOB_KINDS.deliver, { transferId }, { key: `deliver:${transferId}` });
      }
      return true;
    });
    if (kept === false) {
      await this.store.removePrefix(`${base}/`);
      return;
    }
    if (typeof kept === 'string') {
      await this.removeStagedNow(late, kept);
      return;
    }
    this.wake.wake();
  }

  async stageItemGaveUp(job: JobRow<{ transferId: string; itemId: string }>, error: string): Promise<void> {
    const { transferId, itemId } = job.payload;
    this.logger.warn({ transferId, itemId, err: error }, 'item could not be staged');
    // The parts of an upload that will never complete go now, not at the offer's expiry.
    await this.checkpoints.abandon(`departure/${transferId}/${itemId}/`);
    await this.repo.transaction(async (tx) => {
      await this.repo.lock(tx, transferId, ROLE);
      await this.repo.transitionItem(tx, transferId, ROLE, itemId, ['TO_STAGE'], 'FAILED', 'ITEM_STAGING_FAILED', { last_error: 'EXPORT_FAILED' satisfies ItemFailureReason });
      const items = await this.repo.items(tx, transferId, ROLE);
      if (items.every((i) => STAGING_SETTLED.includes(i.state))) {
        if (items.some((i) => i.state === 'STAGED')) {
          await enqueueJob(tx, JOB_KINDS.deliver, { transferId }, { key: `deliver:${transferId}` });
        } else {
          await this.repo.transition(tx, transferId, ROLE, ['STAGING'], 'FAILED', 'TRANSFER_FAILED', { reason: 'no item could be staged' });
        }
      }
    });
  }

  /** Job: sign the delivery manifest and hand it to the arrival (§8.3 flow 4). */
  async deliver(job: JobRow<{ transferId: string }>): Promise<void> {
    const { transferId } = job.payload;
    const t = await this.repo.get(this.repo.db, transferId, ROLE);
    if (!t || t.state !== 'STAGING') return;
    const peer = this.peerOf(t);
    const items = (await this.repo.items(this.repo.db, transferId, ROLE)).filter((i) => i.state === 'STAGED');
    // Reuse the manifest signed by an earlier attempt so that a retry sends the same document.
    let manifestJws = t.manifest_jws;
    if (!manifestJws) {
      const objects: ManifestObject[] = items.flatMap((i) => {
        const url = `${this.config.publicUrl}/portability/v1/transfers/${transferId}/items/${encodeURIComponent(i.item_id)}`;
        const list: ManifestObject[] = [
          { itemId: i.item_id, role: 'content', format: i.source_format!, mediaType: i.media_type ?? 'application/octet-stream', sizeBytes: i.size_bytes!, sha256: i.sha256!, contentUrl: `${url}/content` },
        ];
        if (i.metadata_key) {
          list.push({ itemId: i.item_id, role: 'metadata', format: i.metadata_format!, mediaType: getFormat(i.metadata_format!)?.mediaTypes[0] ?? 'application/octet-stream', sizeBytes: i.metadata_size!, sha256: i.metadata_sha256!, contentUrl: `${url}/metadata` });
        }
        return list;
      });
      const issuedAt = this.clock.now().toISOString();
      const index = await this.stageIndex(t, items, peer, issuedAt);
      const manifest: DeliveryManifest = { offerId: transferId, departureEntId: this.config.entId, arrivalEntId: peer.entId, issuedAt, objects, index };
      manifestJws = await this.signing.sign(manifest, MANIFEST_TYP);
      await this.repo.db.query('UPDATE transfers SET manifest_jws = $3 WHERE id = $1 AND role = $2 AND manifest_jws IS NULL', [transferId, ROLE, manifestJws]);
      manifestJws = (await this.repo.get(this.repo.db, transferId, ROLE))!.manifest_jws!;
    }
    try {
      await this.peerClient.deliver(peer, transferId, manifestJws);
    } catch (err) {
      if (err instanceof PeerCallError && (err.status === 413 || err.status === 507)) {
        // "Destination full": retrying cannot help until the arrival has room. Pause and say so;
        // the staged copies stay until the teacher resumes or the offer expires.
        await this.repo.transaction((tx) =>
          this.repo.transition(tx, transferId, ROLE, ['STAGING'], 'PAUSED', 'DELIVERY_PAUSED', {
            reason: 'DESTINATION_FULL', status: err.status, detail: err.message.slice(0, 300),
          }),
        ).catch((e) => {
          if (!(e instanceof StateConflictError)) throw e;
        });
        return;
      }
      throw asJobError(err);
    }
    await this.repo.transaction(async (tx) => {
      await this.repo.transition(tx, transferId, ROLE, ['STAGING'], 'DELIVERED', 'MANIFEST_DELIVERED', { objects: items.length });
      for (const i of items) await this.repo.transitionItem(tx, transferId, ROLE, i.item_id, ['STAGED'], 'DELIVERED', 'ITEM_DELIVERED');
    }).catch((err) => {
      // The arrival's receipt (or the teacher's cancellation) got in before this call returned.
      if (!(err instanceof StateConflictError)) throw err;
    });
  }

  /**
   * §8.3 flow 4 "listes d'indexes ScoLOMFR/Schema.org": every delivered item described as
   * ScoLOMFR XML, schema.org JSON-LD and a page a person can read, staged beside the items.
   */
  private async stageIndex(t: TransferRow, items: ItemRow[], peer: PeerEntry, issuedAt: string): Promise<ManifestIndexFile[]> {
    const described = await Promise.all(
      items.map(async (i) => ({
        itemId: i.item_id,
        title: i.title,
        category: i.category,
        format: i.source_format!,
        mediaType: i.media_type ?? 'application/octet-stream',
        sizeBytes: i.size_bytes!,
        sha256: i.sha256!,
        ...(i.metadata_key && i.metadata_format === 'scolomfr-3.1' ? { scolomfr: (await readStream(await this.store.getStream(i.metadata_key), 16 * 1024 * 1024)).toString('utf8') } : {}),
      })),
    );
    const index = buildDeliveryIndex(described, {
      offerId: t.id,
      departure: { id: this.config.entId, uai: t.departure_uai },
      arrival: { id: peer.entId, uai: t.arrival_uai },
      issuedAt,
    });
    const files: ManifestIndexFile[] = [];
    for (const name of DELIVERY_INDEX_NAMES) {
      const mediaType = DELIVERY_INDEX_FILES[name];
      const put = await this.store.putStream(`departure/${t.id}/_index/${name}`, Readable.from([Buffer.from(index[name], 'utf8')]), { contentType: mediaType });
      files.push({ name, mediaType, sizeBytes: put.sizeBytes, sha256: put.sha256, contentUrl: `${this.config.publicUrl}/portability/v1/transfers/${t.id}/index/${name}` });
    }
    return files;
  }

  /** The teacher (told the arrival had no room) asks to deliver again. */
  async resume(user: SessionUser, id: string): Promise<TransferView> {
    const t = await this.owned(user, id);
    if (t.state !== 'PAUSED') {
      throw new ProblemError(409, PROBLEM_TYPES.invalidState, 'Rien à reprendre', "Ce transfert n'est pas en pause : il n'y a rien à reprendre.");
    }
    await this.repo.transaction(async (tx) => {
      await this.repo.transition(tx, id, ROLE, ['PAUSED'], 'STAGING', 'DELIVERY_RESUMED');
      const round = (await tx.query(`SELECT 1 FROM transfer_events WHERE transfer_id = $1 AND role = $2 AND type = 'DELIVERY_RESUMED'`, [id, ROLE])).rowCount;
      await enqueueJob(tx, JOB_KINDS.deliver, { transferId: id }, { key: `deliver:${id}:resume-${round}` });
    });
    this.wake.wake();
    return this.view(user, id);
  }

  async deliverGaveUp(job: JobRow<{ transferId: string }>, error: string): Promise<void> {
    await this.repo.transaction((tx) =>
      this.repo.transition(tx, job.payload.transferId, ROLE, ['STAGING'], 'FAILED', 'TRANSFER_FAILED', { reason: error }),
    ).catch((err) => {
      if (!(err instanceof StateConflictError)) throw err;
    });
  }

  /** Job, at the offer's expiry: a transfer not receipted by then expires and its staged data goes. */
  async expire(job: JobRow<{ transferId: string }>): Promise<void> {
    const { transferId } = job.payload;
    const t = await this.repo.get(this.repo.db, transferId, ROLE);
    if (!t || ['RECEIPTED', 'CLEANED', 'CANCELLED', 'EXPIRED'].includes(t.state)) return;
    const removal = await this.repo.transaction(async (tx) => {
      if (t.state !== 'FAILED') {
        await this.repo.transition(tx, transferId, ROLE, ['DRAFT', 'OFFERED', 'ANSWERED', 'STAGING', 'PAUSED', 'DELIVERED'], 'EXPIRED', 'OFFER_EXPIRED', { expiresAt: new Date(t.expires_at).toISOString() });
      }
      return scheduleCopyRemoval(tx, ROLE, { transferId, reason: 'expired' }, this.clock.now());
    });
    await this.removeStagedNow({ transferId, reason: 'expired' }, removal);
  }

  /**
   * Removes a transfer's staged copies and records it. With `jobKey`, the caller
   * does at once the work of that removal job (copy-removal.ts) and marks it done; if a worker
   * already holds the job, the job records the removal, not the caller.
   */
  private async removeStaged(p: CopyRemovalPayload, jobKey?: string): Promise<void> {
    const prefix = copyPrefix(ROLE, p.transferId);
    const abandoned = await this.checkpoints.abandon(prefix);
    const removed = await this.store.removePrefix(prefix);
    await this.repo.transaction(async (tx) => {
      if (jobKey && !(await completePendingJob(tx, jobKey, REMOVED_BY_CALLER))) return;
      await this.repo.appendEvent(tx, p.transferId, ROLE, null, 'STAGED_OBJECTS_DELETED', null, null, { removed, reason: p.reason, ...(abandoned ? { uploadsAborted: abandoned } : {}) });
    });
  }

  private removeStagedNow(p: CopyRemovalPayload, jobKey: string): Promise<void> {
    return removeAtOnce((q, key) => this.removeStaged(q, key), p, jobKey, ROLE, this.logger);
  }

  /** Job: the staged copies its transaction decided must go (copy-removal.ts). */
  async removeStagedJob(job: JobRow<CopyRemovalPayload>): Promise<void> {
    await this.removeStaged(job.payload);
  }

  async removeStagedGaveUp(job: JobRow<CopyRemovalPayload>, error: string): Promise<void> {
    removalGaveUp(job, error, ROLE, this.logger);
  }

  /** Peer endpoint: a short-lived presigned URL for one staged object, for the arrival named in the offer only. */
  async objectUrl(peer: PeerEntry, transferId: string, itemId: string, role: 'content' | 'metadata'): Promise<string> {
    // Asked once per object: the transfer without its documents (a 500-item manifest is not read 1,000 times).
    const t = await this.repo.head(this.repo.db, transferId, ROLE);
    if (!t || t.arrival_ent_id !== peer.entId) {
      throw new ProblemError(404, PROBLEM_TYPES.notFound, 'Unknown transfer', 'No transfer with this id is addressed to you.');
    }
    // Available from the moment the manifest is signed: the arrival may start pulling before
    // the departure has recorded that its delivery call returned.
    if (!t.manifest_signed || !['STAGING', 'DELIVERED', 'RECEIPTED'].includes(t.state)) {
      throw new ProblemError(409, PROBLEM_TYPES.invalidState, 'Not available', `Objects are available once delivered and until cleaned up; the transfer is ${t.state}.`);
    }
    const item = await this.repo.item(this.repo.db, transferId, ROLE, itemId);
    const key = role === 'content' ? item?.object_key : item?.metadata_key;
    if (!item || !key || item.state === 'CLEANED') {
      throw new ProblemError(404, PROBLEM_TYPES.notFound, 'Unknown object', 'This item has no staged object of that kind.');
    }
    return this.store.presignGet(key, this.config.s3.presignTtlSeconds);
  }

  /** Peer endpoint: a short-lived URL of one delivery index file, for the arrival only. */
  async indexUrl(peer: PeerEntry, transferId: string, name: string): Promise<string> {
    if (!(DELIVERY_INDEX_NAMES as readonly string[]).includes(name)) {
      throw new ProblemError(404, PROBLEM_TYPES.notFound, 'Unknown index file', `Index files are ${DELIVERY_INDEX_NAMES.join(', ')}.`);
    }
    const t = await this.repo.get(this.repo.db, transferId, ROLE);
    if (!t || t.arrival_ent_id !== peer.entId) {
      throw new ProblemError(404, PROBLEM_TYPES.notFound, 'Unknown transfer', 'No transfer with this id is addressed to you.');
    }
    if (!t.manifest_jws || !['STAGING', 'DELIVERED', 'RECEIPTED'].includes(t.state)) {
      throw new ProblemError(409, PROBLEM_TYPES.invalidState, 'Not available', `The index is available once delivered and until cleaned up; the transfer is ${t.state}.`);
    }
    return this.store.presignGet(`departure/${transferId}/_index/${name}`, this.config.s3.presignTtlSeconds);
  }

  /** Peer endpoint: the arrival's signed receipt. Verified before anything is deleted. */
  async receiveReceipt(peer: PeerEntry, transferId: string, jws: string): Promise<{ offerId: string; status: string }> {
    const t = await this.repo.get(this.repo.db, transferId, ROLE);
    if (!t || t.arrival_ent_id !== peer.entId) {
      throw new ProblemError(404, PROBLEM_TYPES.notFound, 'Unknown transfer', 'No transfer with this id is addressed to you.');
    }
    let receipt: Receipt;
    try {
      receipt = await this.signing.verifyFromPeer<Receipt>(jws, peer, RECEIPT_TYP);
    } catch (err) {
      throw signatureProblem(err, 'receipt', peer);
    }
    const items = await this.repo.items(this.repo.db, transferId, ROLE);
    const known = new Set(items.map((i) => i.item_id));
    if (receipt.offerId !== transferId || receipt.arrivalEntId !== peer.entId || receipt.departureEntId !== this.config.entId ||
        !Array.isArray(receipt.items) || !receipt.items.every((r) => known.has(r.itemId))) {
      throw new ProblemError(400, PROBLEM_TYPES.validation, 'Receipt does not match the transfer', 'The receipt names another transfer, party or unknown items.');
    }
    if (t.receipt_jws) {
      if (t.receipt_jws === jws) return { offerId: transferId, status: t.state };
      throw new ProblemError(409, PROBLEM_TYPES.conflict, 'Receipt already recorded', 'A different receipt was already recorded for this transfer.');
    }
    // A move spans a summer: the teacher may first log in at the arrival after our own deadline
    // (EXPIRED, staged copies already deleted). Her content did arrive: the receipt is recorded.
    // STAGING: the arrival pulled and imported before our delivery call returned.
    const receivable = ['STAGING', 'DELIVERED', 'EXPIRED'];
    if (!receivable.includes(t.state) || !t.manifest_jws) {
      throw new ProblemError(409, PROBLEM_TYPES.invalidState, 'Not expecting a receipt', `The transfer is ${t.state}.`);
    }
    const status = new Map(receipt.items.map((r) => [r.itemId, r]));
    await this.repo.transaction(async (tx) => {
      const locked = (await this.repo.get(tx, transferId, ROLE, true))!;
      if (locked.receipt_jws) return; // a concurrent identical call recorded it
      await this.repo.transition(tx, transferId, ROLE, receivable, 'RECEIPTED', locked.state === 'EXPIRED' ? 'LATE_RECEIPT_RECEIVED' : 'RECEIPT_RECEIVED', {
        items: Object.fromEntries(receipt.items.map((r) => [r.itemId, r.status])),
      }, { receipt_jws: jws });
      for (const i of items.filter((x) => x.state === 'DELIVERED' || x.state === 'STAGED')) {
        const r = status.get(i.item_id);
        const to: ItemState = r?.status === 'IMPORTED' || r?.status === 'AWAITING_MANUAL_DOWNLOAD' || r?.status === 'REFUSED' ? r.status : 'FAILED';
        await this.repo.transitionItem(tx, transferId, ROLE, i.item_id, ['DELIVERED', 'STAGED'], to, 'ITEM_RECEIPTED', { local_id: r?.localId ?? null, last_error: r?.reason === undefined ? null : isItemFailureReason(r.reason) ? r.reason : 'UNSPECIFIED' });
      }
      await enqueueJob(tx, JOB_KINDS.cleanup, { transferId }, { key: `cleanup:${transferId}` });
    });
    this.wake.wake();
    return { offerId: transferId, status: 'RECEIPTED' };
  }

  /** Job: the receipt is in, so the staged copies go (ARCHITECTURE §5, retention). */
  async cleanup(job: JobRow<{ transferId: string }>): Promise<void> {
    const { transferId } = job.payload;
    const t = await this.repo.get(this.repo.db, transferId, ROLE);
    if (!t || t.state !== 'RECEIPTED') return;
    const prefix = `departure/${transferId}/`;
    const removed = await this.store.removePrefix(prefix);
    await this.repo.transaction((tx) => this.repo.transition(tx, transferId, ROLE, ['RECEIPTED'], 'CLEANED', 'STAGED_OBJECTS_DELETED', { removed }));
  }

  async view(user: SessionUser, id: string, withEvents = true): Promise<TransferView> {
    const t = await this.owned(user, id);
    const items = await this.repo.items(this.repo.db, id, ROLE);
    return toTransferView(t, items, withEvents ? await this.repo.events(id, ROLE) : undefined, undefined, this.clock.now());
  }

  /** Her home page's list: counts, not items (see TransferRepository.summariesByOwner). */
  async summaries(user: SessionUser): Promise<TransferSummary[]> {
    return (await this.repo.summariesByOwner(ROLE, user.identity)).map(toTransferSummary);
  }

  async list(user: SessionUser): Promise<TransferView[]> {
    const rows = await this.repo.listByOwner(ROLE, user.identity);
    const items = await this.repo.itemsByTransfer(this.repo.db, rows.map((t) => t.id), ROLE);
    return rows.map((t) => toTransferView(t, items.get(t.id) ?? []));
  }

  async receiptOf(user: SessionUser, id: string): Promise<{ jws: string | null; manifest: string | null }> {
    const t = await this.owned(user, id);
    return { jws: t.receipt_jws, manifest: t.manifest_jws };
  }

  private owned(user: SessionUser, id: string): Promise<TransferRow> {
    return this.repo.getOwned(id, ROLE, user.identity);
  }

  private peerOf(t: TransferRow): PeerEntry {
    const peer = this.peers.byEntId(t.arrival_ent_id);
    if (!peer) throw new ProblemError(409, PROBLEM_TYPES.unknownArrival, 'ENT partenaire retiré', "L'ENT d'arrivée n'est plus dans la liste des partenaires de cet ENT.");
    return peer;
  }
}
