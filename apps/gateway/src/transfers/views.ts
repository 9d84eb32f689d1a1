import type { DecisionReason, ConversionLoss, MetadataDecision, OwnerProofOutcome } from '@ent/contract';
import { proofOutcome } from './owner-proof';
import { transferProgress, type TransferProgress } from './progress';
import type { AnalysisState } from './states';
import type { EventRow, ItemRow, ListedTransfer, SummaryRow, TransferRow } from './transfer.repository';

export interface ItemView {
  itemId: string;
  title: string;
  category: string;
  state: string;
  decision: string | null;
  sourceFormat: string | null;
  targetFormat: string | null;
  reasons: DecisionReason[];
  losses: ConversionLoss[];
  /** The metadata record the arrival takes with the item (the answer's `metadata`), or null. */
  metadata: MetadataDecision | null;
  sizeBytes: number | null;
  /** ADR 016: bytes of this item moved so far by this gateway (staged here, or pulled here), and of how many. */
  bytesDone?: number;
  bytesTotal?: number | null;
  percent?: number | null;
  sha256: string | null;
  localId: string | null;
  lastError: string | null;
  /** The media type of the content (what « Télécharger » says of the file). */
  mediaType?: string | null;
  /** Arrival: where the imported content now lives in the ENT, when its import answer said (connector `location`). */
  location?: string;
  downloadUrl?: string;
}

export interface TransferView {
  id: string;
  role: string;
  state: string;
  departureEntId: string;
  departureUai: string;
  arrivalEntId: string;
  arrivalUai: string;
  ownerDisplayName: string | null;
  createdAt: string;
  updatedAt: string;
  expiresAt: string;
  /**
   * Lifetimes she is shown (ADR 011). Departure: the arrival's, from its answer. Arrival: until
   * when the content waits for her, and until when its copies are kept once imported.
   */
  arrivalRetention?: { awaitsOwnerUntil: string; keepsReceivedCopiesDays: number };
  ownerWaitUntil?: string;
  retainUntil?: string;
  items: ItemView[];
  /** ADR 016: overall progress from this gateway's own counters. */
  progress?: TransferProgress;
  /** Departure: where the question to the arrival stands while it runs as a job (ADR 016). */
  analysis?: AnalysisView;
  events?: { seq: number; at: string; type: string; itemId: string | null; from: string | null; to: string | null; data: unknown }[];
  hasReceipt: boolean;
  /** What the teacher should know or do, in French (e.g. the arrival ENT is full). */
  notice?: string;
  /**
   * ADR 010: whether the arrival holds a proof that the owner asked (at the departure: what the
   * arrival answered). Not VERIFIED: the contents wait for her acceptance at the arrival.
   */
  ownerProof?: OwnerProofOutcome;
  /** Arrival: the departure ENT keeps failing or trickling; its fetches wait until then. */
  departureSlowedUntil?: string;
}

/** A transfer as her home page lists it: no item, only how many and how many wait for her. */
export interface TransferSummary {
  id: string;
  state: string;
  createdAt: string;
  departureUai: string;
  arrivalUai: string;
  itemCount: number;
  /** Arrival: contents kept for a manual download. */
  awaitingManualDownload: number;
}

export function toTransferSummary(row: SummaryRow): TransferSummary {
  return {
    id: row.id, state: row.state, createdAt: new Date(row.created_at).toISOString(), departureUai: row.departure_uai, arrivalUai: row.arrival_uai,
    itemCount: row.item_count, awaitingManualDownload: row.awaiting_manual,
  };
}

export interface AnalysisView {
  state: AnalysisState;
  attempts: number;
  /** RETRYING: when the arrival is asked again. */
  nextAttemptAt?: string;
  /** FAILED (or the last transient failure): a stable code, never a peer's message. */
  reason?: string;
}

const ROLE_NOTICES: Record<string, Record<string, string>> = {
  ARRIVAL: {
    AWAITING_ACCEPTANCE:
      "Ces contenus vous sont adressés, mais l'ENT de départ n'a pas pu prouver que vous avez vous-même demandé ce transfert. " +
      "Rien n'a été importé. Si vous êtes à l'origine de ce transfert, acceptez-les : ils seront importés dans votre ENT. " +
      'Sinon, refusez-les : les copies reçues seront supprimées.',
    REFUSED_BY_OWNER: "Vous avez refusé ces contenus : rien n'a été importé et les copies reçues ici ont été supprimées.",
    PAUSED: "Votre espace sur l'ENT d'arrivée est plein : libérez de la place, puis relancez l'import. Rien n'est perdu, les contenus reçus sont conservés.",
    AWAITING_ACCOUNT: "Votre compte sur l'ENT de votre nouvel établissement n'existe pas encore. Vos contenus vous attendent : ils seront importés dès que votre compte sera créé ou à votre prochaine connexion.",
    EXPIRED: "Vous ne vous êtes pas connecté·e avant la fin du délai d'attente : les contenus reçus ont été supprimés.",
    ERASED: 'Vous avez effacé ces contenus reçus : il n’en reste aucune copie sur cette passerelle.',
    CANCELLED: "L'ENT de départ a annulé ce transfert avant de l'envoyer : rien n'a été reçu.",
  },
  DEPARTURE: {
    PAUSED: "L'ENT d'arrivée n'a plus assez de place pour recevoir ce transfert. Vos contenus restent préparés ici : relancez l'envoi quand l'ENT d'arrivée aura libéré de l'espace (avant l'expiration du transfert).",
    CANCELLED: 'Vous avez annulé ce transfert : aucune copie n’en reste, ni ici ni dans l’ENT d’arrivée.',
    EXPIRED: "Le délai de conservation est passé : les copies préparées pour l'envoi ont été supprimées ; vos contenus d'origine restent dans votre ENT. Si l'ENT d'arrivée avait déjà reçu vos contenus, ils vous y attendent toujours.",
  },
};

