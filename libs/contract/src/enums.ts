/**
 * Vocabulary shared by both contracts. Content categories reuse the national
 * service labels of the DNMA RFTI (§2.2.2) so that an ENT can map its own
 * services without inventing a taxonomy.
 */
export const CONTENT_CATEGORIES = [
  'CAHIER_TEXTES',
  'COURRIER_ELECTRONIQUE',
  'PARCOURS_PEDAGOGIQUE',
  'STOCKAGE_PARTAGE',
  'GESTION_TEMPS',
  'PRODUCTION_COLLABORATIVE',
  'GESTION_COMPETENCES',
  'RESSOURCE_ORIENTATION',
  'RESSOURCE_PRODUCTION',
  'RESSOURCE_DOCUMENTAIRE',
  'MANUEL_NUMERIQUE',
  'RESSOURCE_MULTIMEDIA',
] as const;
export type ContentCategory = (typeof CONTENT_CATEGORIES)[number];

/** §8.3 flow 3: what the arrival does with each offered item. */
export const ITEM_DECISIONS = ['IMPORT', 'CONVERT', 'MANUAL', 'REFUSED'] as const;
export type ItemDecisionKind = (typeof ITEM_DECISIONS)[number];

/** Stable reason codes carried by the answer; each has a French sentence for the teacher. */
export const DECISION_REASONS = [
  'NATIVE_IMPORT',
  'CONVERSION_AVAILABLE',
  'NO_IMPORTABLE_FORMAT',
  'UNKNOWN_FORMAT',
  'ITEM_TOO_LARGE',
  'CATEGORY_REFUSED',
] as const;
export type DecisionReasonCode = (typeof DECISION_REASONS)[number];

/**
 * Why an item failed, as a receipt (`ReceiptItem.reason`) and the teacher's views say it: stable
 * codes only, never the status or the message of an internal call, so that a receipt tells a
 * peer nothing about the arrival's network (issue 14, finding 2). Operators read the details in
 * the gateway's log.
 * - CONTENT_ORIGIN_NOT_ALLOWED: the content URL or its redirect led outside the departure's
 *   content origins, or to an address the outbound policy refuses.
 * - CONTENT_UNAVAILABLE: the departure or its storage did not serve the object, after retries.
 * - CONTENT_TOO_SLOW: the object did not arrive within its deadline (size at the minimum
 *   throughput) or the departure went silent.
 * - CONTENT_INTEGRITY_MISMATCH: size or SHA-256 differ from the signed manifest.
 * - CONTENT_TOO_LARGE: larger than this gateway accepts.
 * - NOT_DELIVERED: accepted, but absent from the delivery manifest.
 * - OFFER_EXPIRED: the offer expired before the object arrived.
 * - IMPORT_FAILED: the arrival ENT did not take the item (it stays for manual download).
 * - EXPORT_FAILED: (departure) the departure ENT could not export the item.
 * - OWNER_REFUSED: the owner refused, at the arrival, contents she had not asked for (ADR 010).
 * - UNSPECIFIED: any other failure, or a code this version does not know.
 */
export const ITEM_FAILURE_REASONS = [
  'CONTENT_ORIGIN_NOT_ALLOWED',
  'CONTENT_UNAVAILABLE',
  'CONTENT_TOO_SLOW',
  'CONTENT_INTEGRITY_MISMATCH',
  'CONTENT_TOO_LARGE',
  'NOT_DELIVERED',
  'OFFER_EXPIRED',
  'IMPORT_FAILED',
  'EXPORT_FAILED',
  'OWNER_REFUSED',
  'UNSPECIFIED',
] as const;
export type ItemFailureReason = (typeof ITEM_FAILURE_REASONS)[number];

export function isItemFailureReason(value: unknown): value is ItemFailureReason {
  return typeof value === 'string' && (ITEM_FAILURE_REASONS as readonly string[]).includes(value);
}

export const RECEIPT_ITEM_STATUSES = ['IMPORTED', 'AWAITING_MANUAL_DOWNLOAD', 'FAILED', 'REFUSED'] as const;
export type ReceiptItemStatus = (typeof RECEIPT_ITEM_STATUSES)[number];

/**
 * What the arrival made of an offer's `ownerProof` (ADR 010). Only `VERIFIED` lets the items be
 * imported at the owner's login without asking her; otherwise they wait for her acceptance.
 */
