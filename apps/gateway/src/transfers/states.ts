/** Lifecycles of ARCHITECTURE §4; every transition is written with an event in the same transaction. */
/** Departure PAUSED: the arrival refused the delivery for lack of space (413 / 507); the teacher resumes once it has room. */
export const DEPARTURE_STATES = ['DRAFT', 'OFFERED', 'ANSWERED', 'STAGING', 'PAUSED', 'DELIVERED', 'RECEIPTED', 'CLEANED', 'CANCELLED', 'EXPIRED', 'FAILED'] as const;
export type DepartureState = (typeof DEPARTURE_STATES)[number];

/**
 * PAUSED: the arrival ENT is full (413 / quota); the teacher frees space and resumes.
 * AWAITING_ACCEPTANCE: everything was received, but the offer carried no valid proof that its owner
 * asked (ADR 010): nothing is imported until she accepts (→ AWAITING_OWNER → IMPORTING) or refuses
 * (→ REFUSED_BY_OWNER, copies deleted, receipt sent).
 * AWAITING_ACCOUNT: the owner showed up but the arrival ENT has no account for her yet; the import
 * runs again when the ENT says the account exists (or at her next login). Never a failure (ADR 011).
 * CANCELLED: the departure withdrew the offer before delivery. EXPIRED: the owner never came
 * before ARRIVAL_OWNER_WAIT_SECONDS. ERASED: the owner erased what she received (RGPD).
 */
export const ARRIVAL_STATES = [
  'OFFER_RECEIVED', 'ANSWERED', 'FETCHING', 'AWAITING_ACCEPTANCE', 'AWAITING_OWNER', 'IMPORTING', 'AWAITING_ACCOUNT', 'PAUSED', 'DONE', 'PARTIAL',
  'REFUSED_BY_OWNER', 'FAILED', 'CANCELLED', 'EXPIRED', 'ERASED',
] as const;
export type ArrivalState = (typeof ARRIVAL_STATES)[number];

export type TransferRole = 'DEPARTURE' | 'ARRIVAL';

/** Item states, both roles. */
export const ITEM_STATES = [
  // departure
  'SELECTED', 'TO_STAGE', 'STAGED', 'DELIVERED', 'CLEANED',
  // departure: she took it out of the transfer before it started (ADR 016)
  'DROPPED',
  // arrival
  'OFFERED', 'TO_FETCH', 'FETCHED', 'IMPORTING',
  // both: terminal outcomes as reported by the receipt
  'IMPORTED', 'AWAITING_MANUAL_DOWNLOAD', 'REFUSED', 'FAILED',
] as const;
export type ItemState = (typeof ITEM_STATES)[number];

export const JOB_KINDS = {
  analyse: 'departure.analyse',
  stageItem: 'departure.stage-item',
  deliver: 'departure.deliver',
  cleanup: 'departure.cleanup',
  fetchObject: 'arrival.fetch-object',
  importItem: 'arrival.import-item',
  sendReceipt: 'arrival.send-receipt',
  expireDeparture: 'departure.expire',
  expireArrival: 'arrival.expire',
  ownerDeadline: 'arrival.owner-deadline',
  arrivalRetention: 'arrival.retention',
  buildDataCopy: 'copy.build',
  expireDataCopy: 'copy.expire',
  /** A transfer's copies that must go, whatever failed when they were to (copy-removal.ts). */
  removeStaged: 'departure.remove-staged',
  removeReceived: 'arrival.remove-received',
} as const;

/** Fetches from one peer share a job group, so JOB_CONCURRENCY_PER_PEER bounds what that peer can hold. */
export function peerJobGroup(entId: string): string {
  return `peer:${entId}`;
}

/** Transfer states after which nothing the teacher sees changes any more: a page stops asking (ADR 016). */
export const TERMINAL_STATES: Record<TransferRole, ReadonlySet<string>> = {
  DEPARTURE: new Set(['CLEANED', 'CANCELLED', 'EXPIRED', 'FAILED']),
  ARRIVAL: new Set(['DONE', 'PARTIAL', 'REFUSED_BY_OWNER', 'FAILED', 'CANCELLED', 'EXPIRED', 'ERASED']),
};

/**
 * The departure's question to the arrival (flows 2-3) runs as a job (ADR 016); where it stands,
 * beside the transfer's own state (OFFERED while it is asked). Not seen by peers.
 * ASKING: the job is sending the offer. RETRYING: the arrival was unreachable, answered 5xx or
 * 429; asked again by itself with backoff until ANALYSIS_RETRY_WINDOW. FAILED: a definitive
 * refusal or the window ran out; she may ask again.
 */
export const ANALYSIS_STATES = ['ASKING', 'RETRYING', 'FAILED'] as const;
export type AnalysisState = (typeof ANALYSIS_STATES)[number];