const NOTICES: Record<string, string> = {
  EXPIRED: "Le délai de conservation est passé : les copies préparées ici ont été supprimées.",
  FAILED: "Le transfert n'a pas pu aboutir. Le détail de chaque contenu est indiqué ci-dessous.",
  PARTIAL: "Certains contenus n'ont pas pu être importés : ils restent téléchargeables manuellement ou sont signalés ci-dessous.",
};

/** Departure: the arrival will ask the teacher before importing (ADR 010). */
const ACCEPT_AT_ARRIVAL =
  "Votre identité n'a pas pu être confirmée auprès de l'ENT d'arrivée : à votre première connexion là-bas, " +
  "il vous demandera d'accepter ces contenus avant de les importer. (Pour l'éviter, reconnectez-vous avant de créer un transfert.)";

export function toTransferView(t: TransferRow | ListedTransfer, items: ItemRow[], events?: EventRow[], downloadBase?: string, now: Date = new Date()): TransferView {
  const { perItem, ...progress } = transferProgress(t.role, t.state, items.map((i) => ({
    itemId: i.item_id,
    state: i.state,
    bytesDone: Number(i.bytes_done ?? 0),
    bytesTotal: i.size_bytes ?? i.declared_size ?? null,
    since: i.progress_since ? new Date(i.progress_since) : null,
    sinceBytes: Number(i.progress_since_bytes ?? 0),
  })), now);
  const decisions = new Map((t.answer?.items ?? []).map((d) => [d.itemId, d]));
  const ownerProof: OwnerProofOutcome | undefined = t.role === 'ARRIVAL'
    ? (t.owner_proof ? proofOutcome(t.owner_proof) : { status: 'MISSING' })
    : t.answer ? (t.answer.ownerProof ?? { status: 'MISSING' }) : undefined;
  const acceptLater = t.role === 'DEPARTURE' && ownerProof && ownerProof.status !== 'VERIFIED' && ['ANSWERED', 'STAGING', 'DELIVERED'].includes(t.state);
  const notice = ROLE_NOTICES[t.role]?.[t.state] ?? NOTICES[t.state] ?? (acceptLater ? ACCEPT_AT_ARRIVAL : undefined);
  return {
    id: t.id,
    role: t.role,
    state: t.state,
    departureEntId: t.departure_ent_id,
    departureUai: t.departure_uai,
    arrivalEntId: t.arrival_ent_id,
    arrivalUai: t.arrival_uai,
    ownerDisplayName: t.owner_display_name,
    createdAt: new Date(t.created_at).toISOString(),
    updatedAt: new Date(t.updated_at).toISOString(),
    expiresAt: new Date(t.expires_at).toISOString(),
    ...(t.answer?.retention ? { arrivalRetention: t.answer.retention } : {}),
    ...(t.owner_wait_until ? { ownerWaitUntil: new Date(t.owner_wait_until).toISOString() } : {}),
    ...(t.retain_until ? { retainUntil: new Date(t.retain_until).toISOString() } : {}),
    hasReceipt: 'has_receipt' in t ? t.has_receipt : Boolean(t.receipt_jws),
    ...(notice ? { notice } : {}),
    ...(ownerProof ? { ownerProof } : {}),
    progress,
    ...(t.analysis ? { analysis: t.analysis } : {}),
    items: items.map((i, n) => ({
      itemId: i.item_id,
      title: i.title,
      category: i.category,
      state: i.state,
      decision: i.decision,
      sourceFormat: i.source_format,
      targetFormat: i.target_format,
      reasons: decisions.get(i.item_id)?.reasons ?? [],
      losses: decisions.get(i.item_id)?.losses ?? [],
      metadata: decisions.get(i.item_id)?.metadata ?? null,
      sizeBytes: i.size_bytes,
      bytesDone: perItem[n].bytesDone,
      bytesTotal: perItem[n].bytesTotal,
      percent: perItem[n].percent,
      sha256: i.sha256,
      localId: i.local_id,
      lastError: i.last_error,
      mediaType: i.media_type,
      ...(i.location ? { location: i.location } : {}),
      ...(downloadBase && i.object_key ? { downloadUrl: `${downloadBase}/${encodeURIComponent(i.item_id)}/download` } : {}),
    })),
    ...(events
      ? {
          events: events.map((e) => ({
            seq: Number(e.seq),
            at: new Date(e.at).toISOString(),
            type: e.type,
            itemId: e.item_id,
            from: e.from_state,
            to: e.to_state,
            data: e.data,
          })),
        }
      : {}),
  };
}