export const OWNER_PROOF_STATUSES = ['VERIFIED', 'MISSING', 'REFUSED'] as const;
export type OwnerProofStatus = (typeof OWNER_PROOF_STATUSES)[number];

/** Why a proof was refused (stable codes; the proof itself is never echoed). */
export const OWNER_PROOF_REASONS = [
  'MALFORMED',
  'INVALID_SIGNATURE',
  'WRONG_TYPE',
  'WRONG_ISSUER',
  'WRONG_AUDIENCE',
  'EXPIRED',
  'TOO_LONG_LIVED',
  'IDENTITY_MISMATCH',
  'ACTOR_MISMATCH',
  'REPLAYED',
] as const;
export type OwnerProofReason = (typeof OWNER_PROOF_REASONS)[number];

export const OBJECT_ROLES = ['content', 'metadata'] as const;
export type ObjectRole = (typeof OBJECT_ROLES)[number];

/** OAuth2 scopes, one per peer operation (N°7: OAuth2 for API calls). */
export const PEER_SCOPES = {
  capabilities: 'portability:capabilities',
  offer: 'portability:offer',
  deliver: 'portability:deliver',
  fetch: 'portability:fetch',
  receipt: 'portability:receipt',
} as const;
export type PeerScope = (typeof PEER_SCOPES)[keyof typeof PEER_SCOPES];
export const ALL_PEER_SCOPES: PeerScope[] = Object.values(PEER_SCOPES);

export const CONTRACT_VERSION = '1';

/** `typ` of the JWS protected headers of the two signed documents (RFC 7515 §4.1.9). */
export const JWS_TYPES = {
  manifest: 'ent-portability-manifest+jws',
  receipt: 'ent-portability-receipt+jws',
} as const;

/** JWS algorithms a verifier accepts on manifests and receipts; anything else (`none`, HS*) is refused. */
export const PEER_JWS_ALGORITHMS = ['ES256', 'RS256', 'PS256', 'EdDSA'] as const;

/**
 * Arrival transfer states a departure observes (`DeliveryAccepted.status`: FETCHING on the first
 * delivery, the current state when the same manifest is delivered again).
 */
export const PEER_VISIBLE_ARRIVAL_STATES = {
  FETCHING: 'The manifest verified and was recorded; the arrival is pulling the objects.',
  AWAITING_OWNER: 'Every object is fetched and checked; the arrival waits for the teacher to log into the arrival ENT (nothing is imported before).',
  IMPORTING: 'The teacher logged in; items are being imported into the arrival ENT.',
  PAUSED: 'The arrival ENT is full; the teacher frees space and resumes. The departure keeps its staged objects (no receipt yet).',
  DONE: 'Every item has its outcome and none failed; the receipt is (being) sent.',
  PARTIAL: 'Every item has its outcome and some failed or were refused; the receipt is (being) sent.',
  FAILED: 'The offer expired before delivery completed; nothing will be imported.',
} as const;

/**
 * Departure transfer states an arrival observes (`ReceiptAccepted.status`: RECEIPTED on the first
 * receipt, the current state when the same receipt is sent again).
 */
export const PEER_VISIBLE_DEPARTURE_STATES = {
  RECEIPTED: 'The receipt verified and was recorded; the departure deletes its staged copies.',
  CLEANED: 'The staged copies are deleted: contentUrls of this transfer answer 409 from now on.',
} as const;

/** What each receipt item status says (§8.3: the departure learns the outcome item by item). */
export const RECEIPT_ITEM_STATUS_MEANINGS: Record<(typeof RECEIPT_ITEM_STATUSES)[number], string> = {
  IMPORTED: 'Imported into the arrival ENT, with its metadata record when one was negotiated; `localId` is its id there.',
  AWAITING_MANUAL_DOWNLOAD: 'Kept by the arrival (its own copy) for the teacher to download by hand.',
  REFUSED: 'Refused in the answer; never delivered.',
  FAILED: 'Announced but not imported nor kept (not delivered, fetch failed, import failed, offer expired); `reason` says why.',
};

/** Patterns shared by both contracts. */
export const FORMAT_ID_PATTERN = /^[a-z0-9][a-z0-9.+-]{0,63}$/;
export const ITEM_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
export const UAI_PATTERN = /^[0-9]{7}[A-Z]$/;
export const SHA256_HEX_PATTERN = /^[0-9a-f]{64}$/;
export const MEDIA_TYPE_PATTERN = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/;
